"""Serve: preview the bulletin locally while editing data.

MkDocs serves the generated docs folder with live reload; this loop watches the
data folder and regenerates the Markdown when a data file changes (only changed
pages are rewritten, so MkDocs reloads just those). Data with errors is reported
and the last good pages stay up.

The preview has its own work folder, beside the data folder (``data`` →
``.data.jifen-serve/public/``), so it never shares one with ``jifen build`` and
never touches a built site. Its lock is not waited for: a preview runs until it is
stopped, so a second preview of the same data says so and exits. The MkDocs child
is stopped when the preview is (Ctrl+C, SIGTERM, SIGHUP), and on Linux it also dies
with it if the preview itself is killed (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from generator.build import Busy, aside, locked
from generator.cache import Cache
from generator.load import discover
from generator.model import Dataset
from generator.pipeline import check
from generator.provenance import for_data
from generator.site import groups
from generator.workdir import save_manifest, write_work

POLL_SECONDS = 1.0
SERVE_SUFFIX = ".jifen-serve"
PR_SET_PDEATHSIG = 1


def serve_folder(data_dir: Path, internal: bool) -> Path:
    """The preview's work folder: its own, beside the data folder."""
    return aside(data_dir.resolve(), SERVE_SUFFIX) / ("internal" if internal else "public")


def _snapshot(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    files, _ = discover(data_dir)
    found = []
    for _kind, path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        found.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(found)


def _write(work: Path, dataset: Dataset, data_dir: Path, internal: bool, as_of: str) -> bool:
    """Write the docs folder; False (with the reason printed) when it cannot be written."""
    assert dataset.organization is not None
    pages = groups(dataset, as_of, internal=internal, provenance=for_data(data_dir))
    try:
        writer, done = write_work(work, pages, internal, dataset.organization.committee)
        save_manifest(work, writer.manifest)
        written = done.written
    except OSError as exc:
        print(f"无法写入预览文件 {exc.filename or work}：{exc.strerror}。请检查磁盘空间和权限。",
              file=sys.stderr)
        return False
    print(f"已更新 {written} 个文件。", file=sys.stderr)
    return True


def regenerate(data_dir: Path, work: Path, *, internal: bool, as_of: str | None,
               cache: Cache | None, today: str | None = None) -> bool:
    """Rewrite the docs folder from the data; False (with errors printed) if invalid."""
    today = today or dt.date.today().isoformat()
    dataset, diagnostics, _ = check(data_dir, today=today, cache=cache)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        for d in errors:
            print(d.format(), file=sys.stderr)
        print(f"数据有 {len(errors)} 个错误，预览保持上一次的内容；改正后会自动刷新。", file=sys.stderr)
        return False
    return _write(work, dataset, data_dir, internal, as_of or today)


class _Stop(Exception):
    """SIGTERM or SIGHUP: stop the preview like Ctrl+C does."""


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signum)


def _die_with_parent() -> Callable[[], None] | None:
    """For ``preexec_fn``: the child gets SIGTERM when this process dies, even by
    SIGKILL (Linux); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the call
            os._exit(1)
    return arm


def serve(data_dir: Path, dataset: Dataset, *, internal: bool, as_of: str, today: str,
          port: int, cache: Cache | None) -> int:
    """Preview a data set that validated, at 127.0.0.1:``port``, until stopped."""
    work = serve_folder(data_dir, internal)
    try:
        with locked(work, None) as lock:
            if not _write(work, dataset, data_dir, internal, as_of):
                return 1
            return _run(data_dir, work, lock, internal=internal, as_of=as_of, today=today,
                        port=port, cache=cache)
    except Busy as exc:
        print(f"另一个 jifen serve（进程 {exc.holder}）正在预览 {data_dir} 的"
              f"{'内部版本' if internal else '党务公开栏'}；请先停止它，或直接打开它的预览地址。",
              file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"无法创建预览文件夹 {exc.filename or work}：{exc.strerror}。请检查磁盘空间和权限。",
              file=sys.stderr)
        return 1


def _run(data_dir: Path, work: Path, lock: int, *, internal: bool, as_of: str, today: str,
         port: int, cache: Cache | None) -> int:
    address = f"127.0.0.1:{port}"
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    server: subprocess.Popen[bytes] | None = None
    stopped = False
    try:
        # NO_MKDOCS_2_WARNING: the theme's own banner (in English) is not for our users
        server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-q", "-f",
                                   str(work / "mkdocs.yml"), "-a", address],
                                  pass_fds=(lock,), preexec_fn=_die_with_parent(),
                                  env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
        print(f"预览地址：http://{address}/ （按 Ctrl+C 停止）", file=sys.stderr, flush=True)
        last = _snapshot(data_dir)
        while server.poll() is None:
            time.sleep(POLL_SECONDS)
            now = _snapshot(data_dir)
            if now != last:
                last = now
                regenerate(data_dir, work, internal=internal, as_of=as_of, cache=cache,
                           today=today)
    except (KeyboardInterrupt, _Stop):
        stopped = True
    finally:
        for s in previous:  # a second signal must not interrupt the clean-up
            signal.signal(s, signal.SIG_IGN)
        if server is not None:
            _stop(server)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if not stopped and server is not None and server.returncode:
        print(f"MkDocs 预览服务意外退出（退出码 {server.returncode}）；端口 {port} 可能已被占用，"
              "请用 --port 换一个端口。", file=sys.stderr)
        return 1
    print("预览已停止。", file=sys.stderr)
    return 0


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
