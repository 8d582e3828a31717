"""Commands for a member's record over the year (see the README): ``jifen member add``
(a new member, in scope from a day), ``change`` (category from a day), ``move``
(branch from a day: the file moves to the new branch's folder), ``leave`` (out of
scope from a day).

A member file keeps its history by date (``categories:``, ``branches:``, oldest
first, the last entry equal to ``category`` and ``branch``) and ``left:``. A file
without history gets the implied entry for what it held before the change, from
``joined_on``, else from the first entry of its other history, else from the first
day of the earliest year the data holds (``records.history_start``): the member was
what the file said before the change for every record the data can hold. The
commands read the file as it is (not only the records built from it) and edit its
text (``edit.py``), writing through ``change.py``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import edit, records, yamlio
from generator.change import Asker, Change, Session, read_data, writing
from generator.edit import EditError, Field, plain, quoted
from generator.exceptions import UsageError
from generator.model import CATEGORY_NAMES, Dataset, Member
from generator.options import (
    Commands,
    Output,
    Run,
    add_interactive,
    command,
    date,
    date_problem,
    kinds,
    known_branch,
    member_id,
    usable_text,
)

EPILOG_MEMBER = "示例：jifen member add m61 --name 张一 --branch b-a --category full --joined-on 2026-09-01"
EPILOG_ADD = EPILOG_MEMBER
EPILOG_CHANGE = "示例：jifen member change m01 --category full --on 2026-06-15"
EPILOG_MOVE = "示例：jifen member move m01 --branch b-b --on 2026-08-01"
EPILOG_LEAVE = "示例：jifen member leave m01 --on 2026-10-01 --reason transferred_out"
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _checked(parse: Callable[[str], str]) -> Callable[[str], str | None]:
    """What is wrong with a typed answer, by an argparse type (None: nothing)."""
    def check(text: str) -> str | None:
        try:
            parse(text)
        except argparse.ArgumentTypeError as exc:
            return str(exc)
        return None

    return check


def _choice(names: dict[str, str], what: str) -> Callable[[str], str]:
    """An argparse type taking a code or its Chinese name (``full`` or ``正式党员``)."""
    codes = {name: code for code, name in names.items()}

    def parse(text: str) -> str:
        text = text.strip()
        if text in names:
            return text
        if text in codes:
            return codes[text]
        listed = "、".join(f"{code}（{name}）" for code, name in names.items())
        raise argparse.ArgumentTypeError(f"{what}应是 {listed} 之一：{text}")

    return parse


category = _choice(CATEGORY_NAMES, "人员类别")
leave_reason = _choice(records.LEAVE_REASONS, "离开原因")


def member_ident(text: str) -> str:
    if not _ID.match(text):
        raise argparse.ArgumentTypeError(
            f"党员编号只能用小写字母、数字、“.”“_”“-”，以字母或数字开头（不超过 64 个字符）：{text}")
    return text


def register(commands: Commands) -> None:
    """Add the commands to the ``jifen`` parser."""
    p = command(commands, "member", None, help="党员档案：新增、类别变更、转支部、离开",
                description="维护党员档案（data/members/支部/编号.yaml），不必手写 YAML：新增党员"
                "（member add）、人员类别变更（member change）、转到另一个党支部（member move）、"
                "离开（member leave）。每项变动都写明日期，档案中保留按日期的记录。",
                epilog=EPILOG_MEMBER)
    what = kinds(p)
    category_help = "人员类别：full 正式党员、probationary 预备党员、activist 入党积极分子（也可写中文）"

    p = command(what, "add", writing(cmd_add), help="新增一名党员的档案",
                description="新增一名党员（或预备党员、入党积极分子）的档案，写入 "
                "data/members/支部/编号.yaml；自 --joined-on 起列入积分制管理。",
                epilog=EPILOG_ADD, memo=False)
    add_interactive(p)
    p.add_argument("id", nargs="?", type=member_ident, metavar="ID", help="党员编号，例如 m61")
    p.add_argument("--name", metavar="NAME", help="姓名")
    p.add_argument("--branch", metavar="BRANCH", help="所在党支部编号")
    p.add_argument("--category", type=category, metavar="CATEGORY", help=category_help)
    p.add_argument("--joined-on", type=date, metavar="YYYY-MM-DD",
                   help="自这一天起列入积分制管理（例如转入或入册的日期）")

    p = command(what, "change", writing(cmd_change), help="人员类别变更（例如预备党员转正）",
                description="人员类别变更（例如预备党员转为正式党员）：自 --on 这一天起按新类别，"
                "此前仍按原类别；档案的 categories 中按日期记录。",
                epilog=EPILOG_CHANGE, memo=False)
    add_interactive(p)
    p.add_argument("member", nargs="?", metavar="MEMBER", help="党员编号或姓名")
    p.add_argument("--category", type=category, metavar="CATEGORY", help="新的" + category_help)
    p.add_argument("--on", type=date, metavar="YYYY-MM-DD", help="自这一天起按新类别")

    p = command(what, "move", writing(cmd_move), help="转到另一个党支部",
                description="党员转到另一个党支部：自 --on 这一天起属于新支部，档案文件移到新支部的"
                "文件夹，branches 中按日期记录。",
                epilog=EPILOG_MOVE, memo=False)
    add_interactive(p)
    p.add_argument("member", nargs="?", metavar="MEMBER", help="党员编号或姓名")
    p.add_argument("--branch", metavar="BRANCH", help="新的党支部编号")
    p.add_argument("--on", type=date, metavar="YYYY-MM-DD", help="自这一天起属于新支部")

    p = command(what, "leave", writing(cmd_leave), help="党员离开（转出、停止党籍、去世等）",
                description="党员离开：自 --on 这一天起不再列入积分制管理，档案保留，写明日期和原因（left）。",
                epilog=EPILOG_LEAVE, memo=False)
    add_interactive(p)
    p.add_argument("member", nargs="?", metavar="MEMBER", help="党员编号或姓名")
    p.add_argument("--on", type=date, metavar="YYYY-MM-DD", help="离开日期")
    p.add_argument("--reason", type=leave_reason, metavar="REASON",
                   help="离开原因：transferred_out 转出、stopped 停止党籍、died 去世、other 其他"
                   "（也可写中文）")
    p.add_argument("--note", metavar="TEXT", help="说明，例如：转往外省（可选）")


# --- reading a member's file ------------------------------------------------------------------

def _member(dataset: Dataset, text: str) -> Member:
    """The member ``text`` names (id or name); nobody, or a shared name: exit 2."""
    who = member_id(dataset, text)
    if who is None:
        raise UsageError(f"党员“{text}”不存在。请核对编号或姓名（见 data/members/）。")
    return dataset.members[who]


def _file(member: Member) -> tuple[str, dict[str, Any]]:
    """The text of a member's file and its value (the file validated, so a mapping)."""
    text = read_data(Path(member.path))
    if text is None:
        raise EditError(f"找不到 {member.path}。")
    value, _, _ = yamlio.parse(member.path, text.encode("utf-8"))
    if not isinstance(value, dict):
        raise EditError(f"{member.path} 的写法无法识别，无法自动修改。请先改正这个文件。")
    return text, value


