"""``jifen member add|change|move|leave``: a member's year without hand-written YAML.

The member-file format with dates (``joined_on``, ``categories``, ``branches``,
``left``) is the data model's (issue 11, the model branch); until its validation lands,
validation here rejects the new keys (E202), so the commands that write them are
expected failures (strict: they start passing when it lands). What the commands refuse
before writing, and the text they would write, are tested here now."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from generator import edit, records
from generator.pipeline import check
from tests.support import REPO, TODAY, DataDir, Result, event, events_file, run
from tests.test_edit import snapshot

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "登记员", "GIT_AUTHOR_EMAIL": "r@example.invalid",
           "GIT_COMMITTER_NAME": "登记员", "GIT_COMMITTER_EMAIL": "r@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          env=GIT_ENV, check=True, timeout=60).stdout


def jifen(data: DataDir, *args: str) -> Result:
    return run(*args, "--data", "data", "--today", TODAY, cwd=data.root.parent)


MEMBER = """\
# 档案（手工维护，请保留注释）
id: m01
name: 张一
branch: b-a
category: probationary   # 2025 年入党
gender: 男
"""


@pytest.fixture
def members(data: DataDir) -> DataDir:
    data.write("members/b-a/m01.yaml", MEMBER)
    data.member("m02", name="李二")
    data.member("m09", name="张一", branch="b-b")  # a namesake
    data.events(events_file(event("e1", "K7", "2025-03-02", points=-2)), name="b-a/2025-03.yaml")
    return data


# --- the text the commands write (edit.py, records.py), without validation ---------------------

def test_the_implied_entry_starts_with_the_data(members: DataDir) -> None:
    """A file without history: the entry for the old value runs from joined_on, else the
    first date of the other history, else the first day of the data's earliest year."""
    dataset, _, _ = check(members.root, today=TODAY)
    names = {"what": "人员类别"}
    value = {"id": "m01", "category": "probationary"}
    assert records.history_items(dataset, value, "categories", "category", "full",
                                 "2025-06-15", names) == [
        [("from", "2025-01-01"), ("category", "probationary")],
        [("from", "2025-06-15"), ("category", "full")]]
    assert records.history_items(dataset, {**value, "joined_on": "2025-03-01"}, "categories",
                                 "category", "full", "2025-06-15", names)[0] == [
        ("from", "2025-03-01"), ("category", "probationary")]
    assert records.history_items(
        dataset, {**value, "branches": [{"from": "2025-02-01", "branch": "b-a"}]},
        "categories", "category", "full", "2025-06-15", names)[0] == [
        ("from", "2025-02-01"), ("category", "probationary")]
    assert records.history_items(dataset, {**value, "joined_on": "2025-06-15"}, "categories",
                                 "category", "full", "2025-06-15", names) == [
        [("from", "2025-06-15"), ("category", "full")]]


@pytest.mark.parametrize(("value", "on", "message"), [
    ({"id": "m01", "category": "full"}, "2025-06-15", "m01 的人员类别已经是“full”。"),
    ({"id": "m01", "category": "probationary", "joined_on": "2025-07-01"}, "2025-06-15",
     "变更日期 2025-06-15 早于 m01 的入册日期（joined_on）2025-07-01。"),
    ({"id": "m01", "category": "probationary",
      "categories": [{"from": "2025-08-01", "category": "probationary"}]}, "2025-08-01",
     "变更日期 2025-08-01 应晚于上一次变更的日期 2025-08-01（categories 中最后一项）。"
     "更早的变更请直接修改档案文件。"),
    ({"id": "m01", "category": "probationary", "left": {"date": "2025-05-01"}}, "2025-06-15",
     "m01 已于 2025-05-01 离开（left），不能再变更人员类别。"),
])
def test_history_refuses(members: DataDir, value: dict[str, object], on: str,
                         message: str) -> None:
    dataset, _, _ = check(members.root, today=TODAY)
    assert records.history_items(dataset, value, "categories", "category", "full", on,
                                 {"what": "人员类别"}) == message


def test_member_file_edits_keep_every_line() -> None:
    text = edit.set_keys(MEMBER, [("category", "full")])
    for item in ([("from", "2025-01-01"), ("category", "probationary")],
                 [("from", "2025-06-15"), ("category", "full")]):
        text = edit.append_item(text, "categories", item, branch="", flow=True)
    text = edit.add_mapping(text, "left", [("date", "2025-10-01"), ("reason", "transferred_out"),
                                           ("note", '"转往外省"')])
    assert text == (
        "# 档案（手工维护，请保留注释）\n"
        "id: m01\n"
        "name: 张一\n"
        "branch: b-a\n"
        "category: full   # 2025 年入党\n"
        "gender: 男\n"
        "categories:\n"
        "  - {from: 2025-01-01, category: probationary}\n"
        "  - {from: 2025-06-15, category: full}\n"
        "left:\n"
        "  date: 2025-10-01\n"
        "  reason: transferred_out\n"
        "  note: \"转往外省\"\n")
    with pytest.raises(edit.EditError, match="已经有“left”"):
        edit.add_mapping(text, "left", [("date", "2025-11-01")])


# --- the commands -------------------------------------------------------------------------------

def test_member_add(members: DataDir) -> None:
    result = jifen(members, "member", "add", "m10", "--name", "王十", "--branch", "b-b",
                   "--category", "入党积极分子", "--joined-on", "2025-09-01")
    assert result.code == 0, result.stderr
    assert (members.root / "members/b-b/m10.yaml").read_text("utf-8") == (
        "id: m10\nname: \"王十\"\nbranch: b-b\ncategory: activist\njoined_on: 2025-09-01\n")
    assert result.stdout.splitlines()[0] == (
        "已新建 data/members/b-b/m10.yaml：党员档案 m10 王十（乙公司党支部，入党积极分子，"
        "自 2025-09-01 起列入积分制管理）。")


