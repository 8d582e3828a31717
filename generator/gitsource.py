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


def files_at(repo: Path, revision: str, folder: str) -> dict[str, bytes]:
    """path (relative to the repository) -> content, for every file below ``folder``
    in ``revision``."""
    try:
        if revision.startswith("-"):  # never an option of git's
            raise GitError(revision)
        commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except GitError:
        raise GitError(f"找不到 Git 版本“{revision}”。请用分支名、标签或提交编号。") from None
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit.strip().decode(),
                   "--", folder)
    blobs: list[tuple[str, bytes]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) != 3 or not path:
            raise GitError(f"无法读取 Git 版本“{revision}”的文件列表。")
        if fields[1] == b"blob":
            blobs.append((name(path), fields[2]))
    if not blobs:
        return {}
    batch = _git(repo, "cat-file", "--batch", data=b"".join(sha + b"\n" for _, sha in blobs))
    files: dict[str, bytes] = {}
    offset = 0
    for path, sha in blobs:
        header_end = batch.find(b"\n", offset)
        header = batch[offset:header_end].split() if header_end >= 0 else []
        if len(header) != 3 or header[0] != sha or not header[2].isdigit():
            raise GitError(f"无法读取 {shown_path(path)}（{revision}）")
        size = int(header[2])
        start = header_end + 1
        files[path] = batch[start:start + size]
        offset = start + size + 1
    return files


def files_in_worktree(repo: Path, folder: str) -> dict[str, bytes]:
    """The same for the working tree (files on disk, tracked or not)."""
    root = repo / folder
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(repo).as_posix()
        try:
            files[relative] = path.read_bytes()
        except OSError as exc:
            raise GitError(f"无法读取文件 {shown_path(relative)}：{exc.strerror}。") from None
    return files
