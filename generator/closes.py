"""Frozen quarters: what a branch committee's close (支委会审定) published, and the check
that nothing dated in a closed quarter changed afterwards.

A close file (``closes/<branch>/<YYYY>-Q<n>.yaml``, written by ``jifen close``)
records, for every member of the branch, the score published for the quarter
and a digest of the records counted in it (events, attendance, corrections).
Validation recomputes both; any difference is an error that names the member.
A mistake found later is fixed by a correction (``corrections:`` in an events
file) dated in an open period, so the published figure stays as published and
the correction is visible on the bulletin.

Additions still pending at the close were not counted; approved later, they
count from their approval date (in the quarter of the approval), for the same
reason. An attendance correction is a correction too (of one member's mark at one
meeting); one dated in January that corrects the previous year is counted in the
January quarter's digest, while the Q4 figure it changes stays as published.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from generator.derive import branch_on, in_scope
from generator.model import Dataset, Event, Meeting
from generator.periods import Quarter, quarter_bounds, quarter_of, window, year_end
from generator.score import earlier, standings


def _hash(rows: Sequence[object], size: int) -> str:
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def _event_row(event: Event, date: str) -> list[object]:
    # Every field that carries meaning; not where the record sits (path, index).
    return ["event", event.id, event.member, event.rule, event.date, date, event.points,
            event.status, event.note, event.evidence, event.void_reason, event.approved_by,
            event.approved_on]


def counted_records(ds: Dataset, year: int) -> dict[str, dict[str, list[list[object]]]]:
    """Quarter → member → the records counted for them in it, as plain rows; the whole
    year in one pass."""
    first, last = f"{year}-01-01", f"{year}-12-31"
    late = ds.derived.late
    found: dict[str, dict[str, list[list[object]]]] = defaultdict(lambda: defaultdict(list))
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        if rule is None or event.status == "void" or (
                rule.is_addition and event.status != "approved"):
            continue
        date = late.get(event.id, event.date)
        if first <= date <= last:
            found[quarter_of(date)][event.member].append(_event_row(event, date))
    for meeting in ds.meetings:
        if first <= meeting.date <= last:
            rows = found[quarter_of(meeting.date)]
            for key in ("absent", "leave", "late", "early"):
                for ident in getattr(meeting, key):
                    rows[ident].append(["meeting", meeting.id, meeting.date, meeting.title, key])
    events = {e.id: e for e in ds.events}
    for c in ds.corrections:
        if not first <= c.date <= last:
            continue
        if c.attendance:
            if c.member is not None:
                found[quarter_of(c.date)][c.member].append(
                    ["correction", c.id, c.corrects, c.date, c.reason, c.objection, c.mark])
            continue
        target = events.get(c.corrects)
        if target is not None:
            found[quarter_of(c.date)][target.member].append(
                ["correction", c.id, c.corrects, c.date, c.reason, c.objection])
    for members in found.values():
        for member_rows in members.values():
            member_rows.sort(key=lambda r: (str(r[0]), str(r[1]), str(r[-1])))
            # (kind, id: unique but for late and early at one meeting)
    return found


# Per data set and year, computed once however many closes and cases ask; kept beside
# the data set (weakly: gone with it), never in it.
_SCORES: WeakKeyDictionary[Dataset, dict[int, dict[str, dict[str, int | None]]]] = \
    WeakKeyDictionary()
_RECORDS: WeakKeyDictionary[Dataset, dict[int, dict[str, dict[str, list[list[object]]]]]] = \
    WeakKeyDictionary()


def quarter_end_scores(ds: Dataset, quarter: str) -> dict[str, int | None]:
    """Everyone's score at the quarter's end. The year is scored once (with ledgers),
    each quarter's end read from the ledgers."""
    year = int(quarter[:4])
    years = _SCORES.setdefault(ds, {})
    if year not in years:
        full = standings(ds, year, year_end(year))
        years[year] = {q.code: {s.member.id: earlier(ds, s, q.end).score for s in full}
                       for q in Quarter.all_of(year)}
    return years[year][quarter]


def _records(ds: Dataset, quarter: str) -> dict[str, list[list[object]]]:
    year = int(quarter[:4])
    years = _RECORDS.setdefault(ds, {})
    if year not in years:
        years[year] = counted_records(ds, year)
    return years[year].get(quarter, {})


def _meetings_rows(meetings: Iterable[Meeting]) -> list[list[object]]:
    return sorted([["meeting", m.id, m.branch, m.date, m.title, list(m.absent), list(m.leave),
                    list(m.late), list(m.early)] for m in meetings], key=lambda r: str(r[1]))


