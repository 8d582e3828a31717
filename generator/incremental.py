"""Incremental checking: the data set in parts that are checked (and scored) on their
own, each part's results kept by its content, so that a run after an edit recomputes
only the parts the edit can affect.

Files refer to each other through member ids, record ids and branches
(``RecordKind.links``). Files that share a link, directly or through others, form one
*component*: the local checks (``LOCAL``) and scoring only ever look up what one
component holds, beside the *context* every check reads (the organisation, the policy,
the rules, the nominations). So the diagnostics and standings of a data set made of the
context and one component are exactly those the whole data set has for that
component's files and members; ``tests/test_incremental.py`` compares the two ways
over edits of every kind.

A run (``run``):

1. scan; read and check the files whose content is not known yet (all, when cold,
   joining files into components as the workers deliver them);
2. partition: fresh (cold), or the previous run's partition, kept in the cache, in
   which the components of the changed files — and those their new links reach —
   merge into one;
3. each component's results from the cache (keyed by the contents of its files, the
   context, the day: a hit is right whenever it was made), else computed, in worker
   processes when there are many;
4. the diagnostics of everything: the scan's, the context's and each component's; the
   year-end nominations' (``WHOLE``: they read everyone's figures for the year) from
   what each component gives of its members; and the checks that need scores
   (``validate.late``) only when nothing anywhere is an error, as ``validate`` does.

Between cold partitions components only merge (a coarser partition is as correct); the
partition is rebuilt from scratch after many merges.

The engine stands aside (``run`` returns None) when a file's kind has neither links nor
a place in the context, or ``validate.CHECKS`` holds a check not classified here (a new
check is local only once someone has made sure of it); the caller then checks the whole
data set at once (``pipeline.check``), as it does without a cache.
"""

from __future__ import annotations

import hashlib
import multiprocessing.pool
import os
import pickle
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from generator.cache import Cache
from generator.context import Context
from generator.derive import derive
from generator.errors import Diagnostic
from generator.kinds import BY_NAME, Builder, Document, build, builder
from generator.load import (
    PARALLEL_MIN_FILES,
    Entry,
    Scan,
    _worker_start,
    collector_paused,
    link_hash,
    read_entries,
    save_stat_index,
)
from generator.model import Dataset, Member, Membership
from generator.nominations import check_nominations, given_final_standings, scorable
from generator.periods import year_closing
from generator.score import Standing, standings
from generator.supervise import Routine
from generator.validate import (
    CHECKS,
    check_catalogues,
    check_closes,
    check_corrections,
    check_dates,
    check_direct,
    check_events,
    check_file_names,
    check_folders,
    check_laggard_cases,
    check_meetings,
    check_members,
    check_membership,
    check_objections,
    check_organization,
    check_policy,
    check_supervision,
    check_unique_ids,
    late,
    routine_warnings,
)
from generator.yamlio import resolve

Check = Callable[[Dataset, Context], Iterable[Diagnostic]]
# Checks that read the context files only: run once, on the context alone.
CONTEXT_ONLY: tuple[Check, ...] = (check_organization, check_catalogues, check_policy)
# Checks whose every diagnostic about a component's files depends on the context and
# that component alone (what they look up across files is in ``RecordKind.links``).
LOCAL: tuple[Check, ...] = (
    check_file_names, check_folders, check_unique_ids, check_dates, check_members,
    check_membership, check_meetings, check_events, check_direct, check_closes,
    check_corrections, check_objections, check_laggard_cases)
# Checks that need the whole data set: run once, on the context and every member with
# their membership and figures (``check_everyone``), with what each component gathered
# for them (``Everyone``).
WHOLE: tuple[Check, ...] = (check_nominations, check_supervision)

VERSION = "3"  # of what the cache keeps for this module (the code fingerprint salts it too)
MERGES_BEFORE_REBUILD = 500


