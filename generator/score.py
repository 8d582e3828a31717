"""Score: each member's points for a year, as of a date, with the regulation's flags.

Semantics (the regulation, section 四 and 附件1, with our readings):

* the cycle is the calendar year; only events and meetings dated in it count;
* start at ``policy.base`` (80); apply counted entries in date order, ties by id;
  after each step the balance is held at ``policy.floor`` (0) — the register
  never shows a negative number — and at ``policy.cap`` if one is set;
* counted: deductions unless void; additions only when ``approved``
  (党工委审定); attendance deductions derived from meetings (absent, leave —
  more from the second consecutive leave —, late, early);
* a member exempt (暂不列入) on the as-of date has no score;
* frozen quarters (``closes.py``): an addition approved after its quarter was
  closed counts from its approval date; a correction cancels the event it
  names from the correction's date on (a line of the opposite sign; a
  cancelled veto item no longer vetoes).

Runs only on data that validated: it assumes every reference resolves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from generator.model import Dataset, Event, Member, Rule

# Stable flag strings, in the order they are listed.
FLAGS = ("laggard", "vetoed", "exempt", "excellent_candidate", "probation_cancelled",
         "not_development_target", "transfer_postponed")
FLAG_NAMES = {
    "laggard": "后进",
    "vetoed": "一票否决",
    "exempt": "暂不列入",
    "excellent_candidate": "优秀党员候选",
    "probation_cancelled": "取消预备党员资格",
    "not_development_target": "不列为发展对象",
    "transfer_postponed": "暂缓转入",
}


class Entry(NamedTuple):
    """One line of a member's ledger. ``detail`` is public (a meeting title or an
    attendance kind), never an event's note or evidence."""

    date: str
    ref: str  # event id, or meeting id for attendance
    rule: str
    name: str
    category: str
    points: int  # the registered signed change
    balance: int  # the balance after this line, floor applied
    source: str  # "event", "meeting" or "correction"
    detail: str = ""
    corrects: str = ""  # for a correction: the event it cancels


@dataclass(frozen=True, slots=True)
class Standing:
    member: Member
    year: int
    as_of: str
    score: int | None
    flags: tuple[str, ...]
    entries: tuple[Entry, ...]
    pending: tuple[Event, ...]  # additions declared or verified, not yet counted

    def as_json(self) -> dict[str, object]:
        m = self.member
        return {"id": m.id, "name": m.name, "branch": m.branch, "category": m.category,
                "score": self.score, "flags": list(self.flags)}


# (date, ref, detail, points, source, rule, corrects) before the balance is known
_Raw = tuple[str, str, str, int, str, Rule, str]


def _meeting_entries(ds: Dataset, year: str, as_of: str) -> dict[str, list[_Raw]]:
    """Attendance deductions per member, including consecutive leave."""
    by_branch: dict[str, list] = defaultdict(list)
    for meeting in ds.meetings:
        if meeting.date[:4] == year:
            by_branch[meeting.branch].append(meeting)
    found: dict[str, list[_Raw]] = defaultdict(list)
    for meetings in by_branch.values():
        meetings.sort(key=lambda m: (m.date, m.id))
        previous_leave: frozenset[str] = frozenset()
        for meeting in meetings:
            if meeting.date > as_of:
                break
            for key, detail in (("absent", ""), ("leave", ""), ("late", "（迟到）"),
                                ("early", "（早退）")):
                for ident in getattr(meeting, key):
                    member = ds.members[ident]
                    rule = ds.attendance_rule(member, key, meeting.date)
                    if rule is None or rule.points is None:
                        continue
                    points = rule.points
                    label = meeting.title + detail
                    if key == "leave" and ident in previous_leave and rule.consecutive_points:
                        points = rule.consecutive_points
                        label = f"{meeting.title}（连续请假）"
                    found[ident].append((meeting.date, meeting.id, label, points,
                                         "meeting", rule, ""))
            previous_leave = frozenset(meeting.leave)
    return found


_ORDER = itemgetter(0, 1, 2)  # date, then id: the regulation's order of registration


def counts(event: Event, kind: str) -> bool:
    """Does this event change the score? (Void never; additions only once approved.)"""
    if event.status == "void":
        return False
    return event.status == "approved" if kind == "addition" else True


