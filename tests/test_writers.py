"""Writers take turns: commands that write data (``jifen add``, ``verify``, ``approve``,
``void``, ``close``) hold the data directory's lock from their first read to their last
write, so that nothing reported as written is lost. Run as users run them: real
``jifen`` processes started at once against one data directory (what needs no second
process runs in this one, ``tests.support.run``)."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import yaml

from generator.writing import LOCK_NAME, Lock, data_lock, write_atomic
from tests.support import TODAY, DataDir, Result, event, events_file, run

JIFEN = Path(sys.executable).parent / "jifen"
WRITTEN = re.compile(r"^已(?:写入|新建) \S+：(?:扣分登记|加分申报|会议) (\S+)（", re.M)


def start(*args: str, env: dict[str, str] | None = None,
          stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen([str(JIFEN), *args, "--today", TODAY], stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def finish(process: subprocess.Popen[str], answers: str | None = None
           ) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(answers, timeout=300)
    return process.returncode, stdout, stderr


def validate(root: Path) -> Result:
    return run("validate", "--data", str(root), "--today", TODAY)


def records(path: Path) -> list[dict[str, object]]:
    return list(yaml.safe_load(path.read_text("utf-8"))["events"])


def test_parallel_writers_lose_nothing(data: DataDir) -> None:
    """Eight writers at once: five ``add event`` and two ``void`` on one month's file, and
    a ``verify`` in another. Each reports what it wrote, and all of it is there after."""
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    path = data.events(events_file(
        event("ev-b-a-2025-03-01", "K7", "2025-03-02", points=-2),
        event("ev-b-a-2025-03-02", "K7", "2025-03-03", points=-2),
    ), name="b-a/2025-03.yaml")
    additions = data.additions(events_file(
        event("ev-b-a-2025-02-01", "J4", "2025-02-03", points=5, status="declared")),
        name="b-a/2025-02.yaml")
    root = str(data.root)
    writers = [start("add", "event", "--member", f"m0{1 + n % 2}", "--rule", "K7", "--date",
                     f"2025-03-{10 + n}", "--points", "-2", "--note", f"并发 {n}", "--data", root)
               for n in range(5)]
    writers += [start("void", f"ev-b-a-2025-03-0{n}", "--reason", f"重复登记 {n}", "--data", root)
                for n in (1, 2)]
    writers.append(start("verify", "ev-b-a-2025-02-01", "--data", root))
    results = [finish(w) for w in writers]
    for code, _, stderr in results:
        assert code == 0, stderr
    added = [m for _, stdout, _ in results[:5] for m in WRITTEN.findall(stdout)]
    assert len(added) == 5
    by_id = {str(r["id"]): r for r in records(path)}
    assert len(by_id) == len(records(path)) == 7  # no record lost, no id twice
    assert sorted(added) == [f"ev-b-a-2025-03-{n:02d}" for n in range(3, 8)]  # read in turn
    assert sorted(str(by_id[i]["note"]) for i in added) == [f"并发 {n}" for n in range(5)]
    assert [by_id[f"ev-b-a-2025-03-0{n}"]["void_reason"] for n in (1, 2)] == [
        "重复登记 1", "重复登记 2"]
    assert records(additions)[0]["status"] == "verified"
    checked = validate(data.root)
    assert checked.code == 0, checked.stdout
    leftovers = sorted(p.name for p in path.parent.iterdir() if p.name.startswith("."))
    assert leftovers == []  # no temporary files left behind


def test_closes_of_one_quarter_at_once_write_one(data: DataDir) -> None:
    data.member("m01", name="张一")
    data.events(events_file(event("ev-b-a-2025-08-01", "K7", "2025-08-02", points=-2)),
                name="b-a/2025-08.yaml")
    closes = [start("close", "b-a", "2025-Q3", "--meeting", f"2025-10-1{n}", "--data",
                    str(data.root)) for n in range(4)]
    results = sorted(finish(c) for c in closes)
    assert [code for code, _, _ in results] == [0, 1, 1, 1], results
    assert "校验通过" in results[0][1]
    for _, _, stderr in results[1:]:
        assert "已经审定" in stderr and "没有写入任何文件" in stderr
    written = (data.root / "closes/b-a/2025-Q3.yaml").read_text("utf-8")
    winner = re.search(r"公示期 (2025-10-1[0-3])", results[0][1])
    assert winner is not None and f"meeting: {winner[1]}" in written
    assert validate(data.root).code == 0


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != LOCK_NAME}


def read_until(process: subprocess.Popen[str], text: str, timeout: float = 60,
               stream: str = "stdout") -> str:
    """What the process printed until ``text`` (a prompt, not ended by a newline)."""
    pipe = getattr(process, stream)
    assert pipe is not None
    fd = pipe.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        assert time.monotonic() < deadline, seen.decode()
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            chunk = os.read(fd, 4096)
            assert chunk, seen.decode()
            seen += chunk
    return seen.decode()


def test_a_writer_waits_its_turn_and_gives_up_after_the_bound(data: DataDir) -> None:
    data.member("m01", name="张一")
    add = ("add", "event", "--member", "m01", "--rule", "K7", "--date", "2025-03-10",
           "--points", "-2", "--data", str(data.root))
    before = snapshot(data.root)
    with data_lock(data.root):  # another writer at work
        code, stdout, stderr = finish(start(*add, env={"JIFEN_LOCK_WAIT": "1.5"}))
    assert code == 1 and stdout == ""
    assert f"另一个 jifen 命令（进程 {os.getpid()}" in stderr
    assert f"正在修改数据目录 {data.root}，等了 1.5 秒仍未完成。没有写入任何文件" in stderr
    assert snapshot(data.root) == before
    # the lock file and a killed writer's temporary file are no data
    (data.root / "events").mkdir()
    (data.root / "events" / ".2025-03.yaml.x1y2.tmp").write_text("events: [", "utf-8")
    assert validate(data.root).code == 0

    # released within the bound: the writer says it waits, then writes
    lock = Lock(data.root)
    lock.acquire(0)
    waiting = start(*add)
    told = read_until(waiting, "等它完成", stream="stderr")
    assert f"另一个 jifen 命令（进程 {os.getpid()}" in told
    assert not (data.root / "events/b-a/2025-03.yaml").exists()
    lock.release()
    code, stdout, stderr = finish(waiting)
    assert code == 0, stderr
    assert "已新建" in stdout and (data.root / "events/b-a/2025-03.yaml").exists()


def test_no_lock_while_a_person_types_and_the_answers_meet_fresh_data(data: DataDir) -> None:
    """``-i``: the lock is let go at the first question; the record is worked out again
    under the lock, with the answers, from what other writers wrote meanwhile."""
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    path = data.root / "events/b-a/2025-03.yaml"
    typing = start("add", "event", "-i", "--data", str(data.root), stdin=subprocess.PIPE)
    read_until(typing, "党员编号")
    with data_lock(data.root, wait=30):  # free while the question waits for an answer
        write_atomic(path, events_file(event("ev-b-a-2025-03-01", "K7", "2025-03-02",
                                             points=-2, note="别人先写的")))
    code, stdout, stderr = finish(typing, "m01\nK7\n2025-03-20\n-3\n\n")
    assert code == 0, stderr
    assert "已写入" in stdout and "ev-b-a-2025-03-02" in stdout
    assert [(r["id"], r.get("note")) for r in records(path)] == [
        ("ev-b-a-2025-03-01", "别人先写的"), ("ev-b-a-2025-03-02", None)]

    # answers that no longer fit the data: nothing is written
    typing = start("add", "event", "-i", "--data", str(data.root), stdin=subprocess.PIPE)
    read_until(typing, "党员编号")
    with data_lock(data.root, wait=30):
        (data.root / "members/b-a/m02.yaml").unlink()
    before = snapshot(data.root)
    code, stdout, stderr = finish(typing, "m02\nK7\n2025-03-21\n-3\n\n")
    assert code == 1
    assert "数据在填写期间被其他人修改了" in stderr and "没有写入任何文件" in stderr
    assert snapshot(data.root) == before


def test_jifen_close_writes_only_what_validates(data: DataDir) -> None:
    """``jifen close`` writes through the same checked path as ``jifen add``: whatever the
    close file turns out to be (here from a branch name full of YAML punctuation, which
    the close file's comment repeats), the data still validates after it, or nothing is
    written. (Control characters, which a close file could not hold, are refused by
    validation itself: E111.)"""
    organization = data.root / "organization.yaml"
    organization.write_text(organization.read_text("utf-8").replace(
        "name: 甲公司党支部", 'name: "甲\\"公司: #党支部\\n- x: [y]"'), "utf-8")
    data.member("m01", name="张一")
    assert validate(data.root).code == 0
    closed = run("close", "b-a", "2025-Q3", "--meeting", "2025-10-10", "--data", str(data.root),
                 "--today", TODAY)
    target = data.root / "closes/b-a/2025-Q3.yaml"
    checked = validate(data.root)
    assert checked.code == 0, checked.stdout
    if closed.code == 0:
        assert target.exists() and "校验通过" in closed.stdout
    else:
        assert not target.exists()
        assert "没有写入任何文件" in closed.stderr
