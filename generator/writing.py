"""Writing data files safely: one writer at a time per data directory, whole files only.

Every command that writes data (``jifen add``, ``verify``, ``approve``, ``void``,
``close``) runs under ``data_lock``: an exclusive ``flock`` on ``<data>/.jifen.lock``,
taken before the command reads the data and held through validation to the last
write. Parallel writers therefore take turns, and each one sees what the one before
it wrote. A writer that cannot get the lock within ``wait_seconds()`` gives up with
``LockTimeout`` (a Chinese message) and writes nothing. The lock file is never
removed (removing it would let two writers lock two different files); it is not a
data file (the loader reads ``*.yaml`` only) and Git ignores it (``.gitignore``).
The kernel releases the lock when its holder exits, however it exits.

``write_atomic`` puts a file in place in one rename, after syncing it to disk: a
reader, or a writer killed half-way, never leaves half a file.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not a POSIX system: the commands that write data refuse to run
    fcntl = None  # type: ignore[assignment]  # None stands for the module POSIX lacks

LOCK_NAME = ".jifen.lock"
WAIT_SECONDS = 120.0  # how long a writer waits for another one before giving up
WAIT_VARIABLE = "JIFEN_LOCK_WAIT"  # overrides WAIT_SECONDS (seconds)
_POLL = 0.05
_TELL_AFTER = 1.0  # say that we are waiting once it has taken this long


class LockError(Exception):
    """The data directory could not be locked; the message is for the user (Chinese)."""


class LockTimeout(LockError):
    """Another writer held the lock for longer than we wait."""


def wait_seconds() -> float:
    text = os.environ.get(WAIT_VARIABLE, "")
    try:
        value = float(text)
    except ValueError:
        return WAIT_SECONDS
    return value if value >= 0 else WAIT_SECONDS


def _holder(handle: int) -> str:
    """What the lock file says about the process that took the lock last."""
    try:
        text = os.pread(handle, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return text.splitlines()[0] if text else ""


@contextmanager
def data_lock(data: Path, *, wait: float | None = None,
              tell: Callable[[str], None] | None = None) -> Iterator[Lock]:
    """Hold the data directory's write lock for the ``with`` block. ``tell`` hears,
    once, that the lock is busy and we are waiting (default: standard error)."""
    lock = Lock(data)
    lock.acquire(wait_seconds() if wait is None else wait, tell or _tell)
    try:
        yield lock
    finally:
        lock.release()


def _tell(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Lock:
    """The write lock of one data directory (see the module docstring)."""

    def __init__(self, data: Path) -> None:
        self.path = data / LOCK_NAME
        self._handle: int | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self, wait: float, tell: Callable[[str], None] = _tell) -> None:
        if self._handle is not None:
            return
        if fcntl is None:
            raise LockError("这个操作系统不支持文件锁（fcntl），无法保证同时运行的 jifen 命令"
                            "互不覆盖。请在 Linux 或 macOS（包括 WSL）上运行写入数据的命令。"
                            "没有写入任何文件。")
        try:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise LockError(f"无法建立写入锁 {self.path}（{exc.strerror}）。"
                            "请检查是否有数据目录的写权限。没有写入任何文件。") from None
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(handle)
                    raise LockError(f"无法锁定 {self.path}（{exc.strerror}）。"
                                    "没有写入任何文件。") from None
            waited = time.monotonic() - started
            holder = _holder(handle)
            who = f"（{holder}）" if holder else ""
            if waited >= wait:
                os.close(handle)
                raise LockTimeout(
                    f"另一个 jifen 命令{who}正在修改数据目录 {self.path.parent}，"
                    f"等了 {wait:g} 秒仍未完成。没有写入任何文件；请等它结束后重试。")
            if not told and waited >= _TELL_AFTER:
                tell(f"另一个 jifen 命令{who}正在修改数据目录 {self.path.parent}，等它完成……")
                told = True
            time.sleep(min(_POLL, max(wait - waited, 0.0)))
        try:  # who holds the lock, for the messages of those who wait
            note = f"进程 {os.getpid()}：jifen {' '.join(sys.argv[1:3])}".rstrip() + "\n"
            os.ftruncate(handle, 0)
            os.pwrite(handle, note.encode("utf-8"), 0)
        except OSError:
            pass
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        try:
            fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` in one rename, synced to disk first: a reader never
    sees half a file, and a writer that fails or is killed leaves what was there. An
    existing file keeps its permissions; a new one gets the usual ones (umask)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # as an ordinary new file (mkstemp gives 0600)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows syncing a folder)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
