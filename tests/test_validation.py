"""One test per diagnostic code, each with the exact message a registrar sees.

Paths are shown relative to the data directory; line and column are 1-based.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from generator.errors import MESSAGES
from tests.cases_fixture import laggard_data, write_case
from tests.support import DataDir, event, events_file

# --- files and YAML -------------------------------------------------------------------------


def test_e100_not_utf8(data: DataDir) -> None:
    data.member()
    (data.root / "events/b-a").mkdir(parents=True)
    (data.root / "events/2025-03.yaml").write_bytes("events: # 张".encode("gbk"))
    assert data.lines() == [
        "events/2025-03.yaml:1:1: E100 无法读取文件：第 11 个字节不是 UTF-8 编码。"
        "请确认文件存在并以 UTF-8 编码保存。"]


def test_e101_yaml_syntax(data: DataDir) -> None:
    data.member()
    data.events("events:\n  - id: e1\n    member m01\n    rule: J3\n")
    assert data.lines() == [
        "events/2025-03.yaml:4:5: E101 YAML 格式错误：缺少冒号“:”，或上一行的引号没有闭合。"
        "请检查这一行的缩进、冒号和引号。"]


def test_e101_tab_indentation(data: DataDir) -> None:
    data.member()
    data.events("events:\n\t- id: e1\n")
    assert data.lines() == [
        "events/2025-03.yaml:2:1: E101 YAML 格式错误：出现了不能作为开头的字符（常见原因：用了 Tab "
        "缩进，请改用空格）。请检查这一行的缩进、冒号和引号。"]


def test_e102_duplicate_key(data: DataDir) -> None:
    data.write("members/b-a/m01.yaml", "id: m01\nname: 张一\nbranch: b-a\ncategory: full\n"
                                       "name: 张二\n")
    assert data.lines() == [
        "members/b-a/m01.yaml:5:1: E102 字段“name”在同一处写了两次。请删除多余的一个。"]


def test_e103_file_name_differs_from_id(data: DataDir) -> None:
    data.write("members/b-a/m1.yaml", "id: m01\nname: 张一\nbranch: b-a\ncategory: full\n")
    assert data.lines() == [
        "members/b-a/m1.yaml:1:5: E103 文件名与编号不符：文件名是“m1.yaml”，编号（id）是“m01”。"
        "请把文件改名为 m01.yaml，或改正编号。"]


def test_e104_missing_organization(data: DataDir) -> None:
    (data.root / "organization.yaml").unlink()
    assert data.lines() == [
        "organization.yaml:1:1: E104 缺少文件 organization.yaml：每个数据目录都要有 "
        "organization.yaml，登记党工委和各党支部。"]


def test_e104_missing_rules(data: DataDir) -> None:
    for catalogue in (data.root / "rules").iterdir():
        catalogue.unlink()
    assert data.lines() == [
        "rules:1:1: E104 缺少文件 rules/：rules/ 中至少要有一个积分标准文件，例如 rules/enterprise.yaml。"]


# --- limits and hazards: what a data file may not hold --------------------------------------

def test_e105_file_too_large(data: DataDir) -> None:
    data.member()
    data.events("events:\n" + "  - id: e1\n    note: 很长的备注\n" * 120_000)
    assert data.lines() == [
        "events/2025-03.yaml:1:1: E105 文件太大：一个数据文件最多 2 MB。请把登记分成几个文件，"
        "例如每月一个文件。"]


def test_e106_alias(data: DataDir) -> None:
    """A billion-laughs bomb of a few hundred bytes is refused at its first anchor."""
    data.member()
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
        for i in range(9))
    data.events("events: []\n" + bomb)
    assert data.lines() == [
        "events/2025-03.yaml:2:4: E106 数据文件不能使用 YAML 的锚点和别名（这里是锚点“&a”）。"
        "请把内容直接写出来。"]


def test_e106_recursive_alias(data: DataDir) -> None:
    data.member()
    data.events("events: *a\n")
    data.write("events/2025-04.yaml", "events: &a [*a]\n")
    assert data.lines() == [
        "events/2025-03.yaml:1:9: E106 数据文件不能使用 YAML 的锚点和别名（这里是别名“*a”）。"
        "请把内容直接写出来。",
        "events/2025-04.yaml:1:9: E106 数据文件不能使用 YAML 的锚点和别名（这里是锚点“&a”）。"
        "请把内容直接写出来。"]


def test_e107_nesting_too_deep(data: DataDir) -> None:
    data.member()
    data.events("events:\n" + "- " * 3000 + "x\n")
    assert data.lines() == [
        "events/2025-03.yaml:2:63: E107 列表和映射嵌套超过 32 层。数据文件用不到这么深的嵌套，"
        "请检查缩进。"]


def test_e108_value_too_long(data: DataDir) -> None:
    data.member(name="张" * 20_001)
    assert data.lines() == [
        "members/b-a/m01.yaml:2:7: E108 这个值有 20001 个字符，超过了 20000 个字符的上限。请缩短；"
        "长篇材料请存档，这里只写名称和编号。"]


def test_e109_explicit_tags(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points="!!int abc")))
    data.write("events/2025-04.yaml", "events: !!binary aGVsbG8=\n")
    data.write("events/2025-05.yaml", "events: !foo [x]\n")
    assert data.lines() == [
        "events/2025-03.yaml:6:13: E109 数据文件不能使用 YAML 标签（这里是“!!int”）。请删除标签；"
        "要写文字时，请加上英文引号，例如 \"007\"。",
        "events/2025-04.yaml:1:9: E109 数据文件不能使用 YAML 标签（这里是“!!binary”）。请删除标签；"
        "要写文字时，请加上英文引号，例如 \"007\"。",
        "events/2025-05.yaml:1:9: E109 数据文件不能使用 YAML 标签（这里是“!foo”）。请删除标签；"
        "要写文字时，请加上英文引号，例如 \"007\"。"]


def test_e110_integer_too_long(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points="-" + "9" * 5000)))
    assert data.lines() == [
        "events/2025-03.yaml:6:13: E110 数字太长：整数最多 18 位。请核对；要写编号等文字时，"
        "请加上英文引号。"]


def test_e111_invisible_characters(data: DataDir) -> None:
    """A right-to-left override in a name, a zero-width space in an id: refused where they are."""
    data.member(name="张\u202e三")
    data.member("m02", name="李四")
    data.events(events_file(event("e1\u200b", "K7", "2025-03-01", member="m02", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:2:9: E111 这里有看不见的字符（U+200B 零宽空格），它会让文字看起来与实际不同。"
        "请删除后重新输入这一处。",
        "members/b-a/m01.yaml:2:7: E111 这里有看不见的字符（U+202E 从右至左覆盖），它会让文字看起来与"
        "实际不同。请删除后重新输入这一处。"]


def test_e112_too_many_values(data: DataDir) -> None:
    data.member()
    data.events("events: [" + ", ".join(["{}"] * 200_001) + "]\n")
    assert data.lines() == [
        "events/2025-03.yaml:1:799998: E112 文件中的值超过 200000 个。请把登记分成几个文件，"
        "例如每月一个文件。"]


def test_e113_not_a_regular_file(data: DataDir, tmp_path: Path) -> None:
    """Never followed, never read: a link to a file outside the data, a link to a folder,
    a named pipe (which would block a read forever)."""
    data.member()
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    (data.root / "events").mkdir()
    (data.root / "events/2025-03.yaml").symlink_to(secret)
    (data.root / "members/b-b").symlink_to(tmp_path)
    os.mkfifo(data.root / "events/2025-04.yaml")
    lines = data.lines()
    assert lines == [
        "events/2025-03.yaml:1:1: E113 这里不是普通文件（符号链接），不会读取它的内容。数据目录中只能"
        "放普通文件：请删除它，或换成文件本身。",
        "events/2025-04.yaml:1:1: E113 这里不是普通文件（命名管道），不会读取它的内容。数据目录中只能"
        "放普通文件：请删除它，或换成文件本身。",
        "members/b-b:1:1: E113 这里不是普通文件（符号链接），不会读取它的内容。数据目录中只能放普通"
        "文件：请删除它，或换成文件本身。"]
    assert "root" not in "".join(lines)


def test_e114_too_many_problems(data: DataDir) -> None:
    data.member()
    data.events("events:\n" + "  - note: x\n" * 200)
    lines = data.lines()
    assert 1 < len(lines) <= 101
    assert lines[0] == ("events/2025-03.yaml:1:1: E114 这个文件还有更多问题没有列出（每个文件最多"
                        "列出 100 个）。请先改正已列出的问题。")


def test_w109_data_like_files_that_would_be_ignored(data: DataDir) -> None:
    data.member()
    data.write("events/b-a/2025-03.yml", "events: []\n")
    data.write("events/b-a/2025-04.YAML", "events: []\n")
    data.write("event/b-a/2025-05.yaml", "events: []\n")
    data.write("rules/old/enterprise.yaml", "rules: []\n")
    data.write("notes.md", "不是数据\n")
    folders = ("organization.yaml、policy.yaml、rules/、members/、meetings/、events/、additions/、"
               "closes/、objections/、cases/、nominations/")
    assert data.lines() == [
        f"event/b-a/2025-05.yaml:1:1: W109 这个文件不会被读取：它不在数据目录的任何一个数据文件夹中。"
        f"数据文件夹有：{folders}；请把它移到对应的文件夹，不是数据就请移出数据目录。",
        "events/b-a/2025-03.yml:1:1: W109 这个文件不会被读取：扩展名是“.yml”，数据文件的扩展名须是小写的"
        "“.yaml”。请把它改名为 2025-03.yaml。",
        "events/b-a/2025-04.YAML:1:1: W109 这个文件不会被读取：扩展名是“.YAML”，数据文件的扩展名须是小写的"
        "“.yaml”。请把它改名为 2025-04.yaml。",
        f"rules/old/enterprise.yaml:1:1: W109 这个文件不会被读取：它不在数据目录的任何一个数据文件夹中。"
        f"数据文件夹有：{folders}；请把它移到对应的文件夹，不是数据就请移出数据目录。"]

def test_e120_file_name_not_utf8(data: DataDir) -> None:
    data.member()
    (data.root / "events").mkdir()
    (data.root / "events" / os.fsdecode(b"2025-03\xb1.yaml")).write_text(
        events_file(event("e1", "J3", "2025-03-01")), "utf-8")
    assert data.lines() == [
        "events/2025-03\\xb1.yaml:1:1: E120 文件名不是 UTF-8 编码：" + str(data.root)
        + "/events/2025-03\\xb1.yaml（无法识别的字节写成了 \\xNN）。这个文件没有读取。"
        "请把它改名为 UTF-8 编码的文件名（例如用 git mv 改名）后再提交。"]


# --- schema ---------------------------------------------------------------------------------

def test_e201_required(data: DataDir) -> None:
    data.write("members/b-a/m01.yaml", "id: m01\nname: 张一\nbranch: b-a\n")
    assert data.lines() == [
        "members/b-a/m01.yaml:1:1: E201 缺少必填字段“category”（现在的人员类别：full 正式党员，"
        "probationary 预备党员，activist 入党积极分子）。请补上。"]


def test_e201_required_deep_in_a_record(data: DataDir) -> None:
    data.member()
    data.events("events:\n  - id: e1\n    member: m01\n    date: 2025-03-01\n")
    assert data.lines() == [
        "events/2025-03.yaml:2:5: E201 缺少必填字段“rule”（规则编号，见 data/rules/，"
        "例如 J3（志愿服务加2分）或 K7（违反企业管理规定））。请补上。"]


def test_e202_unknown_key(data: DataDir) -> None:
    data.member(phone="13800000000")
    assert data.lines() == [
        "members/b-a/m01.yaml:5:1: E202 未知字段“phone”。请检查拼写；这里允许的字段有：id、name、"
        "branch、category、gender、joined、education、posts、transfer_to、exempt、joined_on、"
        "categories、branches、left。"]


def test_e203_yaml_trap_no(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", member="no", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:3:13: E203 字段“member”应为文字，这里是真假值 “no”。"
        "YAML 会把 no、yes、on、off 读成真假值，把 007 读成数字 7：请给它加上英文引号，例如 \"007\"。"]


def test_e203_yaml_trap_octal(data: DataDir) -> None:
    data.write("members/b-a/007.yaml", "id: 007\nname: 张一\nbranch: b-a\ncategory: full\n")
    assert data.lines() == [
        "members/b-a/007.yaml:1:5: E203 字段“id”应为文字，这里是数字 “007”。"
        "YAML 会把 no、yes、on、off 读成真假值，把 007 读成数字 7：请给它加上英文引号，例如 \"007\"。"]


def test_e203_points_with_unit(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points="-2分")))
    assert data.lines() == [
        "events/2025-03.yaml:6:13: E203 字段“points”应为整数，这里是文字 “-2分”。"
        "分值请只写整数，例如 -5 或 2。"]


def test_e204_enum(data: DataDir) -> None:
    data.member(category="member")
    assert data.lines() == [
        "members/b-a/m01.yaml:4:11: E204 字段“category”的值 “member” 不在允许范围内。"
        "可选的值：full、probationary、activist。"]


def test_e205_date_format(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025/03/01", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:5:11: E205 字段“date”的格式不对：“2025/03/01”。"
        "日期请写成 YYYY-MM-DD，例如 2025-03-05。"]


def test_e205_id_format(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("Ev 1", "K7", "2025-03-01", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:2:9: E205 字段“id”的格式不对：“Ev 1”。编号只能用小写英文字母、数字、"
        "点、下划线和连字符，以字母或数字开头，最多 64 个字符，例如 m01、b-a。"]


def test_e206_date_does_not_exist(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-02-30", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:5:11: E206 日期 2025-02-30 不存在。请核对年、月、日。"]


def test_e207_empty_value(data: DataDir) -> None:
    data.member(name="")
    assert data.lines() == ["members/b-a/m01.yaml:2:7: E207 字段“name”不能为空。"]


def test_e208_other_constraint(data: DataDir) -> None:
    data.write("policy.yaml", "base: -5\n")
    assert data.lines() == ["policy.yaml:1:7: E208 字段“base”不符合要求：不能小于 0。"]


# --- references and identity ------------------------------------------------------------------

def test_e301_duplicate_event_id(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2)))
    data.events(events_file(event("e1", "K7", "2025-04-01", points=-2)), name="b-a/2025-04.yaml")
    assert data.lines() == [
        f"events/b-a/2025-04.yaml:2:9: E301 编号“e1”重复：{data.root}/events/2025-03.yaml "
        "已经使用了这个登记编号。请换一个不重复的编号。"]


def test_e301_duplicate_member_id(data: DataDir) -> None:
    data.member()
    data.write("members/b-b/m01.yaml", "id: m01\nname: 张一\nbranch: b-b\ncategory: full\n")
    assert data.lines() == [
        f"members/b-b/m01.yaml:1:5: E301 编号“m01”重复：{data.root}/members/b-a/m01.yaml "
        "已经使用了这个党员编号。请换一个不重复的编号。"]


def test_e302_unknown_branch(data: DataDir) -> None:
    data.member(branch="b-x")
    assert data.lines() == [
        "members/b-x/m01.yaml:3:9: E302 党支部“b-x”不存在。请使用 data/organization.yaml 中登记的党支部编号。"]


def test_e303_unknown_member(data: DataDir) -> None:
    data.events(events_file(event("e1", "K7", "2025-03-01", member="m99", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:3:13: E303 党员“m99”不存在。请核对编号，或先在 data/members/ 中建立该党员的档案。"]


def test_no_cascade_for_a_member_whose_file_is_broken(data: DataDir) -> None:
    data.member(category="member")
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2)))
    assert [line.split(": ")[1].split()[0] for line in data.lines()] == ["E204"]


def test_e304_unknown_rule(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K11", "2025-03-01", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:4:11: E304 规则“K11”不存在于《党员积分量化管理标准（企业）》中。"
        "请核对 data/rules/ 中的规则编号。"]


def test_e305_rule_not_in_force(data: DataDir) -> None:
    catalogue = (data.root / "rules/enterprise.yaml").read_text("utf-8")
    data.write("rules/enterprise.yaml", catalogue.replace(
        "    points: 2\n    text: 积极参与", "    points: 2\n    from: 2025-06-01\n    text: 积极参与"))
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01")))
    assert data.lines() == [
        "events/2025-03.yaml:5:11: E305 规则“J3”在 2025-03-01 不在有效期内（有效期：2025-06-01 至 今）。"
        "请核对日期。"]


def test_e306_unknown_general_branch(data: DataDir) -> None:
    text = (data.root / "organization.yaml").read_text("utf-8")
    data.write("organization.yaml", text.replace("general_branch: gb1", "general_branch: gb9"))
    assert data.lines() == [
        "organization.yaml:5:63: E306 党总支“gb9”不存在。请先在 data/organization.yaml 的 "
        "general_branches 中登记。"]


def test_e307_transfer_to_outside_flowing_branch(data: DataDir) -> None:
    data.member(transfer_to="b-v1")
    assert data.lines() == [
        "members/b-a/m01.yaml:5:14: E307 只有流动党支部的党员才填写 transfer_to（拟转入的村(居)党支部）。"
        "请删除这个字段。"]


def test_e308_transfer_to_not_a_village(data: DataDir) -> None:
    data.member(branch="b-flow", transfer_to="b-a")
    assert data.lines() == [
        "members/b-flow/m01.yaml:5:14: E308 transfer_to 应是村(居)党支部（kind: village），"
        "“b-a”是企业党支部。"]


def test_e309_event_in_another_branchs_file(data: DataDir) -> None:
    data.member(branch="b-b")
    data.events("branch: b-a\n" + events_file(event("e1", "K7", "2025-03-01", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:4:13: E309 本文件只登记党支部“b-a”的党员的积分，但m01（党员m01）"
        "属于党支部“b-b”。请把它移到该支部的文件中。"]


def test_e311_folder_and_branch_key_disagree(data: DataDir) -> None:
    data.member()
    data.events("branch: b-a\n" + events_file(event("e1", "K7", "2025-03-01", points=-2)),
                name="b-b/2025-03.yaml")
    lines = data.lines()
    assert lines[0] == ("events/b-b/2025-03.yaml:1:9: E311 文件在党支部“b-b”的文件夹中，但 branch 写的是"
                        "“b-a”。请把文件移到 b-a 的文件夹，或改正 branch。")


def test_e312_member_file_in_another_branchs_folder(data: DataDir) -> None:
    data.write("members/b-b/m01.yaml", "id: m01\nname: 张三\nbranch: b-a\ncategory: full\n")
    assert data.lines() == [
        "members/b-b/m01.yaml:3:9: E312 党员档案在党支部“b-b”的文件夹中，但 branch 是“b-a”。"
        "请把文件移到 members/b-a/（转出转入时须同时移动文件）。"]


def test_e413_addition_in_a_branchs_events_folder(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01", evidence="签到表", status="approved",
                                  approved_by="党工委", approved_on="2025-03-02")),
                name="b-a/2025-03.yaml")
    assert data.lines() == [
        "events/b-a/2025-03.yaml:4:11: E413 加分须登记在 data/additions/b-a/ 中，由党工委审核"
        "（见 jifen codeowners）；data/events/ 只登记扣分。请把这条登记移过去，或用 jifen add event 登记。"]
    (data.root / "events/b-a/2025-03.yaml").rename(data.root / "events/2025-03.yaml")
    assert data.lines() == []  # outside a branch folder: the office's own files


def test_e310_unknown_veto_rule(data: DataDir) -> None:
    data.write("policy.yaml", "veto_rules: [K4.1, K99]\n")
    assert data.lines() == [
        "policy.yaml:1:20: E310 一票否决规则“K99”不存在于任何积分标准中。请核对 data/policy.yaml 的 veto_rules。"]


# --- points and status --------------------------------------------------------------------------

def test_e401_wrong_sign(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points=3)))
    assert data.lines() == [
        "events/2025-03.yaml:6:13: E401 规则 K7（违反公司（企业）管理规定）是扣分项，分值应为负数，"
        "这里是 3。"]


def test_e402_out_of_range(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-6)))
    assert data.lines() == [
        "events/2025-03.yaml:6:13: E402 规则 K7（违反公司（企业）管理规定）的分值应在 -5 到 -2 之间，"
        "这里是 -6。"]


def test_e403_fixed_value_mismatch(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01", points=3)))
    assert data.lines() == [
        "events/2025-03.yaml:6:13: E403 规则 J3（积极参与水环境整治和创卫整治等志愿服务）的分值固定为 2，"
        "这里是 3。可以不填 points。"]


def test_e404_points_required_for_a_range(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K5", "2025-03-01")))
    assert data.lines() == [
        "events/2025-03.yaml:2:5: E404 规则 K5（侵占企业集体资产或挪用集体资金）的分值是 -20 到 -10 "
        "的范围，请用 points 填写本次的分值。"]


def test_e405_evidence_required(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01", evidence="")).replace(
        '    evidence: \n', ""))
    assert data.lines() == [
        "events/2025-03.yaml:2:5: E405 加分须有书面记录依据：请填写 evidence（例如：志愿服务签到表 "
        "2025-03-05）。"]


def test_e406_once_per_year(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K2.1", "2025-03-01"), event("e2", "K2.1", "2025-09-01"),
                            event("e3", "K2.1", "2026-01-05")))
    assert data.lines() == [
        "events/2025-03.yaml:8:11: E406 规则 K2.1（无故不执行党组织决定决议）每年只计一次，m01 在 2025 "
        "年已有登记“e1”。如确属重复，请删除其中一条，或将其作废（status: void，并填写 void_reason）。"]


def test_e407_status_of_the_wrong_kind(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2, status="approved")))
    assert data.lines() == [
        "events/2025-03.yaml:7:13: E407 扣分项的状态不能是“approved”。扣分由支部登记，状态为 "
        "registered（可不填），作废用 void。"]


def test_e408_addition_without_status(data: DataDir) -> None:
    data.member()
    data.events("events:\n  - {id: e1, member: m01, rule: J3, date: 2025-03-01, evidence: 签到表}\n")
    assert data.lines() == [
        "events/2025-03.yaml:2:5: E408 加分须填写状态 status：declared（个人申报）、verified（支部核实）"
        "或 approved（党工委审定）。"]


def test_e409_void_without_reason(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2, status="void")))
    assert data.lines() == [
        "events/2025-03.yaml:7:13: E409 作废的登记须填写作废原因 void_reason。"]


def test_e411_approved_addition_names_approver_and_date(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01", approved_by="党工委")).replace(
        "    approved_on: 2025-03-01\n", ""))
    assert data.lines() == [
        "events/2025-03.yaml:6:13: E411 党工委审定的加分须写明审定人和审定日期：请填写 approved_by 和 "
        "approved_on。"]


def test_e412_approved_before_the_event(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01", approved_on="2025-02-20")))
    assert data.lines() == [
        "events/2025-03.yaml:7:18: E412 审定日期 2025-02-20 早于登记日期 2025-03-01。请核对。"]


def test_e410_attendance_rule_typed_by_hand(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K1.1", "2025-03-01")))
    assert data.lines() == [
        "events/2025-03.yaml:4:11: E410 规则 K1.1（无故不参加党组织学习活动）由会议考勤自动计算，"
        "不能手工登记。请在 data/meetings/ 的会议中登记缺席、请假、迟到或早退。"]


# --- dates and scope --------------------------------------------------------------------------

def test_e501_future_date(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2)))
    assert data.lines(today="2025-02-28") == [
        "events/2025-03.yaml:5:11: E501 日期 2025-03-01 晚于今天（2025-02-28），不能登记未来的事项。"
        "请核对日期。"]


EXEMPT = {"from": "2025-01-01", "reason": "长期卧床", "approved_on": "2024-12-20"}


def test_e502_event_for_an_exempt_member(data: DataDir) -> None:
    data.member(exempt=EXEMPT)
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2)))
    assert data.lines() == [
        "events/2025-03.yaml:5:11: E502 m01（党员m01）自 2025-01-01 起暂不列入积分制管理，"
        "2025-03-01 不能登记积分。"]


def test_e502_attendance_of_an_exempt_member(data: DataDir) -> None:
    data.member(exempt=EXEMPT)
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-03-01, title: 3月, absent: [m01]}\n")
    assert data.lines() == [
        "meetings/b-a/2025.yaml:2:66: E502 m01（党员m01）自 2025-01-01 起暂不列入积分制管理，"
        "2025-03-01 不能登记考勤。"]


def test_e503_attendance_of_another_branchs_member(data: DataDir) -> None:
    data.member(branch="b-b")
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-03-01, title: 3月, late: [m01]}\n")
    assert data.lines() == [
        "meetings/b-a/2025.yaml:2:64: E503 m01（党员m01）属于党支部“b-b”，不是本次会议的党支部“b-a”。"]


def test_e504_listed_twice_in_a_meeting(data: DataDir) -> None:
    data.member()
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-03-01, title: 3月, "
                  "absent: [m01], leave: [m01]}\n")
    assert data.lines() == [
        "meetings/b-a/2025.yaml:2:80: E504 m01 在同一次会议中同时列在 缺席（absent） 和 请假（leave） 中。"
        "请只保留一处。"]


def test_e505_exemption_ends_before_it_starts(data: DataDir) -> None:
    data.member(exempt={**EXEMPT, "until": "2024-06-30"})
    assert data.lines() == [
        "members/b-a/m01.yaml:9:10: E505 暂不列入积分制管理的截止日期 2024-06-30 早于开始日期 2025-01-01。"]


# --- membership with dates: joining, category and branch changes, leaving --------------------

def test_e506_a_record_dated_before_joining(data: DataDir) -> None:
    data.member(joined_on="2025-07-01")
    data.events(events_file(event("e1", "K7", "2025-06-20", points=-2)), name="b-a/2025-06.yaml")
    assert data.lines() == [
        "events/b-a/2025-06.yaml:5:11: E506 m01（党员m01）在 2025-06-20 不在积分制管理范围内：自 2025-07-01 起才列入积分制管理（joined_on）。这一天的积分不能登记给该党员。请核对日期和党员；如档案有误，请改正档案中的 joined_on 或 left。",
    ]


def test_e506_attendance_after_leaving(data: DataDir) -> None:
    data.member(left={"date": "2025-09-01", "reason": "transferred_out", "note": "转往外省"})
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-09-10, title: 9月主题党日,"
                  " absent: [m01]}\n")
    assert data.lines() == [
        "meetings/b-a/2025.yaml:2:70: E506 m01（党员m01）在 2025-09-10 不在积分制管理范围内：自 2025-09-01 起已不再列入积分制管理（left：转出）。这一天的会议考勤不能登记给该党员。请核对日期和党员；如档案有误，请改正档案中的 joined_on 或 left。",
    ]


def test_e507_history_not_ending_in_the_current_value(data: DataDir) -> None:
    data.member(category="full", categories=[{"from": "2025-01-01", "category": "activist"},
                                             {"from": "2025-09-01", "category": "probationary"}])
    assert data.lines() == [
        "members/b-a/m01.yaml:9:13: E507 categories 的最后一项是“probationary”，与 category 的“full”不一致：category 是现在的人员类别，变动列表的最后一项须与它相同。请在 categories 末尾补上最近的变动，或改正 category。",
    ]


def test_e508_history_out_of_order(data: DataDir) -> None:
    data.member(branch="b-b", branches=[{"from": "2025-08-01", "branch": "b-a"},
                                        {"from": "2025-06-01", "branch": "b-b"}])
    assert data.lines() == [
        "members/b-b/m01.yaml:8:9: E508 branches 按日期从早到晚排列，每项的日期不同：第 2 项的 from（2025-06-01）不晚于前一项（2025-08-01）。请按日期顺序排列，或核对日期。",
    ]


def test_e508_left_before_joining(data: DataDir) -> None:
    data.member(joined_on="2025-03-01", left={"date": "2025-03-01", "reason": "other"})
    assert data.lines() == [
        "members/b-a/m01.yaml:7:9: E508 left 的日期 2025-03-01 应晚于 joined_on 的日期 2025-03-01：列入积分制管理之后才会不再列入。请核对日期。",
    ]


def test_e509_a_record_filed_with_the_branch_of_another_time(data: DataDir) -> None:
    data.member(branch="b-b", branches=[{"from": "2025-01-01", "branch": "b-a"},
                                        {"from": "2025-08-01", "branch": "b-b"}])
    data.events("branch: b-a\n" + events_file(event("e1", "K7", "2025-09-02", points=-2)),
                name="b-a/2025-09.yaml")
    assert data.lines() == [
        "events/b-a/2025-09.yaml:4:13: E509 m01（党员m01）在 2025-09-02 属于党支部“b-b”，不属于党支部“b-a”（档案中的 branches 和组织关系转接）：这条登记应放在党支部“b-b”的文件中。请核对日期，或核对档案中所在党支部的变动。",
    ]


# --- rule catalogue ---------------------------------------------------------------------------

RULE = """\
catalogue: enterprise
title: 测试标准
applies_to: [enterprise, flowing, village, education]
rules:
  - {code: K1.1, name: 缺席, category: 政治素质, kind: deduction, points: -5, attendance: absent}
  - {code: K1.2, name: 请假, category: 政治素质, kind: deduction, points: -2, attendance: leave}
  - {code: K1.3, name: 迟到, category: 政治素质, kind: deduction, points: -1, attendance: late_early}
  - {code: K4.1, name: 警告, category: 遵纪守法, kind: deduction, points: -20}
  - {code: K4.2, name: 严重警告, category: 遵纪守法, kind: deduction, points: -40}
  - {code: K4.3, name: 撤销职务, category: 遵纪守法, kind: deduction, points: -60}
  - {code: K4.4, name: 留党察看, category: 遵纪守法, kind: deduction, points: -80}
  - {code: K9.1, name: 迷信, category: 弘扬正气, kind: deduction, points: -40}
