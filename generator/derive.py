"""Derive: what the records imply, computed once per data set, as plain values.

The pipeline's step between building the records and using them (see the package
docstring): which rule version scores each event; what the branch committees' closes
decide (which member-quarters are published, when an addition approved after its
quarter's close counts from, which events a correction cancels, which attendance marks
an attendance correction changes); each member's membership — when they are in scope,
in which branch and category on a day, from their file's dated history with the
laggard cases' transfers laid over it (``branch_on``, ``category_on``, ``in_scope``).
Scoring, validation and the pages read ``ds.derived``; none of them recomputes it, and
nothing here depends on scoring.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from generator.model import (
    Close,
    Correction,
    Dataset,
    Derived,
    Member,
    Membership,
    Rule,
    TransferSpan,
)
from generator.periods import quarter_of


def derive(ds: Dataset) -> Dataset:
    """The data set with its ``derived`` values filled in."""
    closed = _closed(ds)
    transfers = _transfers(ds)
    membership = _membership(ds, transfers)
    return replace(ds, derived=Derived(
        event_rules=_event_rules(ds, membership), closed=MappingProxyType(closed),
        late=MappingProxyType(_late(ds, closed)),
        corrections=MappingProxyType(_corrections(ds)),
        transfers=MappingProxyType(transfers),
        membership=MappingProxyType(membership),
        attendance=MappingProxyType(_attendance(ds))))


def _event_rules(ds: Dataset, membership: dict[str, Membership]) -> tuple[Rule | None, ...]:
    """The rule version each event is scored by — in the catalogue of the branch the
    member belonged to on the event's date —, memoised per (branch kind, code, date):
    a large year asks the same question many times."""
    kinds = ({b.id: b.kind for b in ds.organization.branches.values()}
             if ds.organization else {})
    # most members never change branch: their kind is the same on every date
    fixed = {ident: kinds.get(m.branches[0][1]) for ident, m in membership.items()
             if len(m.branches) == 1}
    catalogues = {kind: ds.catalogue_for(kind) for kind in set(kinds.values())}
    memo: dict[tuple[str | None, str, str], Rule | None] = {}
    found: list[Rule | None] = []
    for event in ds.events:
        if event.member in fixed:
            kind = fixed[event.member]
        elif event.member in membership:
            kind = kinds.get(membership[event.member].branch_on(event.date))
        else:
            kind = None
        key = (kind, event.rule, event.date)
        try:
            rule = memo[key]
        except KeyError:
            catalogue = catalogues.get(kind) if kind else None
            rule = memo[key] = catalogue.rule(event.rule, event.date) if catalogue else None
        found.append(rule)
    return tuple(found)


def _closed(ds: Dataset) -> dict[tuple[str, str], Close]:
    """(member, quarter) → the close that published it (the first, should there be two)."""
    found: dict[tuple[str, str], Close] = {}
    for close in sorted(ds.closes, key=lambda c: (c.quarter, c.branch, c.path)):
        for member in close.counted:
            found.setdefault((member, close.quarter), close)
    return found


def _late(ds: Dataset, closed: dict[tuple[str, str], Close]) -> dict[str, str]:
    """Event id → the date it counts from, for the additions approved after their quarter
    was closed (they were not counted at the close: they count from their approval)."""
    found: dict[str, str] = {}
    if closed:
        for event in ds.events:
            if event.approved_on and event.status == "approved":
                close = closed.get((event.member, quarter_of(event.date)))
                if close is not None and event.approved_on > close.meeting:
                    found[event.id] = event.approved_on
    return found


def _corrections(ds: Dataset) -> dict[str, Correction]:
    """Corrected event id → its (first) correction."""
    found: dict[str, Correction] = {}
    for c in sorted(ds.corrections, key=lambda c: (c.date, c.id)):
        if not c.attendance:
            found.setdefault(c.corrects, c)
    return found


def _attendance(ds: Dataset) -> dict[str, tuple[Correction, ...]]:
    """Member → the attendance corrections of their marks at meetings that exist, by
    date then id (of members that exist: validation reports the others)."""
    meetings = {m.id for m in ds.meetings}
    found: dict[str, list[Correction]] = {}
    for c in sorted(ds.corrections, key=lambda c: (c.date, c.id)):
        if c.member is not None and c.member in ds.members and c.mark is not None and (
                c.corrects in meetings):
            found.setdefault(c.member, []).append(c)
    return {member: tuple(found[member]) for member in sorted(found)}


def _transfers(ds: Dataset) -> dict[str, tuple[TransferSpan, ...]]:
    """Member → the spans laggard cases held their relation in the education branch."""
    found: dict[str, list[TransferSpan]] = {}
    for case in sorted(ds.cases, key=lambda c: (c.member, c.id)):
        if case.transfer is None:
            continue
        back = case.approval.returned_on if case.approval else None
        found.setdefault(case.member, []).append(
            TransferSpan(start=case.transfer.date, until=back, to=case.transfer.to,
                         origin=case.branch))
    return {member: tuple(spans) for member, spans in found.items()}


def _membership(ds: Dataset, transfers: dict[str, tuple[TransferSpan, ...]]
                ) -> dict[str, Membership]:
    """Member → their membership: the dated history of their file (none: one branch and
    one category for all time), the spans laggard cases held them in the education
    branch laid over the branches. Without a branch history, a member with a case
    belongs to the reporting branch outside its spans (their file names the branch
    where the case holds them now)."""
    found: dict[str, Membership] = {}
    for ident, member in ds.members.items():
        own = Membership.of(member)
        spans = transfers.get(ident)
        if spans:
            base = own.branches if member.branches else (("", spans[0].origin),)
            own = replace(own, branches=_overlay(base, spans))
        found[ident] = own
    return found


def _overlay(base: tuple[tuple[str, str], ...], spans: tuple[TransferSpan, ...]
             ) -> tuple[tuple[str, str], ...]:
    """A branch timeline with the transfers' spans laid over it."""
    plain = Membership(branches=base, categories=(("", ""),))
    days = sorted({day for day, _ in base} | {s.start for s in spans}
                  | {s.until for s in spans if s.until is not None})
    timeline: list[tuple[str, str]] = []
    for day in days:
        held = next((s.to for s in spans
                     if s.start <= day and (s.until is None or day < s.until)), None)
        value = held if held is not None else plain.branch_on(day)
        if not timeline or timeline[-1][1] != value:
            timeline.append((day, value))
    return tuple(timeline)


