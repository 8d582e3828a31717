"""The ``jifen`` console script, run as a user runs it: exact output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import build_parser
from tests.support import DataDir, event, events_file

JIFEN = Path(sys.executable).parent / "jifen"


def jifen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)


@pytest.fixture
def small(data: DataDir) -> DataDir:
    data.member("m01", name="张一")
    data.member("m02", name="李二", category="probationary")
    data.events(events_file(event("e1", "J6", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-5)))
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-01-10, title: 1月主题党日, "
                  "late: [m01]}\n")
    return data


def test_console_script_is_installed() -> None:
    assert JIFEN.exists()


def test_validate_clean(small: DataDir) -> None:
    result = jifen("validate", "--data", "data", "--today", "2026-01-01", cwd=small.root.parent)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "检查了 7 个文件，没有发现问题。\n", "")


def test_validate_reports_every_error_and_exits_1(small: DataDir) -> None:
    small.events(events_file(event("e3", "K7", "2025-04-01", points=3),
                             event("e4", "J3", "2025-04-31")), name="b-a/2025-04.yaml")
    result = jifen("validate", "--data", "data", "--today", "2026-01-01", cwd=small.root.parent)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "data/events/b-a/2025-04.yaml:6:13: E401 规则 K7（违反公司（企业）管理规定）是扣分项，"
        "分值应为负数，这里是 3。",
        "data/events/b-a/2025-04.yaml:10:11: E206 日期 2025-04-31 不存在。请核对年、月、日。",
        "data/events/b-a/2025-04.yaml:14:18: E206 日期 2025-04-31 不存在。请核对年、月、日。",
        "检查了 8 个文件：3 个错误，0 个警告。",
    ]


def test_validate_json(small: DataDir) -> None:
    small.member("m03", branch="b-flow")
    result = jifen("validate", "--data", str(small.root), "--format", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert (report["files"], report["errors"], report["warnings"]) == (8, 0, 1)
    assert report["diagnostics"][0]["code"] == "W101"
    assert report["diagnostics"][0]["severity"] == "warning"
    assert report["diagnostics"][0]["line"] == 3


def test_strict_fails_on_warnings(small: DataDir) -> None:
    small.member("m03", branch="b-flow")
    assert jifen("validate", "--data", str(small.root)).returncode == 0
    assert jifen("validate", "--data", str(small.root), "--strict").returncode == 1


def test_score_json(small: DataDir) -> None:
    result = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    assert result.returncode == 0, result.stderr
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
    assert result.returncode == 0
    assert result.stdout == (
        "2025 年度积分（截至 2025-12-31），共 2 人\n\n"
        "编号  姓名  党支部        类别      积分  标记\n"
        "m01   张一  甲公司党支部  正式党员    89\n"
        "m02   李二  甲公司党支部  预备党员    75  取消预备党员资格\n")


def test_score_refuses_invalid_data(small: DataDir) -> None:
    small.member("m09", branch="b-zz")
    result = jifen("score", "--data", str(small.root), "--year", "2025")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "E302" in result.stderr
    assert "数据有错误，无法计算积分；请先改正。" in result.stderr


def test_explain(small: DataDir) -> None:
    small.additions(events_file(event("e5", "J3", "2025-05-01", status="declared")),
                    name="b-a/2025-05.yaml")
    result = jifen("explain", "m01", "--data", str(small.root), "--year", "2025")
    assert result.returncode == 0, result.stderr
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
    (["explain", "m99", "--year", "2025"], "jifen: 党员“m99”不存在。请核对编号（见 data/members/）。\n"),
    (["score", "--year", "2025", "--branch", "b-zz"],
     "jifen: 党支部“b-zz”不存在。请使用 data/organization.yaml 中的编号。\n"),
    (["score", "--year", "2025", "--as-of", "2024-05-01"],
     "jifen: --as-of 2024-05-01 不在 2025 年度内。\n"),
])
def test_usage_errors_exit_2(small: DataDir, args: list[str], message: str) -> None:
    result = jifen(*args, "--data", str(small.root))
    assert (result.returncode, result.stderr) == (2, message)


def test_missing_data_dir(tmp_path: Path) -> None:
    result = jifen("validate", "--data", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr == f"jifen: 找不到数据目录 {tmp_path / 'nowhere'}。请用 --data 指定数据目录。\n"


def test_python_dash_m_is_the_same_command(small: DataDir) -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "validate", "--data",
                             str(small.root)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, "检查了 7 个文件，没有发现问题。\n")


def test_every_command_has_help_with_an_example() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) == {"validate", "score", "explain", "build", "serve", "diff",
                             "codeowners", "close", "add", "approve", "verify", "void",
                             "export", "form"}
    for name, sub in commands.items():
        assert sub.description, name
        assert sub.epilog and sub.epilog.startswith(f"示例：jifen {name}"), name
        result = jifen(name, "--help")
        assert result.returncode == 0
        assert sub.epilog in result.stdout


def test_a_repeated_run_replays_and_a_change_is_seen(small: DataDir) -> None:
    first = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    again = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    small.events(events_file(event("e1", "J6", "2025-03-01"),
                             event("e2", "K7", "2025-03-02", member="m02", points=-4)))
    changed = jifen("score", "--data", str(small.root), "--year", "2025", "--format", "json")
    assert json.loads(changed.stdout)["members"][1]["score"] == 76
    small.member("m02", name="李二", category="nobody")
    broken = jifen("score", "--data", str(small.root), "--year", "2025")
    assert broken.returncode == 1 and "E204" in broken.stderr