def _history(text: str, key: str, field: str, new: str, items: list[list[Field]],
             path: str) -> str:
    text = edit.set_keys(text, [(field, plain(new))], path=path)
    for item in items:
        text = edit.append_item(text, key, item, branch="", path=path, flow=True)
    return text


def _implied(items: list[list[Field]], names: dict[str, str]) -> str:
    if len(items) < 2:
        return ""
    start, value = items[0][0][1], items[0][1][1]
    return f"（档案中补记：自 {start} 起为{names.get(value, value)}）"


# --- the commands -----------------------------------------------------------------------------

def cmd_add(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.name, args.branch)
    ask.require([option for option, value in (("党员编号 ID", args.id), ("--name", args.name),
                                              ("--branch", args.branch),
                                              ("--category", args.category),
                                              ("--joined-on", args.joined_on)) if value is None])
    dataset, before, _ = session.check()
    ident = args.id or ask.ask("党员编号（例如 m61）：", _checked(member_ident))
    name = args.name or ask.ask("姓名：")
    branch = args.branch or ask.ask("所在党支部编号：")
    kind = args.category or category(ask.ask("人员类别（full、probationary 或 activist）：",
                                             _checked(category)))
    joined = args.joined_on or date(ask.ask("列入积分制管理的日期（YYYY-MM-DD）：", date_problem))
    usable_text(name, branch)
    known_branch(dataset, branch)
    path = run.data / "members" / branch / f"{ident}.yaml"
    taken = dataset.members.get(ident)
    if taken is not None or ident in dataset.files.broken_ids("member") or path.exists():
        where = taken.path if taken is not None else path
        return out.fail([f"党员编号“{ident}”已被使用（{where}）。请换一个编号。"])
    fields: list[Field] = [("id", plain(ident)), ("name", quoted(name)),
                           ("branch", plain(branch)), ("category", plain(kind)),
                           ("joined_on", plain(joined))]
    change = Change(texts={str(path): edit.mapping_file(fields)}, created={str(path)})
    change.lines.append(f"已新建 {path}：党员档案 {ident} {name}（{records.branch_name(dataset, branch)}，"
                        f"{CATEGORY_NAMES[kind]}，自 {joined} 起列入积分制管理）。")
    namesakes = [m for m in dataset.members.values() if m.name == name]
    if namesakes:
        listed = "、".join(f"{m.id}（{records.branch_name(dataset, m.branch)}）" for m in namesakes)
        change.lines.append(f"提醒：已有同名党员 {listed}；在命令中指这几名党员时请用编号。")
    change.branch = f"member-add-{ident}"
    change.message = f"新增党员档案 {ident}（{name}，{branch}，{joined}）"
    return session.finish(out, change, before)