"""


def catalogue_lines(data: DataDir, extra: str) -> list[str]:
    """The diagnostics with the test catalogue (RULE) as the only one."""
    (data.root / "rules/village.yaml").unlink(missing_ok=True)
    data.write("rules/enterprise.yaml", RULE + extra)
    return data.lines()


def test_e601_overlapping_versions(data: DataDir) -> None:
    assert catalogue_lines(data, """\
  - {code: J3, name: 志愿, category: 服务职工, kind: addition, points: 2, until: 2025-06-30}
  - {code: J3, name: 志愿, category: 服务职工, kind: addition, points: 3, from: 2025-06-30}
""") == ["rules/enterprise.yaml:14:75: E601 规则 J3 的两个版本有效期重叠（第 9 条与第 10 条）。"
         "请把旧版本的 until 设为新版本 from 的前一天。"]


def test_e602_points_or_range(data: DataDir) -> None:
    assert catalogue_lines(data, """\
  - {code: J3, name: 志愿, category: 服务职工, kind: addition, points: 2, range: [2, 3]}
""") == ["rules/enterprise.yaml:13:5: E602 规则 J3 须填写 points（固定分值）或 range（分值范围）之一，"
         "且只能填一个。"]


def test_e603_rule_sign(data: DataDir) -> None:
    assert catalogue_lines(data, """\
  - {code: K7, name: 违规, category: 遵纪守法, kind: deduction, range: [2, 5]}
