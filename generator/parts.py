"""Planning the public bulletin part by part, so that a build after an edit plans only
what the edit can change.

The incremental engine (``incremental.py``) splits the data set into components: files
that refer to each other, directly or through others, are in one. Every branch's
records are in one component too (member files, meetings, closes, objections and cases
all refer to their branch), which *owns* the branch; the branches no file refers to
belong to the *rest*, the context alone. A component's public pages (``site.Planner``:
its members' pages, its branches' pages, notices and registers) depend on nothing but
the component, the context, the as-of date, the years the build shows and, for ledgers
that name commits, its files' history; what the pages about everyone need of it
(``site.Part``) likewise. So each component is planned on a data set of the context and that
component alone, and what planning gave (the names and keys of its pages, and its
``Part``) is kept in the cache under a key of all it depends on. When the key is
unchanged and the work folder still holds those pages, the component is not even
read: its pages are kept as they are. The pages about everyone (``site.Board``) are
made from every part's summary, whatever changed. (The internal build is planned
whole: its web forms list every member, and a village branch's registrar lists the
flowing members it registers, who are in other components.)

``tests/test_parts.py`` checks that planning in parts gives exactly the pages of
planning the whole data set at once (``site.groups``), cold and after edits, with and
without Git history.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from generator.cache import Cache
from generator.incremental import Components
from generator.model import Dataset
from generator.provenance import Provenance
from generator.site import Board, Group, Part, Planner, pages_key, shown_years

VERSION = "1"  # of what the cache keeps for this module (the code fingerprint salts it too)


class Tangled(Exception):
    """A branch's records are in more than one component (never expected: see the
    module docstring); the caller plans the whole data set at once instead."""


@dataclass
class Planned:
    """What planning one component gave: its groups (name -> key) and its summary."""

    groups: dict[str, str]
    part: Part


def _planned_shape(value: object) -> bool:
    if type(value) is not Planned:
        return False
    groups: object = value.groups
    return (isinstance(groups, dict) and type(value.part) is Part
            and all(isinstance(k, str) and isinstance(v, str) for k, v in groups.items()))


class Parts:
    """A checked data set without errors, in components, to have its public bulletin
    planned part by part (``groups``). Raises ``Tangled`` when the parts cannot be
    planned apart."""

    def __init__(self, components: Components, context: Dataset, *, as_of: str,
                 provenance: Provenance | None, cache: Cache) -> None:
        assert context.organization is not None
        self.components = components
        self.context = context
        self.as_of = as_of
        self.provenance = provenance
        self.cache = cache
        self.planned = 0  # components planned by the last ``groups`` (the others were kept)
        self.years = self._years()
        self.owned, self.rest = self._owners()  # (Tangled: before the build begins)

    def _years(self) -> list[int]:
        """The years the build shows, from what each component gathered."""
        data: set[int] = set()
        closed: set[int] = set()
        for everyone in self.components.everyone.values():
            data |= everyone.years
            closed |= {int(c.quarter[:4]) for c in everyone.routine.closes
                       if c.meeting <= self.as_of}
        return shown_years(frozenset(data), frozenset(closed), self.as_of, False)

    def _owners(self) -> tuple[dict[int, frozenset[str]], frozenset[str]]:
        """The branches each component owns, and those no component does (the rest's)."""
        assert self.context.organization is not None
        owned: dict[int, set[str]] = {comp: set() for comp in self.components.files}
        rest: set[str] = set()
        for branch in self.context.organization.branches:
            found = self.components.owners("b\0" + branch)
            if len(found) > 1:
                raise Tangled(branch)
            (owned[found.pop()] if found else rest).add(branch)
        return {comp: frozenset(b) for comp, b in owned.items()}, frozenset(rest)

    def groups(self, known: Callable[[str, str], bool]) -> Iterator[Group]:
        """Every group of the build (``site.groups``), planning only the components
        whose key changed or whose pages the work folder lacks (``known``: does it hold
        this group with this key?)."""
        years, owned, rest = self.years, self.owned, self.rest
        components = self.components
        keys = {comp: self.cache.memo_key(
            "site-part", VERSION, components.keys[comp], self.as_of,
            ",".join(map(str, years)), ",".join(sorted(owned[comp])),
            "" if self.provenance is None else self.provenance.state(components.paths(comp)))
            for comp in sorted(components.files)}
        hits = self.cache.get_many(list(keys.values()), _planned_shape)
        parts: list[Part] = []
        fresh: list[tuple[str, bytes]] = []  # what planning gave, for the cache
        self.planned = 0
        for comp, key in keys.items():
            hit = hits.get(key)
            if isinstance(hit, Planned) and all(known(n, k) for n, k in hit.groups.items()):
                for name, group_key in hit.groups.items():
                    yield Group(name, key=group_key)  # kept as the work folder has it
                parts.append(hit.part)
                continue
            self.planned += 1
            planner = Planner(components.dataset(comp), self.as_of, False, self.provenance,
                              years=years, own=owned[comp])
            planned = Planned({}, planner.part())
            for group in planner.part_groups():
                if not group.key:
                    group = Group(group.name, group.pages, key=pages_key(group.pages))
                planned.groups[group.name] = group.key
                yield group
            parts.append(planned.part)
            fresh.append((key, pickle.dumps(planned, pickle.HIGHEST_PROTOCOL)))
        self.cache.put_many(fresh)
        # the branches no file refers to: their (empty) pages, from the context alone
        planner = Planner(self.context, self.as_of, False, self.provenance, years=years,
                          own=rest)
        yield from planner.part_groups()
        parts.append(planner.part())
        yield from Board(self.context, self.as_of, False, self.provenance, parts,
                         years).groups()
