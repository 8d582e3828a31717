"""What registrars may do with records (``jifen add``, ``verify``, ``approve``,
``void``, ``correct``, ``object``, ``member``): the next free id, which member a name
means, whether an event is an addition, which events a list of ids names, the change
of status each command makes (or why it cannot), what a closed quarter no longer
takes, and how a member's file records a change of category or branch. Messages are
for the user, in Chinese; the commands only ask, call these and write (``change.py``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.edit import Field, plain, quoted
from generator.model import (
    ATTENDANCE_NAMES,
    OUTCOME_NAMES,
    RULE_KIND_NAMES,
    STATUS_NAMES,
    Close,
    Dataset,
    Event,
    Meeting,
    Member,
    Objection,
)
from generator.periods import quarter_of

Decision = tuple[list[Field], str] | str
"""For one event: (fields to set, what was done), or the reason it cannot be done."""


# --- ids -------------------------------------------------------------------------------------

def _next_number(prefix: str, taken: set[str]) -> str:
    """The next id ``prefix<nn>`` after the highest number already used with ``prefix``."""
    pattern = re.compile(re.escape(prefix) + r"([0-9]+)$")
    numbers = [int(m.group(1)) for ident in taken if (m := pattern.match(ident))]
    n = max(numbers, default=0) + 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def next_event_id(dataset: Dataset, branch: str, date: str, batch: str | None = None) -> str:
    """``ev-<branch>-<YYYY>-<MM>-<nn>`` (with the batch name before ``nn`` for a batch
    file, so that batches prepared in parallel merge requests never share an id)."""
    taken = {e.id for e in dataset.events} | dataset.files.broken_ids("event")
    prefix = f"ev-{branch}-{date[:4]}-{date[5:7]}-" + (f"{batch}-" if batch else "")
    return _next_number(prefix, taken)


def next_meeting_id(dataset: Dataset, branch: str, date: str) -> str:
    taken = {m.id for m in dataset.meetings} | dataset.files.broken_ids("meeting")
    return _next_number(f"mt-{branch}-{date[:4]}-{date[5:7]}-", taken)


def correction_id(dataset: Dataset, corrected: str, branch: str, date: str) -> str:
    """``cr-<what it corrects>`` (``cr-ev-b-a-2026-08-03``, ``cr-mt-b-a-2026-08-01-m01``):
    a record is corrected once, so merge requests prepared in parallel never choose the
    same id (nor the same file). Too long an id: ``cr-<branch>-<YYYY>-<MM>-<nn>``."""
    taken = {c.id for c in dataset.corrections}
    ident = f"cr-{corrected}"
    if len(ident) <= 64 and ident not in taken:
        return ident
    return _next_number(f"cr-{branch}-{date[:4]}-{date[5:7]}-", taken)


def next_objection_id(dataset: Dataset, branch: str, quarter: str) -> str:
    """``obj-<branch>-<YYYY>-q<n>-<nn>``, as the schema suggests."""
    taken = {o.id for o in dataset.objections}
    return _next_number(f"obj-{branch}-{quarter[:4]}-q{quarter[-1]}-", taken)


# --- which member --------------------------------------------------------------------------

def branch_name(dataset: Dataset, branch: str) -> str:
    branches = dataset.organization.branches if dataset.organization else {}
    return branches[branch].name if branch in branches else branch


def members_called(dataset: Dataset, text: str) -> Member | str | None:
    """The member ``text`` names: by id, else by name when one member has it; None when
    it names nobody; when several members share the name, a message listing them."""
    text = text.strip()
    if text in dataset.members:
        return dataset.members[text]
    named = sorted((m for m in dataset.members.values() if m.name == text), key=lambda m: m.id)
    if len(named) == 1:
        return named[0]
    if not named:
        return None
    listed = "、".join(f"{m.id}（{branch_name(dataset, m.branch)}）" for m in named)
    return f"有 {len(named)} 名党员叫“{text}”：{listed}。请改用党员编号。"


# --- which events ----------------------------------------------------------------------------

def is_addition(dataset: Dataset, event: Event) -> bool:
    """What the catalogue says the event's rule is; for a rule it does not know, where
    the event is registered (additions live under additions/)."""
    member: Member | None = dataset.members.get(event.member)
    rule = dataset.rule_for(member, event.rule, event.date) if member else None
    return rule.is_addition if rule else event.path in dataset.files.additions


def find_events(dataset: Dataset, ids: list[str], data_dir: Path | str) -> list[Event | str]:
    """For each of ``ids``, in order, the event it names, or what is wrong with it (it
    names none, or more than one)."""
    by_id: dict[str, list[Event]] = {}
    for event in dataset.events:
        by_id.setdefault(event.id, []).append(event)
    meeting_ids = {m.id for m in dataset.meetings}
    found: list[Event | str] = []
    for ident in ids:
        named = by_id.get(ident, [])
        if len(named) == 1:
            found.append(named[0])
        elif named:
            places = "、".join(e.path for e in named)
            found.append(f"登记编号“{ident}”重复（{places}），请先改正。")
        elif ident in dataset.files.broken_ids("event"):
            found.append(f"登记“{ident}”有格式错误，请先改正（运行 jifen validate 查看）。")
        elif ident in meeting_ids:
            found.append(f"“{ident}”是会议编号，不是加扣分登记。会议考勤请修改 "
                         f"{data_dir}/meetings/ 中的文件。")
        else:
            found.append(f"找不到登记“{ident}”。请核对编号（jifen explain 党员编号 "
                         "--year 年度 可以列出一名党员的全部登记）。")
    return found


# --- changes of status -----------------------------------------------------------------------

def _kind_name(addition: bool) -> str:
    return RULE_KIND_NAMES["addition" if addition else "deduction"]


def verify(event: Event, addition: bool) -> Decision:
    """A branch verifies a member's declared addition (支部核实)."""
    if not addition:
        return (f"登记“{event.id}”是{_kind_name(addition)}（规则 {event.rule}），"
                "只有加分申报需要支部核实。")
    if event.status in ("verified", "approved", "void"):
        return (f"登记“{event.id}”的状态已经是“{STATUS_NAMES[event.status]}”，"
                "只有个人申报（declared）的加分才需要核实。")
    return [("status", plain("verified"))], "改为支部核实"


