"""The registrars' commands (``jifen add``, ``verify``, ``approve``, ``void``), run as a
user runs them (in this process, ``tests.support.run``): they edit the text of data files
without disturbing anything else, write nothing that would not validate, and say how to
propose the change."""

from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path

import pytest

from generator import edit
from generator.writing import LOCK_NAME
from tests.support import REPO, TODAY, DataDir, Result, event, events_file, run


def jifen(*args: str, cwd: Path | None = None, answers: str = "") -> Result:
    """``jifen`` on ``TODAY``; stdin is never a terminal (answers, or nothing)."""
    return run(*args, "--today", TODAY, cwd=cwd, stdin=answers)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a data directory but the writers' lock file (which is no data)."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != LOCK_NAME}


@pytest.fixture
def branch_a(data: DataDir) -> DataDir:
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.member("m09", name="王九", branch="b-b")
    return data


ADDITIONS = """\
# 甲公司党支部 2025年3月 加分申报（手工维护，请保留注释）
branch: b-a

events:
  # 第一批
  - id: ev-b-a-2025-03-01
    member: m01
    rule: J3
    date: 2025-03-05
    note: "河道清理"     # 志愿服务
    evidence: "签到表 2025-03-05"
    status: declared    # 待支部核实

  - {id: ev-b-a-2025-03-02, member: m02, rule: J3, date: 2025-03-06, evidence: 签到表, status: verified}

# 下一批写在上面
"""

DEDUCTIONS = """\
branch: b-a
events:
  - {id: ev-b-a-2025-03-03, member: m01, rule: K7, date: 2025-03-10, points: -3}  # 迟交材料
  - id: ev-b-a-2025-03-05
    member: m02
    rule: K7
    date: 2025-03-11
    points: -2
"""