def branch_on(ds: Dataset, member: Member, date: str) -> str:
    """The branch ``member`` belonged to on ``date``: by their file's branch history,
    and the education branch while a laggard case holds their relation there."""
    return ds.membership(member).branch_on(date)


def category_on(ds: Dataset, member: Member, date: str) -> str:
    """``member``'s category (full, probationary, activist) on ``date``."""
    return ds.membership(member).category_on(date)


def in_scope(ds: Dataset, member: Member, date: str) -> bool:
    """Is ``member`` under the scheme on ``date`` (joined, not yet left)?"""
    return ds.membership(member).in_scope(date)


def registrars_on(ds: Dataset, member: Member, date: str) -> tuple[str, ...]:
    """The branches whose files may hold ``member``'s records dated ``date``: the
    branch they belonged to that day and, while that is a flowing branch (企业流动党支部),
    the village branch that manages their scoring (“企业流动支部党员的积分考评管理由拟转入
    村(居)党支部负责”): their ``transfer_to``, or the branch they moved to next."""
    membership = ds.membership(member)
    branch = membership.branch_on(date)
    found = [branch]
    org = ds.organization
    if org is not None and branch in org.branches and org.branches[branch].kind == "flowing":
        if member.transfer_to is not None:
            found.append(member.transfer_to)
        later = [value for day, value in membership.branches if day > date]
        if later and later[0] not in found:
            found.append(later[0])
    return tuple(found)
