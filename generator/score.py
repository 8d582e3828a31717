"""Score: each member's points for a year, as of a date, with the regulation's flags.

Semantics (the regulation, section 四 and 附件1, with our readings):

* the cycle is the calendar year; only events and meetings dated in it count;
* start at ``policy.base`` (80) — on the first day in scope for a member who joined
  during the year (``Membership``: joined, not yet left); apply counted entries in
  date order, ties by id; after each step the balance is held at ``policy.floor``
  (0) — the register never shows a negative number — and at ``policy.cap`` if set;
* counted: deductions unless void; additions only when ``approved``
  (党工委审定); attendance deductions derived from meetings (absent, leave —
  more from the second consecutive leave —, late, early);
* a member exempt (暂不列入) on the as-of date has no score; one not in scope on it
  (not joined yet: no score; left: the balance they left with) has no flags;
* frozen quarters (``closes.py``): an addition approved after its quarter was
  closed counts from its approval date; a correction cancels the event it
  names from the correction's date on (a line of the opposite sign; a
  cancelled veto item no longer vetoes); an attendance correction changes one
  member's mark at one meeting from its date on (a line with the difference, for
  that meeting and for any leave whose consecutiveness it changes);
* across the year end: a correction dated in January of the next year corrects
  the year it names (``validate.py`` allows it until the 党工委's year-end
  decisions). So a year is scored "as known on" ``as_of``, which may lie after the
  year's end (up to ``periods.year_closing``): records dated in the year up to
  ``min(as_of, year end)``, corrections dated up to ``as_of``. The year-end flags
  are given once ``as_of`` reaches the year's end; a quarter's figure is the
  balance on its last day, so the published Q4 figure never includes a January
  correction (``earlier``);
* the year-end flags read the category of the year (``_year_end_flags``).

Runs only on data that validated: it assumes every reference resolves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from generator.model import (
    ATTENDANCE_NAMES,
    Correction,
    Dataset,
    Event,
    Meeting,
    Member,
    Membership,
    Rule,
)

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
    corrects: str = ""  # for a correction: the event it cancels, or the meeting whose
    # attendance it changes (then ``detail`` says how, e.g. “7月主题党日：缺席 → 请假”)


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's year as known on ``as_of`` (which may lie after the year's end, see
    the module docstring). ``branch`` and ``category`` are the member's on
    ``min(as_of, the year's last day)`` (their last ones if they left before it)."""

    member: Member
    year: int
    as_of: str
    score: int | None
    flags: tuple[str, ...]
    entries: tuple[Entry, ...]
    pending: tuple[Event, ...]  # additions declared or verified, not yet counted
    branch: str = ""
    category: str = ""

    def as_json(self) -> dict[str, object]:
        m = self.member
        return {"id": m.id, "name": m.name, "branch": self.branch or m.branch,
                "category": self.category or m.category,
                "score": self.score, "flags": list(self.flags)}


# (date, ref, detail, points, source, rule, corrects) before the balance is known
_Raw = tuple[str, str, str, int, str, Rule, str]
# An attendance deduction at one meeting: (rule, points, ledger label, what it was)
_Item = tuple[Rule, int, str, str]
_SUFFIX = {"absent": "", "leave": "", "late": "（迟到）", "early": "（早退）"}


def _meeting_entries(ds: Dataset, year: str, end: str, as_of: str) -> dict[str, list[_Raw]]:
    """Attendance deductions per member, including consecutive leave, for the meetings
    of ``year`` up to ``end``; with the attendance corrections known on ``as_of``."""
    by_branch: dict[str, list[Meeting]] = defaultdict(list)
    for meeting in ds.meetings:
        if meeting.date[:4] == year:
            by_branch[meeting.branch].append(meeting)
    in_year = {m.id for meetings in by_branch.values() for m in meetings}
    corrected: dict[str, list[Correction]] = {}
    for ident, known in ds.derived.attendance.items():
        mine = [c for c in known if c.corrects in in_year and c.date <= as_of]
        if mine:
            corrected[ident] = mine
    found: dict[str, list[_Raw]] = defaultdict(list)
    for meetings in by_branch.values():
        meetings.sort(key=lambda m: (m.date, m.id))
        previous_leave: frozenset[str] = frozenset()
        for meeting in meetings:
            if meeting.date > end:
                break
            for key, detail in _SUFFIX.items():
                for ident in getattr(meeting, key):
                    if ident in corrected:
                        continue  # below, with their corrections
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
    for ident, mine in corrected.items():
        for meetings in by_branch.values():
            found[ident].extend(_corrected(ds, ds.members[ident], meetings, mine, end))
    return found