def changed_lines(before: str, after: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(replaced line pairs, inserted lines); fails if any original line was deleted."""
    old, new = before.splitlines(), after.splitlines()
    replaced: list[tuple[str, str]] = []
    inserted: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new,
                                                       autojunk=False).get_opcodes():
        assert tag != "delete", old[i1:i2]
        if tag == "replace":
            assert i2 - i1 == 1, (old[i1:i2], new[j1:j2])
            replaced.append((old[i1], new[j1]))
            inserted += new[j1 + 1:j2]
        elif tag == "insert":
            inserted += new[j1:j2]
    return replaced, inserted


def test_round_trip_keeps_every_line(branch_a: DataDir) -> None:
    additions = branch_a.additions(ADDITIONS)
    deductions = branch_a.events(DEDUCTIONS, name="b-a/2025-03.yaml")
    root = str(branch_a.root)
    assert jifen("validate", "--data", root).code == 0

    steps = [
        ("add", "event", "--member", "m02", "--rule", "J3", "--date", "2025-03-20",
         "--evidence", "签到表 2025-03-20", "--note", "他说：\"好\" # 不是注释"),
        ("verify", "ev-b-a-2025-03-01"),
        ("approve", "ev-b-a-2025-03-01", "ev-b-a-2025-03-02", "--by", "党工委（第3次会议）",
         "--on", "2025-03-28"),
        ("void", "ev-b-a-2025-03-03", "--reason", "重复登记"),
        ("add", "event", "--member", "m01", "--rule", "K7", "--date", "2025-03-21",
         "--points", "-2"),
    ]
    for step in steps:
        result = jifen(*step, "--data", root)
        assert result.code == 0, (step, result.stderr)

    replaced, inserted = changed_lines(ADDITIONS, additions.read_text("utf-8"))
    assert replaced == [
        ("    status: declared    # 待支部核实", "    status: approved    # 待支部核实"),
        ("  - {id: ev-b-a-2025-03-02, member: m02, rule: J3, date: 2025-03-06, evidence: 签到表, "
         "status: verified}",
         "  - {id: ev-b-a-2025-03-02, member: m02, rule: J3, date: 2025-03-06, evidence: 签到表, "
         "status: approved, approved_by: \"党工委（第3次会议）\", approved_on: 2025-03-28}"),
    ]
    assert inserted == [
        "    approved_by: \"党工委（第3次会议）\"",
        "    approved_on: 2025-03-28",
        "",  # the file separates its records by blank lines
        "  - id: ev-b-a-2025-03-06",
        "    member: m02",
        "    rule: J3",
        "    date: 2025-03-20",
        "    note: \"他说：\\\"好\\\" # 不是注释\"",
        "    evidence: \"签到表 2025-03-20\"",
        "    status: declared",
    ]
    replaced, inserted = changed_lines(DEDUCTIONS, deductions.read_text("utf-8"))
    assert replaced == [(
        "  - {id: ev-b-a-2025-03-03, member: m01, rule: K7, date: 2025-03-10, points: -3}"
        "  # 迟交材料",
        "  - {id: ev-b-a-2025-03-03, member: m01, rule: K7, date: 2025-03-10, points: -3, "
        "status: void, void_reason: \"重复登记\"}  # 迟交材料")]
    assert inserted == ["  - id: ev-b-a-2025-03-07", "    member: m01", "    rule: K7",
                        "    date: 2025-03-21", "    points: -2"]
    assert additions.read_text("utf-8").endswith("# 下一批写在上面\n")

    result = jifen("validate", "--data", root)
    assert result.code == 0, result.stdout
    assert " E" not in result.stdout
    standings = branch_a.standings()
    assert (standings["m01"].score, standings["m02"].score) == (82 - 2, 80 - 2 + 2)


def test_add_creates_the_file_in_the_right_folder(branch_a: DataDir) -> None:
    root = branch_a.root
    result = jifen("add", "event", "--member", "m01", "--rule", "J3", "--date", "2025-03-05",
                   "--evidence", "签到表", "--data", str(root))
    assert result.code == 0, result.stderr
    path = root / "additions" / "b-a" / "2025-03.yaml"
    assert path.read_text("utf-8") == (
        "branch: b-a\n"
        "events:\n"
        "  - id: ev-b-a-2025-03-01\n"
        "    member: m01\n"
        "    rule: J3\n"
        "    date: 2025-03-05\n"
        "    evidence: \"签到表\"\n"
        "    status: declared\n")
    assert result.stdout.splitlines()[0] == (
        f"已新建 {path}：加分申报 ev-b-a-2025-03-01（m01 张一，规则 J3“积极参与水环境整治和创卫整治等"
        "志愿服务”，2025-03-05，状态：个人申报）。")

    result = jifen("add", "event", "--member", "m09", "--rule", "K7", "--date", "2025-03-07",
                   "--points", "-4", "--note", "迟到早退", "--data", str(root))
    assert result.code == 0, result.stderr
    assert (root / "events" / "b-b" / "2025-03.yaml").read_text("utf-8") == (
        "branch: b-b\n"
        "events:\n"
        "  - id: ev-b-b-2025-03-01\n"
        "    member: m09\n"
        "    rule: K7\n"
        "    date: 2025-03-07\n"
        "    points: -4\n"
        "    note: \"迟到早退\"\n")

    result = jifen("add", "event", "--member", "m01", "--rule", "K7", "--date", "2025-03-09",
                   "--points", "-2", "--batch", "batch-02", "--data", str(root))
    assert result.code == 0, result.stderr
    batch = (root / "events" / "b-a" / "2025-03-batch-02.yaml").read_text("utf-8")
    assert "  - id: ev-b-a-2025-03-batch-02-01\n" in batch
    assert jifen("validate", "--data", str(root)).code == 0


def test_add_meeting(branch_a: DataDir) -> None:
    root = branch_a.root
    branch_a.meetings("# 甲公司党支部 2025 年组织生活\nbranch: b-a\nmeetings: []  # 还没有会议\n")
    result = jifen("add", "meeting", "--branch", "b-a", "--date", "2025-03-10", "--title",
                   "3月主题党日", "--absent", "m01", "--late", "m02", "--data", str(root))
    assert result.code == 0, result.stderr
    assert (root / "meetings" / "b-a" / "2025.yaml").read_text("utf-8") == (
        "# 甲公司党支部 2025 年组织生活\n"
        "branch: b-a\n"
        "meetings:  # 还没有会议\n"
        "  - id: mt-b-a-2025-03-01\n"
        "    branch: b-a\n"
        "    date: 2025-03-10\n"
        "    title: \"3月主题党日\"\n"
        "    absent: [m01]\n"
        "    late: [m02]\n")
    assert branch_a.score("m01") == 75

    before = snapshot(root)
    result = jifen("add", "meeting", "--branch", "b-a", "--date", "2025-04-10", "--title",
                   "4月主题党日", "--leave", "m01,m09", "--data", str(root))
    assert result.code == 1
    assert "E503" in result.stderr and "m09（王九）属于党支部“b-b”" in result.stderr
    assert snapshot(root) == before


@pytest.mark.parametrize(("args", "line"), [
    (["--rule", "K1.1", "--date", "2025-03-20"],
     "data/events/b-a/2025-03.yaml（未写入，ev-b-a-2025-03-06）：E410 规则 K1.1（无故不参加党组织学习活动）"
     "由会议考勤自动计算，不能手工登记。"),
    (["--rule", "J3", "--date", "2027-01-16", "--evidence", "x"],
     "data/additions/b-a/2027-01.yaml（未写入，ev-b-a-2027-01-01）：E501 日期 2027-01-16 晚于今天"
     "（2027-01-15），不能登记未来的事项。"),
])
def test_a_bad_add_writes_nothing(branch_a: DataDir, args: list[str], line: str) -> None:
    """The problem names the file and the record it would have been, never a line of a
    file that was not written."""
    branch_a.additions(ADDITIONS)
    branch_a.events(DEDUCTIONS, name="b-a/2025-03.yaml")
    before = snapshot(branch_a.root)
    result = jifen("add", "event", "--member", "m02", *args, "--data", "data",
                   cwd=branch_a.root.parent)
    assert result.code == 1
    assert result.stdout == ""
    errors = result.stderr.splitlines()
    assert errors[0].startswith(line), errors
    assert errors[-1] == "这次修改会带来 1 个错误，没有写入任何文件。请按上面的提示改正后重试。"
    assert snapshot(branch_a.root) == before


def test_unknown_rule_writes_nothing(branch_a: DataDir) -> None:
    """The catalogue decides what a rule is: one it does not know cannot be placed (an
    addition or a deduction?), so nothing is written and no file's line is cited."""
    before = snapshot(branch_a.root)
    result = jifen("add", "event", "--member", "m02", "--rule", "J99", "--date", "2025-03-20",
                   "--evidence", "x", "--data", str(branch_a.root))
    assert (result.code, result.stderr) == (1, (
        "规则“J99”在 2025-03-20 不适用于李二（m02）：它不在该党员所在党支部适用的积分标准中，"
        "或当天不在有效期内。请核对 data/rules/ 中的规则编号和有效期。\n没有写入任何文件。\n"))
    assert snapshot(branch_a.root) == before


def test_unknown_member_writes_nothing(branch_a: DataDir) -> None:
    before = snapshot(branch_a.root)
    result = jifen("add", "event", "--member", "m77", "--rule", "K7", "--date", "2025-03-20",
                   "--points", "-2", "--data", str(branch_a.root))
    assert (result.code, result.stderr) == (1, (
        "党员“m77”不存在。请核对编号或姓名（见 data/members/），或先建立该党员的档案。\n"
        "没有写入任何文件。\n"))
    assert snapshot(branch_a.root) == before


@pytest.mark.parametrize(("args", "message"), [
    (["add", "event", "--member", "m01", "--rule", "J3"], "缺少 --date。"),
    (["add", "event"], "缺少 --member、--rule、--date。"),
    (["add", "meeting", "--branch", "b-a"], "缺少 --date、--title。"),
    (["add", "event", "--member", "m01", "--rule", "K7", "--date", "2025-03-20"],
     "缺少 --points：规则 K7“违反公司（企业）管理规定”的分值在 -5 到 -2 分之间，须写明（带符号）。"),
    (["add", "event", "--member", "m01", "--rule", "J3", "--date", "2025-03-20"],
     "缺少 --evidence：加分须有书面记录依据。"),
    (["approve", "ev-b-a-2025-03-01", "--on", "2025-03-28"], "缺少 --by。"),
    (["approve", "--by", "党工委", "--on", "2025-03-28"], "缺少 登记编号 ID。"),
    (["verify"], "缺少 登记编号 ID。"),
    (["void", "ev-b-a-2025-03-01"], "缺少 --reason。"),
])
def test_a_missing_option_without_a_terminal_is_a_usage_error(
        branch_a: DataDir, args: list[str], message: str) -> None:
    before = snapshot(branch_a.root)
    result = jifen(*args, "--data", str(branch_a.root))
    assert (result.code, result.stderr) == (
        2, f"jifen: {message}请在命令行中给出，或加上 -i 逐项填写。\n")
    assert snapshot(branch_a.root) == before


def test_interactive_prompts_read_the_answers(branch_a: DataDir) -> None:
    root = branch_a.root
    answers = "m77\nm01\nJ3\n2025-02-30\n2025-03-05\n\n签到表 2025-03-05\n参加河道清理\n"
    result = jifen("add", "event", "-i", "--data", str(root), answers=answers)
    assert result.code == 0, result.stderr
    assert "党员“m77”不存在" in result.stdout
    assert "日期应写成 YYYY-MM-DD：2025-02-30" in result.stdout
    assert "这一项必须填写。" in result.stdout
    assert (root / "additions" / "b-a" / "2025-03.yaml").read_text("utf-8").endswith(
        "    date: 2025-03-05\n"
        "    note: \"参加河道清理\"\n"
        "    evidence: \"签到表 2025-03-05\"\n"
        "    status: declared\n")

    result = jifen("verify", "-i", "--data", str(root), answers="ev-b-a-2025-03-01\n")
    assert result.code == 0, result.stderr
    result = jifen("approve", "-i", "--data", str(root),
                   answers="ev-b-a-2025-03-01\n党工委\n2025-03-28\n")
    assert result.code == 0, result.stderr
    assert "approved_by: \"党工委\"" in (root / "additions/b-a/2025-03.yaml").read_text("utf-8")

    result = jifen("add", "meeting", "-i", "--data", str(root),
                   answers="b-a\n2025-03-10\n3月主题党日\nm01\nm02\n\n\n")
    assert result.code == 0, result.stderr
    text = (root / "meetings/b-a/2025.yaml").read_text("utf-8")
    assert "    absent: [m01]\n    leave: [m02]\n" in text

    before = snapshot(root)
    result = jifen("void", "-i", "--data", str(root), answers="ev-b-a-2025-03-01\n")
    assert result.code == 2
    assert result.stderr == "jifen: 输入已结束，没有得到“作废原因”。没有写入任何文件。\n"
    assert snapshot(root) == before


def test_ids_are_unique_and_sequential(branch_a: DataDir) -> None:
    root = branch_a.root
    branch_a.events(events_file(event("ev-b-a-2025-05-07", "K7", "2025-05-02", points=-2)),
                    name="b-a/2025-05.yaml")
    made = []
    for rule, extra in (("J3", ["--evidence", "签到表"]), ("K7", ["--points", "-2"]),
                        ("J3", ["--evidence", "签到表"]), ("K7", ["--points", "-3"])):
        for month in ("04", "05"):
            result = jifen("add", "event", "--member", "m01", "--rule", rule, "--date",
                           f"2025-{month}-10", *extra, "--data", str(root))
            assert result.code == 0, result.stderr
            made.append(result.stdout.split("：", 1)[1].split("（", 1)[0].split()[-1])
    assert made == ["ev-b-a-2025-04-01", "ev-b-a-2025-05-08", "ev-b-a-2025-04-02",
                    "ev-b-a-2025-05-09", "ev-b-a-2025-04-03", "ev-b-a-2025-05-10",
                    "ev-b-a-2025-04-04", "ev-b-a-2025-05-11"]
    result = jifen("add", "event", "--member", "m01", "--rule", "K7", "--date", "2025-04-11",
                   "--points", "-2", "--id", "ev-b-a-2025-04-02", "--data", str(root))
    assert result.code == 1 and "E301" in result.stderr
    result = jifen("validate", "--data", str(root))
    assert result.code == 0 and " E" not in result.stdout


def test_approve_verify_void_refuse_what_they_cannot_do(branch_a: DataDir) -> None:
    root = branch_a.root
    branch_a.additions(events_file(
        event("a1", "J3", "2025-03-05"),
        event("a2", "J3", "2025-03-06", status="declared"),
        event("a3", "J3", "2025-03-07", status="void", void_reason="重复")))
    branch_a.events(events_file(event("d1", "K7", "2025-03-08", points=-2)),
                    name="b-a/2025-03.yaml")
    branch_a.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-01-10, title: 会}\n")
    before = snapshot(root)
    approve = ["--by", "党工委", "--on", "2025-03-28", "--data", str(root)]
    cases = [
        (["approve", "a2", "nope", *approve], [
            "加分“a2”还是个人申报，尚未经支部核实。请先由支部核实（jifen verify a2）；党工委确需直接"
            "审定的，用 --unverified-reason 写明原因（记入登记）。",
            "找不到登记“nope”。请核对编号（jifen explain 党员编号 --year 年度 可以列出一名党员的全部登记）。"]),
        (["approve", "a1", *approve],
         ["登记“a1”已经审定（审定人：党工委，审定日期：2025-03-05）。"]),
        (["approve", "d1", "a3", *approve], [
            "登记“d1”是扣分项（规则 K7），扣分由支部登记，不需要党工委审定。",
            "登记“a3”已作废，不能审定。"]),
        (["verify", "a1", "d1", "--data", str(root)], [
            "登记“a1”的状态已经是“党工委审定”，只有个人申报（declared）的加分才需要核实。",
            "登记“d1”是扣分项（规则 K7），只有加分申报需要支部核实。"]),
        (["void", "a3", "mt1", "--reason", "x", "--data", str(root)], [
            "登记“a3”已经作废（原因：重复）。",
            f"“mt1”是会议编号，不是加扣分登记。会议考勤请修改 {root}/meetings/ 中的文件。"]),
        (["approve", "a2", "--by", "党工委", "--on", "2025-03-01", "--unverified-reason", "急需",
          "--data", str(root)], None),
    ]
    for args, messages in cases:
        result = jifen(*args)
        assert result.code == 1, args
        if messages is None:  # approved before it was declared: the check says so
            assert "E412 审定日期 2025-03-01 早于登记日期 2025-03-06。" in result.stderr
        else:
            assert result.stderr.splitlines() == [*messages, "没有写入任何文件。"]
        assert snapshot(root) == before


GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "登记员", "GIT_AUTHOR_EMAIL": "r@example.invalid",
           "GIT_COMMITTER_NAME": "登记员", "GIT_COMMITTER_EMAIL": "r@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          env=GIT_ENV, check=True, timeout=60).stdout


def test_the_printed_git_commands_propose_exactly_the_change(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    data = DataDir(repo / "data")
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.additions(ADDITIONS)
    (repo / ".gitignore").write_bytes((REPO / ".gitignore").read_bytes())  # as in a fork
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "data")
    git(repo, "remote", "add", "origin", str(origin))

    result = jifen("add", "event", "--member", "m01", "--rule", "J3", "--date", "2025-03-25",
                   "--evidence", "签到表", "--note", "it's \"quoted\"", cwd=repo)
    assert result.code == 0, result.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == (
        " M data/additions/b-a/2025-03.yaml\n")
    lines = result.stdout.splitlines()
    commands = [line.strip() for line in lines if line.startswith("  git ")]
    assert commands[0] == "git switch -c add-ev-b-a-2025-03-03"
    assert commands[1:] == ["git add data/additions/b-a/2025-03.yaml",
                            "git commit -m '申报加分 ev-b-a-2025-03-03（m01，J3，2025-03-25）'",
                            "git push -u origin HEAD"]
    assert lines[-1] == "然后在代码托管平台上发起合并请求（Pull Request / Merge Request）。"
    for command in commands:  # as printed, through the shell
        subprocess.run(command, shell=True, cwd=repo, env=GIT_ENV, check=True, timeout=60,
                       capture_output=True)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(origin, "log", "-1", "--format=%s", "add-ev-b-a-2025-03-03") == (
        "申报加分 ev-b-a-2025-03-03（m01，J3，2025-03-25）\n")
    assert git(repo, "diff", "--name-only", "main", "HEAD") == (
        "data/additions/b-a/2025-03.yaml\n")