""") == ["rules/enterprise.yaml:13:66: E603 规则 K7 是扣分项，分值应为负数。"]


def test_e604_range_order(data: DataDir) -> None:
    assert catalogue_lines(data, """\
  - {code: K7, name: 违规, category: 遵纪守法, kind: deduction, range: [-2, -5]}
""") == ["rules/enterprise.yaml:13:66: E604 规则 K7 的 range 应写成 [较小值, 较大值]，例如 [-20, -10]。"]


def test_e606_branch_kind_without_catalogue(data: DataDir) -> None:
    (data.root / "rules/village.yaml").unlink()
    data.write("rules/enterprise.yaml", RULE.replace(", education]", "]"))
    assert data.lines() == [
        "rules/enterprise.yaml:3:13: E606 党支部类型 education 没有适用的积分标准。请检查 data/rules/ "
        "中各标准的 applies_to。"]


def test_e607_version_ends_before_it_starts(data: DataDir) -> None:
    assert catalogue_lines(data, """\
  - {code: J3, name: 志愿, category: 服务职工, kind: addition, points: 2, from: 2025-06-30, until: 2025-01-01}
""") == ["rules/enterprise.yaml:13:94: E607 规则 J3 的有效期截止日期 2025-01-01 早于开始日期 2025-06-30。"]


def test_e608_consecutive_points_outside_leave(data: DataDir) -> None:
    assert catalogue_lines(data, """\
  - {code: J3, name: 志愿, category: 服务职工, kind: addition, points: 2, consecutive_points: 4}