def usable(found: Scan) -> bool:
    """Can the engine check this data set (see the module docstring)?"""
    if set(CHECKS) - set(CONTEXT_ONLY) - set(LOCAL) - set(WHOLE):
        return False
    return all(BY_NAME[kind].context or BY_NAME[kind].links is not None
               for kind, _ in found.files)


@dataclass
class Outcome:
    """What a run found: every diagnostic (sorted, placed), how many files were read, the
    context as a data set (organisation, policy, rules) and, when asked for and the data
    has no error, every member's standing (sorted by member id)."""

    diagnostics: list[Diagnostic]
    files: int
    context: Dataset
    standings: list[Standing] | None = None
    parts: Components | None = field(default=None, repr=False, compare=False)


# --- the partition --------------------------------------------------------------------------

@dataclass
class Partition:
    """Which component each file (below the data directory) is in, as of the contents
    recorded; which component each link hash led to when it was recorded: ``hashes``
    (sorted) and ``comps`` (packed arrays, quick to store and load) and ``index`` (those
    recorded since); ``renamed``: where a component was merged since."""

    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # relative -> (key, comp)
    hashes: bytes = b""
    comps: bytes = b""
    index: dict[int, int] = field(default_factory=dict)
    renamed: dict[int, int] = field(default_factory=dict)
    next: int = 0

    def find(self, comp: int) -> int:
        path = []
        while comp in self.renamed:
            path.append(comp)
            comp = self.renamed[comp]
        for step in path[:-1]:
            self.renamed[step] = comp
        return comp

    def lookup(self, links: bytes | None) -> set[int]:
        """The components (as recorded) that any of these link hashes led to."""
        hashes, comps = array("Q"), array("I")
        hashes.frombytes(self.hashes)
        comps.frombytes(self.comps)
        found: set[int] = set()
        for h in _hashes(links):
            comp = self.index.get(h)
            if comp is not None:
                found.add(comp)
            at = bisect_left(hashes, h)
            if at < len(hashes) and hashes[at] == h:
                found.add(comps[at])
        return found


def _partition_shape(value: object) -> bool:
    if type(value) is not Partition:
        return False
    fields: tuple[object, ...] = (value.files, value.hashes, value.comps, value.index,
                                  value.renamed, value.next)
    files, hashes, comps, index, renamed, number = fields
    return (isinstance(files, dict) and isinstance(hashes, bytes) and isinstance(comps, bytes)
            and len(hashes) == 2 * len(comps) and isinstance(index, dict)
            and isinstance(renamed, dict) and isinstance(number, int)
            and all(isinstance(k, str) and isinstance(v, tuple) and len(v) == 2
                    and isinstance(v[0], str) and isinstance(v[1], int)
                    for k, v in files.items()))


def _hashes(links: bytes | None) -> array[int]:
    found = array("Q")
    if links:
        found.frombytes(links)
    return found


class Linker:
    """Files that share a link, joined as their entries arrive (union-find by file
    number: each set's root is its first file)."""

    def __init__(self, count: int) -> None:
        self.parent = list(range(count))
        self.first: dict[int, int] = {}  # link hash -> a file that has it

    def root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def add(self, i: int, links: bytes | None) -> None:
        hashes = _hashes(links)
        first = self.first
        for h in first.keys() & hashes:  # (set operations: the loops run in C)
            a, b = self.root(i), self.root(first[h])
            if a != b:
                self.parent[max(a, b)] = min(a, b)
        first.update(dict.fromkeys(hashes, i))

    def partition(self, files: list[int], relatives: list[str], keys: list[str]) -> Partition:
        """The partition of ``files`` (their numbers, in order, with their paths and
        keys): components numbered in the order of their first file."""
        number: dict[int, int] = {}
        roots = [self.root(i) for i in range(len(self.parent))]  # (once per file, not link)
        comps = [number.setdefault(roots[i], len(number)) for i in files]
        hashes = array("Q", sorted(self.first))
        first = self.first
        return Partition(
            files={r: (k, c) for r, k, c in zip(relatives, keys, comps, strict=True)},
            hashes=hashes.tobytes(),
            comps=array("I", [number.setdefault(roots[first[h]], len(number))
                              for h in hashes]).tobytes(),
            next=len(number))


