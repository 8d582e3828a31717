"""Commands that write data (see the README): for registrars ``jifen add
event|meeting``, ``verify``, ``approve``, ``void``; for a branch committee ``jifen
close`` (which also says which additions still wait for the 党工委 and which members
are exempt, so not reviewed). Corrections and objections are ``commands_amend``,
members ``commands_member``.

Each command works out the new text of one or more data files (``edit.py``: the text
is edited, never re-dumped, so comments and formatting stay; ``closes.plan_close`` for
a close) and writes it through the one write path, ``change.py``: under the data
directory's lock, only when the whole data set still validates, then printing the Git
commands that propose the change as a merge request. What may be done with a record
is decided by ``records.py``.

Missing options are asked for (in Chinese) with ``-i`` or at a terminal; otherwise
they are a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from generator import edit, records
from generator.change import Asker, Change, Session, append, read_data, writing
from generator.closes import closed_members, plan_close
from generator.edit import EditError, Field, flow_list, plain, quoted
from generator.exceptions import UsageError
from generator.model import STATUS_NAMES, Dataset, Event
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
    summary,
    usable_text,
)
from generator.periods import WINDOW_DAYS, Quarter, quarter_bounds

# Short enough not to be wrapped by argparse in an 80-column terminal.
EPILOG_ADD = "示例：jifen add event --member m01 --rule K7 --date 2025-03-05 --points -3"
EPILOG_ADD_EVENT = EPILOG_ADD
EPILOG_ADD_MEETING = "示例：jifen add meeting --branch b-a --date 2025-03-10 --title 3月主题党日"
EPILOG_APPROVE = "示例：jifen approve ev-b-a-2025-03-01 --by 党工委 --on 2025-03-28"
EPILOG_VERIFY = "示例：jifen verify ev-b-a-2025-03-01"
EPILOG_VOID = "示例：jifen void ev-b-a-2025-03-02 --reason 重复登记"
EPILOG_CLOSE = "示例：jifen close b-a 2026-Q3 --meeting 2026-10-10"

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_SEPARATORS = re.compile(r"[\s,，、;；]+")
STATUS_CHOICES = ("declared", "verified", "registered")


def _batch(text: str) -> str:
    if not _ID.match(text) or len(text) > 32:
        raise argparse.ArgumentTypeError(
            f"批次名只能用小写字母、数字、“.”“_”“-”（不超过 32 个字符），例如 batch-02：{text}")
    return text


def register(commands: Commands) -> None:
    """Add the commands to the ``jifen`` parser."""
    p = command(commands, "add", None,
                help="登记一条加扣分或一次会议（写入 YAML 文件，不必手写 YAML）",
                description="登记一条加扣分（jifen add event）或一次组织生活会议"
                "（jifen add meeting）：写入对应的数据文件，写入前先校验。", epilog=EPILOG_ADD)
    what = kinds(p)

    e = command(what, "event", writing(cmd_add_event), help="登记一条加分申报或扣分",
                description="登记一条加分申报（规则 J…，写入 additions/支部/年-月.yaml）"
                "或扣分（规则 K…，写入 events/支部/年-月.yaml）。党员所在支部取自党员档案。",
                epilog=EPILOG_ADD_EVENT, memo=False)
    add_interactive(e)
    e.add_argument("--member", metavar="ID", help="党员编号或姓名，例如 m01")
    e.add_argument("--rule", metavar="CODE", help="规则编号，例如 J3（加分）、K7（扣分）")
    e.add_argument("--date", type=date, metavar="YYYY-MM-DD", help="发生日期")
    e.add_argument("--points", type=int, metavar="N",
                   help="分值，带符号（加分为正，扣分为负）；规则分值固定时可不填")
    e.add_argument("--note", metavar="TEXT", help="说明（不公开）")
    e.add_argument("--evidence", metavar="TEXT", help="书面记录依据（加分必填，不公开）")
    e.add_argument("--status", choices=STATUS_CHOICES,
                   help="状态（加分默认 declared 个人申报；扣分默认不填，即 registered）。"
                   "审定用 jifen approve，作废用 jifen void")
    e.add_argument("--id", metavar="ID", help="登记编号（默认：ev-支部-年-月-序号，自动取下一个）")
    e.add_argument("--batch", type=_batch, metavar="NAME",
                   help="写入单独的批次文件 年-月-NAME.yaml（同一个月有几个合并请求同时进行时用）")

    m = command(what, "meeting", writing(cmd_add_meeting), help="登记一次组织生活会议及考勤",
                description="登记一次组织生活会议及考勤，写入 meetings/支部/年.yaml。"
                "名单中的多人用逗号分隔；不在任何名单上的人员视为出席。",
                epilog=EPILOG_ADD_MEETING, memo=False)
    add_interactive(m)
    m.add_argument("--branch", metavar="ID", help="召开会议的党支部编号")
    m.add_argument("--date", type=date, metavar="YYYY-MM-DD", help="会议日期")
    m.add_argument("--title", metavar="TEXT", help="会议名称，例如：3月主题党日")
    for name, words in (("absent", "无故缺席（扣 5 分）"), ("leave", "请假（扣 2 分）"),
                        ("late", "迟到（扣 1 分）"), ("early", "早退（扣 1 分）")):
        m.add_argument(f"--{name}", action="append", metavar="m1,m2",
                       help=f"{words}的人员编号或姓名，逗号分隔")
    m.add_argument("--id", metavar="ID", help="会议编号（默认：mt-支部-年-月-序号，自动取下一个）")

    p = command(commands, "approve", writing(cmd_approve), help="党工委审定加分（status: approved）",
                description="党工委审定加分：把支部核实（verified）的加分改为 approved，"
                "并写明审定人和审定日期。加分的程序是个人申报 → 支部核实 → 党工委审定；"
                "尚未经支部核实的个人申报，须用 --unverified-reason 写明不经核实的原因。",
                epilog=EPILOG_APPROVE, memo=False)
    add_interactive(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="加分登记编号，可以有多个")
    p.add_argument("--by", metavar="TEXT", help="审定人，例如：党工委（2025年第3次委员会议）")
    p.add_argument("--on", type=date, metavar="YYYY-MM-DD", help="审定日期")
    p.add_argument("--unverified-reason", metavar="TEXT",
                   help="审定尚未经支部核实的个人申报时，写明为什么不经核实（记入登记，不公开）")

    p = command(commands, "verify", writing(cmd_verify), help="支部核实加分申报（status: verified）",
                description="支部核实加分申报：把个人申报（declared）的加分改为 verified，"
                "等待党工委审定。", epilog=EPILOG_VERIFY, memo=False)
    add_interactive(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="加分登记编号，可以有多个")

    p = command(commands, "void", writing(cmd_void), help="作废一条加扣分登记（保留记录，status: void）",
                description="作废加扣分登记：记录保留在文件中，状态改为 void 并写明原因，"
                "不再计分。", epilog=EPILOG_VOID, memo=False)
    add_interactive(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="登记编号，可以有多个")
    p.add_argument("--reason", metavar="TEXT", help="作废原因")

    p = command(commands, "close", writing(cmd_close),
                help="支委会审定一个季度：写入审定文件，此后该季度的登记不能再改动",
                description="支委会审定一个季度的积分（季通报）：把每名党员的积分和所计登记的"
                "摘要写入 closes/支部/季度.yaml。审定后该季度的登记不能再改动，错误用更正"
                "（corrections）处理；公开栏把该季度显示为已公布。",
                epilog=EPILOG_CLOSE, memo=False)
    p.add_argument("branch", metavar="BRANCH", help="党支部编号")
    p.add_argument("quarter", metavar="YYYY-Qn", help="季度，例如 2026-Q3")
    p.add_argument("--meeting", type=date, required=True, metavar="YYYY-MM-DD",
                   help="支委会审定日期（须在季度结束之后）")
    p.add_argument("--window-from", type=date, default=None, metavar="YYYY-MM-DD",
                   help="公示开始日期（默认：审定日期）")
    p.add_argument("--window-until", type=date, default=None, metavar="YYYY-MM-DD",
                   help=f"公示结束日期（默认：开始后第 {WINDOW_DAYS} 天）")


def _check_int(text: str) -> str | None:
    try:
        int(text)
    except ValueError:
        return f"分值应是整数（扣分为负数），例如 -5：{text}"
    return None


def _ids(values: Sequence[str] | None) -> list[str]:
    """Ids given as repeated options and/or separated by commas or spaces, in order."""
    found: list[str] = []
    for value in values or ():
        for ident in _SEPARATORS.split(value):
            if ident and ident not in found:
                found.append(ident)
    return found


# --- jifen add event ------------------------------------------------------------------------

def cmd_add_event(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.member, args.rule, args.note, args.evidence, args.id)
    ask.require([option for option, value in (("--member", args.member), ("--rule", args.rule),
                                              ("--date", args.date)) if value is None])
    dataset, before, _ = session.check()

    def known_member(text: str) -> str | None:
        found = records.members_called(dataset, text)
        if isinstance(found, str) or found is not None:
            return found if isinstance(found, str) else None
        return f"党员“{text}”不存在。请核对编号或姓名（见 data/members/），或先建立该党员的档案。"

    named = args.member or ask.ask("党员编号或姓名（例如 m01）：", known_member)
    who = member_id(dataset, named)  # a name several members share: exit 2
    if who is None:
        return out.fail([str(known_member(named))])
    member = dataset.members[who]
    codes = {code for c in dataset.catalogues for code in c.versions}

    def known_rule(code: str) -> str | None:
        if code.upper() in codes:
            return None
        return f"规则“{code}”不存在。请核对 data/rules/ 中的规则编号（例如 J3、K7）。"

    rule_code = args.rule or ask.ask("规则编号（见 data/rules/，例如 J3、K7）：", known_rule)
    rule_code = rule_code.strip()
    if rule_code not in codes and rule_code.upper() in codes:
        rule_code = rule_code.upper()
    day = args.date or date(ask.ask("发生日期（YYYY-MM-DD）：", date_problem))
    rule = dataset.rule_for(member, rule_code, day)
    if rule is None:
        return out.fail([f"规则“{rule_code}”在 {day} 不适用于{member.name}（{member.id}）："
                         "它不在该党员所在党支部适用的积分标准中，或当天不在有效期内。"
                         "请核对 data/rules/ 中的规则编号和有效期。"])
    addition = rule.is_addition

    points = args.points
    if points is None and rule.range is not None:
        lo, hi = rule.range
        ask.require(["--points"], f"：规则 {rule.code}“{rule.name}”的分值在 {lo} 到 {hi} 分之间，"
                    "须写明（带符号）")
        points = int(ask.ask(f"分值（规则 {rule.code}“{rule.name}”为 {lo} 到 {hi} 分）：",
                             _check_int))
    evidence = args.evidence
    if evidence is None and addition:
        ask.require(["--evidence"], "：加分须有书面记录依据")
        evidence = ask.ask("书面记录依据（加分必填，例如：志愿服务签到表 2025-03-05）：")
    note = args.note
    if note is None and ask.explicit:
        note = ask.ask("说明（不公开，可留空，直接回车跳过）：", optional=True) or None
    usable_text(named, rule_code, note, evidence)
    status = args.status or ("declared" if addition else None)
    closed = None if addition else records.closed_to_deductions(dataset, member.id, day)
    if closed is not None:
        return out.fail([closed])

    branch = member.branch
    folder = "additions" if addition else "events"
    name = f"{day[:7]}-{args.batch}.yaml" if args.batch else f"{day[:7]}.yaml"
    path = run.data / folder / branch / name
    ident = args.id or records.next_event_id(dataset, branch, day, args.batch)

    fields: list[Field] = [("id", plain(ident)), ("member", plain(member.id)),
                           ("rule", plain(rule_code)), ("date", plain(day))]
    if points is not None:
        fields.append(("points", plain(points)))
    if note is not None:
        fields.append(("note", quoted(note)))
    if evidence is not None:
        fields.append(("evidence", quoted(evidence)))
    if status is not None:
        fields.append(("status", plain(status)))

    change = Change()
    try:
        append(change, path, "events", branch, fields)
    except EditError as exc:
        return out.fail([str(exc)])
    what = "加分申报" if addition else "扣分登记"
    shown = str(path)
    state = f"，状态：{STATUS_NAMES[status]}" if status else ""
    change.lines.append(
        f"已{'新建' if shown in change.created else '写入'} {shown}：{what} {ident}"
        f"（{member.id} {member.name}，规则 {rule_code}“{rule.name}”，{day}{state}）。")
    change.branch = f"add-{ident}"
    change.message = f"{'申报加分' if addition else '登记扣分'} {ident}（{member.id}，{rule_code}，{day}）"
    return session.finish(out, change, before)


# --- jifen add meeting ----------------------------------------------------------------------

def cmd_add_meeting(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    lists = {name: _ids(getattr(args, name)) for name in ("absent", "leave", "late", "early")}
    usable_text(args.branch, args.title, args.id, *(i for ids in lists.values() for i in ids))
    ask.require([option for option, value in (("--branch", args.branch), ("--date", args.date),
                                              ("--title", args.title)) if value is None])
    dataset, before, _ = session.check()
    branches = dataset.organization.branches if dataset.organization else {}

    def known_branch_id(ident: str) -> str | None:
        if ident in branches:
            return None
        return f"党支部“{ident}”不存在。请使用 data/organization.yaml 中登记的党支部编号。"

    branch = args.branch or ask.ask("党支部编号（例如 b-a）：", known_branch_id)
    day = args.date or date(ask.ask("会议日期（YYYY-MM-DD）：", date_problem))
    title = args.title or ask.ask("会议名称（例如：3月主题党日）：")
    if ask.explicit:
        words = {"absent": "无故缺席", "leave": "请假", "late": "迟到", "early": "早退"}
        for name, word in words.items():
            if getattr(args, name) is None:
                lists[name] = _ids([ask.ask(f"{word}的人员编号或姓名（逗号分隔，可留空）：",
                                            optional=True)])
    usable_text(branch, title, *(i for ids in lists.values() for i in ids))
    unknown: list[str] = []
    for name, given in lists.items():  # names become ids; a shared name is exit 2
        lists[name] = [member_id(dataset, text) or text for text in given]
        unknown += [f"党员“{text}”不存在。请核对编号或姓名（见 data/members/）。"
                    for text in lists[name] if text not in dataset.members
                    and text not in dataset.files.broken_ids("member")]
    if unknown:
        return out.fail(unknown)

    closed = records.closed_to_meetings(dataset, branch, day)
    if closed is not None:
        return out.fail([closed])
    ident = args.id or records.next_meeting_id(dataset, branch, day)
    fields: list[Field] = [("id", plain(ident)), ("branch", plain(branch)),
                           ("date", plain(day)), ("title", quoted(title))]
    fields += [(name, flow_list(ids)) for name, ids in lists.items() if ids]
    path = run.data / "meetings" / branch / f"{day[:4]}.yaml"
    change = Change()
    try:
        append(change, path, "meetings", branch, fields)
    except EditError as exc:
        return out.fail([str(exc)])
    shown = str(path)
    counts = "，".join(f"{word} {len(lists[name])} 人" for name, word in
                      (("absent", "缺席"), ("leave", "请假"), ("late", "迟到"),
                       ("early", "早退")) if lists[name]) or "全体出席"
    change.lines.append(f"已{'新建' if shown in change.created else '写入'} {shown}：会议 {ident}"
                        f"（{branch}，{day}，{title}；{counts}）。")
    change.branch = f"add-{ident}"
    change.message = f"登记会议 {ident}（{title}，{day}）"
    return session.finish(out, change, before)


# --- jifen approve / verify / void ----------------------------------------------------------

Decide = Callable[[Dataset, Event, bool], records.Decision]


def _change_events(run: Run, out: Output, session: Session, ids: list[str],
                   decide: Decide, action: str, message: str) -> int:
    """Apply ``decide`` (``records.verify``, ``approve`` or ``void``, given the data, the
    event and whether it is an addition) to each event ``ids`` name, or to none."""
    dataset, before, _ = session.check()
    problems: list[str] = []
    chosen: list[tuple[Event, list[Field], str]] = []
    for event in records.find_events(dataset, ids, run.args.data):
        if isinstance(event, str):
            problems.append(event)
            continue
        decided = decide(dataset, event, records.is_addition(dataset, event))
        if isinstance(decided, str):
            problems.append(decided)
        else:
            chosen.append((event, *decided))
    if problems:
        return out.fail(problems)

    change = Change()
    try:
        for event, fields, done in chosen:
            text = change.texts.get(event.path)
            if text is None:
                text = read_data(Path(event.path)) or ""
            change.texts[event.path] = edit.update_item(text, "events", event.id, fields,
                                                        path=event.path)
            change.lines.append(f"已写入 {event.path}：{event.id} {done}。")
    except EditError as exc:
        return out.fail([str(exc)])
    more = f"-and-{len(ids) - 1}-more" if len(ids) > 1 else ""
    change.branch = f"{action}-{ids[0]}{more}"
    change.message = message
    return session.finish(out, change, before)


def _ids_or_ask(args: argparse.Namespace, ask: Asker, prompt: str) -> list[str]:
    ids = _ids(args.ids)
    if not ids:
        ids = _ids([ask.ask(prompt)])
    usable_text(*ids)
    return ids


def cmd_approve(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.by)
    ask.require([option for option, value in (("登记编号 ID", args.ids or None),
                                              ("--by", args.by), ("--on", args.on))
                 if value is None])
    ids = _ids_or_ask(args, ask, "要审定的加分登记编号（多个用空格或逗号分隔）：")
    by = args.by or ask.ask("审定人（例如：党工委（2025年第3次委员会议））：")
    on = args.on or date(ask.ask("审定日期（YYYY-MM-DD）：", date_problem))
    reason = args.unverified_reason
    usable_text(by, reason)

    def approve(dataset: Dataset, event: Event, addition: bool) -> records.Decision:
        return records.approve(event, addition, by, on, reason)

    return _change_events(run, out, session, ids, approve,
                          "approve", f"审定加分 {'、'.join(ids)}（{by}，{on}）")


def cmd_verify(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    ask.require(["登记编号 ID"] if not args.ids else [])
    ids = _ids_or_ask(args, ask, "要核实的加分登记编号（多个用空格或逗号分隔）：")
    return _change_events(run, out, session, ids, lambda _, event, addition: records.verify(
        event, addition), "verify", f"核实加分申报 {'、'.join(ids)}")


def cmd_void(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.reason)
    ask.require([option for option, value in (("登记编号 ID", args.ids or None),
                                              ("--reason", args.reason)) if value is None])
    ids = _ids_or_ask(args, ask, "要作废的登记编号（多个用空格或逗号分隔）：")
    reason = args.reason or ask.ask("作废原因：")
    usable_text(reason)

    def void(dataset: Dataset, event: Event, addition: bool) -> records.Decision:
        closed = records.counted_in_closed(dataset, event, addition)
        return records.void(event, addition, reason, closed)

    return _change_events(run, out, session, ids, void, "void",
                          f"作废登记 {'、'.join(ids)}：{reason}")


# --- jifen close ----------------------------------------------------------------------------

def cmd_close(run: Run, out: Output, session: Session) -> int:
    args = run.args
    if Quarter.parse(args.quarter) is None:
        raise UsageError(f"季度请写成 YYYY-Qn，例如 2026-Q3：{args.quarter}")
    dataset, before, files = session.check()
    errors = [d for d in before if d.is_error]
    if errors:
        return out.fail([d.format() for d in errors],
                        summary(files, before) + "数据有错误，无法审定季度；请先改正。")
    known_branch(dataset, args.branch)
    target = run.data / "closes" / args.branch / f"{args.quarter}.yaml"
    plan = plan_close(dataset, args.branch, args.quarter, args.meeting, today=run.today,
                      window_from=args.window_from, window_until=args.window_until,
                      target=str(target))
    if isinstance(plan, list):
        return out.fail(plan)
    start, until = plan.window
    first, end = quarter_bounds(args.quarter)
    members = [dataset.members[m] for m in closed_members(dataset, args.branch, args.quarter)]
    exempt = [m for m in members if m.exempt_on(end)]
    aside = ("（另有 {} 名暂不列入积分制管理，不参加审定：{}）".format(
        len(exempt), "、".join(f"{m.id} {m.name}" for m in exempt)) if exempt else "")
    lines = [f"已写入 {target}：{args.quarter} 审定 {len(members) - len(exempt)} 名党员的积分"
             f"{aside}，公示期 {start} 至 {until}。"]
    pending = records.pending_additions(dataset, {m.id for m in members}, first, end)
    if pending:
        lines.append(f"提醒：{len(pending)} 条加分尚待党工委审定，没有计入 {args.quarter} 的积分"
                     "（审定后自审定日期起计分）：")
        lines += [f"  {e.id}  {e.member} {dataset.members[e.member].name}  {e.rule}  {e.date}  "
                  f"{STATUS_NAMES[e.status or 'declared']}" for e in pending]
    change = Change(
        texts={str(target): plan.text}, created={str(target)}, lines=lines,
        branch=f"jifen/close-{args.branch}-{args.quarter.lower()}",
        message=f"{args.branch}: 支委会审定 {args.quarter} 积分", review="，由支部委员审核")
    return session.finish(out, change, before)
