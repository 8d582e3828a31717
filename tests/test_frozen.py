"""Frozen quarters: a close publishes a quarter; nothing dated in it may change
afterwards; corrections and objections are how mistakes are fixed, visibly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from generator.closes import ClosePlan, plan_close
from generator.pipeline import check
from generator.render import render
from generator.site import plan
from tests.support import TODAY, DataDir, event, events_file
from tests.support import run as jifen


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def problems(data: DataDir) -> list[str]:
    """Diagnostics, less the fixture's deliberate pending addition (W102)."""
    return [line for line in data.lines() if " W102 " not in line]


@pytest.fixture
def closed(tmp_path: Path) -> DataDir:
    """Two members of b-a; 2025-Q3 closed on 2025-10-10, in a Git repository."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    git(tmp_path, "config", "user.email", "registrar@example.org")
    git(tmp_path, "config", "user.name", "支部专人")
    data = DataDir(tmp_path / "data")
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.events(events_file(event("e1", "K7", "2025-08-01", points=-5)),
                name="b-a/2025-08.yaml")
    data.additions(events_file(event("e2", "J3", "2025-09-10", member="m02",
                                     approved_on="2025-09-30")), name="b-a/2025-09.yaml")
    data.additions(events_file(event("e3", "J3", "2025-09-20", member="m02",
                                     status="verified")), name="b-a/2025-09-late.yaml")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "Q3 data")
    data.close()
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "b-a: close 2025-Q3")
    return data


def test_a_close_records_what_was_published(closed: DataDir) -> None:
    text = (closed.root / "closes/b-a/2025-Q3.yaml").read_text("utf-8")
    assert "meeting: 2025-10-10\nwindow:\n  from: 2025-10-10\n  until: 2025-10-16\n" in text
    assert '  - member: "m01"\n    score: 75\n' in text
    assert '  - member: "m02"\n    score: 82\n' in text
    assert problems(closed) == []


def test_a_tampered_closed_quarter_is_an_error_naming_the_member(closed: DataDir) -> None:
    path = closed.root / "events/b-a/2025-08.yaml"
    path.write_text(path.read_text("utf-8").replace("points: -5", "points: -3"), "utf-8")
    assert problems(closed) == [  # at the record that was edited
        "events/b-a/2025-08.yaml:2:5: E317 2025-Q3 已于 2025-10-10 经支委会审定公布，之后 m01（张一）"
        "在该季度的登记被改动（公布积分 75，现在计算为 77）。已公布的积分不能改动：请恢复原登记；"
        "如确有错误，请在未审定的季度登记更正（corrections，写明 corrects: 登记编号）。"]
    # the pull request comment says so too
    result = jifen("diff", "HEAD", "--data", str(closed.root), "--today", TODAY,
                   cwd=closed.root.parent)
    assert result.code == 1
    assert "E317" in result.stdout


@pytest.mark.parametrize("change", ["remove", "void", "add", "note", "meeting"])
def test_every_kind_of_change_in_a_closed_quarter_is_caught(closed: DataDir,
                                                            change: str) -> None:
    path = closed.root / "events/b-a/2025-08.yaml"
    text = path.read_text("utf-8")
    if change == "remove":
        path.write_text("events: []\n", "utf-8")
    elif change == "void":
        path.write_text(text + "    status: void\n    void_reason: 登记错误\n", "utf-8")
    elif change == "add":
        path.write_text(text + event("e9", "K7", "2025-07-01", member="m02", points=-2),
                        "utf-8")
    elif change == "note":
        path.write_text(text + "    note: 事后补充的说明\n", "utf-8")
    else:
        closed.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-09-05, title: 9月,"
                        " late: [m02]}\n")
    codes = [line.split()[1] for line in problems(closed)]
    assert codes == ["E317"], problems(closed)
    # pointed at the record changed; a record removed altogether has only the close to show
    where = problems(closed)[0].split(":")[0]
    assert where == {"remove": "closes/b-a/2025-Q3.yaml", "void": "events/b-a/2025-08.yaml",
                     "add": "events/b-a/2025-08.yaml", "note": "events/b-a/2025-08.yaml",
                     "meeting": "meetings/b-a/2025.yaml"}[change]


def test_a_meeting_title_edit_is_caught_by_the_overall_digest(closed: DataDir) -> None:
    closed.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-07-05, title: 7月}\n")
    assert [line.split()[1] for line in problems(closed)] == ["E318"]


def test_a_correction_in_an_open_period_is_valid_and_visible(closed: DataDir) -> None:
    closed.events("corrections:\n"
                  "  - {id: cr1, corrects: e1, date: 2025-11-05, reason: 当天已请假，登记有误}\n"
                  + events_file(event("e4", "K7", "2025-11-05", points=-3,
                                      note="改按迟到处理")), name="b-a/2025-11.yaml")
    assert problems(closed) == []
    # the published quarter is unchanged; the year moves on from the correction's date
    assert closed.score("m01", as_of="2025-09-30") == 75
    assert closed.score("m01", as_of="2025-11-04") == 75
    assert closed.score("m01", as_of="2025-11-05") == 77
    ledger = closed.standings()["m01"].entries
    assert [(e.date, e.points, e.source, e.corrects) for e in ledger] == [
        ("2025-08-01", -5, "event", ""), ("2025-11-05", 5, "correction", "e1"),
        ("2025-11-05", -3, "event", "")]

    explained = jifen("explain", "m01", "--year", "2025", "--data", str(closed.root),
                      "--today", TODAY).stdout
    assert "违反公司（企业）管理规定（已于 2025-11-05 更正）" in explained
    assert "更正：撤销 e1（违反公司（企业）管理规定）" in explained

    dataset, _, _ = check(closed.root, today=TODAY)
    public = render(plan(dataset, "2025-12-31")).docs
    quarter = public["2025/q3/b-a.md"].decode()
    assert "已审定公布" in quarter and "经支委会 2025-10-10 审定" in quarter
    assert "## 公布后的更正" in quarter and "| 2025-11-05 | [张一]" in quarter
    assert "当天已请假" not in quarter  # the reason is internal
    # the public ledger ends at 2025-Q3, the last closed quarter; the internal one goes on
    fragments = render(plan(dataset, "2025-12-31", internal=True)).fragments
    ledger_html = fragments["members/m01/2025.md.ledger.html"].decode()
    assert "更正：撤销 2025-08-01 的登记" in ledger_html
    assert "（已于 2025-11-05 更正）" in ledger_html
    internal = render(plan(dataset, "2025-12-31", internal=True)).docs["2025/q3/b-a.md"]
    assert "当天已请假" in internal.decode()


def test_an_open_quarter_is_provisional_and_a_closed_one_published(closed: DataDir) -> None:
    dataset, _, _ = check(closed.root, today=TODAY)
    docs = render(plan(dataset, "2025-12-31")).docs
    assert "暂定" not in docs["2025/q3/b-a.md"].decode().split("\n# ")[1].split("\n")[0]
    assert "2025/q2/b-a.md" not in docs  # public means 审定: provisional quarters are internal
    internal = render(plan(dataset, "2025-12-31", internal=True)).docs
    assert "支委会尚未审定" in internal["2025/q2/b-a.md"].decode()
    assert "本季度尚未结束" in render(plan(dataset, "2025-11-30", internal=True)).docs[
        "2025/q4/b-a.md"].decode()
    overview = docs["2025/q3/index.md"].decode()
    assert "支委会 2025-10-10 审定" in overview and "| 尚未审定公布 |" in overview  # b-b
    assert "| 暂定 |" in internal["2025/q3/index.md"].decode()


def test_an_addition_approved_after_the_close_counts_from_its_approval(closed: DataDir) -> None:
    path = closed.root / "additions/b-a/2025-09-late.yaml"
    path.write_text(path.read_text("utf-8").replace(
        "status: verified", "status: approved\n    approved_by: 党工委\n    approved_on: 2025-10-20"),
        "utf-8")
    assert problems(closed) == []
    assert closed.score("m02", as_of="2025-09-30") == 82
    assert closed.score("m02", as_of="2025-10-20") == 84
    assert [e.date for e in closed.standings()["m02"].entries] == ["2025-09-10", "2025-10-20"]


def test_jifen_close_refuses_a_second_close_and_bad_dates(closed: DataDir) -> None:
    again = jifen("close", "b-a", "2025-Q3", "--meeting", "2025-10-12", "--data",
                  str(closed.root), "--today", TODAY)
    assert again.code == 1
    assert "已经审定" in again.stderr and "没有写入任何文件" in again.stderr
    early = jifen("close", "b-a", "2025-Q4", "--meeting", "2025-12-20", "--data",
                  str(closed.root), "--today", TODAY)
    assert early.code == 1 and "应在季度结束（2025-12-31）之后" in early.stderr
    assert not (closed.root / "closes/b-a/2025-Q4.yaml").exists()
    bad = jifen("close", "b-a", "2025-5", "--meeting", "2026-01-05", "--data",
                str(closed.root), "--today", TODAY)
    assert bad.code == 2 and "YYYY-Qn" in bad.stderr


def test_plan_close_names_every_reason_a_close_cannot_be_made(closed: DataDir) -> None:
    """The checks ``jifen close`` makes are the library's (``closes.plan_close``)."""
    dataset, _ = closed.check()
    assert plan_close(dataset, "b-a", "2025-Q4", "2025-12-20", today="2025-12-25",
                      window_from="2025-12-19") == [
        "审定日期 2025-12-20 应在季度结束（2025-12-31）之后。",
        "公示期 2025-12-19 至 2025-12-25 应从审定日期起，且结束不早于开始。"]
    assert plan_close(dataset, "b-a", "2025-Q4", "2026-01-08", today="2026-01-07",
                      window_until="2026-01-07") == [
        "审定日期 2026-01-08 晚于今天。",
        "公示期 2026-01-08 至 2026-01-07 应从审定日期起，且结束不早于开始。"]
    assert plan_close(dataset, "b-a", "2025-Q3", "2025-10-12", today=TODAY, target="f") == [
        "b-a 的 2025-Q3 已经审定（f），不能重复审定；如有错误，请登记更正（corrections）。"]
    plan = plan_close(dataset, "b-a", "2025-Q4", "2026-01-08", today=TODAY)
    assert isinstance(plan, ClosePlan)
    assert (plan.members, plan.window) == (2, ("2026-01-08", "2026-01-14"))
    assert plan.text.startswith("# 甲公司党支部 2025-Q4 积分审定") and "meeting: 2026-01-08\n" in plan.text