def cmd_change(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.member)
    ask.require([option for option, value in (("党员 MEMBER", args.member),
                                              ("--category", args.category), ("--on", args.on))
                 if value is None])
    dataset, before, _ = session.check()
    member = _member(dataset, args.member or ask.ask("党员编号或姓名："))
    new = args.category or category(ask.ask("新的人员类别（full、probationary 或 activist）：",
                                            _checked(category)))
    on = args.on or date(ask.ask("自哪一天起（YYYY-MM-DD）：", date_problem))
    names = {"what": "人员类别", **CATEGORY_NAMES}
    try:
        text, value = _file(member)
        items = records.history_items(dataset, value, "categories", "category", new, on, names)
        if isinstance(items, str):
            return out.fail([items])
        new_text = _history(text, "categories", "category", new, items, member.path)
    except EditError as exc:
        return out.fail([str(exc)])
    old = CATEGORY_NAMES.get(str(value.get("category")), str(value.get("category")))
    change = Change(texts={member.path: new_text}, lines=[
        f"已写入 {member.path}：{member.id} {member.name} 自 {on} 起由{old}改为"
        f"{CATEGORY_NAMES[new]}{_implied(items, names)}。"])
    change.branch = f"member-{member.id}-{new}"
    change.message = f"{member.id}（{member.name}）自 {on} 起改为{CATEGORY_NAMES[new]}"
    return session.finish(out, change, before)


def cmd_move(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.member, args.branch)
    ask.require([option for option, value in (("党员 MEMBER", args.member),
                                              ("--branch", args.branch), ("--on", args.on))
                 if value is None])
    dataset, before, _ = session.check()
    member = _member(dataset, args.member or ask.ask("党员编号或姓名："))
    branch = args.branch or ask.ask("新的党支部编号：")
    on = args.on or date(ask.ask("自哪一天起（YYYY-MM-DD）：", date_problem))
    usable_text(branch)
    known_branch(dataset, branch)
    names = {"what": "党支部", branch: records.branch_name(dataset, branch)}
    try:
        text, value = _file(member)
        items = records.history_items(dataset, value, "branches", "branch", branch, on, names)
        if isinstance(items, str):
            return out.fail([items])
        new_text = _history(text, "branches", "branch", branch, items, member.path)
    except EditError as exc:
        return out.fail([str(exc)])
    target = run.data / "members" / branch / Path(member.path).name
    if target.exists():
        return out.fail([f"{target} 已经存在。请先核对这两个档案文件。"])
    old = str(value.get("branch"))
    change = Change(texts={str(target): new_text}, created={str(target)},
                    removed={member.path}, lines=[
        f"已把 {member.path} 移到 {target}：{member.id} {member.name} 自 {on} 起由"
        f"{records.branch_name(dataset, old)}转入{records.branch_name(dataset, branch)}"
        f"{_implied(items, {**names, old: records.branch_name(dataset, old)})}。"])
    change.branch = f"member-{member.id}-to-{branch}"
    change.message = f"{member.id}（{member.name}）自 {on} 起转入 {branch}"
    return session.finish(out, change, before)


def cmd_leave(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.member, args.note)
    ask.require([option for option, value in (("党员 MEMBER", args.member), ("--on", args.on),
                                              ("--reason", args.reason)) if value is None])
    dataset, before, _ = session.check()
    member = _member(dataset, args.member or ask.ask("党员编号或姓名："))
    on = args.on or date(ask.ask("离开日期（YYYY-MM-DD）：", date_problem))
    reason = args.reason or leave_reason(ask.ask(
        "离开原因（transferred_out 转出、stopped 停止党籍、died 去世、other 其他）：",
        _checked(leave_reason)))
    note = args.note
    if note is None and ask.explicit:
        note = ask.ask("说明（可留空，直接回车跳过）：", optional=True) or None
    usable_text(note)
    fields: list[Field] = [("date", plain(on)), ("reason", plain(reason))]
    if note is not None:
        fields.append(("note", quoted(note)))
    try:
        text, value = _file(member)
        problem = records.leaving(value, on)
        if problem is not None:
            return out.fail([problem])
        new_text = edit.add_mapping(text, "left", fields, path=member.path)
    except EditError as exc:
        return out.fail([str(exc)])
    change = Change(texts={member.path: new_text}, lines=[
        f"已写入 {member.path}：{member.id} {member.name} 自 {on} 起离开"
        f"（{records.LEAVE_REASONS[reason]}{'：' + note if note else ''}），此后不再列入积分制管理。"])
    change.branch = f"member-{member.id}-left"
    change.message = f"{member.id}（{member.name}）{on} 离开：{records.LEAVE_REASONS[reason]}"
    return session.finish(out, change, before)