def _corrected(ds: Dataset, member: Member, meetings: list[Meeting],
               corrections: list[Correction], end: str) -> list[_Raw]:
    """One member's attendance lines at one branch's meetings (sorted), when
    attendance corrections change some of their marks. Each meeting's line is scored
    with the corrections dated by the meeting's day; each correction adds, on its
    date, a line with the difference it makes to every earlier meeting (its own, and
    a later leave that becomes or stops being consecutive)."""
    ident = member.id
    states: list[dict[str, str]] = [{}]  # meeting id -> corrected mark, per correction
    for c in corrections:
        assert c.mark is not None
        states.append({**states[-1], c.corrects: c.mark})
    if not any(ident in m.absent or ident in m.leave or ident in m.late or ident in m.early
               or m.id in states[-1] for m in meetings):
        return []
    shown = [m for m in meetings if m.date <= end]
    scored = [_deductions(ds, member, shown, state) for state in states]
    lines: list[_Raw] = []
    for i, meeting in enumerate(shown):
        known = sum(1 for c in corrections if c.date <= meeting.date)
        for rule, points, label, _ in scored[known][i]:
            lines.append((meeting.date, meeting.id, label, points, "meeting", rule, ""))
    for k, c in enumerate(corrections, 1):
        for i, meeting in enumerate(shown):
            if meeting.date >= c.date:
                break
            old, new = scored[k - 1][i], scored[k][i]
            if old == new:
                continue
            points = sum(item[1] for item in new) - sum(item[1] for item in old)
            detail = f"{meeting.title}：{_words(old)} → {_words(new)}"
            lines.append((c.date, c.id, detail, points, "correction", (new or old)[0][0],
                          meeting.id))
    return lines


def _deductions(ds: Dataset, member: Member, meetings: list[Meeting],
                state: dict[str, str]) -> list[tuple[_Item, ...]]:
    """``member``'s attendance deductions at each of ``meetings`` (one branch's, sorted),
    their marks corrected by ``state`` (meeting id -> mark; ``present``: none)."""
    found: list[tuple[_Item, ...]] = []
    previous_leave = False
    for meeting in meetings:
        corrected = state.get(meeting.id)
        marks = meeting.marks_of(member.id) if corrected is None else (
            () if corrected == "present" else (corrected,))
        items: list[_Item] = []
        for key in marks:
            rule = ds.attendance_rule(member, key, meeting.date)
            if rule is None or rule.points is None:
                continue
            if key == "leave" and previous_leave and rule.consecutive_points:
                items.append((rule, rule.consecutive_points, f"{meeting.title}（连续请假）",
                              "连续请假"))
            else:
                items.append((rule, rule.points, meeting.title + _SUFFIX[key],
                              ATTENDANCE_NAMES[key]))
        found.append(tuple(items))
        previous_leave = "leave" in marks
    return found


def _words(items: tuple[_Item, ...]) -> str:
    return "、".join(item[3] for item in items) or "出席"


DIRECT = "党工委直接扣分"  # the detail of a ledger line the 党工委 registered itself
_ORDER = itemgetter(0, 1, 2)  # date, then id: the regulation's order of registration


def counts(event: Event, kind: str) -> bool:
    """Does this event change the score? (Void never; additions only once approved.)"""
    if event.status == "void":
        return False
    return event.status == "approved" if kind == "addition" else True


