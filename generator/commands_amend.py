"""Commands for what follows a quarter's publication (see the README): ``jifen
correct`` registers a correction (更正) of a counted event or of a member's attendance
at a meeting of a closed quarter; ``jifen object`` registers an objection (异议) raised
in a publication window, and later its outcome.

Like ``jifen add`` they edit data files as text (``edit.py``) and write through the one
write path (``change.py``: the lock, the whole data set checked first, the Git commands
printed). A correction goes into a file of its own, ``events/<branch>/<YYYY-MM>-<id>.yaml``
(``additions/`` for a correction of an addition), and its id names what it corrects
(``cr-ev-b-a-2026-08-03``): merge requests prepared in parallel never touch the same
file. An objection is a file of its own, ``objections/<branch>/<id>.yaml``.
"""

from __future__ import annotations

from pathlib import Path

from generator import edit, records
from generator.change import Asker, Change, Session, append, read_data, writing
from generator.edit import EditError, Field, plain, quoted
from generator.exceptions import UsageError
from generator.model import Dataset, Event, Meeting, Member, Objection
from generator.options import (
    Commands,
    Output,
    Run,
    add_interactive,
    command,
    date,
    date_problem,
    member_id,
    usable_text,
)
from generator.periods import Quarter, quarter_of

EPILOG_CORRECT = "示例：jifen correct ev-b-a-2026-08-03 --date 2026-11-20 --reason 登记有误"
EPILOG_OBJECT = "示例：jifen object ev-b-a-2026-08-03 --on 2026-10-12 --details 对扣分有异议"
MARKS = tuple(records.MARK_NAMES)
MARK_CHOICES = "、".join(f"{code} {name}" for code, name in records.MARK_NAMES.items())


def _known_mark(text: str) -> str | None:
    return None if text in MARKS else f"请从 {MARK_CHOICES} 中选一个：{text}"


def register(commands: Commands) -> None:
    """Add the commands to the ``jifen`` parser."""
    p = command(commands, "correct", writing(cmd_correct),
                help="登记更正：撤销已审定季度中的一条登记，或更正一次会议的考勤",
                description="登记更正（corrections）：已审定公布的季度中发现的错误不改原登记，"
                "而是在未审定的季度登记一条更正。更正一条加扣分登记：写登记编号；更正会议考勤："
                "写会议编号和 --member、--mark。更正写入单独的文件 events/支部/年-月-更正编号.yaml"
                "（加分的更正写入 additions/），几个合并请求同时进行也互不冲突。",
                epilog=EPILOG_CORRECT, memo=False)
    add_interactive(p)
    p.add_argument("record", nargs="?", metavar="RECORD_ID",
                   help="被更正的登记编号（ev-…）或会议编号（mt-…）")
    p.add_argument("--member", metavar="ID", help="更正会议考勤时：党员编号或姓名")
    p.add_argument("--mark", choices=MARKS,
                   help="更正会议考勤时：正确的考勤（present 出席、absent 缺席、leave 请假、"
                   "late 迟到、early 早退）")
    p.add_argument("--date", type=date, metavar="YYYY-MM-DD",
                   help="更正日期（须在未审定的季度，通常是今天）")
    p.add_argument("--reason", metavar="TEXT", help="更正原因（不公开）")
    p.add_argument("--objection", metavar="ID", help="因哪一件异议而更正：异议编号（可选）")
    p.add_argument("--id", metavar="ID", help="更正编号（默认：cr-被更正的编号）")

    p = command(commands, "object", writing(cmd_object),
                help="登记公示期内提出的异议，或登记异议的处理结果",
                description="登记公示期内对季度积分提出的异议，写入 objections/支部/异议编号.yaml；"
                "异议涉及的可以是一条登记、一次会议、一名党员或整个党支部的季通报。"
                "处理之后用 --outcome 登记处理结果：upheld 异议成立（须先用 jifen correct "
                "--objection 登记更正），rejected 异议不成立、维持原公示。",
                epilog=EPILOG_OBJECT, memo=False)
    add_interactive(p)
    p.add_argument("target", nargs="?", metavar="TARGET",
                   help="异议涉及的登记编号（ev-…）、会议编号（mt-…）、党员（编号或姓名）或党支部编号；"
                   "登记处理结果时写异议编号（obj-…）")
    p.add_argument("quarter", nargs="?", metavar="YYYY-Qn",
                   help="对哪个季度的公示提出（默认：登记或会议所在的季度；否则为提出日期所在公示期的季度）")
    p.add_argument("--on", type=date, metavar="YYYY-MM-DD",
                   help="提出日期；登记处理结果时为处理日期")
    p.add_argument("--details", metavar="TEXT", help="异议内容（不公开）")
    p.add_argument("--member", metavar="ID", help="涉及的党员编号或姓名（可选）")
    p.add_argument("--id", metavar="ID", help="异议编号（默认：obj-支部-年-q季度-序号）")
    p.add_argument("--outcome", choices=("upheld", "rejected"),
                   help="登记处理结果：upheld 异议成立、已更正；rejected 异议不成立、维持原公示")
    p.add_argument("--decision", metavar="TEXT", help="处理意见（登记处理结果时必填，不公开）")
    p.add_argument("--correction", metavar="ID",
                   help="异议成立时的更正编号（默认：用 --objection 指向这件异议的更正）")