""") == ["rules/enterprise.yaml:13:89: E608 consecutive_points 只能用于由考勤计算的请假规则"
         "（attendance: leave），且考勤规则须有固定分值。"]


# --- warnings ---------------------------------------------------------------------------------

def test_w101_flowing_member_without_transfer_to(data: DataDir) -> None:
    data.member(branch="b-flow")
    assert data.lines() == [
        "members/b-flow/m01.yaml:3:9: W101 流动党支部党员未填写 transfer_to（拟转入的村(居)党支部）。"
        "年度积分是转入的依据，建议补上。"]


def test_w102_addition_pending_for_long(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01", status="verified")))
    assert data.lines(today="2025-04-29") == []
    assert data.lines(today="2025-05-01") == [
        "events/2025-03.yaml:6:13: W102 加分申报“e1”（2025-03-01）已超过 60 天仍未审定（当前：支部核实）。"
        "未审定的加分不计分，请尽快核实并报党工委审定。"]


def test_w103_exemption_approved_after_it_started(data: DataDir) -> None:
    data.member(exempt={**EXEMPT, "approved_on": "2025-02-01"})
    assert data.lines() == [
        "members/b-a/m01.yaml:8:16: W103 暂不列入积分制管理的审批日期 2025-02-01 晚于生效日期 2025-01-01。请核对。"]


def test_w104_possible_duplicate(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01"), event("e2", "J3", "2025-03-01")))
    assert data.lines() == [
        "events/2025-03.yaml:10:9: W104 登记“e2”与“e1”的党员、规则和日期都相同，可能重复登记。请核对。"]


def test_w105_void_reason_without_void(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2, void_reason="误录")))
    assert data.lines() == [
        "events/2025-03.yaml:7:18: W105 填写了 void_reason，但状态不是 void，这条登记仍然有效。"
        "如要作废，请加上 status: void。"]


# --- the whole picture --------------------------------------------------------------------------

def test_all_errors_at_once(data: DataDir) -> None:
    data.member(category="member")
    data.member("m02")
    data.events(events_file(event("e1", "K7", "2025-03-01", member="m02", points=3),
                            event("e2", "K99", "2025-03-01", member="m02", points=-1),
                            event("e3", "J3", "2025-13-01", member="m02")))
    codes = [line.split(": ", 1)[1].split()[0] for line in data.lines()]
    assert codes == ["E401", "E304", "E206", "E206", "E204"]


# --- frozen quarters: closes, corrections, objections -----------------------------------------

def closed_q3(data: DataDir) -> DataDir:
    """m01 and m02 of b-a, a deduction in 2025-Q3, and 2025-Q3 closed on 2025-10-10."""
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.events(events_file(event("e1", "K7", "2025-08-01", points=-5)), name="b-a/2025-08.yaml")
    data.close()
    return data


def correction(cid: str, corrects: str, date: str) -> str:
    return f"corrections:\n  - {{id: {cid}, corrects: {corrects}, date: {date}, reason: 登记有误}}\n"


def objection(data: DataDir, **fields: str) -> None:
    record = {"id": "obj1", "branch": "b-a", "quarter": "2025-Q3", "raised_on": "2025-10-12",
              "details": "对扣分有异议", "outcome": "rejected", "decided_on": "2025-10-15"}
    record.update(fields)
    data.write("objections/b-a/obj1.yaml", "".join(f"{k}: {v}\n" for k, v in record.items()))


def test_e313_correction_of_an_unknown_event(data: DataDir) -> None:
    closed_q3(data)
    data.events(correction("cr1", "e99", "2025-11-05") + "events: []\n", name="b-a/2025-11.yaml")
    assert data.lines() == [
        'events/b-a/2025-11.yaml:2:25: E313 被更正的登记“e99”不存在。请核对 corrects 中的登记编号。',
    ]


def test_e314_event_corrected_twice(data: DataDir) -> None:
    closed_q3(data)
    data.events(correction("cr1", "e1", "2025-11-05")
                + "  - {id: cr2, corrects: e1, date: 2025-11-06, reason: 再次更正}\nevents: []\n",
                name="b-a/2025-11.yaml")
    assert data.lines() == [
        'events/b-a/2025-11.yaml:3:25: E314 登记“e1”已由更正“cr1”撤销，不能再次更正。',
    ]


def test_e315_objection_to_a_quarter_not_closed(data: DataDir) -> None:
    closed_q3(data)
    objection(data, quarter="2025-Q2")
    assert data.lines() == [
        'objections/b-a/obj1.yaml:3:10: E315 党支部“b-a”的 2025-Q2 尚未审定公示（data/closes/b-a/2025-Q2.yaml 不存在），不能对它提出异议。请核对党支部和季度。',
    ]


def test_e316_close_meeting_before_the_quarter_ends(data: DataDir) -> None:
    path = closed_q3(data)
    path = data.root / "closes/b-a/2025-Q3.yaml"
    path.write_text(path.read_text("utf-8").replace("meeting: 2025-10-10", "meeting: 2025-09-20"),
                    "utf-8")
    assert data.lines() == [
        'closes/b-a/2025-Q3.yaml:4:10: E316 支委会审定日期 2025-09-20 应在季度结束（2025-09-30）之后。请核对。',
    ]


def test_e317_closed_quarter_changed(data: DataDir) -> None:
    """The error points at the record that changed the published figure."""
    closed_q3(data)
    data.events(events_file(event("e2", "K7", "2025-09-01", member="m02", points=-2)),
                name="b-a/2025-09.yaml")
    assert data.lines() == [
        'events/b-a/2025-09.yaml:2:5: E317 2025-Q3 已于 2025-10-10 经支委会审定公布，之后 m02（李二）在该季度的登记被改动（公布积分 80，现在计算为 78）。已公布的积分不能改动：请恢复原登记；如确有错误，请在未审定的季度登记更正（corrections，写明 corrects: 登记编号）。',
    ]


def test_e317_an_older_close_without_record_digests(data: DataDir) -> None:
    """A close written before closes listed each record's digest: the member's entry."""
    close = closed_q3(data).root / "closes/b-a/2025-Q3.yaml"
    text = close.read_text("utf-8")
    close.write_text("\n".join(line for line in text.splitlines()
                               if not line.startswith(("    records", "      - ["))) + "\n",
                     "utf-8")
    data.events(events_file(event("e2", "K7", "2025-09-01", member="m02", points=-2)),
                name="b-a/2025-09.yaml")
    assert [line.split(" E317")[0] for line in data.lines()] == ["closes/b-a/2025-Q3.yaml:13:13:"]


def test_e318_closed_quarter_meeting_changed(data: DataDir) -> None:
    closed_q3(data)
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-07-05, title: 7月}\n")
    assert data.lines() == [
        'closes/b-a/2025-Q3.yaml:8:9: E318 2025-Q3 已于 2025-10-10 经支委会审定公布，之后该季度的会议考勤登记被改动。请恢复原登记；如确有错误，请在未审定的季度登记更正。',
    ]


def test_e319_the_same_meeting_twice(data: DataDir) -> None:
    """The README's own ``jifen add meeting`` example wrote a second copy of a meeting:
    the member lost the points twice, and nothing said so."""
    data.member("m01", name="张一")
    data.meetings("meetings:\n"
                  "  - {id: mt1, branch: b-a, date: 2025-11-10, title: 11月主题党日, absent: [m01]}\n"
                  "  - {id: mt2, branch: b-a, date: 2025-11-10, title: 11月主题党日, absent: [m01]}\n")
    assert data.lines() == [
        "meetings/b-a/2025.yaml:3:34: E319 党支部“b-a”在 2025-11-10 已登记会议“mt1”（11月主题党日）。同一天的第二次会议通常是重复登记，考勤会被扣两次分：请删除这一次；如确是当天的另一次会议，请在这次会议中写 separate: true。",
    ]


def test_a_second_meeting_on_the_same_day_that_says_so(data: DataDir) -> None:
    data.member("m01", name="张一")
    data.meetings("meetings:\n"
                  "  - {id: mt1, branch: b-a, date: 2025-11-10, title: 11月主题党日, absent: [m01]}\n"
                  "  - {id: mt2, branch: b-a, date: 2025-11-10, title: 党课, separate: true}\n")
    data.meetings("meetings:\n  - {id: mt3, branch: b-b, date: 2025-11-10, title: 11月主题党日}\n",
                  name="b-b/2025.yaml")  # another branch's meeting on the same day
    assert data.lines() == []
    assert data.score(as_of="2025-12-31") == 75


def test_e414_correction_of_a_void_event(data: DataDir) -> None:
    closed_q3(data)
    data.events(events_file(event("e2", "K7", "2025-11-01", points=-2, status="void",
                                  void_reason="重复")) + correction("cr1", "e2", "2025-11-05"),
                name="b-a/2025-11.yaml")
    assert data.lines() == [
        'events/b-a/2025-11.yaml:10:25: E414 登记“e2”已作废，不计分，不需要更正。请删除这条更正。',
    ]


def test_e415_correction_dated_before_the_close(data: DataDir) -> None:
    closed_q3(data)
    data.events(correction("cr1", "e1", "2025-10-05") + "events: []\n", name="b-a/2025-10.yaml")
    assert data.lines() == [
        'events/b-a/2025-10.yaml:2:35: E415 更正日期 2025-10-05 应在 2025-Q3 审定（2025-10-10）之后，登记在未审定的季度。',
    ]


def test_e416_correction_of_an_addition_outside_additions(data: DataDir) -> None:
    data.member("m01", name="张一")
    data.additions(events_file(event("e1", "J3", "2025-08-01")), name="b-a/2025-08.yaml")
    data.close()
    data.events(correction("cr1", "e1", "2025-11-05") + "events: []\n", name="b-a/2025-11.yaml")
    assert data.lines() == [
        'events/b-a/2025-11.yaml:2:25: E416 更正加分须登记在 data/additions/ 中，由党工委审核（加分的改动都须党工委审定）。请把这条更正移过去。',
    ]


def test_e417_objection_upheld_without_a_correction(data: DataDir) -> None:
    closed_q3(data)
    objection(data, outcome="upheld")
    assert data.lines() == [
        'objections/b-a/obj1.yaml:6:10: E417 异议成立须登记更正，并在 correction 中写明更正编号。',
    ]


def test_e418_addition_approved_in_the_next_year_after_the_close(data: DataDir) -> None:
    data.member("m01", name="张一")
    path = data.additions(events_file(event("e1", "J3", "2025-12-10", status="verified")),
                          name="b-a/2025-12.yaml")
    data.close(quarter="2025-Q4", meeting="2026-01-10")
    path.write_text(path.read_text("utf-8").replace(
        "status: verified", "status: approved\n    approved_by: 党工委\n    approved_on: 2026-01-20"),
        "utf-8")
    assert data.lines() == [
        'additions/b-a/2025-12.yaml:8:18: E418 加分“e1”在 2025-Q4 审定公布（2026-01-10）后才审定，审定日期 2026-01-20 已在下一年度，不能再计入 2025 年度。请作废这条登记（status: void，填写 void_reason）。',
    ]


def closed_attendance(data: DataDir) -> DataDir:
    """m01 absent at b-a's July meeting and on leave at the August one; m02 present at
    both; 2025-Q3 closed on 2025-10-10."""
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.meetings("meetings:\n"
                  "  - {id: mt7, branch: b-a, date: 2025-07-10, title: 7月主题党日, absent: [m01]}\n"
                  "  - {id: mt8, branch: b-a, date: 2025-08-11, title: 8月主题党日, leave: [m01]}\n")
    data.close()
    return data


def attendance_correction(cid: str = "cr1", corrects: str = "mt7", member: str = "m01",
                          mark: str = "leave", date: str = "2025-10-20") -> str:
    return (f"  - {{id: {cid}, corrects: {corrects}, member: {member}, mark: {mark}, "
            f"date: {date}, reason: 当天已请假}}\n")


def test_e419_attendance_correction_of_a_meeting_that_does_not_exist(data: DataDir) -> None:
    closed_attendance(data)
    data.meetings("corrections:\n" + attendance_correction(corrects="mt9"),
                  name="b-a/2025-10.yaml")
    assert data.lines() == [
        "meetings/b-a/2025-10.yaml:2:25: E419 被更正考勤的会议“mt9”不存在。请核对 corrects 中的会议编号。",
    ]


def test_e419_a_meeting_corrected_without_member_and_mark(data: DataDir) -> None:
    """Was E313 “不存在” although the meeting exists."""
    closed_attendance(data)
    data.events(correction("cr1", "mt7", "2025-10-20"), name="b-a/2025-10.yaml")
    assert data.lines() == [
        "events/b-a/2025-10.yaml:2:25: E419 “mt7”是会议：更正考勤须写明 member（党员编号）和 mark（改正后的考勤：present 出席、absent 缺席、leave 请假、late 迟到、early 早退）。",
    ]


def test_e419_attendance_already_as_corrected(data: DataDir) -> None:
    closed_attendance(data)
    data.meetings("corrections:\n" + attendance_correction(member="m02", mark="present"),
                  name="b-a/2025-10.yaml")
    assert data.lines() == [
        "meetings/b-a/2025-10.yaml:2:49: E419 m02（李二）在会议“mt7”（2025-07-10）的考勤已是出席，不需要更正。请核对 mark。",
    ]


def test_e419_attendance_corrected_twice(data: DataDir) -> None:
    closed_attendance(data)
    data.meetings("corrections:\n" + attendance_correction()
                  + attendance_correction("cr2", mark="present", date="2025-10-21"),
                  name="b-a/2025-10.yaml")
    assert data.lines() == [
        "meetings/b-a/2025-10.yaml:3:38: E419 m01（张一）在会议“mt7”的考勤已由更正“cr1”改正，不能再次更正。如需改动，请修改那条更正。",
    ]


def test_e419_member_and_mark_on_a_correction_of_an_event(data: DataDir) -> None:
    closed_q3(data)
    data.events("corrections:\n" + attendance_correction(corrects="e1"),
                name="b-a/2025-10.yaml")
    assert data.lines() == [
        "events/b-a/2025-10.yaml:2:25: E419 “e1”是积分登记，不是会议：考勤更正（写了 member 和 mark）的 corrects 须是会议编号。更正积分登记时不写 member 和 mark。",
    ]


def test_an_attendance_correction_filed_with_another_branch(data: DataDir) -> None:
    closed_attendance(data)
    data.meetings("corrections:\n" + attendance_correction(), name="b-b/2025-10.yaml")
    assert data.lines() == [
        "meetings/b-b/2025-10.yaml:2:25: E309 本文件只登记党支部“b-b”的考勤更正，但会议“mt7”属于党支部“b-a”。请把它移到该支部的文件中。",
    ]


def test_an_attendance_correction_dated_before_the_close(data: DataDir) -> None:
    closed_attendance(data)
    data.meetings("corrections:\n" + attendance_correction(date="2025-10-05"),
                  name="b-a/2025-10.yaml")
    assert data.lines() == [
        "meetings/b-a/2025-10.yaml:2:62: E415 更正日期 2025-10-05 应在 2025-Q3 审定（2025-10-10）之后，登记在未审定的季度。",
    ]


def test_e420_correction_after_the_committees_year_end_decisions(data: DataDir) -> None:
    """A correction dated in January corrects the year before, until the 党工委 decides
    on that year; after that it is refused, saying what to do."""
    selection(data)
    data.events(events_file(event("e9", "K7", "2025-11-05", member="m02", points=-2)),
                name="b-a/2025-11.yaml")
    data.close(quarter="2025-Q4", meeting="2026-01-08")
    nominations(data)
    committee(data)
    data.events(correction("cr1", "e9", "2026-01-21"), name="b-a/2026-01.yaml")
    assert data.lines() == [
        "events/b-a/2026-01.yaml:2:35: E420 党工委已于 2026-01-20 作出 2025 年度的认定和决定（nominations/2025.yaml），之后不能再更正 2025 年度的登记。请把更正意见报党工委：需要改变 2025 年度结果的，由党工委重新研究并改正 nominations/2025.yaml 中的认定和决定（登记新的日期）后，再登记这条更正（更正日期须早于党工委的决定）；不改变年度结果的，不再更正。",
    ]


def test_a_correction_in_january_before_the_decisions_is_accepted(data: DataDir) -> None:
    selection(data)
    data.events(events_file(event("e9", "K7", "2025-11-05", member="m02", points=-2)),
                name="b-a/2025-11.yaml")
    data.close(quarter="2025-Q4", meeting="2026-01-08")
    nominations(data)
    committee(data)
    data.events(correction("cr1", "e9", "2026-01-19"), name="b-a/2026-01.yaml")
    assert data.lines() == []
    data.events(correction("cr1", "e9", "2026-02-02"), name="b-a/2026-01.yaml")
    assert data.lines() == [
        "events/b-a/2026-01.yaml:2:35: E415 更正须在被更正登记的同一积分年度（2025 年）内，或在次年1月、"
        "党工委作出 2025 年度决定之前；2025 年度积分已结算，请报党工委处理。"]


def test_w106_objection_outside_the_window(data: DataDir) -> None:
    closed_q3(data)
    objection(data, raised_on="2025-11-01", decided_on="2025-11-02")
    assert data.lines() == [
        'objections/b-a/obj1.yaml:4:12: W106 异议提出日期 2025-11-01 不在公示期（2025-10-10 至 2025-10-16）内。请核对日期。',
    ]


def test_w107_correction_of_an_open_quarter(data: DataDir) -> None:
    closed_q3(data)
    data.events(events_file(event("e2", "K7", "2025-11-01", points=-2))
                + correction("cr1", "e2", "2025-11-05"), name="b-a/2025-11.yaml")
    assert data.lines() == [
        'events/b-a/2025-11.yaml:8:25: W107 登记“e2”所在的 2025-Q4 尚未审定公示，可以直接修改或作废这条登记，不必更正。',
    ]


def test_w108_objection_still_pending_after_the_window(data: DataDir) -> None:
    closed_q3(data)
    objection(data, outcome="pending", decided_on="2025-10-15")
    assert data.lines() == [
        'objections/b-a/obj1.yaml:6:10: W108 异议“obj1”在公示期结束（2025-10-16）后仍未处理。请尽快处理并登记结果（outcome）。',
    ]


# --- laggard cases ---------------------------------------------------------------------------

def case_at(data: DataDir, upto: str, old: str = "", new: str = "") -> None:
    """The fixture case up to a step, with one text replaced."""
    laggard_data(data)
    write_case(data, upto)
    path = data.root / "cases/b-a/case-1.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_e701_a_step_before_the_one_before_it(data: DataDir) -> None:
    case_at(data, "transfer", "general_review:\n  date: 2025-04-10\n  opinion: 同意党支部初步意见。\n")
    assert data.lines() == [
        'cases/b-a/case-1.yaml:14:3: E701 案件“case-1”：第3步 党总支预审尚未登记，不能先登记第3步 党工委审评。请按程序顺序逐步登记。',
    ]


def test_e702_dates_out_of_order(data: DataDir) -> None:
    case_at(data, "transfer", "date: 2025-04-20", "date: 2025-04-12")
    assert data.lines() == [
        'cases/b-a/case-1.yaml:21:9: E702 案件“case-1”：第4步 关系转出的日期 2025-04-12 早于第3步 党工委审评的日期 2025-04-15。请核对日期。',
    ]


def test_e703_skipped_announcement_without_approval(data: DataDir) -> None:
    case_at(data, "branch_decision", "announcement:\n  date: 2025-04-05\n",
            "announcement:\n  skipped: true\n")
    assert data.lines() == [
        'cases/b-a/case-1.yaml:6:3: E703 不进行亮分通报须经党工委批准：请填写 approved_on（批准日期）和 reason（原因）。',
    ]


def test_e704_no_quorum(data: DataDir) -> None:
    case_at(data, "branch_decision", "present: 4", "present: 2")
    assert data.lines() == [
        'cases/b-a/case-1.yaml:10:12: E704 支委会应到 5 人、实到 2 人：实到人数须超过应到人数的一半，且不多于应到人数，集体决议才有效。请核对人数。',
    ]


def test_e705_mentor_not_a_full_member(data: DataDir) -> None:
    case_at(data, "rectification")
    data.member("m02", name="李二", category="probationary")
    assert [line for line in data.lines() if " W30" not in line] == [
        'cases/b-a/case-1.yaml:26:13: E705 帮教联系人 m02（李二）是预备党员。帮教联系人须是表现良好的正式党员，请另选一人。',
    ]


def test_e706_transfer_to_a_branch_that_is_not_for_education(data: DataDir) -> None:
    case_at(data, "transfer", "to: b-edu", "to: b-b")
    assert data.lines() == [
        'cases/b-a/case-1.yaml:22:7: E706 关系转出须转入党性教育党支部（kind: education），“b-b”不是。',
    ]


def test_e707_member_record_not_moved(data: DataDir) -> None:
    laggard_data(data)
    write_case(data, "transfer", moved=False)
    assert data.lines() == [
        'cases/b-a/case-1.yaml:21:3: E707 m01（张一）的组织关系在党性教育党支部，党员档案的 branch 应为“b-edu”，现在是“b-a”。请把档案移到 members/b-edu/ 并改正 branch。',
    ]


def test_e708_member_not_below_the_line(data: DataDir) -> None:
    case_at(data, "announcement", "quarter: 2025-Q1", "quarter: 2024-Q4")
    assert data.lines() == [
        'cases/b-a/case-1.yaml:4:10: E708 m01（张一）在 2024-Q4 季末的积分是 80，不低于 60 分，不能按后进党员处置。请核对季度和党员。',
    ]


def test_e709_resolution_before_the_period_ends(data: DataDir) -> None:
    case_at(data, "first_resolution", "- date: 2025-07-21", "- date: 2025-07-15")
    assert [line for line in data.lines() if " W30" not in line and " E711 " not in line] == [
        'cases/b-a/case-1.yaml:38:11: E709 党支部决议须在整改期期满（2025-07-20）之后由党员大会评定，这里是 2025-07-15。',
    ]


def test_e710_returned_though_not_improved(data: DataDir) -> None:
    case_at(data, "first_resolution")
    path = data.root / "cases/b-a/case-1.yaml"
    path.write_text(path.read_text("utf-8") + "  - date: 2025-10-21\n    outcome: not_improved\n"
                    "    disposal: expel\napproval:\n  date: 2025-10-30\n  reply: 同意除名。\n"
                    "  returned_on: 2025-11-02\n", "utf-8")
    assert [line for line in data.lines() if " E707 " not in line] == [
        'cases/b-a/case-1.yaml:48:16: E710 只有整改合格（决议 outcome: improved）的党员才转回原党支部；请删除 returned_on。',
    ]


def test_w301_monthly_report_missing(data: DataDir) -> None:
    case_at(data, "first_resolution", "    - {month: 2025-06, date: 2025-06-28, "
            "evaluation_meeting: 2025-06-25, evaluation: satisfied}\n")
    assert [line for line in data.lines() if " W301 " in line] == [
        'cases/b-a/case-1.yaml:30:5: W301 案件“case-1”：2025-06 的帮教转化情况汇报尚未登记（rectification.reports）。',
    ]


def test_w302_deadline_passed_without_a_resolution(data: DataDir) -> None:
    case_at(data, "rectification")
    assert data.lines() == [
        'cases/b-a/case-1.yaml:24:3: W302 案件“case-1”：整改期已于 2025-07-20 期满，尚未登记党支部决议（resolutions）。',
    ]


def test_w304_evaluation_missing(data: DataDir) -> None:
    case_at(data, "first_resolution", "    - {month: 2025-06, date: 2025-06-28, "
            "evaluation_meeting: 2025-06-25, evaluation: satisfied}\n",
            "    - {month: 2025-06, date: 2025-06-28}\n")
    assert [line for line in data.lines() if " W304 " in line] == [
        'cases/b-a/case-1.yaml:32:7: W304 案件“case-1”：2025-06 的闪光言行考评组织生活会和党员测评结果尚未登记（rectification.reports 中的 evaluation_meeting 和 evaluation）。',
    ]


def test_w305_no_application_after_the_period(data: DataDir) -> None:
    case_at(data, "first_resolution", "  application: {date: 2025-07-20, summary: 申请转化合格}\n", "")
    assert [line for line in data.lines() if " W305 " in line] == [
        'cases/b-a/case-1.yaml:24:3: W305 案件“case-1”：整改期已于 2025-07-20 期满，尚未登记本人转化合格的申请（rectification.application）。',
    ]


def test_w306_no_review_by_the_education_branch(data: DataDir) -> None:
    case_at(data, "first_resolution",
            "    education_review: {date: 2025-07-21, opinion: 整改尚不到位。}\n", "")
    assert [line for line in data.lines() if " W306 " in line] == [
        'cases/b-a/case-1.yaml:38:5: W306 案件“case-1”：党员大会评定（2025-07-21）之前没有登记党性教育党支部的审核（resolutions 中的 education_review）。',
    ]


def test_e711_steps_five_and_six_out_of_order(data: DataDir) -> None:
    case_at(data, "first_resolution", "evaluation_meeting: 2025-05-25", "evaluation_meeting: 2025-06-02")
    path = data.root / "cases/b-a/case-1.yaml"
    text = path.read_text("utf-8").replace("application: {date: 2025-07-20", "application: {date: 2025-07-10")
    path.write_text(text.replace("education_review: {date: 2025-07-21", "education_review: {date: 2025-07-22"),
                    "utf-8")
    assert [line for line in data.lines() if " E711 " in line] == [
        'cases/b-a/case-1.yaml:31:62: E711 2025-05 的闪光言行考评组织生活会应在当月召开，这里是 2025-06-02。',
        'cases/b-a/case-1.yaml:36:23: E711 转化合格的申请在整改期满（2025-07-20）后提出，这里是 2025-07-10。',
        'cases/b-a/case-1.yaml:41:30: E711 党性教育党支部的审核（2025-07-22）应在党员大会评定（2025-07-21）之前。',
    ]


def test_w303_resolution_awaiting_approval(data: DataDir) -> None:
    case_at(data, "second_resolution")
    assert [line for line in data.lines() if " E707 " not in line] == [
        'cases/b-a/case-1.yaml:42:5: W303 案件“case-1”：党支部决议（2025-10-21）后已超过 30 天，尚未登记党工委审批（approval）。',
    ]


# --- catalogues per branch kind, the 党工委's direct deductions -------------------------------

def _policy_with(data: DataDir, text: str) -> None:
    """A policy of the regulation's defaults and ``text``."""
    data.write("policy.yaml", "routine_warnings: false\n" + text)