def partition(relatives: list[str], keys: list[str], links: list[bytes | None]) -> Partition:
    """A fresh partition: files sharing a link in one component, components numbered in
    the order of their first file."""
    linker = Linker(len(relatives))
    for i, found in enumerate(links):
        linker.add(i, found)
    return linker.partition(list(range(len(relatives))), relatives, keys)


def update(old: Partition, relatives: list[str], keys: list[str],
           links: dict[int, bytes | None]) -> Partition:
    """The partition after an edit: the files whose content (or presence) changed, with
    every file of their components and of the components their links reach, form one
    new component. ``links``: of the changed files, by their place in ``relatives``."""
    now = dict(zip(relatives, keys, strict=True))
    changed = [i for i, (r, k) in enumerate(zip(relatives, keys, strict=True))
               if old.files.get(r, ("", 0))[0] != k]
    removed = [r for r in old.files if r not in now]
    if not changed and not removed:
        return old
    affected = {old.find(old.files[r][1]) for r in removed}
    affected |= {old.find(old.files[relatives[i]][1]) for i in changed
                 if relatives[i] in old.files}
    for i in changed:
        affected |= {old.find(comp) for comp in old.lookup(links[i])}
    new = old.next
    result = Partition(files={}, hashes=old.hashes, comps=old.comps, index=dict(old.index),
                       renamed=dict(old.renamed), next=new + 1)
    for comp in affected:
        result.renamed[comp] = new
    for r, k in now.items():
        before = old.files.get(r)
        result.files[r] = (k, new if before is None else result.find(before[1]))
    for i in changed:
        result.files[relatives[i]] = (keys[i], new)
        for h in _hashes(links[i]):
            result.index.setdefault(h, new)
    return result


# --- one component --------------------------------------------------------------------------

# A file as a component job receives it: kind, path as shown, path below the data
# directory, load diagnostics (without the path), broken records, pickled value and positions
Payload = tuple[str, str, str, list[tuple], frozenset, bytes]


@dataclass
class Everyone:
    """What the checks that read the whole data set (``WHOLE``) need of one component:
    whether it can be scored (``nominations.scorable``), its members, their membership,
    the member ids of its files that failed the schema, when it can be scored and there
    are nominations every member's standing for each year the nominations are for (as
    of ``periods.year_closing``), and what the routine checks read of its meetings,
    events and closes (``supervise.Routine``)."""

    scorable: bool
    members: list[Member]
    membership: dict[str, Membership]
    broken: frozenset[str]
    finals: dict[int, list[Standing]] | None
    routine: Routine
    years: frozenset[int]  # of its events and meetings (the site's years, ``parts.py``)


@dataclass
class Checked:
    """What checking one component found: its diagnostics (its files' load diagnostics
    included), the late ones (None: the component has an error, they were not run),
    whether its files loaded without error, and what the checks of the whole data set
    need of it."""

    found: list[Diagnostic]
    later: list[Diagnostic] | None
    loaded: bool
    everyone: Everyone


# a component job's answer: what it found, and the standings (None: not asked for, or the
# component has an error)
Found = tuple[Checked, list[Standing] | None]


def _documents(payloads: list[Payload]) -> tuple[list[Document], list[Diagnostic]]:
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    for kind, shown, relative, flat, broken, body in payloads:
        value, positions = Entry(flat, broken, None, body).opened()
        documents.append(Document(kind, shown, value, broken, relative, positions))
        problems += [Diagnostic(shown, code, message, line, col, pointer)
                     for code, message, line, col, pointer in flat]
    return documents, problems


@dataclass
class Shared:
    """The context as every component starts from it: its documents, and a builder that
    has built them."""

    documents: list[Document]
    built: Builder

    @classmethod
    def of(cls, documents: list[Document]) -> Shared:
        return cls(documents, builder(documents))