def test_jifen_close_prints_the_git_commands_that_propose_it(closed: DataDir) -> None:
    result = jifen("close", "b-a", "2025-Q4", "--meeting", "2026-01-08", "--data",
                   str(closed.root), "--today", TODAY, cwd=closed.root.parent)
    assert result.code == 0, result.stderr
    commands = [line.strip() for line in result.stdout.splitlines()
                if line.startswith("  git ")]
    assert commands[0] == "git switch -c jifen/close-b-a-2025-q4"
    for command in commands[:3]:  # not the push: there is no remote here
        subprocess.run(command, shell=True, check=True, cwd=closed.root.parent,
                       capture_output=True)
    assert "b-a: 支委会审定 2025-Q4 积分" in git(closed.root.parent, "log", "-1", "--format=%s")


def test_jifen_add_refuses_a_deduction_dated_in_a_closed_quarter(closed: DataDir) -> None:
    before = sorted(p.read_bytes() for p in closed.root.rglob("*.yaml"))
    result = jifen("add", "event", "--member", "m01", "--rule", "K7", "--date", "2025-09-15",
                   "--points", "-2", "--data", str(closed.root), "--today", TODAY)
    assert result.code == 1
    assert "2025-Q3 已于 2025-10-10 经支委会审定公布，不能再登记日期在该季度的事项" in result.stderr
    assert "没有写入任何文件" in result.stderr
    meeting = jifen("add", "meeting", "--branch", "b-a", "--date", "2025-08-20", "--title",
                    "补登会议", "--data", str(closed.root), "--today", TODAY)
    assert meeting.code == 1 and "经支委会审定公布" in meeting.stderr
    assert sorted(p.read_bytes() for p in closed.root.rglob("*.yaml")) == before
    # the same deduction dated in the open period is accepted
    later = jifen("add", "event", "--member", "m01", "--rule", "K7", "--date", "2025-11-15",
                  "--points", "-2", "--note", "9月15日违纪，审定后发现",
                  "--data", str(closed.root), "--today", TODAY)
    assert later.code == 0, later.stderr


def test_the_pull_request_comment_shows_a_correction_and_its_effect(closed: DataDir) -> None:
    closed.events("corrections:\n"
                  "  - {id: cr1, corrects: e1, date: 2025-11-05, reason: 登记有误}\nevents: []\n",
                  name="b-a/2025-11.yaml")
    result = jifen("diff", "HEAD", "--data", str(closed.root), "--today", TODAY,
                   "--as-of", "2025-12-31", "--format", "json", cwd=closed.root.parent)
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert "更正或异议" in report["labels"]
    assert [(r["kind"], r["id"], r["change"], r["member"]) for r in report["records"]] == [
        ("correction", "cr1", "added", "m01")]
    moved = {m["id"]: m for m in report["members"]}
    assert moved["m01"]["score"] == [75, 80]