# --- the text edits on their own ------------------------------------------------------------

ITEM = [("id", "e9"), ("member", "m01")]


@pytest.mark.parametrize(("before", "after"), [
    ("branch: b-a\nevents: []\n", "branch: b-a\nevents:\n  - id: e9\n    member: m01\n"),
    ("branch: b-a\nevents:\n", "branch: b-a\nevents:\n  - id: e9\n    member: m01\n"),
    ("branch: b-a\nevents: ~  # none yet", "branch: b-a\nevents:  # none yet\n  - id: e9\n"
     "    member: m01"),
    ("branch: b-a\n", "branch: b-a\nevents:\n  - id: e9\n    member: m01\n"),
    ("", "branch: b-a\nevents:\n  - id: e9\n    member: m01\n"),
    ("events:\n- id: e1\n  x: 1\n# end\n", "events:\n- id: e1\n  x: 1\n- id: e9\n  member: m01\n"
     "# end\n"),
    ("events:\n    -   id: e1\n        x: 1\n", "events:\n    -   id: e1\n        x: 1\n"
     "    -   id: e9\n        member: m01\n"),
    ("events: [{id: e1}]\n", "events: [{id: e1}, {id: e9, member: m01}]\n"),
    ("\ufeffevents:\r\n  - id: e1\r\n", "\ufeffevents:\r\n  - id: e1\r\n  - id: e9\r\n"
     "    member: m01\r\n"),
    ("events:\n  - id: e1\n    note: |+\n      kept\n\n", "events:\n  - id: e1\n    note: |+\n"
     "      kept\n\n  - id: e9\n    member: m01\n"),
])
def test_append_item(before: str, after: str) -> None:
    assert edit.append_item(before, "events", ITEM, branch="b-a") == after