def test_e609_policy_names_a_catalogue_that_is_not_there(data: DataDir) -> None:
    _policy_with(data, "catalogues:\n  village: villages\n  flowing: village\n")
    lines = data.lines()
    assert [line for line in lines if " E609 " in line] == [
        "policy.yaml:3:12: E609 policy.yaml 的 catalogues 为 village 指定的积分标准“villages”不存在。"
        "请核对 data/rules/ 中的 catalogue 编号和 applies_to。",
        "policy.yaml:4:12: E609 policy.yaml 的 catalogues 为 flowing 指定的积分标准“village”的 applies_to "
        "不包含 flowing。请核对 data/rules/ 中的 catalogue 编号和 applies_to。"]


def test_e610_direct_rules_unknown_catalogue_code_or_addition(data: DataDir) -> None:
    _policy_with(data, "direct_rules:\n  villages: [K8]\n  village: [K99, J3]\n")
    assert [line for line in data.lines() if " E610 " in line] == [
        "policy.yaml:3:13: E610 policy.yaml 的 direct_rules：积分标准“villages”不存在。请核对。",
        "policy.yaml:4:13: E610 policy.yaml 的 direct_rules：规则“K99”不在《党员积分量化管理标准（村、居）"
        "（示例，须换成党工委的正式文本）》中。请核对。",
        "policy.yaml:4:18: E610 policy.yaml 的 direct_rules：规则 J3 是加分项，党工委直接扣分只能用扣分项。请核对。"]


