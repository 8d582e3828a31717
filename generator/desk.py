"""``jifen desk``: the web forms on this machine, for an office without a forge or for
trying them out (网页登记，本机模式).

Two servers on 127.0.0.1 only, stopped together (Ctrl+C, SIGTERM, SIGHUP; on Linux the
Node child also dies with this process, ``PR_SET_PDEATHSIG``):

* Decap's local backend, ``decap-server`` (Node.js, pinned in ``desk/package.json``), in
  its file-system mode: what the forms save is written straight into the working copy,
  below the repository root;
* a preview of the internal site, built into ``.<data>.jifen-desk/site`` beside the
  data directory and served by ``http.server``, with ``/admin/`` configured for that
  backend (``decap.admin_files(local_port=…)``). When a data file changes, the site is
  rebuilt (so the forms' preview pane reads the new scores) and ``jifen diff`` of the
  working copy against ``HEAD`` is printed: the confirmation a pull request's comment
  gives on a forge.

The desk's folder is locked (``build.locked``): a second desk on the same data says so
and exits. ``decap-server`` runs in that folder, so it never reads a ``.env`` file of
the repository.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType

from generator import decap
from generator.build import REPO, BuildError, Busy, aside, build, locked
from generator.cache import Cache
from generator.diff import Revision, compare, markdown
from generator.gitsource import GitError, files_at, files_in_worktree, toplevel
from generator.model import Dataset
from generator.pipeline import check, check_blobs
from generator.provenance import for_data
from generator.serve import POLL_SECONDS, _die_with_parent, _snapshot

DESK_SUFFIX = ".jifen-desk"
ENV_SERVER = "JIFEN_DECAP_SERVER"
PACKAGE = Path("desk") / "node_modules" / "decap-server"  # npm ci --prefix desk
READY_SECONDS = 30.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- decap-server ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Server:
    """How to start ``decap-server``: the command, and the version found (if known)."""

    command: tuple[str, ...]
    version: str | None


def _package(folder: Path) -> Server | None:
    script = folder / "dist" / "index.js"
    node = shutil.which("node")
    if not script.is_file() or node is None:
        return None
    try:
        version = json.loads((folder / "package.json").read_text("utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        version = None
    return Server((node, str(script)), version if isinstance(version, str) else None)


def find_server(root: Path, option: str | None) -> Server | str:
    """``decap-server``: ``--decap-server``, else ``$JIFEN_DECAP_SERVER`` (its folder, its
    ``dist/index.js`` or a command), else ``desk/node_modules/decap-server`` in the data's
    repository or in jifen's own source tree, else ``decap-server`` on the PATH. The
    reason (Chinese) when there is none."""
    named = option or os.environ.get(ENV_SERVER) or ""
    if named:
        path = Path(named)
        if path.is_dir():
            found = _package(path)
        elif path.name == "index.js" and path.is_file():
            found = _package(path.parent.parent)
        elif path.is_file() and os.access(path, os.X_OK):
            found = Server((str(path),), None)
        else:
            found = None
        if found is None:
            return (f"{named} 不是 decap-server（应是 decap-server 的文件夹、它的 dist/index.js "
                    "或可执行的 decap-server 命令），或者没有安装 Node.js（找不到 node 命令）。")
        return found
    for base in (root, REPO):
        found = _package(base / PACKAGE)
        if found is not None:
            return found
    on_path = shutil.which("decap-server")
    if on_path:
        return Server((on_path,), None)
    if shutil.which("node") is None:
        return ("网页登记的本机模式需要 Node.js（node 命令）和 decap-server。请先安装 Node.js"
                "（Debian/Ubuntu：apt-get install nodejs npm；Windows 和 macOS 见 https://nodejs.org/），"
                f"再在仓库根目录运行：npm ci --prefix desk（安装固定版本 decap-server@"
                f"{decap.DECAP_SERVER_VERSION}）。")
    return ("找不到 decap-server（网页登记的本机后端）。请在仓库根目录运行：npm ci --prefix desk"
            f"（安装固定版本 decap-server@{decap.DECAP_SERVER_VERSION}），或用 --decap-server "
            f"或环境变量 {ENV_SERVER} 指定它的位置。")


def port_free(port: int) -> bool:
    """Can a server listen on 127.0.0.1:``port``? (Like the servers, the probe reuses the
    address: the connections of a desk just stopped do not count as taking it.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers(port: int) -> bool:
    """Does the local backend on ``port`` answer Decap's first question?"""
    request = urllib.request.Request(decap.local_url(port), data=b'{"action":"info"}',
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return False
    return isinstance(answer, dict) and isinstance(answer.get("repo"), str)


def start_server(server: Server, *, root: Path, port: int, folder: Path
                 ) -> subprocess.Popen[bytes]:
    """Start ``decap-server`` for the repository at ``root`` on 127.0.0.1:``port`` (file
    system mode: saved entries are written into the working copy)."""
    env = dict(os.environ, PORT=str(port), BIND_HOST="127.0.0.1", MODE="fs",
               GIT_REPO_DIRECTORY=str(root), LOG_LEVEL="warn")
    return subprocess.Popen(list(server.command), cwd=folder, env=env,
                            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent())


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


# --- the preview of the internal site --------------------------------------------------------------

class _Handler(SimpleHTTPRequestHandler):
    """Files of the built site; never cached (it is rebuilt while it is open)."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(site: Path, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(_Handler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


class Desk:
    """One desk: the data, where it is built, and how."""

    def __init__(self, data_dir: Path, *, root: Path, as_of: str, today: str,
                 backend_port: int, cache: Cache | None) -> None:
        self.data_dir = data_dir
        self.root = root
        self.as_of = as_of
        self.today = today
        self.backend_port = backend_port
        self.cache = cache
        self.folder = aside(data_dir.resolve(), DESK_SUFFIX)
        self.site = self.folder / "site"

    def build(self, dataset: Dataset) -> None:
        admin = decap.admin_files(dataset, prefix=decap.data_prefix(self.data_dir, self.root),
                                  settings=None, as_of=self.as_of,
                                  local_port=self.backend_port)
        build(dataset, as_of=self.as_of, out=self.site, internal=True,
              provenance=for_data(self.data_dir), extra=admin)

    def rebuild(self) -> None:
        """After a change of the data: check it, rebuild, say what the change does."""
        dataset, diagnostics, _ = check(self.data_dir, today=self.today, cache=self.cache)
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            for d in errors:
                say(d.format())
            say(f"数据有 {len(errors)} 个错误，预览保持上一次的内容；改正后会自动刷新。")
            return
        try:
            self.build(dataset)
        except BuildError as exc:
            say(str(exc))
            return
        say("已更新预览。")
        explained = self.explain()
        if explained:
            say(explained)

    def explain(self) -> str | None:
        """``jifen diff HEAD``: the working copy's data against the last commit (None
        outside Git, or before the first commit)."""
        data = self.data_dir.resolve()
        try:
            repo = toplevel(data)
            folder = os.path.relpath(data, repo)
            base_files = files_at(repo, "HEAD", folder)
            head_files = files_in_worktree(repo, folder)
        except GitError:
            return None
        revisions = []
        for name, files in (("HEAD", base_files), ("工作区", head_files)):
            dataset, diagnostics, _ = check_blobs(files, folder, today=self.today)
            revisions.append(Revision(name, dataset, diagnostics))
        report = compare(revisions[0], revisions[1], year=int(self.as_of[:4]), as_of=self.as_of)
        return "这些修改（与上次提交相比）：\n" + markdown(report)


class _Stop(Exception):
    """SIGTERM or SIGHUP: stop like Ctrl+C does."""


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signum)


def run(desk: Desk, dataset: Dataset, server: Server, *, port: int) -> int:
    """Start both servers and rebuild on changes until stopped; the exit status."""
    for number, what in ((port, "--port"), (desk.backend_port, "--backend-port")):
        if not port_free(number):
            say(f"端口 {number} 已被占用（{what}）：可能已经有一个 jifen desk 在运行，"
                f"或者别的程序占用了它。请用 {what} 换一个端口。")
            return 1
    if port == desk.backend_port:
        say("--port 和 --backend-port 不能相同。")
        return 1
    if server.version is not None and server.version != decap.DECAP_SERVER_VERSION:
        say(f"注意：找到的 decap-server 是 {server.version} 版，jifen 测试过的是 "
            f"{decap.DECAP_SERVER_VERSION} 版（npm ci --prefix desk 安装）。")
    try:
        with locked(desk.folder, None):
            return _run(desk, dataset, server, port=port)
    except Busy as exc:
        say(f"另一个 jifen desk（进程 {exc.holder}）正在使用 {desk.data_dir}；"
            "请直接打开它的地址，或先停止它。")
        return 1
    except OSError as exc:
        say(f"无法建立 {exc.filename or desk.folder}：{exc.strerror}。请检查磁盘空间和权限。")
        return 1


def _run(desk: Desk, dataset: Dataset, server: Server, *, port: int) -> int:
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    child: subprocess.Popen[bytes] | None = None
    httpd: ThreadingHTTPServer | None = None
    try:
        say("正在生成内部版本的预览……")
        try:
            desk.build(dataset)
        except BuildError as exc:
            say(str(exc))
            return 1
        child = start_server(server, root=desk.root, port=desk.backend_port, folder=desk.folder)
        deadline = time.monotonic() + READY_SECONDS
        while not _answers(desk.backend_port):
            if child.poll() is not None or time.monotonic() > deadline:
                say("decap-server 没有启动（退出码 "
                    f"{child.poll()}）。请检查 Node.js 是否可用：node --version。")
                return 1
            time.sleep(0.2)
        httpd = _serve(desk.site, port)
        say(f"网页登记：http://127.0.0.1:{port}/admin/ （内部版本预览：http://127.0.0.1:{port}/）")
        say(f"保存的登记直接写入 {desk.data_dir.resolve()}；按 Ctrl+C 停止。")
        last = _snapshot(desk.data_dir)
        while child.poll() is None:
            time.sleep(POLL_SECONDS)
            now = _snapshot(desk.data_dir)
            if now != last:
                last = now
                desk.rebuild()
        say(f"decap-server 意外退出（退出码 {child.returncode}）。")
        return 1
    except (KeyboardInterrupt, _Stop):
        say("网页登记已停止。")
        return 0
    finally:
        for s in previous:  # a second signal must not interrupt the clean-up
            signal.signal(s, signal.SIG_IGN)
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if child is not None:
            _stop(child)
        for s, handler in previous.items():
            signal.signal(s, handler)