@pytest.mark.parametrize(("before", "after"), [
    ("events:\n  - id: e1\n    status:\n    x: 1\n",
     "events:\n  - id: e1\n    status: void\n    x: 1\n    void_reason: \"r\"\n"),
    ("events:\n  - id: e1\n    note: |\n      a\n\n  - id: e2\n",
     "events:\n  - id: e1\n    note: |\n      a\n    status: void\n    void_reason: \"r\"\n\n"
     "  - id: e2\n"),
    ("events:\n  - {id: e1,\n     status: declared }  # c\n",
     "events:\n  - {id: e1,\n     status: void, void_reason: \"r\" }  # c\n"),
    ("events:\n  - id: e1\n    status: declared", "events:\n  - id: e1\n    status: void\n"
     "    void_reason: \"r\""),
])
def test_update_item(before: str, after: str) -> None:
    changes = [("status", "void"), ("void_reason", '"r"')]
    assert edit.update_item(before, "events", "e1", changes) == after


def test_edits_refuse_what_they_cannot_do_safely() -> None:
    with pytest.raises(edit.EditError, match="有 YAML 格式错误，无法自动修改"):
        edit.append_item("events:\n  - id: [\n", "events", ITEM, branch="b-a", path="f")
    with pytest.raises(edit.EditError, match="找不到编号为“e2”的记录"):
        edit.update_item("events:\n  - id: e1\n", "events", "e2", [("status", "void")])
    with pytest.raises(edit.EditError, match="不是列表"):
        edit.append_item("events: 3\n", "events", ITEM, branch="b-a")


