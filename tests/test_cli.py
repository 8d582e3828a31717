"""The ``jifen`` command: exact output and exit codes, run in this process
(``tests.support.run``); the console script itself, ``python -m generator`` and
``jifen serve`` (which runs until stopped) as real processes; and the shape of the
CLI: every command documented with an example, writing only through the write path."""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import build_parser
from tests.support import REPO, DataDir, Result, event, events_file, run
from tests.test_writers import read_until

JIFEN = Path(sys.executable).parent / "jifen"
PACKAGE = REPO / "generator"


def jifen(*args: str, cwd: Path | None = None) -> Result:
    return run(*args, cwd=cwd)


@pytest.fixture
def small(data: DataDir) -> DataDir:
    data.member("m01", name="张一")
    data.member("m02", name="李二", category="probationary")
    data.events(events_file(event("e1", "J6", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-5)))
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-01-10, title: 1月主题党日, "
                  "late: [m01]}\n")
    return data


# --- the console script ---------------------------------------------------------------------

def test_the_console_script_is_the_same_command(small: DataDir) -> None:
    """Installed, and what it prints and returns is what ``main`` prints and returns."""
    assert JIFEN.exists()
    small.events(events_file(event("e3", "K7", "2025-04-01", points=3)),
                 name="b-a/2025-04.yaml")
    argv = ("validate", "--data", "data", "--today", "2026-01-01")
    script = subprocess.run([str(JIFEN), *argv], capture_output=True, text=True,
                            cwd=small.root.parent, timeout=120, check=False)
    inside = jifen(*argv, cwd=small.root.parent)
    assert (script.returncode, script.stdout, script.stderr) == (
        inside.code, inside.stdout, inside.stderr)
    assert inside.code == 1 and "E401" in inside.stdout
    version = subprocess.run([str(JIFEN), "--version"], capture_output=True, text=True,
                             timeout=120, check=False)
    assert (version.returncode, version.stdout.split()[0]) == (0, "jifen")


def test_python_dash_m_is_the_same_command(small: DataDir) -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "validate", "--data",
                             str(small.root)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, "检查了 8 个文件，没有发现问题。\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_takes_today_from_the_option_and_stops_on_sigterm(small: DataDir) -> None:
    """``jifen serve --today``: the preview is written as of that day (not the clock's),
    and SIGTERM stops it like Ctrl+C does (exit 0)."""
    # the internal preview: it says “数据截至” (the public one shows 审定 quarters only)
    work = small.root.parent / ".data.jifen-serve" / "internal" / "docs"
    serving = subprocess.Popen([str(JIFEN), "serve", "--internal", "--data", str(small.root),
                                "--today", "2025-06-30", "--port", str(_free_port())],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        read_until(serving, "预览地址", timeout=120, stream="stderr")  # written, then served
        assert "数据截至 2025-06-30。" in (work / "index.md").read_text("utf-8")
        assert "数据截至 2025-06-30。" in (work / "members/m01/2025.md").read_text("utf-8")
        assert sorted(p.name for p in work.iterdir() if p.name[:2] == "20") == ["2025"]
    finally:
        serving.send_signal(signal.SIGTERM)
        _, stderr = serving.communicate(timeout=60)
    assert serving.returncode == 0, stderr
    assert stderr.rstrip().endswith("预览已停止。")


# --- the commands, in process ----------------------------------------------------------------

def test_validate_clean(small: DataDir) -> None:
    result = jifen("validate", "--data", "data", "--today", "2026-01-01", cwd=small.root.parent)
    assert (result.code, result.stdout, result.stderr) == (
        0, "检查了 8 个文件，没有发现问题。\n", "")


def test_validate_reports_every_error_and_exits_1(small: DataDir) -> None:
    small.events(events_file(event("e3", "K7", "2025-04-01", points=3),
                             event("e4", "J3", "2025-04-31")), name="b-a/2025-04.yaml")
    result = jifen("validate", "--data", "data", "--today", "2026-01-01", cwd=small.root.parent)
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "data/events/b-a/2025-04.yaml:6:13: E401 规则 K7（违反公司（企业）管理规定）是扣分项，"
        "分值应为负数，这里是 3。",
        "data/events/b-a/2025-04.yaml:10:11: E206 日期 2025-04-31 不存在。请核对年、月、日。",
        "data/events/b-a/2025-04.yaml:14:18: E206 日期 2025-04-31 不存在。请核对年、月、日。",
        "检查了 9 个文件：3 个错误，0 个警告。",
    ]