def approve(event: Event, addition: bool, by: str, on: str,
            unverified_reason: str | None = None) -> Decision:
    """The working committee approves an addition (党工委审定) ``on`` a day, ``by`` whom.
    The regulation's path is 个人申报 → 支部核实 → 党工委审定: a declaration the branch
    has not verified is approved only with the office's reason, kept in the record."""
    if not addition:
        return (f"登记“{event.id}”是{_kind_name(addition)}（规则 {event.rule}），"
                "扣分由支部登记，不需要党工委审定。")
    if event.status == "approved":
        return (f"登记“{event.id}”已经审定（审定人：{event.approved_by or '未填'}，"
                f"审定日期：{event.approved_on or '未填'}）。")
    if event.status == "void":
        return f"登记“{event.id}”已作废，不能审定。"
    unverified = event.status in (None, "declared")
    if unverified and not unverified_reason:
        return (f"加分“{event.id}”还是个人申报，尚未经支部核实。请先由支部核实（jifen verify "
                f"{event.id}）；党工委确需直接审定的，用 --unverified-reason 写明原因（记入登记）。")
    fields = [("status", plain("approved")), ("approved_by", quoted(by)),
              ("approved_on", plain(on))]
    if unverified and unverified_reason:
        fields.append(("unverified_reason", quoted(unverified_reason)))
        return fields, f"改为党工委审定（{by}，{on}；未经支部核实：{unverified_reason}）"
    return fields, f"改为党工委审定（{by}，{on}）"


def void(event: Event, addition: bool, reason: str, closed: Close | None = None) -> Decision:
    """A record is voided: it stays in its file, no longer counted (作废). One counted in
    a quarter the branch has closed (``closed``) is corrected instead."""
    if event.status == "void":
        return f"登记“{event.id}”已经作废（原因：{event.void_reason or '未填'}）。"
    if closed is not None:
        return (f"登记“{event.id}”计入了已审定公布的 {closed.quarter}（支委会 {closed.meeting} "
                "审定），不能再作废。请登记更正：jifen correct "
                f"{event.id} --date 今天的日期 --reason 原因。")
    return [("status", plain("void")), ("void_reason", quoted(reason))], f"作废（{reason}）"


def counted_in_closed(dataset: Dataset, event: Event, addition: bool) -> Close | None:
    """The close that published ``event`` in its quarter's figures, if one did."""
    if event.status == "void" or (addition and event.status != "approved"):
        return None
    date = dataset.derived.late.get(event.id, event.date)
    return dataset.derived.closed.get((event.member, quarter_of(date)))


