"""Derive: what the records imply, computed once per data set, as plain values.

The pipeline's step between building the records and using them (see the package
docstring): which rule version scores each event; what the branch committees' closes
decide (which member-quarters are published, when an addition approved after its
quarter's close counts from, which events a correction cancels); where laggard cases
moved a member (``branch_on``). Scoring, validation and the pages read ``ds.derived``;
none of them recomputes it, and nothing here depends on scoring.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from generator.model import Close, Correction, Dataset, Derived, Member, Rule, TransferSpan
from generator.periods import quarter_of


def derive(ds: Dataset) -> Dataset:
    """The data set with its ``derived`` values filled in."""
    closed = _closed(ds)
    return replace(ds, derived=Derived(
        event_rules=_event_rules(ds), closed=MappingProxyType(closed),
        late=MappingProxyType(_late(ds, closed)),
        corrections=MappingProxyType(_corrections(ds)),
        transfers=MappingProxyType(_transfers(ds))))


def _event_rules(ds: Dataset) -> tuple[Rule | None, ...]:
    """The rule version each event is scored by, memoised per (branch kind, code, date):
    a large year asks the same question many times."""
    kinds = ({b.id: b.kind for b in ds.organization.branches.values()}
             if ds.organization else {})
    member_kind = {m.id: kinds.get(m.branch) for m in ds.members.values()}
    catalogues = {kind: ds.catalogue_for(kind) for kind in set(kinds.values())}
    memo: dict[tuple[str | None, str, str], Rule | None] = {}
    found: list[Rule | None] = []
    for event in ds.events:
        kind = member_kind.get(event.member)
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
        found.setdefault(c.corrects, c)
    return found


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


def branch_on(ds: Dataset, member: Member, date: str) -> str:
    """The branch ``member`` belonged to on ``date``: the education branch while a case
    holds their relation there, the reporting branch outside it."""
    spans = ds.derived.transfers.get(member.id)
    if not spans:
        return member.branch
    for span in spans:
        if span.start <= date and (span.until is None or date < span.until):
            return span.to
    return spans[0].origin