def record_digests(ds: Dataset, quarter: str, member: str) -> dict[str, str]:
    """Record id → the digest of its rows, for the records counted for ``member`` in
    ``quarter``: what a close lists per member, so that a later change can be pinned on
    the record that was changed."""
    by_id: dict[str, list[list[object]]] = defaultdict(list)
    for row in _records(ds, quarter).get(member, []):
        by_id[str(row[1])].append(row)
    return {ident: _hash(rows, 8) for ident, rows in sorted(by_id.items())}


def compute(ds: Dataset, branch: str, quarter: str, members: Iterable[str]
            ) -> tuple[str, dict[str, tuple[int | None, str]]]:
    """(overall digest, member → (score at the quarter's end, digest)) for ``members``
    of ``branch`` in ``quarter``: what a close records, and what validation compares."""
    start, end = quarter_bounds(quarter)
    wanted = sorted(set(members))
    scores = quarter_end_scores(ds, quarter)
    records = _records(ds, quarter)
    counted = {m: (scores.get(m), _hash(records.get(m, []), 8)) for m in wanted}
    meetings = [m for m in ds.meetings if m.branch == branch and start <= m.date <= end]
    overall = _hash([*([m, *counted[m]] for m in wanted), *_meetings_rows(meetings)], 16)
    return overall, counted


def closed_members(ds: Dataset, branch: str, quarter: str) -> list[str]:
    """Who a close of ``branch`` for ``quarter`` records: its members at the quarter's end
    (in scope on that day: joined, not yet left)."""
    end = quarter_bounds(quarter)[1]
    return sorted(m.id for m in ds.members.values()
                  if in_scope(ds, m, end) and branch_on(ds, m, end) == branch)


def close_text(ds: Dataset, branch: str, quarter: str, meeting: str,
               window: tuple[str, str]) -> str:
    """The close file for ``branch`` and ``quarter``: every member of the branch at the
    quarter's end, with the figures published."""
    assert ds.organization is not None
    members = closed_members(ds, branch, quarter)
    digest, counted = compute(ds, branch, quarter, members)
    name = ds.organization.branches[branch].name
    lines = [f"# {name} {quarter} 积分审定：由 jifen close 生成，counted 与 digest 请勿手改。",
             f"branch: {branch}", f"quarter: {quarter}", f"meeting: {meeting}", "window:",
             f"  from: {window[0]}", f"  until: {window[1]}", f'digest: "{digest}"']
    lines.append("counted:" if members else "counted: []")
    for m in members:
        score, member_digest = counted[m]
        lines += [f'  - member: "{m}"', f"    score: {'null' if score is None else score}",
                  f'    digest: "{member_digest}"']
        records = record_digests(ds, quarter, m)
        lines.append("    records:" if records else "    records: []")
        lines += [f'      - [{ident}, "{digest}"]' for ident, digest in records.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class ClosePlan:
    """What ``jifen close`` writes: the close file's text, for how many members, and the
    publication window."""

    text: str
    members: int
    window: tuple[str, str]


def plan_close(ds: Dataset, branch: str, quarter: str, meeting: str, *, today: str,
               window_from: str | None = None, window_until: str | None = None,
               target: str = "") -> ClosePlan | list[str]:
    """The close of ``quarter`` (``YYYY-Qn``) by ``branch`` (both known to the
    organisation) at the committee meeting of ``meeting``, or what stands in its way (in
    Chinese): the meeting after the quarter's end and not after ``today``, the window
    (default: ``WINDOW_DAYS`` days from the meeting) from the meeting on, the quarter not
    closed already. ``target``: where the close file goes, as the messages name it."""
    end = quarter_bounds(quarter)[1]
    start, until = window(window_from or meeting, window_until)
    problems = []
    if meeting <= end:
        problems.append(f"审定日期 {meeting} 应在季度结束（{end}）之后。")
    if meeting > today:
        problems.append(f"审定日期 {meeting} 晚于今天。")
    if start < meeting or until < start:
        problems.append(f"公示期 {start} 至 {until} 应从审定日期起，且结束不早于开始。")
    if any(c.branch == branch and c.quarter == quarter for c in ds.closes):
        problems.append(f"{branch} 的 {quarter} 已经审定（{target}），不能重复审定；"
                        "如有错误，请登记更正（corrections）。")
    if problems:
        return problems
    text = close_text(ds, branch, quarter, meeting, (start, until))
    return ClosePlan(text, len(closed_members(ds, branch, quarter)), (start, until))