# --- corrections (更正) and objections (异议) -----------------------------------------------------

def correctable(dataset: Dataset, event: Event, addition: bool) -> str | None:
    """Why ``event`` cannot be corrected (None: it can): only what a closed quarter
    counted, once."""
    if event.status == "void":
        return f"登记“{event.id}”已作废，不计分，不需要更正。"
    if addition and event.status != "approved":
        return (f"加分“{event.id}”尚未经党工委审定（当前：{STATUS_NAMES[event.status or 'declared']}），"
                f"不计分，不需要更正；请直接修改，或作废（jifen void {event.id} --reason 原因）。")
    done = dataset.derived.corrections.get(event.id)
    if done is not None:
        return f"登记“{event.id}”已由更正“{done.id}”（{done.date}）撤销，不能再次更正。"
    if counted_in_closed(dataset, event, addition) is None:
        quarter = quarter_of(dataset.derived.late.get(event.id, event.date))
        return (f"登记“{event.id}”所在的 {quarter} 尚未审定公示，直接修改或作废即可"
                f"（jifen void {event.id} --reason 原因），不必更正。")
    return None


MARK_NAMES = {"present": "出席", **ATTENDANCE_NAMES}


def mark_at(meeting: Meeting, member: str) -> str:
    """How ``member`` is marked at ``meeting``: ``present`` when on no list."""
    for mark in ("absent", "leave", "late", "early"):
        if member in getattr(meeting, mark):
            return mark
    return "present"


def attendance_correctable(dataset: Dataset, meeting: Meeting, member: Member, mark: str
                           ) -> str | None:
    """Why ``member``'s attendance at ``meeting`` cannot be corrected to ``mark``."""
    now = mark_at(meeting, member.id)
    if now == mark:
        return (f"{member.name}（{member.id}）在会议“{meeting.id}”（{meeting.date}）中已经是"
                f"“{MARK_NAMES[mark]}”，不需要更正。")
    quarter = quarter_of(meeting.date)
    if not any(c.branch == meeting.branch and c.quarter == quarter for c in dataset.closes):
        return (f"会议“{meeting.id}”所在的 {quarter} 尚未审定公示，直接修改 {meeting.path} 中的"
                "考勤即可，不必更正。")
    return None


def objection_quarter(dataset: Dataset, branch: str, on: str) -> str | None:
    """The quarter an objection raised by ``branch``'s member ``on`` a day is about by
    default: the closed quarter whose publication window holds the day, else the last
    one closed before it; None when the branch has closed none."""
    closes = sorted((c for c in dataset.closes if c.branch == branch and c.meeting <= on),
                    key=lambda c: c.quarter)
    for close in closes:
        if close.window[0] <= on <= close.window[1]:
            return close.quarter
    return closes[-1].quarter if closes else None


def decide_objection(objection: Objection, outcome: str, on: str, decision: str,
                     correction: str | None) -> Decision:
    """The outcome of an objection (异议处理结果): upheld with its correction, or rejected."""
    if objection.outcome != "pending":
        return (f"异议“{objection.id}”已经处理（{OUTCOME_NAMES[objection.outcome]}，"
                f"{objection.decided_on or '处理日期未填'}）。")
    if outcome == "upheld" and correction is None:
        return (f"异议成立须登记更正：请先用 jifen correct 登记编号 --date 日期 --reason 原因 "
                f"--objection {objection.id} 登记更正，再登记处理结果（或用 --correction 写明更正编号）。")
    fields: list[Field] = [("outcome", plain(outcome)), ("decided_on", plain(on)),
                           ("decision", quoted(decision))]
    if correction is not None:
        fields.append(("correction", plain(correction)))
    return fields, f"处理结果：{OUTCOME_NAMES[outcome]}（{on}）"


# --- members: category and branch by date, leaving ---------------------------------------------

LEAVE_REASONS = {"transferred_out": "转出", "stopped": "停止党籍", "died": "去世", "other": "其他"}


def data_start(dataset: Dataset, fallback: str) -> str:
    """The first day of the earliest year the data holds records of (``fallback``'s
    year when it holds none)."""
    dates = [e.date for e in dataset.events] + [m.date for m in dataset.meetings]
    first = min([d for d in dates if len(d) == 10] + [fallback])
    return f"{first[:4]}-01-01"