def standings(ds: Dataset, year: int, as_of: str | None = None,
              branch: str | None = None, ledgers: bool = True,
              only: list[str] | None = None) -> list[Standing]:
    """Every member's standing for ``year`` as known on ``as_of`` (default: the year's
    last day; later dates add the corrections of the year dated up to them, see the
    module docstring), sorted by member id: every member in scope on some day of the
    year up to ``as_of`` (``branch``: of that branch on ``min(as_of, year end)``;
    ``only``: just these members, in scope or not). ``ledgers=False`` leaves
    ``entries`` empty, for callers that need only scores and flags."""
    y = str(year)
    year_end = f"{y}-12-31"
    as_of = as_of or year_end
    end = min(as_of, year_end)
    policy = ds.policy
    raw = _meeting_entries(ds, y, end, as_of)
    pending: dict[str, list[Event]] = defaultdict(list)
    veto_codes = set(policy.veto_rules)
    vetoed: set[str] = set()
    first_day = f"{y}-01-01"
    late, corrected = ds.derived.late, ds.derived.corrections
    direct = ds.files.direct
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        if rule is None:
            continue
        date = late.get(event.id, event.date) if late else event.date
        if not first_day <= date <= end:
            continue
        if not counts(event, rule.kind):
            if event.status in ("declared", "verified"):
                pending[event.member].append(event)
            continue
        points = event.points if event.points is not None else rule.points
        assert points is not None
        raw[event.member].append((date, event.id, DIRECT if event.path in direct else "",
                                  points, "event", rule, ""))
        correction = corrected.get(event.id)
        if correction is not None and correction.date <= as_of:
            raw[event.member].append((correction.date, correction.id, "", -points,
                                      "correction", rule, event.id))
        elif rule.code in veto_codes:
            vetoed.add(event.member)

    result: list[Standing] = []
    for ident in sorted(ds.members) if only is None else only:
        member = ds.members[ident]
        membership = ds.membership(member)
        if only is None and not membership.overlaps(first_day, end):
            continue
        if branch is not None and membership.branch_on(end) != branch:
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
        score, flags = _judge(ds, member, membership, balance, ident in vetoed, year, as_of)
        pending[ident].sort(key=lambda e: (e.date, e.id))
        result.append(Standing(member, year, as_of, score, flags, tuple(entries),
                               tuple(pending[ident]), branch=membership.branch_on(end),
                               category=membership.category_on(end)))
    return result


PARTY = ("full", "probationary")  # 党员 (含预备党员); activists are not party members


def _judge(ds: Dataset, member: Member, membership: Membership, balance: int, vetoed: bool,
           year: int, as_of: str) -> tuple[int | None, tuple[str, ...]]:
    """The score shown and the flags for a balance of ``year`` as known on ``as_of``."""
    last = f"{year}-12-31"
    end = min(as_of, last)
    if not membership.in_scope(end):
        joined = membership.start is None or membership.start <= end
        return (balance if joined else None), ()
    if member.exempt_on(end):
        return None, ("exempt",)
    policy = ds.policy
    flags: list[str] = []
    if policy.is_laggard(balance):
        flags.append("laggard")
    if vetoed:
        flags.append("vetoed")
    if as_of >= last:
        flags.extend(_year_end_flags(ds, membership, balance, vetoed, year))
    flags.sort(key=FLAGS.index)
    return balance, tuple(flags)


def _year_end_flags(ds: Dataset, membership: Membership, score: int, vetoed: bool,
                    year: int) -> list[str]:
    """The year-end lists, by the category of the year as the regulation means it:
    优秀党员 from the party members (full or probationary) on the year's last day; the
    lists of 预备党员 and 入党积极分子 below their lines take whoever was one on some day
    of the year in scope (a 预备党员 who became a full member in June is judged as a
    预备党员 too: the flags are candidacies the 党工委 decides on); the flowing-branch
    list takes the members of a flowing branch on the year's last day."""
    policy = ds.policy
    first, last = f"{year}-01-01", f"{year}-12-31"
    during = membership.categories_between(first, last)
    org = ds.organization
    branch = org.branches.get(membership.branch_on(last)) if org else None
    flags = []
    if membership.category_on(last) in PARTY and score >= policy.excellent_at_least \
            and not vetoed:
        flags.append("excellent_candidate")
    if "probationary" in during and score < policy.probationary_below:
        flags.append("probation_cancelled")
    if "activist" in during and score < policy.activist_below:
        flags.append("not_development_target")
    if branch is not None and branch.kind == "flowing" and score < policy.flowing_below:
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
    membership = ds.membership(standing.member)
    score, flags = _judge(ds, standing.member, membership, balance, vetoed, standing.year,
                          date)
    pending = tuple(e for e in standing.pending if e.date <= date)
    end = min(date, f"{standing.year}-12-31")
    return Standing(standing.member, standing.year, date, score, flags, entries, pending,
                    branch=membership.branch_on(end), category=membership.category_on(end))