def check_component(context: Shared, payloads: list[Payload], today: str,
                    scoring: tuple[int, str] | None) -> Found:
    """Check one component beside the context (and score it when ``scoring`` = (year,
    as of) is given and it has no error)."""
    documents, found = _documents(payloads)
    loaded = not any(d.is_error for d in found)
    with collector_paused():
        ds = derive(build(documents, context.built))
    context_documents = context.documents
    ctx = Context(today=today)
    shared = {doc.path for doc in context_documents}
    for check in LOCAL:
        found += [d for d in check(ds, ctx) if d.path not in shared]
    positions = {doc.path: doc.positions for doc in context_documents + documents}
    found = resolve(found, positions=positions)
    everyone = _everyone(ds)
    if any(d.is_error for d in found):
        return Checked(found, None, loaded, everyone), None
    later = resolve([d for d in late(ds, ctx) if d.path not in shared], positions=positions)
    scores = standings(ds, scoring[0], scoring[1], ledgers=False) if scoring else None
    return Checked(found, later, loaded, everyone), scores


def _everyone(ds: Dataset) -> Everyone:
    ready = scorable(ds)
    years = sorted({f.year for f in ds.nominations.files})
    return Everyone(
        ready, list(ds.members.values()), {m: ds.membership(ds.members[m]) for m in ds.members},
        ds.files.broken_ids("member"),
        {year: standings(ds, year, year_closing(year), ledgers=False, only=sorted(ds.members))
         for year in years} if ready and years else None,
        Routine.of(ds), ds.data_years())


def check_everyone(context: Dataset, parts: list[Everyone], loaded_cleanly: bool,
                   today: str) -> list[Diagnostic]:
    """The checks of the whole data set (``WHOLE``) on a data set of the context and
    every member (with their membership), the year-end figures computed part by part
    and the routine gathered part by part: what they say on the whole data set, for
    they read nothing else (``nominations.check_nominations``: scoring is possible when
    it is in every part; ``validate.check_supervision``)."""
    members: dict[str, Member] = {}
    membership: dict[str, Membership] = {}
    broken: set[str] = set(context.files.broken_ids("member"))
    for part in parts:
        for member in part.members:
            members.setdefault(member.id, member)
        membership.update(part.membership)
        broken |= part.broken
    ds = replace(context, members=MappingProxyType(members),
                 files=replace(context.files, broken={**context.files.broken,
                                                      "member": frozenset(broken)}),
                 derived=replace(context.derived, membership=MappingProxyType(membership)))
    ready = scorable(context) and all(part.scorable for part in parts)
    if ready:
        years = {year for part in parts for year in part.finals or {}}
        for year in years:
            given_final_standings(ds, year, {s.member.id: s for part in parts
                                             for s in (part.finals or {}).get(year, [])})
    found = list(check_nominations(ds, Context(today=today,
                                               loaded_cleanly=loaded_cleanly and ready)))
    if loaded_cleanly and ds.organization is not None and ds.policy.routine_warnings:
        found += routine_warnings(ds, Routine.merge([part.routine for part in parts]), today)
    return found


def check_context(context: list[Document], problems: list[Diagnostic], today: str
                  ) -> list[Diagnostic]:
    """The diagnostics of the context files: their own and what the checks say of them
    with nothing else loaded."""
    ds = derive(build(context))
    found = list(problems)
    ctx = Context(today=today)
    for check in (*CONTEXT_ONLY, *LOCAL):
        found += check(ds, ctx)
    return resolve(found, positions={doc.path: doc.positions for doc in context})


_WORKER: dict[str, object] = {}


def _start_worker(parent: int, context: list[Payload], today: str,
                  scoring: tuple[int, str] | None) -> None:
    _worker_start(parent)
    _WORKER.update(context=Shared.of(_documents(context)[0]), today=today, scoring=scoring)