def history_start(dataset: Dataset, value: Mapping[str, Any], other: str, on: str) -> str:
    """From when a member's first (implied) history entry holds, when the file has no
    history yet: ``joined_on``; else the first ``from`` of the other history list; else
    the first day of the earliest year of the data (every record the member can have is
    on or after it). Never after ``on``."""
    joined = value.get("joined_on")
    if isinstance(joined, str):
        return joined
    entries = value.get(other)
    if isinstance(entries, list) and entries and isinstance(entries[0], dict) \
            and isinstance(entries[0].get("from"), str):
        return str(entries[0]["from"])
    return min(data_start(dataset, on), on)


def history_items(dataset: Dataset, value: Mapping[str, Any], key: str, field: str,
                  new: str, on: str, names: Mapping[str, str]) -> list[list[Field]] | str:
    """The entries to append to a member's ``key`` history (``categories`` by
    ``category``, ``branches`` by ``branch``) when ``field`` becomes ``new`` ``on`` a
    day, or why it cannot. A file without history first gets the implied entry for
    the value it had (``history_start``)."""
    current = value.get(field)
    ident = value.get("id")
    if current == new:
        return f"{ident} 的{names['what']}已经是“{names.get(new, new)}”。"
    left = value.get("left")
    if isinstance(left, dict) and isinstance(left.get("date"), str) and left["date"] <= on:
        return f"{ident} 已于 {left['date']} 离开（left），不能再变更{names['what']}。"
    entries = value.get(key)
    if isinstance(entries, list) and entries:
        last = entries[-1] if isinstance(entries[-1], dict) else {}
        since = str(last.get("from", ""))
        if on <= since:
            return (f"变更日期 {on} 应晚于上一次变更的日期 {since}（{key} 中最后一项）。"
                    "更早的变更请直接修改档案文件。")
        return [[("from", plain(on)), (field, plain(new))]]
    other = "branches" if key == "categories" else "categories"
    start = history_start(dataset, value, other, on)
    if on < start:
        return f"变更日期 {on} 早于 {ident} 的入册日期（joined_on）{start}。"
    before = [] if on == start else [[("from", plain(start)), (field, plain(str(current)))]]
    return [*before, [("from", plain(on)), (field, plain(new))]]


def leaving(value: Mapping[str, Any], on: str) -> str | None:
    """Why the member of file ``value`` cannot be recorded as leaving ``on`` a day."""
    ident = value.get("id")
    left = value.get("left")
    if isinstance(left, dict):
        return f"{ident} 已经登记离开（{left.get('date', '日期未填')}）。"
    dates: list[str] = [str(value["joined_on"])] if isinstance(value.get("joined_on"), str) else []
    for key in ("categories", "branches"):
        entries = value.get(key)
        if isinstance(entries, list):
            dates += [str(e["from"]) for e in entries if isinstance(e, dict) and "from" in e]
    if dates and on < max(dates):
        return f"离开日期 {on} 早于 {ident} 档案中最后的日期 {max(dates)}（入册或变更）。"
    return None


# --- closed quarters -------------------------------------------------------------------------

def _closed_message(quarter: str, meeting: str) -> str:
    return (f"{quarter} 已于 {meeting} 经支委会审定公布，不能再登记日期在该季度的事项。"
            "审定后发现的漏登，请以未审定季度内的日期（例如今天）登记，并在 note 中写明原发生日期；"
            "登记有误的，请登记更正（corrections）。")


def closed_to_deductions(dataset: Dataset, member: str, date: str) -> str | None:
    """Why a deduction for ``member`` dated ``date`` cannot be registered (its quarter
    was closed by the member's branch), or None."""
    closed = dataset.derived.closed.get((member, quarter_of(date)))
    return None if closed is None else _closed_message(closed.quarter, closed.meeting)


def pending_additions(dataset: Dataset, members: set[str], start: str, end: str
                      ) -> list[Event]:
    """Additions of ``members`` dated ``start``…``end`` still waiting for the 党工委
    (declared or verified): a close does not count them."""
    return sorted((e for e in dataset.events
                   if e.member in members and start <= e.date <= end
                   and e.status in (None, "declared", "verified") and is_addition(dataset, e)),
                  key=lambda e: (e.date, e.id))


def closed_to_meetings(dataset: Dataset, branch: str, date: str) -> str | None:
    """Why a meeting of ``branch`` dated ``date`` cannot be registered, or None."""
    for close in dataset.closes:
        if close.branch == branch and close.quarter == quarter_of(date):
            return _closed_message(close.quarter, close.meeting)
    return None