@pytest.mark.parametrize(("value", "text"), [
    ("m01", "m01"), ("2025-03-05", "2025-03-05"), ("K1.1", "K1.1"), ("no", '"no"'),
    ("007", '"007"'), ("1.5", '"1.5"'), ("a b", '"a b"'), (-5, "-5"),
])
def test_plain(value: str | int, text: str) -> None:
    assert edit.plain(value) == text


def test_quoted_text_reads_back_the_same() -> None:
    import yaml
    for text in ["说\"明\"", "a\\b", "line\nbreak", "tab\there", "# not a comment", "x: y",
                 "\u2028sep\x85", "\x7f", "'single'", ""]:
        assert yaml.safe_load(f"k: {edit.quoted(text)}") == {"k": text}


# --- names, the regulation's path for additions, closed quarters --------------------------------

def test_members_are_named_by_id_or_by_name(branch_a: DataDir) -> None:
    root = branch_a.root
    result = jifen("add", "event", "--member", "李二", "--rule", "K7", "--date", "2025-03-20",
                   "--points", "-2", "--data", str(root))
    assert result.code == 0, result.stderr
    assert "    member: m02\n" in (root / "events/b-a/2025-03.yaml").read_text("utf-8")
    result = jifen("add", "meeting", "--branch", "b-a", "--date", "2025-03-10", "--title", "会",
                   "--absent", "张一", "--leave", "m02", "--data", str(root))
    assert result.code == 0, result.stderr
    assert "    absent: [m01]\n    leave: [m02]\n" in (root / "meetings/b-a/2025.yaml").read_text(
        "utf-8")

    branch_a.member("m05", name="张一", branch="b-b")
    before = snapshot(root)
    for args in (["add", "event", "--member", "张一", "--rule", "K7", "--date", "2025-03-21",
                  "--points", "-2"],
                 ["add", "meeting", "--branch", "b-a", "--date", "2025-03-12", "--title", "会",
                  "--late", "张一"]):
        result = jifen(*args, "--data", str(root))
        assert (result.code, result.stderr) == (2, (
            "jifen: 有 2 名党员叫“张一”：m01（甲公司党支部）、m05（乙公司党支部）。请改用党员编号。\n"))
    result = jifen("add", "meeting", "--branch", "b-a", "--date", "2025-03-12", "--title", "会",
                   "--late", "王五", "--data", str(root))
    assert (result.code, result.stderr) == (1, (
        "党员“王五”不存在。请核对编号或姓名（见 data/members/）。\n没有写入任何文件。\n"))
    assert snapshot(root) == before