def _component_job(job: tuple[int, list[Payload]]) -> tuple[int, bytes]:
    number, payloads = job
    context = _WORKER["context"]
    today = _WORKER["today"]
    scoring = _WORKER["scoring"]
    assert isinstance(context, Shared) and isinstance(today, str)
    assert scoring is None or isinstance(scoring, tuple)
    found = check_component(context, payloads, today, scoring)
    return number, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)


# --- a run ---------------------------------------------------------------------------------

def _diagnostics(value: object) -> bool:
    return isinstance(value, list) and all(type(d) is Diagnostic for d in value)


def _checked_shape(value: object) -> bool:
    if type(value) is not Checked:
        return False
    fields: tuple[object, ...] = (value.found, value.later, value.loaded, value.everyone)
    found, later, loaded, everyone = fields
    return (_diagnostics(found) and (later is None or _diagnostics(later))
            and isinstance(loaded, bool) and type(everyone) is Everyone
            and type(everyone.routine) is Routine)


def _standings_shape(value: object) -> bool:
    return isinstance(value, list) and all(type(s) is Standing for s in value)


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


class _Files:
    """The files of a scan with their entries, read on demand (and cached)."""

    def __init__(self, found: Scan, cache: Cache, workers: int | None) -> None:
        self.found = found
        self.cache = cache
        self.workers = workers
        self.entries: dict[int, Entry] = {}
        self.unstored: list[tuple[str, bytes]] = []  # entries read, for the cache
        self.relatives = found.relatives or [path.relative_to(found.data_dir).as_posix()
                                             for _, path in found.files]

    def read(self, indexes: Iterable[int],
             arrived: Callable[[int, Entry], None] | None = None) -> None:
        """Read the entries of these files (``arrived``: told of each as it comes)."""
        wanted = [i for i in indexes if i not in self.entries and self.found.keys[i] != ""]
        if not wanted:
            return
        got = read_entries([self.found.files[i] for i in wanted],
                           [self.found.keys[i] for i in wanted], self.cache, self.workers,
                           self.unstored, None if arrived is None else
                           lambda k, entry: arrived(wanted[k], entry))
        for i, item in zip(wanted, got, strict=True):
            if item is not None:
                self.found.keys[i] = item[0]
                self.entries[i] = item[1]

    def store(self) -> None:
        """Put the entries read so far in the cache (``read`` leaves that for a moment
        when the processor is free: while the workers check the components)."""
        self.cache.put_many(self.unstored)
        self.unstored = []

    def payload(self, i: int) -> Payload:
        kind, path = self.found.files[i]
        entry = self.entries[i]
        return kind, str(path), self.relatives[i], entry.flat, entry.broken, entry.body


@dataclass
class Components:
    """The components of a data set without errors, for work done one component at a
    time (``parts.py``: the site): each component's key (the contents of its files, the
    context, the day), its files, and what it gathered for the checks of the whole
    (``Everyone``); ``dataset`` builds one beside the context, as ``check_component``
    does."""

    keys: dict[int, str]
    files: dict[int, list[int]]
    everyone: dict[int, Everyone]
    partition: Partition
    context: Shared
    source: _Files

    def owners(self, link: str) -> set[int]:
        """The components holding the files that refer to ``link`` (``RecordKind.links``):
        one at most, as files sharing a link share a component (none: no file does)."""
        return {self.partition.find(c) for c in self.partition.lookup(link_hash(link))
                } & self.files.keys()

    def paths(self, comp: int) -> list[str]:
        return [str(self.source.found.files[i][1]) for i in self.files[comp]]

    def dataset(self, comp: int) -> Dataset:
        """The context and one component, as a data set (its files read from the cache
        unless this run has them, and let go of once built)."""
        indexes = self.files[comp]
        self.source.read(indexes)
        documents, _ = _documents([self.source.payload(i) for i in indexes])
        for i in indexes:
            self.source.entries.pop(i, None)
        with collector_paused():
            return derive(build(documents, self.context.built))


