"""Files on disk: walking a data folder and reading only what is a regular file.

A data folder comes from a pull request: an entry may be a symbolic link (to
``/etc/passwd``, or to a YAML file outside the repository), a named pipe (whose read
would block forever) or a device. None is ever followed or read; ``walk`` reports them
for the loader to name (E113), and ``read_regular`` refuses them even when an entry is
swapped for one between the walk and the read.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from generator.yamlio import LIMITS

DATA_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class NotAFile:
    """An entry that is not a regular file (``what`` names it, in Chinese)."""

    what: str


def data_like(name: str) -> bool:
    """Does the name look like a data file (whether or not the layout reads it)?"""
    return name.lower().endswith(DATA_SUFFIXES)


def special(path: str) -> str:
    """What an entry that is not a regular file or folder is, in Chinese."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "无法读取的文件"
    if stat.S_ISLNK(mode):
        return "符号链接"
    if stat.S_ISFIFO(mode):
        return "命名管道"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    return "特殊文件"


def walk(root: Path) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """Below ``root``, without following links and skipping hidden entries: the regular
    files (paths relative to ``root``), the entries that are not (relative path, what:
    links to folders and data-like names only), and the folders that could not be
    listed (path, reason)."""
    regular: list[str] = []
    others: list[tuple[str, str]] = []
    unlisted: list[tuple[str, str]] = []
    stack = [(str(root), "")]
    while stack:  # os.scandir: the entry types come with the listing, no stat per file
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            unlisted.append((folder, exc.strerror or str(exc)))
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            relative = prefix + name
            if entry.is_symlink():
                if entry.is_dir() or data_like(name):
                    others.append((relative, "符号链接"))
            elif entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, relative + "/"))
            elif not entry.is_file(follow_symlinks=False):
                if data_like(name):
                    others.append((relative, special(entry.path)))
            else:
                regular.append(relative)
    return regular, others, unlisted


def read_regular(path: str) -> bytes:
    """The bytes of a regular file, never following a symbolic link and never blocking
    on a pipe; at most ``LIMITS.bytes + 1`` bytes are read (the loader reports E105).
    OSError otherwise, with a Chinese reason."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(exc.errno, "这是符号链接，不会读取它指向的内容") from None
        raise
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "这不是普通文件，不会读取")
        return file.read(LIMITS.bytes + 1)