def test_member_change_writes_the_implied_entry_first(members: DataDir) -> None:
    result = jifen(members, "member", "change", "m01", "--category", "full", "--on", "2025-06-15")
    assert result.code == 0, result.stderr
    assert (members.root / "members/b-a/m01.yaml").read_text("utf-8") == MEMBER.replace(
        "category: probationary", "category: full") + (
        "categories:\n"
        "  - {from: 2025-01-01, category: probationary}\n"
        "  - {from: 2025-06-15, category: full}\n")
    assert result.stdout.splitlines()[0] == (
        "已写入 data/members/b-a/m01.yaml：m01 张一 自 2025-06-15 起由预备党员改为正式党员"
        "（档案中补记：自 2025-01-01 起为预备党员）。")


def test_member_move_moves_the_file_and_git_takes_both(members: DataDir) -> None:
    repo = members.root.parent
    (repo / ".gitignore").write_bytes((REPO / ".gitignore").read_bytes())  # as in a fork
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "data")
    result = jifen(members, "member", "move", "m02", "--branch", "b-b", "--on", "2025-08-01")
    assert result.code == 0, result.stderr
    assert not (members.root / "members/b-a/m02.yaml").exists()
    moved = (members.root / "members/b-b/m02.yaml").read_text("utf-8")
    assert moved.endswith("branch: b-b\ncategory: full\nbranches:\n"
                          "  - {from: 2025-01-01, branch: b-a}\n"
                          "  - {from: 2025-08-01, branch: b-b}\n")
    commands = [line.strip() for line in result.stdout.splitlines()
                if line.startswith("  git ") and "push" not in line]
    assert commands[1] == "git add data/members/b-b/m02.yaml data/members/b-a/m02.yaml"
    for command in commands:
        subprocess.run(command, shell=True, cwd=repo, env=GIT_ENV, check=True, timeout=60,
                       capture_output=True)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(repo, "diff", "--name-only", "--no-renames", "main", "HEAD") == (
        "data/members/b-a/m02.yaml\ndata/members/b-b/m02.yaml\n")


def test_member_leave(members: DataDir) -> None:
    result = jifen(members, "member", "leave", "m02", "--on", "2025-10-01", "--reason", "转出",
                   "--note", "转往外省")
    assert result.code == 0, result.stderr
    assert (members.root / "members/b-a/m02.yaml").read_text("utf-8").endswith(
        "left:\n  date: 2025-10-01\n  reason: transferred_out\n  note: \"转往外省\"\n")


@pytest.mark.parametrize(("args", "code", "message"), [
    (["change", "张一", "--category", "full", "--on", "2025-06-15"], 2,
     "jifen: 有 2 名党员叫“张一”：m01（甲公司党支部）、m09（乙公司党支部）。请改用党员编号。"),
    (["change", "m77", "--category", "full", "--on", "2025-06-15"], 2,
     "jifen: 党员“m77”不存在。请核对编号或姓名（见 data/members/）。"),
    (["change", "李二", "--category", "full", "--on", "2025-06-15"], 1,
     "m02 的人员类别已经是“正式党员”。"),
    (["change", "m01", "--category", "party", "--on", "2025-06-15"], 2,
     "jifen member change：错误：参数 --category：人员类别应是 full（正式党员）、probationary（预备党员）、"
     "activist（入党积极分子） 之一：party"),
    (["move", "m02", "--branch", "b-zz", "--on", "2025-06-15"], 2,
     "jifen: 党支部“b-zz”不存在。请使用 data/organization.yaml 中的编号。"),
    (["move", "m02", "--branch", "b-a", "--on", "2025-06-15"], 1,
     "m02 的党支部已经是“甲公司党支部”。"),
    (["add", "m02", "--name", "x", "--branch", "b-a", "--category", "full", "--joined-on",
      "2025-01-01"], 1, "党员编号“m02”已被使用（data/members/b-a/m02.yaml）。请换一个编号。"),
    (["add", "M2", "--name", "x"], 2,
     "jifen member add：错误：参数 ID：党员编号只能用小写字母、数字、“.”“_”“-”，以字母或数字开头"
     "（不超过 64 个字符）：M2"),
    (["add", "m10", "--name", "x"], 2,
     "jifen: 缺少 --branch、--category、--joined-on。请在命令行中给出，或加上 -i 逐项填写。"),
    (["leave", "m02", "--on", "2025-10-01"], 2,
     "jifen: 缺少 --reason。请在命令行中给出，或加上 -i 逐项填写。"),
])
def test_member_commands_refuse(members: DataDir, args: list[str], code: int,
                                message: str) -> None:
    before = snapshot(members.root)
    result = jifen(members, "member", *args)
    assert (result.code, result.stderr.splitlines()[-1 if code == 2 else 0]) == (code, message)
    assert snapshot(members.root) == before


def test_leaving_twice_or_too_early_is_refused() -> None:
    assert records.leaving({"id": "m01", "left": {"date": "2025-10-01"}}, "2025-11-01") == (
        "m01 已经登记离开（2025-10-01）。")
    assert records.leaving({"id": "m01", "joined_on": "2025-10-01"}, "2025-09-01") == (
        "离开日期 2025-09-01 早于 m01 档案中最后的日期 2025-10-01（入册或变更）。")