def run(found: Scan, *, today: str, cache: Cache, scoring: tuple[int, str] | None = None,
        workers: int | None = None) -> Outcome | None:
    """Check a scanned data set incrementally (and score it, ``scoring`` = (year, as of)):
    the same diagnostics and standings as checking it whole; None when the engine cannot
    (see ``usable``)."""
    if not usable(found):
        return None
    files = _Files(found, cache, workers)
    n = len(found.files)
    readable = sum(1 for key in found.keys if key != "")  # "": could not even be looked at
    shared = {i for i in range(n) if BY_NAME[found.files[i][0]].context}
    stored = cache.memo_key("partition", VERSION, str(found.data_dir.resolve()))
    kept = cache.get(stored, _partition_shape)
    old = kept if isinstance(kept, Partition) and len(kept.renamed) < MERGES_BEFORE_REBUILD \
        else None
    # every file whose content is unknown is read (all of them, when cold, joining the
    # files that share links as they come in)
    linker = Linker(n) if old is None else None
    files.read(range(n) if old is None else
               [i for i in range(n) if found.keys[i] is None or i in shared],
               None if linker is None else lambda i, entry: linker.add(i, entry.links))
    save_stat_index(found, cache)
    # files that could not be read (their E100 only; the context's are the context's)
    unreadable = [i for i in range(n)
                  if found.keys[i] == "" and i in files.entries and i not in shared]
    parts = [i for i in range(n) if i not in shared and found.keys[i]]
    relatives = [files.relatives[i] for i in parts]
    keys = [str(found.keys[i]) for i in parts]
    if old is None:
        assert linker is not None
        now = linker.partition(parts, relatives, keys)
    else:
        changed = [j for j, i in enumerate(parts)
                   if old.files.get(relatives[j], ("", 0))[0] != keys[j]]
        files.read(parts[j] for j in changed)
        now = update(old, relatives, keys, {j: files.entries[parts[j]].links for j in changed})
    if now is not old:  # stored with the entries read, while the workers check
        files.unstored.append((stored, pickle.dumps(now, pickle.HIGHEST_PROTOCOL)))

    members: dict[int, list[int]] = {}
    for i, r in zip(parts, relatives, strict=True):
        members.setdefault(now.files[r][1], []).append(i)
    context_digest = _digest(f"{files.relatives[i]}\0{found.keys[i]}" for i in sorted(shared))
    shown = str(found.data_dir)
    comp_keys = {comp: cache.memo_key("component", VERSION, shown, context_digest, today,
                                      _digest(f"{files.relatives[i]}\0{found.keys[i]}"
                                              for i in indexes))
                 for comp, indexes in members.items()}
    results: dict[int, Checked] = {}
    scores: dict[int, list[Standing] | None] = {}
    hits = cache.get_many(list(comp_keys.values()), _checked_shape)
    for comp, key in comp_keys.items():  # (a component's results depend on its files'
        hit = hits.get(key)               # contents only: a hit is right, whenever made)
        if isinstance(hit, Checked):
            results[comp] = hit

    files.read(shared)
    documents, problems = _documents([files.payload(i) for i in sorted(shared)])
    context = Shared.of(documents)
    context_key = cache.memo_key("context", VERSION, shown, context_digest, today)
    hit = cache.get(context_key, _diagnostics)
    if isinstance(hit, list):
        context_found: list[Diagnostic] = hit
    else:
        context_found = check_context(documents, problems, today)
        cache.put(context_key, pickle.dumps(context_found, pickle.HIGHEST_PROTOCOL))

    missing = [comp for comp in members if comp not in results]
    _compute(files, context, missing, members, today, scoring, results, scores)
    cache.put_many([(comp_keys[comp], pickle.dumps(results[comp], pickle.HIGHEST_PROTOCOL))
                    for comp in missing])

    files.store()
    diagnostics = list(found.problems) + context_found
    for i in unreadable:
        diagnostics += _documents([files.payload(i)])[1]
    for comp in sorted(results):
        diagnostics += results[comp].found
    whole = derive(build([], context.built))  # the context, as a data set
    loaded_cleanly = (not any(d.is_error for d in [*found.problems, *problems])
                      and not unreadable and all(r.loaded for r in results.values()))
    diagnostics += resolve(  # (a close file named here is read again: a few at most)
        check_everyone(whole, [results[comp].everyone for comp in sorted(results)],
                       loaded_cleanly, today),
        positions={d.path: d.positions for d in documents})
    if not any(d.is_error for d in diagnostics):
        for comp in sorted(results):
            later = results[comp].later
            assert later is not None  # a component without an error ran them
            diagnostics += later
    diagnostics.sort(key=Diagnostic.sort_key)
    outcome = Outcome(diagnostics, readable, whole)
    if any(d.is_error for d in diagnostics):
        return outcome
    outcome.parts = Components(comp_keys, members,
                               {comp: results[comp].everyone for comp in members}, now,
                               context, files)
    if scoring is None:
        return outcome
    outcome.standings = _standings(files, context, members, comp_keys, scoring, scores,
                                   cache, today)
    return outcome


