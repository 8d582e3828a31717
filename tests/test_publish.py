"""Publishing: a build replaces the site in one atomic step, or not at all.

Real ``jifen build`` processes, killed with SIGKILL at named points (the test hook
``JIFEN_TEST_PAUSE=<point>:<file>`` makes the build write ``<file>`` there and wait
until the file is deleted) and at the first sign of publishing; a real small tmpfs,
filled up; real concurrent builds; a real ``jifen serve`` stopped by signals.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.build import PUBLISHED, RETIRED, STAGING, swap, tidy
from generator.pipeline import check
from generator.site import groups
from generator.workdir import MANIFEST, save_manifest, write_work
from tests.support import DataDir, event, events_file

JIFEN = Path(sys.executable).parent / "jifen"
DAY = "2025-12-31"
WORK = ".site.jifen-work"


def small(root: Path, name: str = "张一", members: int = 0,
          committee: str = "测试党工委") -> Path:
    """A small data set; ``name`` is m01's, ``members`` adds that many more members."""
    data = DataDir(root)
    data.write("organization.yaml", (root / "organization.yaml").read_text("utf-8")
               .replace("测试党工委", committee))
    data.member("m01", name=name)
    data.member("m02", name="李二")
    for number in range(members):
        data.member(f"x{number:02d}", name=f"新党员{number:02d}")
    data.events(events_file(event("e1", "K7", "2025-03-06", member="m02", points=-5)))
    data.close("b-a", "2025-Q1", "2025-04-08", today=DAY)  # public: its members' pages
    return root


def command(data: Path, out: Path, *extra: str) -> list[str]:
    return [str(JIFEN), "build", "--data", str(data), "--out", str(out), "--today", DAY,
            "--as-of", DAY, *extra]


def build(data: Path, out: Path, cwd: Path | None = None) -> str:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(command(data, out), capture_output=True, text=True, check=False,
                          cwd=cwd or out.parent)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def digest(root: Path) -> dict[str, str]:
    """Every file's SHA-256 (and every folder), by path under ``root``."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_dir():
            found[relative + "/"] = "folder"
        else:
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def assert_tidy(out: Path, *others: str) -> None:
    """Beside the output only its work folder (and ``others``); in that, the lock, the
    work folder, what was published and at most a staging tree with no bytes of its own:
    every file in it is a hard link to the published file at the same place."""
    assert sorted(os.listdir(out.parent)) == sorted([WORK, *others,
                                                     *(["site"] if out.exists() else [])])
    work = out.parent / WORK
    assert set(os.listdir(work)) <= {"lock", "public", STAGING, PUBLISHED}, os.listdir(work)
    own = [p for p in (work / STAGING).rglob("*") if not p.is_dir() and not (
        (out / p.relative_to(work / STAGING)).exists()
        and os.path.samefile(p, out / p.relative_to(work / STAGING)))]
    assert own == []


def started(args: list[str], point: str, flags: Path, **kwargs: object
            ) -> tuple[subprocess.Popen[str], Path]:
    """A build that has reached ``point`` and waits there until its flag is deleted."""
    flag = flags / f"{point}.flag"
    env = dict(os.environ, JIFEN_TEST_PAUSE=f"{point}:{flag}")
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, **kwargs)  # type: ignore[call-overload]
    deadline = time.monotonic() + 120
    while not flag.exists():
        if process.poll() is not None:
            raise AssertionError(f"the build ended (exit {process.returncode}) without reaching "
                                 f"{point!r}: {process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the build did not reach {point!r}")
        time.sleep(0.02)
    return process, flag


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


# --- killed builds ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An old site with its work folder (to copy), the data of the next one, and the
    next site as a build from scratch makes it."""
    root = tmp_path_factory.mktemp("sites")
    old = small(root / "old-data")
    build(old, root / "old/site")
    build(old, root / "old/site")  # now with a spare staging tree, as after any rebuild
    assert (root / "old" / WORK / STAGING).is_dir()
    new = small(root / "new-data", name="张一改")      # an incremental change
    full = small(root / "full-data", committee="测试党工委改", members=3)  # everything changes
    build(new, root / "new/site")
    build(full, root / "full/site")
    return {"old": root / "old", "new-data": new, "new": root / "new/site",
            "full-data": full, "full": root / "full/site"}


