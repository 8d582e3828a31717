"""``jifen correct`` and ``jifen object``: corrections and objections after a quarter is
published, without hand-written YAML, run as a registrar runs them (in this process);
what they propose as merge requests, in real Git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import TODAY, DataDir, Result, event, events_file, run
from tests.test_edit import snapshot

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "登记员", "GIT_AUTHOR_EMAIL": "r@example.invalid",
           "GIT_COMMITTER_NAME": "登记员", "GIT_COMMITTER_EMAIL": "r@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          env=GIT_ENV, check=True, timeout=60).stdout


def jifen(data: DataDir, *args: str) -> Result:
    return run(*args, "--data", "data", "--today", TODAY, cwd=data.root.parent)


@pytest.fixture
def closed(tmp_path: Path) -> DataDir:
    """b-a's 2025-Q3 closed on 2025-10-10 (window to 10-16): a deduction of m01, an
    approved addition of m02, a pending one, a voided one, a meeting; in Git."""
    data = DataDir(tmp_path / "data")
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.member("m03", name="张一", branch="b-b")  # a namesake in another branch
    data.events(events_file(event("e1", "K7", "2025-08-01", points=-5),
                            event("e4", "K7", "2025-08-02", points=-2, status="void",
                                  void_reason="重复")), name="b-a/2025-08.yaml")
    data.additions(events_file(event("e2", "J3", "2025-09-10", member="m02",
                                     approved_on="2025-09-30"),
                               event("e3", "J3", "2025-09-20", member="m02",
                                     status="verified")), name="b-a/2025-09.yaml")
    data.events(events_file(event("e5", "K7", "2025-11-03", points=-2)),
                name="b-a/2025-11.yaml")
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-08-10, title: 8月主题党日, "
                  "absent: [m01]}\n")
    data.close()
    git(data.root.parent, "init", "-q", "-b", "main")
    git(data.root.parent, "add", "-A")
    git(data.root.parent, "commit", "-qm", "data")
    return data


def test_correct_an_event_in_a_file_of_its_own(closed: DataDir) -> None:
    """A counted deduction of a closed quarter is corrected in its own file, named by
    the correction, whose id names what it corrects; the published score stays, the
    year's score changes from the correction's date."""
    assert closed.score("m01", as_of="2025-12-31") == 80 - 5 - 5 - 2
    result = jifen(closed, "correct", "e1", "--date", "2025-11-05", "--reason", "登记有误：当天在外培训")
    assert result.code == 0, result.stderr
    path = "data/events/b-a/2025-11-cr-e1.yaml"
    assert (closed.root.parent / path).read_text("utf-8") == (
        "branch: b-a\n"
        "corrections:\n"
        "  - id: cr-e1\n"
        "    corrects: e1\n"
        "    date: 2025-11-05\n"
        "    reason: \"登记有误：当天在外培训\"\n"
        "events: []\n")
    assert result.stdout.splitlines()[0] == (
        f"已新建 {path}：更正 cr-e1 撤销 e1（m01 张一，规则 K7，2025-08-01，-5 分），更正日期 2025-11-05。")
    assert f"  git add {path}" in result.stdout.splitlines()
    assert git(closed.root.parent, "status", "--porcelain", "--untracked-files=all") == (
        f"?? {path}\n")
    assert closed.score("m01", as_of="2025-11-04") == 68
    assert closed.score("m01", as_of="2025-12-31") == 73
    assert [line for line in closed.lines() if " W102 " not in line] == []

    # a correction of an addition is the 党工委's: it goes under additions/ (E416)
    result = jifen(closed, "correct", "e2", "--date", "2025-11-06", "--reason", "依据不足")
    assert result.code == 0, result.stderr
    assert (closed.root / "additions/b-a/2025-11-cr-e2.yaml").is_file()
    assert closed.score("m02", as_of="2025-12-31") == 80


@pytest.mark.parametrize(("args", "message"), [
    (["e4"], "登记“e4”已作废，不计分，不需要更正。"),
    (["e3"], "加分“e3”尚未经党工委审定（当前：支部核实），不计分，不需要更正；请直接修改，或作废"
     "（jifen void e3 --reason 原因）。"),
    (["e5"], "登记“e5”所在的 2025-Q4 尚未审定公示，直接修改或作废即可（jifen void e5 --reason 原因），"
     "不必更正。"),
    (["nope"], "找不到登记“nope”。请核对编号（jifen explain 党员编号 --year 年度 可以列出一名党员的全部登记）。"),
    (["e1", "--objection", "obj-x"], "异议“obj-x”不存在。请核对异议编号（data/objections/）。"),
    (["mt1", "--member", "m01", "--mark", "absent"],
     "张一（m01）在会议“mt1”（2025-08-10）中已经是“缺席”，不需要更正。"),
])
def test_correct_refuses_what_needs_no_correction(closed: DataDir, args: list[str],
                                                  message: str) -> None:
    before = snapshot(closed.root)
    result = jifen(closed, "correct", *args, "--date", "2025-11-05", "--reason", "x")
    assert (result.code, result.stderr) == (1, f"{message}\n没有写入任何文件。\n")
    assert snapshot(closed.root) == before


def test_correct_asks_for_what_is_missing(closed: DataDir) -> None:
    result = run("correct", "-i", "--data", "data", "--today", TODAY, cwd=closed.root.parent,
                 stdin="e1\n2025-11-31\n2025-11-05\n登记有误\n")
    assert result.code == 0, result.stderr
    assert "日期应写成 YYYY-MM-DD：2025-11-31" in result.stdout
    assert (closed.root / "events/b-a/2025-11-cr-e1.yaml").is_file()
    result = run("correct", "mt1", "-i", "--date", "2025-11-05", "--reason", "x", "--data",
                 "data", "--today", TODAY, cwd=closed.root.parent,
                 stdin="m01\nabsent-ish\nabsent\n")
    assert "请从 present 出席、absent 缺席、leave 请假、late 迟到、early 早退 中选一个：absent-ish" \
        in result.stdout
    assert result.stderr.startswith("张一（m01）在会议“mt1”（2025-08-10）中已经是“缺席”")


def test_correct_twice_is_refused(closed: DataDir) -> None:
    assert jifen(closed, "correct", "e1", "--date", "2025-11-05", "--reason", "x").code == 0
    result = jifen(closed, "correct", "e1", "--date", "2025-11-06", "--reason", "y")
    assert (result.code, result.stderr.splitlines()[0]) == (
        1, "登记“e1”已由更正“cr-e1”（2025-11-05）撤销，不能再次更正。")


@pytest.mark.parametrize(("args", "message"), [
    (["e1", "--date", "2025-11-05"], "缺少 --reason。"),
    (["--date", "2025-11-05", "--reason", "x"], "缺少 被更正的编号 RECORD_ID。"),
    (["mt1", "--date", "2025-11-05", "--reason", "x", "--member", "m01"],
     "缺少 --mark：更正会议考勤须写明党员和正确的考勤。"),
])
def test_correct_names_a_missing_option(closed: DataDir, args: list[str], message: str) -> None:
    result = jifen(closed, "correct", *args)
    assert (result.code, result.stderr) == (
        2, f"jifen: {message}请在命令行中给出，或加上 -i 逐项填写。\n")


def test_member_and_mark_are_for_meetings_and_names_must_be_unique(closed: DataDir) -> None:
    result = jifen(closed, "correct", "e1", "--member", "m01", "--mark", "present", "--date",
                   "2025-11-05", "--reason", "x")
    assert (result.code, result.stderr) == (
        2, "jifen: --member 和 --mark 只用于更正会议考勤（RECORD_ID 写会议编号 mt-…）。\n")
    result = jifen(closed, "correct", "mt1", "--member", "张一", "--mark", "present", "--date",
                   "2025-11-05", "--reason", "x")
    assert (result.code, result.stderr) == (
        2, "jifen: 有 2 名党员叫“张一”：m01（甲公司党支部）、m03（乙公司党支部）。请改用党员编号。\n")


def test_an_attendance_correction_of_an_open_quarter_is_an_edit(closed: DataDir) -> None:
    closed.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-08-10, title: 8月主题党日, "
                    "absent: [m01]}\n  - {id: mt2, branch: b-a, date: 2025-11-10, title: 会, "
                    "late: [m02]}\n")
    result = jifen(closed, "correct", "mt2", "--member", "李二", "--mark", "present", "--date",
                   "2025-11-12", "--reason", "x")
    assert (result.code, result.stderr.splitlines()[0]) == (
        1, "会议“mt2”所在的 2025-Q4 尚未审定公示，直接修改 data/meetings/b-a/2025.yaml "
        "中的考勤即可，不必更正。")


def test_correct_attendance_at_a_meeting(closed: DataDir) -> None:
    result = jifen(closed, "correct", "mt1", "--member", "m01", "--mark", "leave", "--date",
                   "2025-11-05", "--reason", "当天请过假")
    assert result.code == 0, result.stderr
    assert (closed.root / "events/b-a/2025-11-cr-mt1-m01.yaml").read_text("utf-8") == (
        "branch: b-a\n"
        "corrections:\n"
        "  - id: cr-mt1-m01\n"
        "    corrects: mt1\n"
        "    member: m01\n"
        "    mark: leave\n"
        "    date: 2025-11-05\n"
        "    reason: \"当天请过假\"\n"
        "events: []\n")
    assert result.stdout.splitlines()[0] == (
        "已新建 data/events/b-a/2025-11-cr-mt1-m01.yaml：更正 cr-mt1-m01：m01 张一 在会议 mt1"
        "（2025-08-10，8月主题党日）的考勤由“缺席”更正为“请假”，更正日期 2025-11-05。")


def test_corrections_prepared_in_parallel_merge_without_conflict(closed: DataDir) -> None:
    """Two registrars correct two records on two branches from the same base: each adds
    a file of its own, so both merge cleanly, and the merged data validates."""
    repo = closed.root.parent
    for branch, target, day in (("fix-e1", "e1", "2025-11-05"), ("fix-e2", "e2", "2025-11-06")):
        git(repo, "switch", "-q", "-c", branch, "main")
        result = jifen(closed, "correct", target, "--date", day, "--reason", "登记有误")
        assert result.code == 0, result.stderr
        commands = [line.strip() for line in result.stdout.splitlines()
                    if line.startswith("  git ") and "switch" not in line and "push" not in line]
        for command in commands:  # as printed, through the shell
            subprocess.run(command, shell=True, cwd=repo, env=GIT_ENV, check=True, timeout=60,
                           capture_output=True)
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "fix-e1")
    git(repo, "merge", "-q", "--no-edit", "fix-e2")  # raises on a conflict
    assert sorted(p.name for p in (closed.root / "events/b-a").iterdir()) == [
        "2025-08.yaml", "2025-11-cr-e1.yaml", "2025-11.yaml"]
    assert [line for line in closed.lines() if " W102 " not in line] == []


# --- objections -------------------------------------------------------------------------------

def test_object_registers_an_objection_and_its_outcome(closed: DataDir) -> None:
    result = jifen(closed, "object", "e1", "--on", "2025-10-12", "--details", "对扣分有异议")
    assert result.code == 0, result.stderr
    path = closed.root / "objections/b-a/obj-b-a-2025-q3-01.yaml"
    assert path.read_text("utf-8") == (
        "id: obj-b-a-2025-q3-01\n"
        "branch: b-a\n"
        "quarter: 2025-Q3\n"
        "raised_on: 2025-10-12\n"
        "member: m01\n"
        "event: e1\n"
        "details: \"对扣分有异议\"\n"
        "outcome: pending\n")
    assert result.stdout.splitlines()[0] == (
        "已新建 data/objections/b-a/obj-b-a-2025-q3-01.yaml：异议 obj-b-a-2025-q3-01（b-a，2025-Q3，"
        "提出日期 2025-10-12，涉及 m01 张一，登记 e1），处理结果：处理中。")

    # upheld needs its correction first
    before = snapshot(closed.root)
    upheld = ["object", "obj-b-a-2025-q3-01", "--outcome", "upheld", "--on", "2025-10-20",
              "--decision", "异议成立"]
    result = jifen(closed, *upheld)
    assert result.code == 1 and result.stderr.startswith("异议成立须登记更正：请先用 jifen correct")
    assert snapshot(closed.root) == before
    result = jifen(closed, "correct", "e1", "--date", "2025-10-20", "--reason", "异议成立",
                   "--objection", "obj-b-a-2025-q3-01")
    assert result.code == 0, result.stderr
    assert "异议处理完毕后登记结果：jifen object obj-b-a-2025-q3-01 --outcome upheld" in result.stdout
    result = jifen(closed, *upheld)  # the correction is found by its objection
    assert result.code == 0, result.stderr
    assert path.read_text("utf-8").endswith(
        "outcome: upheld\n"
        "decided_on: 2025-10-20\n"
        "decision: \"异议成立\"\n"
        "correction: cr-e1\n")
    assert [line for line in closed.lines() if " W102 " not in line] == []
    result = jifen(closed, *upheld)
    assert (result.code, result.stderr.splitlines()[0]) == (
        1, "异议“obj-b-a-2025-q3-01”已经处理（异议成立，已更正，2025-10-20）。")


def test_an_objection_to_a_branch_quarter_or_a_member(closed: DataDir) -> None:
    """By branch (quarter: the one whose window holds the day) and by member name."""
    result = jifen(closed, "object", "b-a", "--on", "2025-10-13", "--details", "排名有误")
    assert result.code == 0, result.stderr
    assert "quarter: 2025-Q3\n" in (closed.root / "objections/b-a/obj-b-a-2025-q3-01.yaml"
                                    ).read_text("utf-8")
    result = jifen(closed, "object", "李二", "2025-Q3", "--on", "2025-10-14", "--details", "x",
                   "--id", "obj-b-a-2025-q3-li")
    assert result.code == 0, result.stderr
    text = (closed.root / "objections/b-a/obj-b-a-2025-q3-li.yaml").read_text("utf-8")
    assert "member: m02\n" in text and "event:" not in text
    result = jifen(closed, "object", "obj-b-a-2025-q3-li", "--outcome", "rejected", "--on",
                   "2025-10-20", "--decision", "经核实维持原公示")
    assert result.code == 0, result.stderr
    assert [line.split(": ")[1].split()[0] for line in closed.lines()
            if " W102 " not in line] == ["W108"]  # the first is still pending


@pytest.mark.parametrize(("args", "message", "code"), [
    (["e5", "--on", "2025-11-04", "--details", "x"],
     "甲公司党支部（b-a）的 2025-Q4 尚未审定公示，不能对它提出异议。请核对党支部和季度。", 1),
    (["b-b", "--on", "2025-11-04", "--details", "x"],
     "乙公司党支部（b-b）还没有审定公示过季度积分，无法对季通报提出异议。", 1),
    (["zz", "--on", "2025-11-04", "--details", "x"],
     "找不到“zz”：它不是登记编号、会议编号、党员编号或姓名，也不是党支部编号。请核对。", 1),
    (["e1", "--on", "2025-10-12"], "jifen: 缺少 --details。请在命令行中给出，或加上 -i 逐项填写。", 2),
    (["e1", "--outcome", "rejected", "--on", "2025-10-12", "--decision", "x"],
     "找不到异议“e1”。请核对异议编号（data/objections/）。", 1),
    (["b-a", "2025-q3", "--on", "2025-10-12", "--details", "x"],
     "jifen: 季度请写成 YYYY-Qn，例如 2026-Q3：2025-q3", 2),
    (["e1", "--on", "2025-10-12", "--details", "x", "--decision", "y"],
     "jifen: --decision 和 --correction 用于登记处理结果，须同时写 --outcome。", 2),
])
def test_object_refuses(closed: DataDir, args: list[str], message: str, code: int) -> None:
    before = snapshot(closed.root)
    result = jifen(closed, "object", *args)
    assert (result.code, result.stderr.splitlines()[0]) == (code, message)
    assert snapshot(closed.root) == before