def _standings(files: _Files, context: Shared,
               members: dict[int, list[int]], comp_keys: dict[int, str],
               scoring: tuple[int, str], scores: dict[int, list[Standing] | None],
               cache: Cache, today: str) -> list[Standing]:
    """Every member's standing: each component's from this run, from the cache, or
    computed now."""
    keys = {comp: cache.memo_key("standings", VERSION, key, str(scoring[0]), scoring[1])
            for comp, key in comp_keys.items()}
    computed = [comp for comp, found in scores.items() if found is not None]
    hits = cache.get_many([keys[c] for c in members if c not in scores], _standings_shape)
    for comp in members:
        hit = hits.get(keys[comp])
        if comp not in scores and isinstance(hit, list):
            scores[comp] = hit
    missing = [comp for comp in members if scores.get(comp) is None]
    results: dict[int, Checked] = {}
    _compute(files, context, missing, members, today, scoring, results, scores)
    cache.put_many([(keys[comp], pickle.dumps(scores[comp], pickle.HIGHEST_PROTOCOL))
                    for comp in computed + missing])
    everyone: list[Standing] = []
    for comp in members:
        found = scores[comp]
        assert found is not None
        everyone += found
    everyone.sort(key=lambda s: s.member.id)
    return everyone


def _compute(files: _Files, context: Shared,
             comps: list[int], members: dict[int, list[int]], today: str,
             scoring: tuple[int, str] | None,
             results: dict[int, Checked], scores: dict[int, list[Standing] | None]) -> None:
    """Check (and score) the components ``comps``: in worker processes when there are
    many files, largest components first."""
    if not comps:
        return
    files.read(i for comp in comps for i in members[comp])
    order = sorted(comps, key=lambda c: -len(members[c]))
    jobs = ((comp, [files.payload(i) for i in members[comp]]) for comp in order)
    total = sum(len(members[c]) for c in comps)
    with _pool(len(comps), total, files, today, scoring) as pool:
        if pool is not None:
            answers = pool.imap_unordered(_component_job, jobs)
            files.store()  # while the workers check
            for comp, blob in answers:
                results[comp], scores[comp] = pickle.loads(blob)
        else:
            for comp, payloads in jobs:
                results[comp], scores[comp] = check_component(context, payloads, today,
                                                              scoring)
            files.store()


class _NoPool:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _pool(comps: int, total: int, files: _Files, today: str,
          scoring: tuple[int, str] | None) -> _NoPool | multiprocessing.pool.Pool:
    """Worker processes for many components (each starts with the context read), or
    none when starting them would cost more than it saves."""
    if comps < 2 or total < PARALLEL_MIN_FILES:
        return _NoPool()
    shared = [i for i in files.entries if BY_NAME[files.found.files[i][0]].context]
    payloads = [files.payload(i) for i in sorted(shared)]
    count = files.workers if files.workers is not None else (os.cpu_count() or 1)
    if count <= 1:
        return _NoPool()
    return multiprocessing.Pool(count, _start_worker, (os.getpid(), payloads, today, scoring))