def _unique(found: list[Meeting] | list[Objection], ident: str, what: str) -> str | None:
    if len(found) > 1:
        places = "、".join(r.path for r in found)
        return f"{what}编号“{ident}”重复（{places}），请先改正。"
    return None


# --- jifen correct ----------------------------------------------------------------------------

def cmd_correct(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    usable_text(args.record, args.member, args.reason, args.objection, args.id)
    ask.require([option for option, value in (("被更正的编号 RECORD_ID", args.record),
                                              ("--date", args.date), ("--reason", args.reason))
                 if value is None])
    dataset, before, _ = session.check()
    target = args.record or ask.ask("被更正的登记编号或会议编号：")
    meetings = [m for m in dataset.meetings if m.id == target]
    who, mark = args.member, args.mark
    if meetings:
        ask.require([option for option, value in (("--member", who), ("--mark", mark))
                     if value is None], "：更正会议考勤须写明党员和正确的考勤")
        who = who or ask.ask("党员编号或姓名：")
        mark = mark or ask.ask(f"正确的考勤（{MARK_CHOICES}）：", _known_mark)
    elif who is not None or mark is not None:
        raise UsageError("--member 和 --mark 只用于更正会议考勤（RECORD_ID 写会议编号 mt-…）。")
    day = args.date or date(ask.ask("更正日期（YYYY-MM-DD，须在未审定的季度）：", date_problem))
    reason = args.reason or ask.ask("更正原因：")
    usable_text(target, reason)
    if args.objection is not None and not any(o.id == args.objection
                                              for o in dataset.objections):
        return out.fail([f"异议“{args.objection}”不存在。请核对异议编号（data/objections/）。"])

    change = Change()
    try:
        if meetings:
            problem = _unique(meetings, target, "会议")
            if problem is not None:
                return out.fail([problem])
            assert who is not None and mark is not None  # given, or asked for above
            done = _correct_attendance(run, dataset, meetings[0], (who, mark), day, reason,
                                       change)
        else:
            event = records.find_events(dataset, [target], run.args.data)[0]
            if isinstance(event, str):
                return out.fail([event])
            done = _correct_event(run, dataset, event, day, reason, change)
    except EditError as exc:
        return out.fail([str(exc)])
    if isinstance(done, str):
        return out.fail([done])
    if args.objection is not None:
        change.lines.append(f"异议处理完毕后登记结果：jifen object {args.objection} --outcome upheld "
                            f"--on 处理日期 --decision 处理意见")
    change.branch = f"correct-{target}"
    change.message = f"更正 {target}（{day}）：{reason}"
    return session.finish(out, change, before)


def _fields(ident: str, target: str, day: str, reason: str, objection: str | None,
            middle: list[Field]) -> list[Field]:
    fields: list[Field] = [("id", plain(ident)), ("corrects", plain(target)), *middle,
                           ("date", plain(day)), ("reason", quoted(reason))]
    if objection is not None:
        fields.append(("objection", plain(objection)))
    return fields


def _correct_event(run: Run, dataset: Dataset, event: Event, day: str, reason: str,
                   change: Change) -> str | None:
    addition = records.is_addition(dataset, event)
    problem = records.correctable(dataset, event, addition)
    if problem is not None:
        return problem
    member = dataset.members.get(event.member)
    branch = dataset.files.branch_of.get(event.path) or (member.branch if member else "")
    ident = run.args.id or records.correction_id(dataset, event.id, branch, day)
    path = run.data / ("additions" if addition else "events") / branch / f"{day[:7]}-{ident}.yaml"
    append(change, path, "corrections", branch,
           _fields(ident, event.id, day, reason, run.args.objection, []), empty=("events",))
    who = f"{member.id} {member.name}" if member else event.member
    points = "" if event.points is None else f"，{event.points:+d} 分"
    change.lines.append(
        f"已{'新建' if str(path) in change.created else '写入'} {path}：更正 {ident} 撤销 "
        f"{event.id}（{who}，规则 {event.rule}，{event.date}{points}），更正日期 {day}。")
    return None


def _correct_attendance(run: Run, dataset: Dataset, meeting: Meeting, marked: tuple[str, str],
                        day: str, reason: str, change: Change) -> str | None:
    args = run.args
    named, mark = marked
    who = member_id(dataset, named)
    if who is None:
        return f"党员“{named}”不存在。请核对编号或姓名（见 data/members/）。"
    member: Member = dataset.members[who]
    problem = records.attendance_correctable(dataset, meeting, member, mark)
    if problem is not None:
        return problem
    branch = meeting.branch
    ident = args.id or records.correction_id(dataset, f"{meeting.id}-{member.id}", branch, day)
    path = run.data / "events" / branch / f"{day[:7]}-{ident}.yaml"
    middle: list[Field] = [("member", plain(member.id)), ("mark", plain(mark))]
    append(change, path, "corrections", branch,
           _fields(ident, meeting.id, day, reason, args.objection, middle), empty=("events",))
    was = records.MARK_NAMES[records.mark_at(meeting, member.id)]
    change.lines.append(
        f"已{'新建' if str(path) in change.created else '写入'} {path}：更正 {ident}："
        f"{member.id} {member.name} 在会议 {meeting.id}（{meeting.date}，{meeting.title}）的考勤"
        f"由“{was}”更正为“{records.MARK_NAMES[mark]}”，更正日期 {day}。")
    return None


# --- jifen object -----------------------------------------------------------------------------

def cmd_object(run: Run, out: Output, session: Session) -> int:
    args = run.args
    usable_text(args.target, args.details, args.member, args.id, args.decision,
                args.correction)
    if args.quarter is not None and Quarter.parse(args.quarter) is None:
        raise UsageError(f"季度请写成 YYYY-Qn，例如 2026-Q3：{args.quarter}")
    if args.outcome is not None:
        if args.details is not None or args.member is not None or args.quarter is not None:
            raise UsageError("登记处理结果（--outcome）时只写异议编号、--on、--decision"
                             "（和 --correction）；--details、--member、季度用于登记异议。")
        return _outcome(run, out, session)
    if args.decision is not None or args.correction is not None:
        raise UsageError("--decision 和 --correction 用于登记处理结果，须同时写 --outcome。")
    ask = Asker(run, session)
    ask.require([option for option, value in (("TARGET", args.target), ("--on", args.on),
                                              ("--details", args.details)) if value is None])
    dataset, before, _ = session.check()
    target = args.target or ask.ask("异议涉及的登记编号、会议编号、党员或党支部编号：")
    if any(o.id == target for o in dataset.objections):
        raise UsageError(f"异议“{target}”已经登记。登记处理结果请加 --outcome upheld 或 rejected。")
    on = args.on or date(ask.ask("提出日期（YYYY-MM-DD）：", date_problem))
    details = args.details or ask.ask("异议内容：")
    usable_text(target, details)

    about = _about(dataset, target, args.quarter, on)
    if isinstance(about, str):
        return out.fail([about])
    branch, quarter, member, event = about
    if args.member is not None:
        member = member_id(dataset, args.member)
        if member is None:
            return out.fail([f"党员“{args.member}”不存在。请核对编号或姓名（见 data/members/）。"])
    close = next((c for c in dataset.closes if c.branch == branch and c.quarter == quarter),
                 None)
    if close is None:
        return out.fail([f"{records.branch_name(dataset, branch)}（{branch}）的 {quarter} "
                         "尚未审定公示，不能对它提出异议。请核对党支部和季度。"])
    ident = args.id or records.next_objection_id(dataset, branch, quarter)
    path = run.data / "objections" / branch / f"{ident}.yaml"
    if path.exists() or any(o.id == ident for o in dataset.objections):
        return out.fail([f"异议编号“{ident}”已被使用（{path}）。请用 --id 换一个编号。"])
    fields: list[Field] = [("id", plain(ident)), ("branch", plain(branch)),
                           ("quarter", plain(quarter)), ("raised_on", plain(on))]
    if member is not None:
        fields.append(("member", plain(member)))
    if event is not None:
        fields.append(("event", plain(event)))
    fields += [("details", quoted(details)), ("outcome", plain("pending"))]
    concerning = "，".join(
        part for part in (f"{member} {dataset.members[member].name}" if member else "",
                          f"登记 {event}" if event else "") if part)
    change = Change(texts={str(path): edit.mapping_file(fields)}, created={str(path)})
    change.lines += [
        f"已新建 {path}：异议 {ident}（{branch}，{quarter}，提出日期 {on}"
        f"{'，涉及 ' + concerning if concerning else ''}），处理结果：处理中。",
        f"处理之后登记结果：jifen object {ident} --outcome upheld|rejected --on 处理日期 "
        "--decision 处理意见（异议成立的，先用 jifen correct … --objection "
        f"{ident} 登记更正）。"]
    change.branch = f"object-{ident}"
    change.message = f"登记异议 {ident}（{branch}，{quarter}，{on}）"
    return session.finish(out, change, before)


About = tuple[str, str, str | None, str | None]  # branch, quarter, member, event


def _about(dataset: Dataset, target: str, quarter: str | None, on: str) -> About | str:
    """What an objection concerns: (branch, quarter, member, event), or why not known."""
    event = next((e for e in dataset.events if e.id == target), None)
    if event is not None:
        owner = dataset.members.get(event.member)
        branch = dataset.files.branch_of.get(event.path) or (owner.branch if owner else "")
        counted = quarter_of(dataset.derived.late.get(event.id, event.date))
        return branch, quarter or counted, event.member, event.id
    meeting = next((m for m in dataset.meetings if m.id == target), None)
    if meeting is not None:
        return meeting.branch, quarter or quarter_of(meeting.date), None, None
    branches = dataset.organization.branches if dataset.organization else {}
    member: str | None = None
    if target in branches:
        branch = target
    else:
        found = member_id(dataset, target)
        if found is None:
            return (f"找不到“{target}”：它不是登记编号、会议编号、党员编号或姓名，也不是党支部编号。"
                    "请核对。")
        member, branch = found, dataset.members[found].branch
    chosen = quarter or records.objection_quarter(dataset, branch, on)
    if chosen is None:
        return (f"{records.branch_name(dataset, branch)}（{branch}）还没有审定公示过季度积分，"
                "无法对季通报提出异议。")
    return branch, chosen, member, None


def _outcome(run: Run, out: Output, session: Session) -> int:
    args = run.args
    ask = Asker(run, session)
    ask.require([option for option, value in (("异议编号 TARGET", args.target), ("--on", args.on),
                                              ("--decision", args.decision)) if value is None])
    dataset, before, _ = session.check()
    ident = args.target or ask.ask("异议编号（obj-…）：")
    found = [o for o in dataset.objections if o.id == ident]
    if not found:
        return out.fail([f"找不到异议“{ident}”。请核对异议编号（data/objections/）。"])
    problem = _unique(found, ident, "异议")
    if problem is not None:
        return out.fail([problem])
    objection = found[0]
    on = args.on or date(ask.ask("处理日期（YYYY-MM-DD）：", date_problem))
    decision = args.decision or ask.ask("处理意见：")
    usable_text(ident, decision)
    correction = args.correction
    if args.outcome == "upheld" and correction is None:
        correction = next((c.id for c in dataset.corrections if c.objection == ident), None)
    elif correction is not None and not any(c.id == correction for c in dataset.corrections):
        return out.fail([f"更正“{correction}”不存在。请核对更正编号（events 或 additions 文件中 "
                         "corrections 的 id）。"])
    if args.outcome == "rejected" and args.correction is not None:
        raise UsageError("异议不成立（rejected）时不登记更正，请去掉 --correction。")
    decided = records.decide_objection(objection, args.outcome, on, decision, correction)
    if isinstance(decided, str):
        return out.fail([decided])
    fields, done = decided
    try:
        text = read_data(Path(objection.path)) or ""
        new = edit.set_keys(text, fields, path=objection.path)
    except EditError as exc:
        return out.fail([str(exc)])
    change = Change(texts={objection.path: new},
                    lines=[f"已写入 {objection.path}：异议 {ident} {done}"
                           f"{'，更正 ' + correction if correction else ''}。"])
    change.branch = f"object-{ident}-{args.outcome}"
    change.message = f"异议 {ident} 处理结果：{done}"
    return session.finish(out, change, before)