def test_e421_a_direct_deduction_of_an_item_the_policy_does_not_name(data: DataDir) -> None:
    _policy_with(data, "direct_rules:\n  village: [K8]\n")
    data.member("m01", branch="b-v1")
    data.write("direct/b-v1/2025-03.yaml", events_file(
        event("d1", "K8", "2025-03-01"), event("d2", "K7", "2025-03-02", points=-2)))
    assert data.lines() == [
        "direct/b-v1/2025-03.yaml:8:11: E421 党工委直接扣分只能用于 policy.yaml 的 direct_rules 列出的扣分项"
        "（这里是 K7；可用：K8）。其他登记请由党支部登记在 data/events/ 或 data/additions/ 中。"]


def test_a_direct_deduction_is_marked_on_the_ledger(data: DataDir) -> None:
    _policy_with(data, "direct_rules:\n  village: [K8]\n")
    data.member("m01", branch="b-v1")
    data.write("direct/b-v1/2025-03.yaml", events_file(event("d1", "K8", "2025-03-01")))
    entry = data.standings()["m01"].entries[0]
    assert (entry.rule, entry.points, entry.detail) == ("K8", -10, "党工委直接扣分")


def test_e712_a_direct_case_without_direct_deductions(data: DataDir) -> None:
    laggard_data(data)
    data.write("cases/b-a/case-1.yaml", "id: case-1\nmember: m01\nbranch: b-a\nquarter: 2025-Q1\n"
               "direct: true\nannouncement:\n  date: 2025-04-05\n")
    assert [line for line in data.lines() if " E712 " in line] == [
        "cases/b-a/case-1.yaml:5:9: E712 案件“case-1”由党工委直接认定（direct: true），但 m01 在 2025-Q1 季末之前"
        "没有党工委直接扣分的登记（data/direct/）。直接认定须以党工委直接扣分亮分为依据。"]