def standings(ds: Dataset, year: int, as_of: str | None = None,
              branch: str | None = None, ledgers: bool = True,
              only: list[str] | None = None) -> list[Standing]:
    """Every member's standing for ``year`` as of ``as_of`` (default: the year's last
    day), sorted by member id (``only``: just these members). ``ledgers=False``
    leaves ``entries`` empty, for callers that need only scores and flags."""
    y = str(year)
    year_end = f"{y}-12-31"
    as_of = as_of or year_end
    policy = ds.policy
    raw = _meeting_entries(ds, y, as_of)
    pending: dict[str, list[Event]] = defaultdict(list)
    veto_codes = set(policy.veto_rules)
    vetoed: set[str] = set()
    first_day = f"{y}-01-01"
    late, corrected = ds.derived.late, ds.derived.corrections
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        if rule is None:
            continue
        date = late.get(event.id, event.date) if late else event.date
        if not first_day <= date <= as_of:
            continue
        if not counts(event, rule.kind):
            if event.status in ("declared", "verified"):
                pending[event.member].append(event)
            continue
        points = event.points if event.points is not None else rule.points
        assert points is not None
        raw[event.member].append((date, event.id, "", points, "event", rule, ""))
        correction = corrected.get(event.id)
        if correction is not None and correction.date <= as_of:
            raw[event.member].append((correction.date, correction.id, "", -points,
                                      "correction", rule, event.id))
        elif rule.code in veto_codes:
            vetoed.add(event.member)

    result: list[Standing] = []
    for ident in sorted(ds.members) if only is None else only:
        member = ds.members[ident]
        if branch is not None and member.branch != branch:
            continue
        entries: list[Entry] = []
        balance = policy.base
        floor, cap = policy.floor, policy.cap
        for date, ref, detail, points, source, rule, target in sorted(raw.get(ident, ()),
                                                                      key=_ORDER):
            balance = max(floor, balance + points)
            if cap is not None:
                balance = min(cap, balance)
            if ledgers:
                entries.append(Entry(date, ref, rule.code, rule.name, rule.category, points,
                                     balance, source, detail, target))
        score, flags = _judge(ds, member, balance, ident in vetoed, as_of)
        pending[ident].sort(key=lambda e: (e.date, e.id))
        result.append(Standing(member, year, as_of, score, flags, tuple(entries),
                               tuple(pending[ident])))
    return result


def _judge(ds: Dataset, member: Member, balance: int, vetoed: bool, as_of: str
           ) -> tuple[int | None, tuple[str, ...]]:
    """The score shown and the flags for a balance on ``as_of``."""
    if member.exempt_on(as_of):
        return None, ("exempt",)
    policy = ds.policy
    flags: list[str] = []
    if policy.is_laggard(balance):
        flags.append("laggard")
    if vetoed:
        flags.append("vetoed")
    if as_of.endswith("-12-31"):
        org = ds.organization
        kind = org.branches[member.branch].kind if org else ""
        flags.extend(_year_end_flags(ds, member, balance, vetoed, kind))
    flags.sort(key=FLAGS.index)
    return balance, tuple(flags)


def _year_end_flags(ds: Dataset, member: Member, score: int, vetoed: bool,
                    branch_kind: str) -> list[str]:
    policy = ds.policy
    flags = []
    if member.category in ("full", "probationary") and score >= policy.excellent_at_least \
            and not vetoed:
        flags.append("excellent_candidate")
    if member.category == "probationary" and score < policy.probationary_below:
        flags.append("probation_cancelled")
    if member.category == "activist" and score < policy.activist_below:
        flags.append("not_development_target")
    if branch_kind == "flowing" and score < policy.flowing_below:
        flags.append("transfer_postponed")
    return flags


def earlier(ds: Dataset, standing: Standing, date: str) -> Standing:
    """The same member's standing as of an earlier ``date`` in the year, derived from a
    later one: entries after ``date`` never change the balance before it. Equal to
    ``standings(ds, year, date)`` for that member, at a fraction of the cost."""
    if date >= standing.as_of:
        return standing
    entries = tuple(e for e in standing.entries if e.date <= date)
    policy = ds.policy
    balance = entries[-1].balance if entries else policy.base
    cancelled = {e.corrects for e in entries if e.corrects}
    vetoed = any(e.rule in policy.veto_rules and e.source == "event" and e.ref not in cancelled
                 for e in entries)
    score, flags = _judge(ds, standing.member, balance, vetoed, date)
    pending = tuple(e for e in standing.pending if e.date <= date)
    return Standing(standing.member, standing.year, date, score, flags, entries, pending)