def test_approving_an_unverified_declaration_keeps_the_reason(branch_a: DataDir) -> None:
    """个人申报 → 支部核实 → 党工委审定: skipping the branch takes the office's reason,
    written into the record (and allowed by the schema)."""
    root = branch_a.root
    branch_a.additions(events_file(event("a1", "J3", "2025-03-05", status="declared")))
    result = jifen("approve", "a1", "--by", "党工委", "--on", "2025-03-28",
                   "--unverified-reason", "支部委员会暂未改选，党工委直接核实", "--data", str(root))
    assert result.code == 0, result.stderr
    assert (root / "additions/b-a/2025-03.yaml").read_text("utf-8").endswith(
        "    status: approved\n"
        "    evidence: 签到表\n"
        "    approved_by: \"党工委\"\n"
        "    approved_on: 2025-03-28\n"
        "    unverified_reason: \"支部委员会暂未改选，党工委直接核实\"\n")
    assert result.stdout.splitlines()[0] == (
        f"已写入 {root}/additions/b-a/2025-03.yaml：a1 改为党工委审定（党工委，2025-03-28；"
        "未经支部核实：支部委员会暂未改选，党工委直接核实）。")
    assert branch_a.score("m01") == 82


@pytest.fixture
def closed_q3(branch_a: DataDir) -> DataDir:
    branch_a.member("m03", name="赵三", exempt={"from": "2025-07-01", "reason": "长期病休",
                                               "approved_on": "2025-06-20"})
    branch_a.events(events_file(event("d1", "K7", "2025-08-01", points=-3)),
                    name="b-a/2025-08.yaml")
    branch_a.additions(events_file(event("a1", "J3", "2025-09-02", status="declared"),
                                   event("a2", "J3", "2025-09-03", member="m02",
                                         status="verified"),
                                   event("a3", "J3", "2025-06-03", status="declared")),
                       name="b-a/2025-09.yaml")
    return branch_a


def test_close_reports_pending_additions_and_leaves_exempt_members_out(closed_q3: DataDir) -> None:
    result = jifen("close", "b-a", "2025-Q3", "--meeting", "2025-10-10", "--data",
                   str(closed_q3.root))
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines()[:4] == [
        f"已写入 {closed_q3.root}/closes/b-a/2025-Q3.yaml：2025-Q3 审定 2 名党员的积分"
        "（另有 1 名暂不列入积分制管理，不参加审定：m03 赵三），公示期 2025-10-10 至 2025-10-16。",
        "提醒：2 条加分尚待党工委审定，没有计入 2025-Q3 的积分（审定后自审定日期起计分）：",
        "  a1  m01 张一  J3  2025-09-02  个人申报",
        "  a2  m02 李二  J3  2025-09-03  支部核实"]


def test_a_record_counted_in_a_closed_quarter_is_corrected_not_voided(closed_q3: DataDir) -> None:
    closed_q3.close()
    before = snapshot(closed_q3.root)
    result = jifen("void", "d1", "--reason", "重复", "--data", str(closed_q3.root))
    assert (result.code, result.stderr) == (1, (
        "登记“d1”计入了已审定公布的 2025-Q3（支委会 2025-10-10 审定），不能再作废。请登记更正："
        "jifen correct d1 --date 今天的日期 --reason 原因。\n没有写入任何文件。\n"))
    assert snapshot(closed_q3.root) == before
    # a declaration the close did not count can still be voided
    assert jifen("void", "a1", "--reason", "重复申报", "--data", str(closed_q3.root)).code == 0