def test_w110_village_branches_scored_by_the_enterprise_standard(data: DataDir) -> None:
    (data.root / "rules/village.yaml").unlink()
    catalogue = data.root / "rules/enterprise.yaml"
    catalogue.write_text(catalogue.read_text("utf-8").replace(
        "applies_to: [enterprise, flowing, education]",
        "applies_to: [enterprise, flowing, village, education]"), "utf-8")
    data.member("m01", branch="b-v1")
    assert data.lines(supervision=True) == [
        "rules/enterprise.yaml:11:12: W110 村(居)党支部（b-v1）按《党员积分量化管理标准（企业）》计分。"
        "办法附件2提到另有《党员积分量化管理标准（村、居）》：请把党工委的村(居)标准登记在 data/rules/ 中"
        "（standard: village），并在 policy.yaml 的 catalogues 中指定 village 用它。"]


# --- supervision (督导): the branches' routine --------------------------------------------------

def routine(data: DataDir) -> DataDir:
    """b-a with one member in 2026: meetings in September and November only, 2026-Q3
    closed late with a five-day window, no registrars; routine warnings on."""
    policy = data.root / "policy.yaml"
    policy.write_text(policy.read_text("utf-8").replace("routine_warnings: false",
                                                        "routine_warnings: true"), "utf-8")
    data.member("m01", name="张一")
    data.meetings("meetings:\n"
                  "  - {id: mt9, branch: b-a, date: 2026-09-10, title: 9月主题党日}\n"
                  "  - {id: mt11, branch: b-a, date: 2026-11-10, title: 11月主题党日}\n",
                  name="b-a/2026.yaml")
    return data


def supervision(data: DataDir, code: str, today: str = "2026-12-15") -> list[str]:
    return [line for line in data.lines(today, supervision=True) if f" {code} " in line]


def test_w401_a_month_without_a_meeting(data: DataDir) -> None:
    routine(data)
    assert supervision(data, "W401") == [
        "organization.yaml:5:5: W401 甲公司党支部：2026-10 没有召开主题党日（没有会议记录）。"
        "办法要求每月党日活动时集中考评登记；请补登当月会议，或向党工委说明原因。"]


def test_w402_a_month_without_any_registration(data: DataDir) -> None:
    routine(data)
    assert supervision(data, "W402") == [
        "organization.yaml:5:5: W402 甲公司党支部：2026-10 没有任何积分登记（考勤、加分、扣分）。请核对是否漏登。"]


def test_w403_a_quarter_not_closed_in_time(data: DataDir) -> None:
    routine(data)
    assert supervision(data, "W403") == [
        "organization.yaml:5:5: W403 甲公司党支部：2026-Q3 应在 2026-10-30 前经支委会审定（季度结束后 30 天内，"
        "党工委规定），现在还没有审定或审定晚了。请尽快召开支委会审定并公示（jifen close）。"]


def test_w404_a_window_shorter_than_the_rule(data: DataDir) -> None:
    routine(data)
    data.close("b-a", "2026-Q3", "2026-10-09", today="2026-12-15")
    close = data.root / "closes/b-a/2026-Q3.yaml"
    close.write_text(close.read_text("utf-8").replace("until: 2026-10-15", "until: 2026-10-11"),
                     "utf-8")
    assert supervision(data, "W404") == [
        "closes/b-a/2026-Q3.yaml:6:3: W404 2026-Q3 的公示期不足 7 天。请按党工委规定的公示期公示。"]


def test_w405_a_branch_without_registrars(data: DataDir) -> None:
    routine(data)
    assert supervision(data, "W405") == [
        "organization.yaml:5:5: W405 甲公司党支部 没有指定登记专人（organization.yaml 的 registrars）。"
        "办法要求“各党支部要指定专人负责党员积分量化考评登记工作”。"]


def test_routine_warnings_reach_back_ninety_days_only(data: DataDir) -> None:
    """Older gaps are the office's (jifen supervise), not a registrar's today."""
    routine(data)
    assert supervision(data, "W401", today="2027-03-15") == [
        line.replace("2026-10", month) for month in ("2026-12", "2027-01", "2027-02")
        for line in ["organization.yaml:5:5: W401 甲公司党支部：2026-10 没有召开主题党日（没有会议记录）。"
                     "办法要求每月党日活动时集中考评登记；请补登当月会议，或向党工委说明原因。"]]


# --- year-end selection: 优秀党员 and the 党工委's decisions (generator/nominations.py) ---------

def selection(data: DataDir) -> DataDir:
    """2025 in b-a (in 党总支 gb1): m01 full at 100 and m03 full at 104 are 优秀党员
    candidates; m02 probationary at 80 is on the 取消预备党员资格 list; m04 is an
    activist at 100 (not a party member, not on a list)."""
    data.member("m01", name="张一")
    data.member("m02", name="李二", category="probationary")
    data.member("m03", name="王三")
    data.member("m04", name="赵四", category="activist")
    data.additions(events_file(
        event("e1", "J6", "2025-03-05"), event("e2", "J6", "2025-04-05"),
        event("e3", "J6", "2025-03-06", member="m03"), event("e4", "J6", "2025-04-06", member="m03"),
        event("e5", "J5.2", "2025-05-06", member="m03"),
        event("e6", "J6", "2025-03-07", member="m04"), event("e7", "J6", "2025-04-07", member="m04")))
    return data


def nominations(data: DataDir, nominated: str = "[m03, m01]", passed: str | None = "[m03, m01]",
                branch: str = "b-a", year: int = 2025, on: str = "2026-01-10",
                reviewed: str = "2026-01-15", path: str = "", extra: str = "") -> None:
    """A branch's file: 支部初定 and (unless ``passed`` is None) 党总支初审."""
    text = f"year: {year}\nbranch: {branch}\nnominated:\n  date: {on}\n  members: {nominated}\n"
    if passed is not None:
        text += f"review:\n  date: {reviewed}\n  passed: {passed}\n"
    data.write(path or f"nominations/{branch}/{year}.yaml", text + extra)


DECIDED = "decisions:\n  - {member: m02, action: probation_cancelled, date: 2026-01-20}\n"


def committee(data: DataDir, confirmed: str = "[m03]", on: str = "2026-01-20",
              decisions: str = DECIDED) -> None:
    """The 党工委's file: 认定 and decisions."""
    data.write("nominations/2025.yaml",
               f"year: 2025\nconfirmed:\n  date: {on}\n  members: {confirmed}\n{decisions}")


def test_e801_nominations_for_a_year_not_over(data: DataDir) -> None:
    selection(data)
    nominations(data, year=2027, on="2027-01-10", reviewed="2027-01-12")
    assert data.lines() == [
        "nominations/b-a/2027.yaml:1:7: E801 2027 年度尚未结束（今天是 2027-01-15），不能登记该年度的"
        "优秀党员评选和积分运用决定。请在年度结束后登记，或核对 year。",
    ]


def test_e802_nominations_file_in_the_wrong_place(data: DataDir) -> None:
    selection(data)
    nominations(data, path="nominations/2025/b-a.yaml")
    assert data.lines() == [
        "nominations/2025/b-a.yaml:2:9: E802 这个文件应放在 nominations/b-a/2025.yaml（党支部的初定和"
        "党总支初审一支部一年一个文件，放在该支部的文件夹中，文件名即年度）。请移动文件，或改正 year、branch。",
    ]


def test_e803_confirmation_in_a_branch_file(data: DataDir) -> None:
    selection(data)
    nominations(data, extra="confirmed:\n  date: 2026-01-20\n  members: [m03]\n")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:10:3: E803 党工委认定（confirmed）写在党工委的文件 "
        "nominations/2025.yaml 中，由党工委办公室审核；党支部的文件只写 nominated（支部初定）和 "
        "review（党总支初审）。请把这一部分移过去。",
    ]


def test_e804_an_activist_nominated(data: DataDir) -> None:
    selection(data)
    nominations(data, nominated="[m03, m04]", passed="[m03]")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:5:18: E804 m04（赵四）不符合 2025 年度优秀党员条件：年末是入党积极分子，"
        "优秀党员从党员中评选。优秀党员从年度积分 100 分以上、未被一票否决的党员（含预备党员）中评选。"
        "请从名单中删除。",
    ]