def test_validate_json(small: DataDir) -> None:
    small.member("m03", branch="b-flow")
    result = jifen("validate", "--data", str(small.root), "--format", "json")
    assert result.code == 0
    report = json.loads(result.stdout)
    assert (report["files"], report["errors"], report["warnings"]) == (9, 0, 1)
    assert report["diagnostics"][0]["code"] == "W101"
    assert report["diagnostics"][0]["severity"] == "warning"
    assert report["diagnostics"][0]["line"] == 3


def test_strict_fails_on_warnings(small: DataDir) -> None:
    small.member("m03", branch="b-flow")
    assert jifen("validate", "--data", str(small.root)).code == 0
    assert jifen("validate", "--data", str(small.root), "--strict").code == 1


def test_score_json(small: DataDir) -> None:
    result = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "year": 2025, "as_of": "2025-12-31",
        "members": [
            {"id": "m01", "name": "张一", "branch": "b-a", "category": "full", "score": 89,
             "flags": []},
            {"id": "m02", "name": "李二", "branch": "b-a", "category": "probationary",
             "score": 75, "flags": ["probation_cancelled"]},
        ]}


def test_score_as_of_defaults_to_today_within_the_year(small: DataDir) -> None:
    result = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json",
                   "--today", "2025-03-02")
    report = json.loads(result.stdout)
    assert report["as_of"] == "2025-03-02"
    assert [m["score"] for m in report["members"]] == [89, 75]


def test_score_table(small: DataDir) -> None:
    result = jifen("score", "--data", str(small.root), "--year", "2025", "--branch", "b-a")
    assert result.code == 0
    assert result.stdout == (
        "2025 年度积分（截至 2025-12-31），共 2 人\n\n"
        "编号  姓名  党支部        类别      积分  标记\n"
        "m01   张一  甲公司党支部  正式党员    89\n"
        "m02   李二  甲公司党支部  预备党员    75  取消预备党员资格\n")


def test_score_refuses_invalid_data(small: DataDir) -> None:
    small.member("m09", branch="b-zz")
    result = jifen("score", "--data", str(small.root), "--year", "2025")
    assert result.code == 1
    assert result.stdout == ""
    assert "E302" in result.stderr
    assert "数据有错误，无法计算积分；请先改正。" in result.stderr


def test_explain(small: DataDir) -> None:
    small.additions(events_file(event("e5", "J3", "2025-05-01", status="declared")),
                    name="b-a/2025-05.yaml")
    result = jifen("explain", "m01", "--data", str(small.root), "--year", "2025")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "张一（m01）  甲公司党支部  正式党员\n"
        "2025 年度积分明细（截至 2025-12-31）\n\n"
        "日期        编号  规则  事项                              分值  余额\n"
        "                        基础分                                    80\n"
        "2025-01-10  mt1   K1.3  迟到或早退 · 1月主题党日（迟到）    -1    79\n"
        "2025-03-01  e1    J6    参与完成重大技改项目               +10    89\n\n"
        "年度积分：89\n\n"
        "待审定的加分（尚未计分）：\n"
        "日期        编号  规则  分值  状态\n"
        "2025-05-01  e5    J3      +2  个人申报\n")


@pytest.mark.parametrize(("args", "message"), [
    (["explain", "m99", "--year", "2025"],
     "jifen: 党员“m99”不存在。请核对编号或姓名（见 data/members/）。\n"),
    (["score", "--year", "2025", "--branch", "b-zz"],
     "jifen: 党支部“b-zz”不存在。请使用 data/organization.yaml 中的编号。\n"),
    (["score", "--year", "2025", "--as-of", "2024-05-01"],
     "jifen: --as-of 2024-05-01 不在 2025 年度内。\n"),
])
def test_usage_errors_exit_2(small: DataDir, args: list[str], message: str) -> None:
    result = jifen(*args, "--data", str(small.root))
    assert (result.code, result.stderr) == (2, message)