def copy_of_old(sites: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the old site and its work folder (mtimes and hard links kept, as a
    later build finds them); the site's path."""
    subprocess.run(["cp", "-a", str(sites["old"]), str(tmp_path / "pub")], check=True)
    return tmp_path / "pub/site"


@pytest.mark.parametrize("point", ["rendered", "mkdocs", "staging", "staged", "swapped"])
def test_a_build_killed_at_any_point_leaves_the_old_or_the_new_site(
        sites: dict[str, Path], tmp_path: Path, point: str) -> None:
    out = copy_of_old(sites, tmp_path)
    old, new = digest(out), digest(sites["new"])
    assert old != new
    process, _ = started(command(sites["new-data"], out), point, tmp_path, cwd=tmp_path)
    kill(process)
    # up to the swap the old site is there byte for byte, after it the whole new one
    assert digest(out) == (new if point == "swapped" else old)
    assert sorted(os.listdir(out.parent)) == [WORK, "site"]
    # the next build cleans up (after MkDocs orphaned by the kill has finished) and publishes
    done = subprocess.run(command(sites["new-data"], out), capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    if point == "mkdocs":
        assert "正在生成" in done.stderr or done.stderr == ""
    assert digest(out) == new
    assert_tidy(out)


def test_a_build_killed_as_soon_as_it_starts_publishing_leaves_the_old_site(
        sites: dict[str, Path], tmp_path: Path) -> None:
    """No hook: the test watches the output (and the staging folder) and kills the build
    the moment anything there moves. Every page changes (a new committee name)."""
    out = copy_of_old(sites, tmp_path)
    old, new = digest(out), digest(sites["full"])
    listing = sorted(os.listdir(out.parent))

    def looks() -> tuple[object, ...]:
        """The output's folder, and the top-level files of the output and of the staging
        tree (copying file by file starts there)."""
        try:
            top = [(e.path, e.inode(), e.stat(follow_symlinks=False).st_mtime_ns)
                   for folder in (out, out.parent / WORK / STAGING) if folder.is_dir()
                   for e in os.scandir(folder)]
        except FileNotFoundError:  # a file went between listing and looking: it moved
            return ("moving",)
        return sorted(os.listdir(out.parent)), sorted(top)

    before = looks()
    process = subprocess.Popen(command(sites["full-data"], out), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    killed = False
    while process.poll() is None:
        if looks() != before:
            process.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.002)
    process.communicate(timeout=30)
    assert killed, "the build ended before the test saw it publish"
    assert digest(out) in (old, new)
    assert sorted(os.listdir(out.parent)) == listing
    build(sites["full-data"], out, cwd=tmp_path)
    assert digest(out) == new
    assert_tidy(out)


def test_a_swap_without_rename_exchange_is_undone_by_the_next_build(tmp_path: Path) -> None:
    """Where RENAME_EXCHANGE is missing the swap is two renames; a build killed between
    them leaves the old site aside, and the next build puts it back before anything."""
    root, out = tmp_path / WORK, tmp_path / "site"
    for folder, text in ((out, "old"), (root / STAGING, "new")):
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(text)
    out.rename(root / RETIRED)  # killed after the first rename
    tidy(out, root)
    assert (out / "index.html").read_text() == "old"
    assert sorted(os.listdir(root)) == [STAGING]
    swap(root / STAGING, out, root / RETIRED, exchange=False)
    assert (out / "index.html").read_text() == "new"
    assert (root / STAGING / "index.html").read_text() == "old"
    assert sorted(os.listdir(root)) == [STAGING]


# --- a full disk ------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs, so that the disk really fills up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip("需要 root（CAP_SYS_ADMIN）才能挂载一个小的 tmpfs 来真实地写满磁盘："
                    + (done.stderr.strip() or f"mount exit {done.returncode}"))
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill the disk up to ``leave`` free bytes."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, b"\0" * max(0, free - leave))
    finally:
        os.close(fd)


def used(folder: Path) -> int:
    """The bytes ``folder`` takes on disk (a file with several links counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in folder.rglob("*"):
        info = path.lstat()
        if (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            total += info.st_blocks * 512
    return total


def stage_of(message: str) -> str:
    if f"{WORK}/{STAGING}" in message:
        return "publish"
    if f"{WORK}/public/site" in message:
        return "mkdocs"
    return "write"


def test_a_full_disk_is_a_clear_error_and_leaves_the_old_site(
        small_disk: Path, sites: dict[str, Path], tmp_path: Path) -> None:
    out = small_disk / "site"
    old_data, full = sites["old"].parent / "old-data", sites["full-data"]
    build(old_data, out, cwd=tmp_path)
    old = digest(out)
    stages = set()
    for kib in (0, 16, 64, 256, 1024, 2560):  # free space left: KiB
        fill(small_disk, kib * 1024)
        done = subprocess.run(command(full, out), capture_output=True, text=True, check=False,
                              cwd=tmp_path)
        assert done.returncode == 1, done.stdout
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("磁盘空间不足：写入 "), done.stderr
        assert "原网站保持不变" in done.stderr
        stages.add(stage_of(done.stderr))
        assert digest(out) == old
        assert_tidy(out, "filler")
        (small_disk / "filler").unlink()
        if stages == {"write", "mkdocs"}:
            break
    # the disk filled up while writing the pages and while MkDocs ran (publishing writes
    # no bytes: the published files are hard links to the work folder's)
    assert stages == {"write", "mkdocs"}
    build(full, out, cwd=tmp_path)
    assert digest(out) == digest(sites["full"])


def test_a_first_build_on_a_full_disk_leaves_nothing_behind(
        small_disk: Path, sites: dict[str, Path], tmp_path: Path) -> None:
    out = small_disk / "site"
    # room for half the work folder
    fill(small_disk, used(sites["full"].parent / WORK / "public") // 2)
    done = subprocess.run(command(sites["full-data"], out), capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("磁盘空间不足："), done.stderr
    assert stage_of(done.stderr) in ("write", "mkdocs")
    assert_tidy(out, "filler")
    (small_disk / "filler").unlink()
    build(sites["full-data"], out, cwd=tmp_path)
    assert digest(out) == digest(sites["full"])


def test_publishing_takes_no_room(small_disk: Path, sites: dict[str, Path],
                                  tmp_path: Path) -> None:
    """Room for the work folder and little more is room for the site: its files are
    the work folder's, hard-linked."""
    out = small_disk / "site"
    fill(small_disk, used(sites["full"].parent / WORK / "public") + 256 * 1024)
    build(sites["full-data"], out, cwd=tmp_path)
    assert digest(out) == digest(sites["full"])
    assert_tidy(out, "filler")


# --- work folders and their locks -------------------------------------------------------------

def test_builds_to_different_outputs_share_nothing(tmp_path: Path) -> None:
    """Two data sets built from the same folder to two outputs, the first paused
    half-way while the second runs: each output holds its own pages, and each work
    folder stays in step with its output (a rebuild changes nothing)."""
    one, two = small(tmp_path / "one", name="甲一"), small(tmp_path / "two", name="乙二")
    first, flag = started(command(one, tmp_path / "a"), "rendered", tmp_path, cwd=tmp_path)
    try:
        build(two, tmp_path / "b", cwd=tmp_path)
    finally:
        flag.unlink()
    assert first.wait(timeout=120) == 0
    a = (tmp_path / "a/members/m01/2025/index.html").read_text("utf-8")
    b = (tmp_path / "b/members/m01/2025/index.html").read_text("utf-8")
    assert "甲一" in a and "乙二" not in a
    assert "乙二" in b and "甲一" not in b
    for data, out in ((one, "a"), (two, "b")):
        assert "本次更新 0 个、删除 0 个" in build(data, tmp_path / out, cwd=tmp_path)


def test_a_second_build_of_the_same_output_waits_for_the_first(tmp_path: Path) -> None:
    one, two = small(tmp_path / "one", name="甲一"), small(tmp_path / "two", name="乙二")
    out = tmp_path / "site"
    first, flag = started(command(one, out), "built", tmp_path, cwd=tmp_path)
    errors = tmp_path / "second.err"
    with errors.open("w") as stderr:
        second = subprocess.Popen(command(two, out), stdout=subprocess.PIPE, stderr=stderr,
                                  text=True, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 60
            while "正在生成" not in errors.read_text("utf-8"):
                assert second.poll() is None, errors.read_text("utf-8")
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert errors.read_text("utf-8").startswith(
                f"另一个 jifen build（进程 {first.pid}）正在生成 {out}；等它结束后再继续")
            time.sleep(1)
            assert second.poll() is None  # still waiting
            assert not out.exists()
        finally:
            flag.unlink()
        assert first.wait(timeout=120) == 0
        assert second.wait(timeout=120) == 0
    page = (out / "members/m01/2025/index.html").read_text("utf-8")
    assert "乙二" in page and "甲一" not in page  # the second build's data, published last
    reference = tmp_path / "reference/site"
    build(two, reference)
    assert digest(out) == digest(reference)


def test_the_output_may_not_hold_the_current_folder(tmp_path: Path) -> None:
    data = small(tmp_path / "data")
    done = subprocess.run(command(data, Path(".")), capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("输出目录 . 包含当前目录")
    assert sorted(os.listdir(tmp_path)) == ["data"]


# --- the manifest of the work folder ---------------------------------------------------------

GARBAGE = [b"", b"\x80\x05", b"not json at all", os.urandom(4096), b"[1, 2, 3]",
           json.dumps({"version": 1}).encode(),
           json.dumps({"version": 3, "fingerprint": "x", "groups": {}, "extra": {},
                       "site": [], "unpublished": [], "published": "", "stamp": "",
                       "epoch": ""}).encode()]


def test_a_damaged_manifest_means_writing_everything(tmp_path: Path) -> None:
    data = small(tmp_path / "data")
    dataset, _, _ = check(data, today=DAY)
    assert dataset.organization is not None
    committee = dataset.organization.committee
    work = tmp_path / "work"
    writer, done = write_work(work, groups(dataset, DAY), False, committee)
    save_manifest(work, writer.manifest)
    docs = digest(work / "docs")
    for garbage in [*GARBAGE, writer.manifest.to_json().replace(b'"fingerprint":"',
                                                                 b'"fingerprint":"0')]:
        (work / MANIFEST).write_bytes(garbage)
        writer, again = write_work(work, groups(dataset, DAY), False, committee)
        save_manifest(work, writer.manifest)
        assert again.full and again.rebuilt == done.groups
        assert digest(work / "docs") == docs
    # with the manifest intact nothing is written; a page file deleted while the
    # manifest says it is current is written again
    assert write_work(work, groups(dataset, DAY), False, committee)[1].written == 0
    save_manifest(work, writer.manifest)
    (work / "docs/index.md").unlink()
    again = write_work(work, groups(dataset, DAY), False, committee)[1]
    assert (again.full, again.rebuilt, again.written) == (False, 1, 1)
    assert digest(work / "docs") == docs


def test_jifen_build_with_garbage_in_its_manifest_builds_the_same_site(tmp_path: Path) -> None:
    data = small(tmp_path / "data")
    out = tmp_path / "site"
    build(data, out)
    before = digest(out)
    (tmp_path / WORK / "public" / MANIFEST).write_text('["wrong", "shape"]')
    build(data, out)
    assert digest(out) == before
    assert "本次更新 0 个" in build(data, out)
    assert_tidy(out, "data")


# --- jifen serve --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, path: str, needle: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=5) as reply:
                if needle in reply.read().decode():
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{needle!r} not served at {path} within {seconds}s")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for its reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def serving(data: Path, cwd: Path, port: int) -> subprocess.Popen[str]:
    """``jifen serve`` in a process group of its own, which ``stop_all`` ends."""
    return subprocess.Popen([str(JIFEN), "serve", "--data", str(data), "--port", str(port),
                             "--as-of", DAY, "--today", DAY], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def stop_all(server: subprocess.Popen[str]) -> None:
    """Whatever the test found, leave no process behind: kill the whole group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.communicate(timeout=30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["SIGTERM", "SIGHUP", "SIGKILL"])
def test_serve_stops_its_mkdocs_when_it_is_stopped(tmp_path: Path, signum: int) -> None:
    data = small(tmp_path / "data")
    port = free_port()
    server = serving(data, tmp_path, port)
    mkdocs: list[int] = []
    try:
        wait_for(port, "members/m01/2025/", "张一")
        mkdocs = [p for p in children(server.pid)
                  if b"mkdocs" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(mkdocs) == 1
        server.send_signal(signum)
        server.communicate(timeout=30)
        if signum != signal.SIGKILL:
            assert server.returncode == 0
        deadline = time.monotonic() + 15
        while alive(mkdocs[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(mkdocs[0]), "mkdocs serve outlived jifen serve"
    finally:
        stop_all(server)


def test_serve_has_its_own_work_folder(tmp_path: Path) -> None:
    """A preview beside a build of the same data: the preview writes no site and has
    its own work folder; a second preview of the same data says one is running."""
    data = small(tmp_path / "data")
    port = free_port()
    server = serving(data, tmp_path, port)
    try:
        wait_for(port, "members/m01/2025/", "张一")
        assert sorted(os.listdir(tmp_path)) == [".data.jifen-serve", "data"]
        build(data, tmp_path / "site", cwd=tmp_path)
        again = subprocess.run([str(JIFEN), "serve", "--data", str(data), "--port",
                                str(free_port()), "--as-of", DAY, "--today", DAY],
                               cwd=tmp_path, capture_output=True, text=True, check=False,
                               timeout=60)
        assert again.returncode == 1
        assert again.stderr.startswith(f"另一个 jifen serve（进程 {server.pid}）正在预览 "), \
            again.stderr
        member = data / "members/b-a/m01.yaml"
        member.write_text(member.read_text("utf-8").replace("张一", "张一改"), "utf-8")
        wait_for(port, "members/m01/2025/", "张一改")
        assert "本次更新 0 个" not in build(data, tmp_path / "site", cwd=tmp_path)
        assert "张一改" in (tmp_path / "site/members/m01/2025/index.html").read_text("utf-8")
        server.terminate()
        server.communicate(timeout=30)
        assert server.returncode == 0
    finally:
        stop_all(server)