def test_e804_a_score_below_the_line_confirmed(data: DataDir) -> None:
    selection(data)
    nominations(data)
    committee(data, confirmed="[m03, m02]")
    assert data.lines() == [
        "nominations/2025.yaml:4:18: E804 m02（李二）不符合 2025 年度优秀党员条件：年度积分 80 分，"
        "低于 100 分。优秀党员从年度积分 100 分以上、未被一票否决的党员（含预备党员）中评选。"
        "请从名单中删除。",
    ]


def test_e805_a_member_of_another_branch_nominated(data: DataDir) -> None:
    selection(data)
    nominations(data, branch="b-b", nominated="[m01]", passed=None)
    assert data.lines() == [
        "nominations/b-b/2025.yaml:5:13: E805 m01（张一）属于党支部“b-a”，不能由党支部“b-b”推荐。"
        "请删除，由其所在党支部在 nominations/b-a/2025.yaml 中推荐。",
    ]


def test_e806_confirmed_without_passing_the_review(data: DataDir) -> None:
    selection(data)
    nominations(data, passed="[m03]")
    committee(data, confirmed="[m03, m01]")
    assert data.lines() == [
        "nominations/2025.yaml:4:18: E806 m01（张一）未通过党总支初审（nominations/b-a/2025.yaml 的 "
        "review.passed）。请从认定名单中删除，或先完成前面的步骤。",
    ]


def test_e807_review_dated_before_the_nomination(data: DataDir) -> None:
    selection(data)
    nominations(data, on="2026-01-10", reviewed="2026-01-08")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:7:9: E807 党总支初审日期 2026-01-08 早于支部初定日期 2026-01-10。"
        "请核对。",
    ]


def test_e808_more_confirmed_than_the_share_allows(data: DataDir) -> None:
    selection(data)
    policy = (data.root / "policy.yaml").read_text("utf-8")
    data.write("policy.yaml", policy.replace("excellent_share: null", "excellent_share: 0.5"))
    nominations(data)
    committee(data, confirmed="[m03, m01]")
    assert data.lines() == [
        "nominations/2025.yaml:4:12: E808 党工委认定了 2 名优秀党员，超过政策规定的比例："
        "excellent_share 为 0.5，2025 年度参加积分的党员 3 人，最多认定 1 人。请减少认定人数，"
        "或报党工委修改 data/policy.yaml 的 excellent_share。",
    ]


def test_e809_a_member_nominated_twice(data: DataDir) -> None:
    selection(data)
    nominations(data, nominated="[m03, m01, m03]")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:5:23: E809 m03 在支部初定名单中重复出现。请只保留一处。",
    ]


def test_e810_decision_for_a_member_not_on_the_list(data: DataDir) -> None:
    selection(data)
    nominations(data)
    committee(data, decisions=DECIDED + "  - {member: m01, action: probation_cancelled, "
              "date: 2026-01-20}\n")
    assert data.lines() == [
        "nominations/2025.yaml:7:27: E810 m01（张一）不在 2025 年度“取消预备党员资格”名单中：2025 年是正式党员"
        "（名单：年度积分低于 100 分的预备党员）。请核对 member 和 action。",
    ]


def test_w201_member_of_a_list_without_a_decision(data: DataDir) -> None:
    selection(data)
    nominations(data)
    committee(data, decisions="")
    assert data.lines() == [
        "nominations/2025.yaml:1:7: W201 m02（李二）在 2025 年度“取消预备党员资格”名单中，"
        "党工委已开始登记该年度的认定和决定，但没有对其的决定。请在 decisions 中补上（member、action、date）。",
    ]


# --- the private store: phone and ID numbers, outside the data (E9xx, generator/private.py) ------

PRIVATE_ID = "110101199003070003"  # fictional (sequence 000 is never issued), check character 3


def private_lines(data: DataDir, text: str, today: str = "2027-01-15") -> list[str]:
    """Diagnostics of a private store written next to the data directory (not in Git),
    paths shown relative to its folder."""
    from generator.private import check_private

    store = data.write("../private/members.yaml", text).resolve()
    dataset, _ = data.check(today)
    found, read = check_private(store, dataset, data.root, today=today)
    assert read == 1
    return [d.format().replace(f"{store.parent}/", "") for d in found]


def private_member(member: str = "m01", phone: str = "0571-12345678",
                   id_number: str = PRIVATE_ID, **extra: str) -> str:
    lines = [f"  - member: {member}", *(f"    {k}: {v}" for k, v in extra.items()),
             f'    phone: "{phone}"', f'    id_number: "{id_number}"']
    return "\n".join(lines) + "\n"


def test_e901_private_store_named_but_missing(data: DataDir) -> None:
    from generator.private import check_private

    data.member("m01", name="张一")
    dataset, _ = data.check()
    missing = data.root.parent / "nowhere.yaml"
    found, read = check_private(missing, dataset, data.root)
    assert read == 0
    assert [d.format().replace(f"{data.root.parent}/", "") for d in found] == [
        "nowhere.yaml:1:1: E901 找不到私密信息文件 nowhere.yaml（由 --private 指定）："
        "联系电话和身份证号码只保存在本机，不提交到 Git、不公开。请按仓库根目录的 private.example.yaml "
        "建立这个文件（默认位置是仓库根目录下的 private/members.yaml），或用 --private 文件 / "
        "环境变量 JIFEN_PRIVATE 指定它的位置。"]


def test_e902_id_number_form(data: DataDir) -> None:
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member(id_number="11010119900307000x")) == [
        "members.yaml:4:16: E902 党员 m01（张一）的身份证号码格式不对：应为 18 位，前 17 位是数字，"
        "最后一位是数字或大写字母 X（这里有 18 个字符）。请与身份证核对。"]


def test_e903_id_number_check_character(data: DataDir) -> None:
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member(id_number="11010119900307000X")) == [
        "members.yaml:4:16: E903 党员 m01（张一）的身份证号码校验码（第 18 位）不对：按前 17 位计算应为 3。"
        "号码可能抄错了，请与身份证核对。"]


def test_e904_id_number_birth_date(data: DataDir) -> None:
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member(id_number="110101199002300006")) == [
        "members.yaml:4:16: E904 党员 m01（张一）的身份证号码第 7 至 14 位应是出生日期（年月日），"
        "这里不是有效的日期（须是存在的日期，在 1900-01-01 与今天之间）。请与身份证核对。"]


def test_e905_phone_number_form(data: DataDir) -> None:
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member(phone="138-0000-000")) == [
        "members.yaml:3:12: E905 党员 m01（张一）的联系电话格式不对。可以写：手机号（11 位数字，以 13 至 19 "
        "开头），或固定电话“区号-号码”（区号以 0 开头共 3 至 4 位，号码 7 至 8 位，例如 0571-12345678、"
        "010-12345678，连字符可省略）。请不要加空格、括号或 +86。"]


def test_e906_private_store_member_unknown(data: DataDir) -> None:
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member("m09")) == [
        "members.yaml:2:13: E906 党员“m09”不存在。请核对编号（见数据目录的 members/）；"
        "已不在册的党员，请删除这一项。"]


def test_e907_member_listed_twice(data: DataDir) -> None:
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member() + private_member()) == [
        "members.yaml:5:13: E907 党员“m01”在私密信息文件中出现了两次（第一次在第 2 行）。请合并为一项。"]


def test_e908_name_differs_from_the_record(data: DataDir) -> None:
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member(name="张二")) == [
        "members.yaml:3:11: E908 姓名“张二”与党员档案 m01 的姓名“张一”不符。请核对编号是否写错。"]


def test_e909_private_store_not_ignored_by_git(data: DataDir) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(data.root.parent)], check=True)
    data.member("m01", name="张一")
    assert private_lines(data, "members:\n" + private_member()) == [
        "members.yaml:1:1: E909 私密信息文件 members.yaml 在 Git 仓库中，且没有被 .gitignore 排除：联系电话和身份证号码不得提交到 Git。"
        "请把它放在仓库根目录的 private/ 文件夹中（.gitignore 已排除 /private/）或仓库之外。"]


def forms_lines(tmp_path: Path, text: str) -> list[str]:
    """What ``forms.yaml`` (the web forms' settings, generator/decap.py) gets."""
    from generator.decap import load_settings

    (tmp_path / "forms.yaml").write_text(text, "utf-8")
    return [d.format() for d in load_settings(tmp_path / "forms.yaml", "forms.yaml")[1]]


def test_e950_forms_yaml_lacks_what_the_forge_needs(tmp_path: Path) -> None:
    assert forms_lines(tmp_path, "forge: gitlab\nrepo: jiedao/jifen\n") == [
        "forms.yaml:1:1: E950 网页表单连接 GitLab 时必须填写 app_id：用户用 PKCE 方式登录，需要平台上"
        "登记的 OAuth 应用的编号。请按 README“网页表单登记（不用 Git）”一节补上。"]


def test_e951_gitea_forms_commit_to_a_registration_branch(tmp_path: Path) -> None:
    assert forms_lines(tmp_path, "forge: gitea\nrepo: a/b\napp_id: x\n"
                                 "url: https://gitea.example.org\nbranch: main\n") == [
        "forms.yaml:5:9: E951 Gitea 的网页表单不能发起合并请求，登记会直接提交到 branch 指定的分支"
        "（这里是“main”）。请把 branch 设为单独的登记分支（例如 registrations），再在 Gitea 上发起一个"
        "从它到 main 的合并请求，由审核人审核合并；使用 Forgejo 时请改写 forge: forgejo。"]


def test_every_code_has_a_test() -> None:
    source = Path(__file__).read_text("utf-8")
    tested = set(re.findall(r"def test_([ew]\d{3})_", source))
    assert {code.lower() for code in MESSAGES} == tested


def test_a_typo_in_organization_yaml_is_one_error_not_hundreds(data: DataDir) -> None:
    text = (data.root / "organization.yaml").read_text("utf-8")
    data.write("organization.yaml", text.replace("committee:", "comittee:") +
               "  - {id: b-bad, name: 坏, kind: factory}\n")
    data.member()
    data.member("m02", branch="b-bad")
    data.events(events_file(event("e1", "K7", "2025-03-01", points=-2)))
    codes = [line.split(": ", 1)[1].split()[0] for line in data.lines()]
    assert codes == ["E201", "E202", "E204"]
