"""督导检查: which branches are slipping, for the 党工委 office.

The regulation's 工作要求 makes the office responsible for “督导检查” and for assessing the
branches under the 党建工作目标责任制, and warns against work “流于形式”. ``supervise`` lists,
as of a date, every gap in a branch's routine, each with the figure and the date it became
due:

* a month (ended) without a 主题党日 meeting, or without any registration (月登记);
* a quarter ended but not closed (支委会审定) within the policy's deadline;
* a close whose 公示期 is shorter than the policy's window;
* additions declared or verified and still waiting for the 党工委 past the deadline;
* laggard cases with a monthly report missing or a deadline passed;
* a branch without named registrars (各支部要指定专人).

and a per-branch summary for the annual assessment. ``jifen supervise`` prints it and the
internal site has a 督导 page; validation warns about the same gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from generator.cases import overdue
from generator.context import PENDING_WARN_DAYS
from generator.derive import branch_on
from generator.model import Dataset
from generator.periods import Quarter, add_days, month_end, real_date

KINDS = {
    "meeting": "当月没有召开主题党日",
    "registration": "当月没有任何积分登记",
    "close": "季度结束后未按期审定",
    "window": "公示期短于规定",
    "pending": "加分申报超期未审定",
    "case": "后进党员处置案件逾期",
    "registrars": "没有指定登记专人",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One gap: which branch, what kind, for which period, due since when, and its figure."""

    branch: str
    kind: str  # a key of KINDS
    period: str  # YYYY-MM, YYYY-Qn, a record id, or "" for the branch itself
    due: str  # the date it became due
    detail: str  # the figure, in words

    def as_json(self) -> dict[str, str]:
        return {"branch": self.branch, "kind": self.kind, "what": KINDS[self.kind],
                "period": self.period, "due": self.due, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Summary:
    """A branch's record for the assessment: months checked, and gaps of each kind."""

    branch: str
    name: str
    months: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Report:
    as_of: str
    findings: tuple[Finding, ...]
    summaries: tuple[Summary, ...]


def _months(first_year: int, as_of: str) -> list[tuple[int, int]]:
    """Every month from January of ``first_year`` that has ended by ``as_of``."""
    found = []
    year, month = first_year, 1
    while month_end(year, month) < as_of:
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _staffed(ds: Dataset, dates: set[str]) -> set[tuple[str, str]]:
    """(branch, date) for every date on which the branch had a member in scope (read
    from the members and their membership only)."""
    found: set[tuple[str, str]] = set()
    always: set[str] = set()  # branches of the members whose membership never changes
    for member in ds.members.values():
        membership = ds.membership(member)
        if membership.start is None and membership.end is None and len(
                membership.branches) == 1:
            always.add(membership.branches[0][1])
            continue
        for date in dates:
            if membership.in_scope(date):
                found.add((membership.branch_on(date), date))
    found.update((branch, date) for branch in always for date in dates)
    return found


class RoutineClose(NamedTuple):
    """A close as the routine checks read it."""

    branch: str
    quarter: str
    meeting: str
    window: tuple[str, str]
    path: str


@dataclass(frozen=True, slots=True)
class Routine:
    """What the routine checks read of the meetings, events and closes: the earliest
    date of a meeting or an event, the (branch, month) pairs with a meeting and with any
    registration, and every close (``RoutineClose``). Parts of
    a data set give parts of it, which ``merge`` joins (``incremental.py`` gathers it
    component by component); with the members and their membership it is all
    ``routine_findings`` needs."""

    first: str | None
    met: frozenset[tuple[str, str]]
    registered: frozenset[tuple[str, str]]
    closes: tuple[RoutineClose, ...]

    @staticmethod
    def of(ds: Dataset) -> Routine:
        dates = [m.date for m in ds.meetings] + [e.date for e in ds.events]
        met = {(m.branch, m.date[:7]) for m in ds.meetings}
        registered = set(met)
        for event in ds.events:
            member = ds.members.get(event.member)
            if member is not None:
                registered.add((branch_on(ds, member, event.date), event.date[:7]))
        return Routine(min(dates) if dates else None, frozenset(met), frozenset(registered),
                       tuple(RoutineClose(c.branch, c.quarter, c.meeting, c.window, c.path)
                             for c in ds.closes))

    @staticmethod
    def merge(parts: list[Routine]) -> Routine:
        firsts = [p.first for p in parts if p.first is not None]
        return Routine(min(firsts) if firsts else None,
                       frozenset().union(*(p.met for p in parts)),
                       frozenset().union(*(p.registered for p in parts)),
                       tuple(c for p in parts for c in p.closes))


def routine_findings(ds: Dataset, routine: Routine, as_of: str, *,
                     close_within_days: int = 30, window_days: int = 7
                     ) -> tuple[list[Finding], int]:
    """The gaps in the branches' routine (meetings, registrations, closes, 公示期,
    registrars) as of ``as_of``, and how many months were checked; ``ds`` gives the
    organisation and the members with their membership, ``routine`` the rest."""
    assert ds.organization is not None
    org = ds.organization
    if routine.first is None:
        return [], 0
    first_year = int(routine.first[:4])
    months = _months(first_year, as_of)
    met, registered = routine.met, routine.registered
    found: list[Finding] = []
    staffed = _staffed(ds, {month_end(y, m) for y, m in months}
                       | {q.end for y in range(first_year, int(as_of[:4]) + 1)
                          for q in Quarter.all_of(y)} | {as_of})
    branches = sorted(org.branches.values(), key=lambda b: b.id)
    for branch in branches:
        for year, month in months:
            key = f"{year}-{month:02d}"
            due = month_end(year, month)
            if (branch.id, due) not in staffed:
                continue  # nobody in the branch that month: nothing to hold or register
            if (branch.id, key) not in met:
                found.append(Finding(branch.id, "meeting", key, due, f"{year}年{month}月无会议记录"))
            if (branch.id, key) not in registered:
                found.append(Finding(branch.id, "registration", key, due,
                                     f"{year}年{month}月无考勤、加分或扣分登记"))
        if not branch.registrars and (branch.id, as_of) in staffed:
            found.append(Finding(branch.id, "registrars", "", "", "organization.yaml 中没有 registrars"))
    closes = {(c.branch, c.quarter): c for c in routine.closes}
    for year in range(first_year, int(as_of[:4]) + 1):
        for q in Quarter.all_of(year):
            due = add_days(q.end, close_within_days)
            if due >= as_of:
                continue
            for branch in branches:
                if (branch.id, q.end) not in staffed:
                    continue
                close = closes.get((branch.id, q.code))
                if close is None:
                    found.append(Finding(branch.id, "close", q.code, due,
                                         f"{q.name}结束后 {close_within_days} 天内应审定，至今未审定"))
                elif close.meeting > due:
                    found.append(Finding(branch.id, "close", q.code, due,
                                         f"{q.name}于 {close.meeting} 审定，晚于 {due}"))
    for branch_id, quarter, meeting, (start, until), _ in sorted(routine.closes):
        if real_date(start) and real_date(until) and add_days(start, window_days - 1) > until:
            found.append(Finding(branch_id, "window", quarter, meeting,
                                 f"公示期 {start} 至 {until}，不足 {window_days} 天"))
    return found, len(months)


def supervise(ds: Dataset, as_of: str, *, close_within_days: int = 30,
              window_days: int = 7) -> Report:
    """Every gap in the branches' routine as of ``as_of`` (the data set must be valid)."""
    assert ds.organization is not None
    org = ds.organization
    found, months = routine_findings(ds, Routine.of(ds), as_of,
                                     close_within_days=close_within_days,
                                     window_days=window_days)
    cutoff = add_days(as_of, -PENDING_WARN_DAYS)
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        member = ds.members.get(event.member)
        if (rule is None or member is None or not rule.is_addition
                or event.status not in ("declared", "verified") or event.date >= cutoff):
            continue
        found.append(Finding(branch_on(ds, member, event.date), "pending", event.id,
                             add_days(event.date, PENDING_WARN_DAYS),
                             f"{member.name} {event.date} 申报的 {event.rule}，超过 "
                             f"{PENDING_WARN_DAYS} 天未审定"))
    for case in sorted(ds.cases, key=lambda c: c.id):
        for problem in overdue(case, as_of):
            found.append(Finding(case.branch, "case", case.id, "", problem))
    found.sort(key=lambda f: (f.branch, f.due or "9999", f.kind, f.period))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for finding in found:
        counts[finding.branch][finding.kind] += 1
    summaries = tuple(Summary(b.id, b.name, months, dict(counts[b.id]))
                      for b in sorted(org.branches.values(), key=lambda b: b.id))
    return Report(as_of, tuple(found), summaries)