def test_argparse_errors_exit_2_with_the_usage(small: DataDir) -> None:
    result = jifen("score", "--data", str(small.root), "--year", "2025", "--as-of", "2025-02-30")
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("用法：jifen score")
    assert result.stderr.endswith("jifen score：错误：参数 --as-of：日期应写成 YYYY-MM-DD：2025-02-30\n")


def test_missing_data_dir(tmp_path: Path) -> None:
    result = jifen("validate", "--data", str(tmp_path / "nowhere"))
    assert result.code == 2
    assert result.stderr == f"jifen: 找不到数据目录 {tmp_path / 'nowhere'}。请用 --data 指定数据目录。\n"


def test_a_repeated_run_replays_and_a_change_is_seen(small: DataDir) -> None:
    first = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    again = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    assert (again.code, again.stdout) == (first.code, first.stdout)
    small.events(events_file(event("e1", "J6", "2025-03-01"),
                             event("e2", "K7", "2025-03-02", member="m02", points=-4)))
    changed = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    assert json.loads(changed.stdout)["members"][1]["score"] == 76
    small.member("m02", name="李二", category="nobody")
    broken = jifen("score", "--data", str(small.root), "--year", "2025")
    assert broken.code == 1 and "E204" in broken.stderr


# --- the shape of the CLI ---------------------------------------------------------------------

def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
             ) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command and kind of command (``add event``), depth first."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*path, name), sub))
                found += commands(sub, (*path, name))
    return found


CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_every_command_has_a_chinese_description_and_an_example() -> None:
    """Like sqlite-utils' documentation test: each command and each kind of a command
    says in Chinese what it does, and ends its help with an example of itself; every
    option says what it is for."""
    walked = commands(build_parser())
    assert {" ".join(path) for path, _ in walked} == {
        "validate", "score", "explain", "build", "serve", "diff", "codeowners", "close",
        "add", "add event", "add meeting", "approve", "verify", "void",
        "correct", "object", "member", "member add", "member change", "member move",
        "member leave", "export", "export quarter", "export year", "form", "handbook",
        "supervise", "desk", "decap-config"}
    for path, parser in walked:
        name = " ".join(path)
        assert parser.description and CHINESE.search(parser.description), name
        assert parser.epilog and parser.epilog.startswith(f"示例：jifen {name}"), name
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                assert action.help and CHINESE.search(action.help), (name, action.dest)
        shown = jifen(*path, "--help")
        assert shown.code == 0, name
        assert parser.epilog in shown.stdout and parser.description[:20] in shown.stdout


