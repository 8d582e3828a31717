"""Read the data files of a Git revision without touching the working tree or the index.

One ``git ls-tree`` lists the blobs below the data folder, one ``git cat-file --batch``
reads them all: two processes whatever the number of files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """Git could not answer; the message is for the user."""


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], input=data,
                              capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"无法运行 git：{exc.strerror}。请先安装 Git。") from None
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


def toplevel(path: Path) -> Path:
    return Path(_git(path, "rev-parse", "--show-toplevel").decode().strip())


def files_at(repo: Path, revision: str, folder: str) -> dict[str, bytes]:
    """path (relative to the repository) -> content, for every file below ``folder``
    in ``revision``."""
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except GitError:
        raise GitError(f"找不到 Git 版本“{revision}”。请用分支名、标签或提交编号。") from None
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", revision, "--", folder)
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        _mode, kind, sha = meta.split()
        if kind == b"blob":
            blobs.append((path.decode("utf-8"), sha.decode()))
    if not blobs:
        return {}
    batch = _git(repo, "cat-file", "--batch", data="".join(f"{sha}\n" for _, sha in blobs)
                 .encode())
    files: dict[str, bytes] = {}
    offset = 0
    for path, sha in blobs:
        header_end = batch.index(b"\n", offset)
        header = batch[offset:header_end].split()
        if header[0].decode() != sha or len(header) < 3:
            raise GitError(f"无法读取 {path}（{revision}）")
        size = int(header[2])
        start = header_end + 1
        files[path] = batch[start:start + size]
        offset = start + size + 1
    return files


def files_in_worktree(repo: Path, folder: str) -> dict[str, bytes]:
    """The same for the working tree (files on disk, tracked or not)."""
    root = repo / folder
    return {path.relative_to(repo).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}
