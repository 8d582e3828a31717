"""What registrars may do with records (``jifen add``, ``verify``, ``approve``,
``void``): the next free id, whether an event is an addition, which events a list of
ids names, the change of status each command makes (or why it cannot), and what a
closed quarter no longer takes. Messages are for the user, in Chinese; the commands
only ask, call these and write (``change.py``)."""

from __future__ import annotations

import re
from pathlib import Path

from generator.edit import Field, plain, quoted
from generator.model import RULE_KIND_NAMES, STATUS_NAMES, Dataset, Event, Member
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


def approve(event: Event, addition: bool, by: str, on: str) -> Decision:
    """The working committee approves an addition (党工委审定) ``on`` a day, ``by`` whom."""
    if not addition:
        return (f"登记“{event.id}”是{_kind_name(addition)}（规则 {event.rule}），"
                "扣分由支部登记，不需要党工委审定。")
    if event.status == "approved":
        return (f"登记“{event.id}”已经审定（审定人：{event.approved_by or '未填'}，"
                f"审定日期：{event.approved_on or '未填'}）。")
    if event.status == "void":
        return f"登记“{event.id}”已作废，不能审定。"
    fields = [("status", plain("approved")), ("approved_by", quoted(by)),
              ("approved_on", plain(on))]
    return fields, f"改为党工委审定（{by}，{on}）"


def void(event: Event, addition: bool, reason: str) -> Decision:
    """A record is voided: it stays in its file, no longer counted (作废)."""
    if event.status == "void":
        return f"登记“{event.id}”已经作废（原因：{event.void_reason or '未填'}）。"
    return [("status", plain("void")), ("void_reason", quoted(reason))], f"作废（{reason}）"


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


def closed_to_meetings(dataset: Dataset, branch: str, date: str) -> str | None:
    """Why a meeting of ``branch`` dated ``date`` cannot be registered, or None."""
    for close in dataset.closes:
        if close.branch == branch and close.quarter == quarter_of(date):
            return _closed_message(close.quarter, close.meeting)
    return None