def _calls(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every call in a module, by the called name or attribute."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            found.append((node.lineno, name))
    return found


def test_commands_write_only_through_the_write_path() -> None:
    """Data files through ``change.Session.finish`` (under the lock, after checking the
    whole data set); other files in one rename (``write_atomic``, ``write_file``): no
    command writes a file itself."""
    modules = [PACKAGE / "cli.py", PACKAGE / "options.py", PACKAGE / "change.py",
               *sorted(PACKAGE.glob("commands_*.py"))]
    assert len(modules) == 11
    for module in modules:
        for line, name in _calls(module):
            assert name not in ("write_text", "write_bytes", "open", "mkdir", "touch"), (
                f"{module.name}:{line}: {name}")
    writes = {module.name: {name for _, name in _calls(module)
                            if name in ("write_atomic", "write_file", "finish")}
              for module in modules}
    assert writes == {"cli.py": set(), "options.py": set(), "change.py": {"write_atomic"},
                      "commands_check.py": set(), "commands_site.py": set(),
                      "commands_review.py": {"write_atomic"},
                      "commands_edit.py": {"finish"}, "commands_amend.py": {"finish"},
                      "commands_member.py": {"finish"}, "commands_office.py": {"write_file"},
                      "commands_desk.py": {"write_atomic"}}


def test_the_cli_is_imported_by_nothing_in_the_package() -> None:
    """``cli`` assembles the families; the families never import it (nor each other)."""
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in ("cli", "__main__"):
            continue
        imported = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported |= {f"{node.module}.{a.name}" for a in node.names}
        assert "generator.cli" not in imported, path.name
        if path.stem.startswith("commands_"):
            families = {m for m in imported if m.startswith("generator.commands_")}
            assert families == set(), path.name


def test_the_in_process_runner_puts_back_what_it_replaces(small: DataDir,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``run`` replaces stdin, stdout and stderr only for the call, and the cwd."""
    before = (sys.stdin, sys.stdout, sys.stderr, os.getcwd())
    done = run("validate", "--data", "data", cwd=small.root.parent, stdin="ignored\n")
    assert done.code == 0
    assert (sys.stdin, sys.stdout, sys.stderr, os.getcwd()) == before


# --- Chinese throughout, today, names ---------------------------------------------------------

ENGLISH = re.compile(r"(?i)\b(usage|positional arguments|options:|optional arguments|"
                     r"show this help|error|argument|invalid|required|expected|unrecognized|"
                     r"choose from|ambiguous|not allowed)\b")


def test_every_help_is_chinese() -> None:
    """argparse's own words too: “用法：”, “位置参数”, “选项”, the help option."""
    for path, _ in [((), build_parser()), *commands(build_parser())]:
        shown = jifen(*path, "--help")
        assert shown.code == 0, path
        assert shown.stdout.startswith(f"用法：jifen {' '.join(path)}".rstrip()), path
        assert "选项:" in shown.stdout and "显示这段帮助并退出" in shown.stdout, path
        assert not ENGLISH.search(shown.stdout), (path, ENGLISH.search(shown.stdout))


@pytest.mark.parametrize(("args", "error"), [
    ([], "jifen：错误：缺少必填参数：命令"),
    (["nosuch"], "jifen：错误：参数 命令：无效的选择 'nosuch'（可选："),
    (["score", "--year", "x"], "jifen score：错误：参数 --year：应是整数：'x'"),
    (["score", "--year"], "jifen score：错误：参数 --year：后面缺少一个值"),
    (["validate", "--bogus"], "jifen：错误：无法识别的参数：--bogus。请用 --help 查看可用的参数"),
    (["close", "b-a"], "jifen close：错误：缺少必填参数：YYYY-Qn, --meeting"),
    (["diff", "main", "--format", "xml"],
     "jifen diff：错误：参数 --format：无效的选择 'xml'（可选：'text', 'markdown', 'json'）"),
    (["export", "quarter", "2025-Q1", "--out", "a.csv"],
     "jifen export quarter：错误：参数 --out：输出文件名应以 .xlsx 结尾：a.csv"),
])
def test_usage_errors_are_chinese(args: list[str], error: str) -> None:
    result = jifen(*args)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("用法：jifen")
    assert result.stderr.splitlines()[-1].startswith(error), result.stderr
    assert not ENGLISH.search(result.stderr), result.stderr


def test_jifen_today_is_the_default_of_today(small: DataDir) -> None:
    """A README or a script pins its day with ``JIFEN_TODAY``; ``--today`` still wins."""
    args = ("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    pinned = run(*args, env={"JIFEN_TODAY": "2025-03-02"})
    assert json.loads(pinned.stdout)["as_of"] == "2025-03-02"
    given = run(*args, "--today", "2025-04-01", env={"JIFEN_TODAY": "2025-03-02"})
    assert json.loads(given.stdout)["as_of"] == "2025-04-01"
    bad = run(*args, env={"JIFEN_TODAY": "2025-13-01"})
    assert (bad.code, bad.stderr) == (
        2, "jifen: 环境变量 JIFEN_TODAY 的值不对。日期应写成 YYYY-MM-DD：2025-13-01\n")


def test_explain_takes_a_name_and_defaults_to_this_year(small: DataDir) -> None:
    result = jifen("explain", "张一", "--data", str(small.root), "--today", "2025-06-30")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["张一（m01）  甲公司党支部  正式党员",
                                              "2025 年度积分明细（截至 2025-06-30）"]
    small.member("m03", name="张一", branch="b-b")
    result = jifen("explain", "张一", "--data", str(small.root), "--today", "2025-06-30")
    assert (result.code, result.stderr) == (
        2, "jifen: 有 2 名党员叫“张一”：m01（甲公司党支部）、m03（乙公司党支部）。请改用党员编号。\n")
    assert jifen("explain", "m03", "--data", str(small.root), "--today", "2025-06-30").code == 0
