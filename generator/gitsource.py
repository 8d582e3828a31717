"""Read the data files of a Git revision without touching the working tree or the index.

One ``git ls-tree`` lists the blobs below the data folder, one ``git cat-file --batch``
reads them all: two processes whatever the number of files.

Git's answers are read as bytes: ``ls-tree -z`` separates entries with NUL, so a file
name may hold any character, and each ``cat-file`` object is taken by the size Git
gives, whatever bytes it holds. A name is turned into text the way Python names files
on disk (``surrogateescape``), so a name with bytes that are not UTF-8 survives and the
loader reports it (E120) instead of failing on it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from generator.errors import shown_path
from generator.files import NotAFile, read_regular, walk


class GitError(Exception):
    """Git could not answer; the message is for the user."""


def name(raw: bytes) -> str:
    """A path from Git as text, as ``os.fsdecode`` gives names on disk."""
    return raw.decode("utf-8", "surrogateescape")


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), "--literal-pathspecs", *args],
                              input=data, capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"无法运行 git：{exc.strerror}。请先安装 Git。") from None
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


def toplevel(path: Path) -> Path:
    return Path(name(_git(path, "rev-parse", "--show-toplevel").rstrip(b"\n")))


Tree = dict[str, bytes | NotAFile]


def files_at(repo: Path, revision: str, folder: str) -> Tree:
    """path (relative to the repository) -> content, for every file below ``folder``
    in ``revision``; a symbolic link or a submodule is a ``NotAFile`` (never read: the
    loader reports it, as it does on disk)."""
    try:
        if revision.startswith("-"):  # never an option of git's
            raise GitError(revision)
        commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except GitError:
        raise GitError(f"找不到 Git 版本“{revision}”。请用分支名、标签或提交编号。") from None
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit.strip().decode(),
                   "--", folder)
    blobs: list[tuple[str, bytes]] = []
    files: Tree = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) != 3 or not path:
            raise GitError(f"无法读取 Git 版本“{revision}”的文件列表。")
        mode, kind, sha = fields
        if kind == b"commit":
            files[name(path)] = NotAFile("子模块")
        elif mode == b"120000":
            files[name(path)] = NotAFile("符号链接")
        elif kind == b"blob":
            blobs.append((name(path), sha))
    if not blobs:
        return files
    batch = _git(repo, "cat-file", "--batch", data=b"".join(sha + b"\n" for _, sha in blobs))
    offset = 0
    for shown, sha in blobs:
        header_end = batch.find(b"\n", offset)
        header = batch[offset:header_end].split() if header_end >= 0 else []
        if len(header) != 3 or header[0] != sha or not header[2].isdigit():
            raise GitError(f"无法读取 {shown_path(shown)}（{revision}）")
        size = int(header[2])
        start = header_end + 1
        files[shown] = batch[start:start + size]
        offset = start + size + 1
    return files


def files_in_worktree(repo: Path, folder: str) -> Tree:
    """The same for the working tree (files on disk, tracked or not), read as the loader
    reads them: links and special files are ``NotAFile``, never followed or read."""
    root = repo / folder
    regular, others, unlisted = walk(root)
    if unlisted:
        where, reason = unlisted[0]
        raise GitError(f"无法读取文件夹 {shown_path(where)}：{reason}。")
    prefix = Path(folder).as_posix().rstrip("/") + "/" if folder not in ("", ".") else ""
    files: Tree = {prefix + relative: NotAFile(what) for relative, what in others}
    for relative in regular:
        try:
            files[prefix + relative] = read_regular(str(root / relative))
        except OSError as exc:
            raise GitError(f"无法读取文件 {shown_path(prefix + relative)}："
                           f"{exc.strerror or exc}。") from None
    return files
