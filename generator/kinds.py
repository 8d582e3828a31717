"""The kinds of data file: one registry entry each, the only place that knows them.

Each ``RecordKind`` says, once: where its files live below the data directory (and so
which CODEOWNERS rule covers them), which JSON Schema checks them and which of its lists
hold records (an error inside one record leaves the others usable), how its records are
built, who reviews its folders, which fields ``jifen diff`` shows, and which command
writes it. The loader, the schema checks, ``build``, ``jifen codeowners``, ``jifen diff``
and the edit commands all read ``KINDS``.

Adding a kind of file is adding one entry (and its schema, builder and record type)::

    RecordKind("objection", "objections/**/*.yaml", "objection", builder=_objection,
               label="异议", owner="branch", diff=("branch", "quarter", "outcome"),
               record="objection")

Layout of a data directory, in loading order::

    organization.yaml         党工委, 党总支, 党支部
    policy.yaml               thresholds (optional: the regulation's defaults)
    rules/*.yaml              rule catalogues (附件1)
    members/**/<id>.yaml      one member per file
    meetings/**/*.yaml        organisational life and attendance (and attendance corrections)
    events/**/*.yaml          deductions (扣分), registered by the branch
    additions/**/*.yaml       additions (加分), approved by the 党工委
    direct/**/*.yaml          the 党工委's direct deductions (直接扣分亮分, 附件2 step 1)
    closes/**/<YYYY>-Q<n>.yaml  a branch committee's close of a quarter (支委会审定)
    objections/**/*.yaml      objections raised in a publication window (异议)
    cases/**/*.yaml           laggard cases, one per file (后进党员教育处置, 附件2)
    nominations/<branch>/<YYYY>.yaml  a branch's 优秀党员 nominations (支部初定, 总支初审)
    nominations/<YYYY>.yaml   the 党工委's 认定 and its decisions on the year-end lists

A file in a folder named after a branch (``events/b-a/2025-03.yaml``) holds that
branch's records only, so a forge's CODEOWNERS can give each branch's folders to its
own registrars (``jifen codeowners``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, TypeVar

from generator.errors import Pointer
from generator.model import (
    Announcement,
    Application,
    Approval,
    Branch,
    BranchDecision,
    Case,
    Catalogue,
    Close,
    Contact,
    Correction,
    Dataset,
    Decision,
    EducationReview,
    Event,
    Exemption,
    Files,
    Forge,
    Leaving,
    Meeting,
    Member,
    MonthlyReport,
    NominationFile,
    Nominations,
    Objection,
    Organization,
    Policy,
    Reading,
    Rectification,
    Resolution,
    Review,
    Rule,
    Stage,
    Transfer,
)
from generator.yamlio import Skeleton

WHOLE = ("", -1)  # a position meaning "the whole document"
Position = tuple[str, int]  # (record list, index): a record of a document


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed file. ``broken`` holds the positions of records that failed the schema
    (``WHOLE``: the document itself is unusable); ``positions``, where each value is in
    the text (``yamlio.Skeleton``; None: unknown, the file is read again if a diagnostic
    needs them)."""

    kind: str
    path: str
    value: object
    broken: frozenset[Position] = frozenset()
    relative: str = ""  # the path below the data directory
    positions: Skeleton | None = None

    @property
    def folder(self) -> str | None:
        """The first folder below the kind's own (``events/<folder>/x.yaml``): the
        branch the file belongs to when it names one."""
        parts = self.relative.split("/")
        return parts[1] if len(parts) >= 3 else None

    def usable(self, position: Position = WHOLE) -> bool:
        return WHOLE not in self.broken and position not in self.broken


@dataclass
class Builder:
    """Records gathered from documents in loading order, then frozen into a ``Dataset``."""

    organization: Organization | None = None
    policy: Policy = field(default_factory=Policy)
    catalogues: list[Catalogue] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    meetings: list[Meeting] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    closes: list[Close] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    nomination_files: list[NominationFile] = field(default_factory=list)
    nomination_broken: set[int | None] = field(default_factory=set)
    branch_of: dict[str, str] = field(default_factory=dict)
    folder_of: dict[str, str] = field(default_factory=dict)
    additions: set[str] = field(default_factory=set)
    direct: set[str] = field(default_factory=set)
    broken: dict[str, set[str]] = field(default_factory=lambda: {
        "branch": set(), "member": set(), "meeting": set(), "event": set()})
    duplicates: list[tuple[str, str, str, Pointer, str]] = field(default_factory=list)
    folder_conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    member_folders: dict[str, str] = field(default_factory=dict)

    def folder_branch(self, doc: Document) -> str | None:
        """The branch a document's folder names, if it names a known one."""
        folder = doc.folder
        known = self.organization.branches if self.organization else {}
        return folder if folder in known else None

    def declares(self, doc: Document, branch: str) -> None:
        """A file that states its branch: a folder of another branch is a conflict."""
        folder = self.folder_branch(doc)
        if folder is not None and folder != branch:
            self.folder_conflicts.append((doc.path, folder, branch))

    def skipped(self, doc: Document, record_kind: str, key: str, records: list, i: int
                ) -> bool:
        """Is record ``i`` of list ``key`` broken? Its id is noted, so that references to
        it are not reported again."""
        if doc.usable((key, i)):
            return False
        record = records[i] if 0 <= i < len(records) else None
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            self.broken[record_kind].add(record["id"])
        return True

    def fork(self) -> Builder:
        """A builder that goes on from what this one has built (the context, say), with
        containers of its own: this one is left as it is."""
        copies: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, dict):
                value = {k: set(v) if isinstance(v, set) else v for k, v in value.items()}
            elif isinstance(value, list | set):
                value = value.copy()
            copies[item.name] = value
        return Builder(**copies)  # type: ignore[arg-type]  # each field as it was, copied

    def dataset(self) -> Dataset:
        return Dataset(
            organization=self.organization, policy=self.policy,
            catalogues=tuple(self.catalogues), members=MappingProxyType(self.members),
            meetings=tuple(self.meetings), events=tuple(self.events),
            corrections=tuple(self.corrections), closes=tuple(self.closes),
            objections=tuple(self.objections), cases=tuple(self.cases),
            nominations=Nominations(tuple(self.nomination_files),
                                    frozenset(self.nomination_broken)),
            files=Files(branch_of=MappingProxyType(self.branch_of),
                        folder_of=MappingProxyType(self.folder_of),
                        additions=frozenset(self.additions), direct=frozenset(self.direct),
                        broken={k: frozenset(v) for k, v in self.broken.items()},
                        duplicates=tuple(self.duplicates),
                        folder_conflicts=tuple(self.folder_conflicts),
                        member_folders=MappingProxyType(self.member_folders)))


# --- builders: one per kind, (document, builder) -> None ------------------------------------------

T = TypeVar("T")


def _mapping(doc: Document) -> dict[str, Any]:
    """The value of a document that passed its schema: a mapping, by every schema."""
    assert isinstance(doc.value, dict)
    return doc.value


def _organization(doc: Document, b: Builder) -> None:
    value = doc.value if isinstance(doc.value, dict) else {}
    raw: list[Any] = value["branches"] if isinstance(value.get("branches"), list) else []
    branches: dict[str, Branch] = {}
    # Every branch that is itself well-formed is kept, whatever else is wrong in the
    # file: everything refers to branches, so losing them would bury the one real
    # error under hundreds of "unknown branch" reports.
    for i, r in enumerate(raw):
        if ("branches", i) in doc.broken:
            if isinstance(r, dict) and isinstance(r.get("id"), str):
                b.broken["branch"].add(r["id"])
            continue
        if r["id"] in branches:
            b.duplicates.append(("党支部", r["id"], doc.path, ("branches", i, "id"),
                                 branches[r["id"]].path))
            continue
        branches[r["id"]] = Branch(id=r["id"], name=r["name"], kind=r["kind"],
                                   general_branch=r.get("general_branch"), path=doc.path,
                                   pointer=("branches", i),
                                   registrars=tuple(r.get("registrars", ())))
    general = value.get("general_branches")
    office = value.get("office")
    accounts = office.get("accounts") if isinstance(office, dict) else None
    contact = office.get("contact") if isinstance(office, dict) else None
    forge = value.get("forge")
    b.organization = Organization(
        committee=value["committee"] if isinstance(value.get("committee"), str) else "",
        general_branches={g["id"]: g.get("name") or "" for g in general or ()
                          if isinstance(g, dict) and isinstance(g.get("id"), str)}
        if isinstance(general, list) else {},
        branches=branches, path=doc.path,
        office_name=(office.get("name") or "党工委办公室") if isinstance(office, dict) else "",
        office_accounts=tuple(accounts) if isinstance(accounts, list) else (),
        contact=Contact(**{k: contact[k] for k in ("address", "telephone", "email", "hours")
                           if isinstance(contact.get(k), str)})
        if isinstance(contact, dict) else None,
        forge=Forge(kind=forge["kind"], url=forge["url"].rstrip("/"))
        if isinstance(forge, dict) and isinstance(forge.get("kind"), str)
        and isinstance(forge.get("url"), str) else None)


def _reading(index: int, r: dict[str, Any]) -> Reading:
    return Reading(id=r["id"], title=r["title"], decision=r["decision"],
                   adopted_by=r["adopted_by"], adopted_on=r["adopted_on"],
                   regulation=tuple(r.get("regulation", ())),
                   concerns=tuple(r.get("concerns", ())), rules=tuple(r.get("rules", ())),
                   index=index)


def _policy(doc: Document, b: Builder) -> None:
    if doc.usable():
        args = dict(_mapping(doc))
        if "veto_rules" in args:
            args["veto_rules"] = tuple(args["veto_rules"])
        args["readings"] = tuple(_reading(i, r) for i, r in enumerate(args.get("readings", ())))
        args["direct_rules"] = {k: tuple(v) for k, v in args.get("direct_rules", {}).items()}
        b.policy = Policy(**args, path=doc.path)


_RULE_KEYS = ("code", "name", "category", "kind", "points", "consecutive_points", "limit",
              "attendance", "text", "until")


def _rules(doc: Document, b: Builder) -> None:
    if not doc.usable():
        return
    value = _mapping(doc)
    versions: dict[str, list[Rule]] = {}
    attendance: dict[str, str] = {}
    for i, r in enumerate(value["rules"]):
        if not doc.usable(("rules", i)):  # this rule failed the schema; the others stand
            continue
        rule = Rule(**{k: r[k] for k in _RULE_KEYS if k in r}, path=doc.path, index=i,
                    range=(r["range"][0], r["range"][1]) if "range" in r else None,
                    start=r.get("from"))
        versions.setdefault(rule.code, []).append(rule)
        for mark in rule.marks:
            attendance.setdefault(mark, rule.code)
    b.catalogues.append(Catalogue(id=value["catalogue"], title=value["title"],
                                  applies_to=tuple(value["applies_to"]),
                                  versions={c: tuple(v) for c, v in versions.items()},
                                  path=doc.path, attendance=attendance,
                                  standard=value.get("standard", "enterprise")))


_MEMBER_KEYS = ("id", "name", "branch", "category", "gender", "joined", "education",
                "transfer_to", "joined_on")


def _member(doc: Document, b: Builder) -> None:
    value = doc.value if isinstance(doc.value, dict) else {}
    if not doc.usable():
        if isinstance(value.get("id"), str):
            b.broken["member"].add(value["id"])
        return
    e = value.get("exempt")
    left = value.get("left")
    member = Member(**{k: value[k] for k in _MEMBER_KEYS if k in value}, path=doc.path,
                    posts=tuple(value.get("posts", ())),
                    exempt=None if e is None else Exemption(
                        start=e["from"], until=e.get("until"), reason=e["reason"],
                        approved_on=e["approved_on"]),
                    categories=tuple((c["from"], c["category"])
                                     for c in value.get("categories", ())),
                    branches=tuple((c["from"], c["branch"]) for c in value.get("branches", ())),
                    left=None if left is None else Leaving(
                        date=left["date"], reason=left["reason"], note=left.get("note")))
    if member.id in b.members:
        b.duplicates.append(("党员", member.id, doc.path, ("id",), b.members[member.id].path))
        return
    b.members[member.id] = member
    folder = b.folder_branch(doc)
    if folder is not None:
        b.member_folders[member.id] = folder


def _batch_branch(doc: Document, b: Builder) -> dict:
    """A meetings or events file: the branch it is for (its ``branch`` key, else its
    folder), noted for validation; its value."""
    value = doc.value if isinstance(doc.value, dict) else {}
    declared = value.get("branch") if doc.usable() else None
    folder = b.folder_branch(doc)
    if folder is not None:
        b.folder_of[doc.path] = folder
    if isinstance(declared, str):
        b.branch_of[doc.path] = declared
        b.declares(doc, declared)
    elif folder is not None:
        b.branch_of[doc.path] = folder
    return value


def _records(value: dict, key: str) -> list:
    raw = value.get(key)
    return raw if isinstance(raw, list) else []


def _corrections(doc: Document, b: Builder, value: dict) -> None:
    """The ``corrections`` of a meetings or events file (both kinds may hold them)."""
    for i, c in enumerate(_records(value, "corrections")):
        if doc.usable(("corrections", i)):
            b.corrections.append(Correction(
                id=c["id"], corrects=c["corrects"], date=c["date"], reason=c["reason"],
                objection=c.get("objection"), path=doc.path, slot=i,
                member=c.get("member"), mark=c.get("mark")))


def _meetings(doc: Document, b: Builder) -> None:
    value = _batch_branch(doc, b)
    _corrections(doc, b, value)
    raw = _records(value, "meetings")
    for i, r in enumerate(raw):
        if b.skipped(doc, "meeting", "meetings", raw, i):
            continue
        b.meetings.append(Meeting(
            id=r["id"], branch=r["branch"], date=r["date"], title=r["title"],
            absent=tuple(r.get("absent", ())), leave=tuple(r.get("leave", ())),
            late=tuple(r.get("late", ())), early=tuple(r.get("early", ())),
            path=doc.path, slot=i, separate=r.get("separate", False)))


def _events(doc: Document, b: Builder) -> None:
    value = _batch_branch(doc, b)
    if doc.kind == "additions":
        b.additions.add(doc.path)
    elif doc.kind == "direct":
        b.direct.add(doc.path)
    _corrections(doc, b, value)
    raw = _records(value, "events")
    get = dict.get
    for i, r in enumerate(raw):
        if b.skipped(doc, "event", "events", raw, i):
            continue
        # The hottest line of a build (once per event, hundreds of thousands of times):
        # keywords, and dict.get bound once.
        b.events.append(Event(
            id=r["id"], member=r["member"], rule=r["rule"], date=r["date"],
            points=get(r, "points"), status=get(r, "status"), path=doc.path, slot=i,
            note=get(r, "note"), evidence=get(r, "evidence"),
            void_reason=get(r, "void_reason"), approved_by=get(r, "approved_by"),
            approved_on=get(r, "approved_on"), unverified_reason=get(r, "unverified_reason")))


def _close(doc: Document, b: Builder) -> None:
    if not doc.usable():
        return
    value = _mapping(doc)
    b.declares(doc, value["branch"])
    b.closes.append(Close(
        branch=value["branch"], quarter=value["quarter"], meeting=value["meeting"],
        window=(value["window"]["from"], value["window"]["until"]), digest=value["digest"],
        counted={c["member"]: (c["score"], c["digest"]) for c in value["counted"]},
        path=doc.path,
        records={c["member"]: dict(c["records"]) for c in value["counted"] if "records" in c}))


def _objection(doc: Document, b: Builder) -> None:
    if not doc.usable():
        return
    value = _mapping(doc)
    b.declares(doc, value["branch"])
    b.objections.append(Objection(**value, path=doc.path))


def _case(doc: Document, b: Builder) -> None:
    if not doc.usable():
        return
    value = _mapping(doc)
    b.declares(doc, value["branch"])

    def step(key: str, cls: Callable[..., T]) -> T | None:
        return cls(**value[key]) if key in value else None

    rect = value.get("rectification")
    b.cases.append(Case(
        id=value["id"], member=value["member"], branch=value["branch"],
        quarter=value["quarter"], path=doc.path, direct=value.get("direct", False),
        announcement=step("announcement", Announcement),
        branch_decision=step("branch_decision", BranchDecision),
        general_review=step("general_review", Review),
        committee_review=step("committee_review", Review),
        transfer=step("transfer", Transfer),
        rectification=None if rect is None else Rectification(
            start=rect["start"], months=rect["months"], mentors=tuple(rect["mentors"]),
            help=tuple(rect["help"]), plan=rect.get("plan"),
            reports=tuple(MonthlyReport(**r) for r in rect.get("reports", ())),
            application=Application(**rect["application"]) if "application" in rect else None),
        resolutions=tuple(Resolution(**{k: v for k, v in r.items() if k != "education_review"},
                                     education_review=EducationReview(**r["education_review"])
                                     if "education_review" in r else None)
                          for r in value.get("resolutions", ())),
        approval=step("approval", Approval)))


def _nominations(doc: Document, b: Builder) -> None:
    value = doc.value if isinstance(doc.value, dict) else {}
    if not doc.usable():
        year = value.get("year")
        b.nomination_broken.add(year if isinstance(year, int) else None)
        return

    def stage(key: str, members: str, note: str) -> Stage | None:
        raw = value.get(key)
        return None if raw is None else Stage(date=raw["date"], members=tuple(raw[members]),
                                              note=raw.get(note))

    b.nomination_files.append(NominationFile(
        year=value["year"], path=doc.path, relative=doc.relative, branch=value.get("branch"),
        nominated=stage("nominated", "members", "note"),
        review=stage("review", "passed", "opinion"),
        confirmed=stage("confirmed", "members", "note"),
        decisions=tuple(Decision(member=d["member"], action=d["action"], date=d["date"],
                                 note=d.get("note"), slot=i)
                        for i, d in enumerate(value.get("decisions", ())))))


# --- links: what a file's records refer to, across files -----------------------------------------
#
# Every member id, record id and branch that a check (or scoring) may look up in another
# file, read from the raw document (whatever its shape: broken records too, whose ids
# spare references to them). Two files that share a link are checked together
# (``incremental.py``); missing a link would check a record without what it refers
# to, so each function lists more rather than less. ``m``: a member, ``r``: a record
# (event, meeting, correction, objection, case: ids share one namespace here), ``b``: a
# branch whose records are grouped (meetings by branch and day, a branch's closes) and
# whose pages show them with its members' (``parts.py``).

def _strings(record: object, key: str) -> list[str]:
    """The string, or the strings of the list, under ``key`` of a mapping."""
    if not isinstance(record, dict):
        return []
    found = record.get(key)
    if isinstance(found, str):
        return [found]
    return [x for x in found if isinstance(x, str)] if isinstance(found, list) else []


def _dicts(value: object, key: str) -> list[dict]:
    found = value.get(key) if isinstance(value, dict) else None
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _correction_links(value: object) -> Iterator[str]:
    for c in _dicts(value, "corrections"):
        yield from ("r\0" + x for x in _strings(c, "id") + _strings(c, "corrects"))
        yield from ("m\0" + x for x in _strings(c, "member"))


def _member_links(value: object) -> Iterator[str]:
    yield from ("m\0" + x for x in _strings(value, "id"))
    # every branch the member belongs or belonged to: a branch's public pages are planned
    # with all its members (``parts.py``). (Not ``transfer_to``: the village branch that
    # registers a flowing member's additions lists them on an internal page only, and
    # the internal build is planned whole; linking it would join many branches.)
    yield from ("b\0" + x for x in _strings(value, "branch"))
    for r in _dicts(value, "branches"):
        yield from ("b\0" + x for x in _strings(r, "branch"))


def _meetings_links(value: object) -> Iterator[str]:
    for r in _dicts(value, "meetings"):
        yield from ("r\0" + x for x in _strings(r, "id"))
        yield from ("b\0" + x for x in _strings(r, "branch"))
        for key in ("absent", "leave", "late", "early"):
            yield from ("m\0" + x for x in _strings(r, key))
    yield from _correction_links(value)


def _events_links(value: object) -> Iterator[str]:
    found: list[str] = []  # (the hottest of these: a list, not nested generators)
    for r in _dicts(value, "events"):
        ident, member = r.get("id"), r.get("member")
        if isinstance(ident, str):
            found.append("r\0" + ident)
        if isinstance(member, str):
            found.append("m\0" + member)
    yield from found
    yield from _correction_links(value)


def _close_links(value: object) -> Iterator[str]:
    yield from ("b\0" + x for x in _strings(value, "branch"))
    for c in _dicts(value, "counted"):
        yield from ("m\0" + x for x in _strings(c, "member"))
        records = c.get("records")
        for pair in records if isinstance(records, list) else ():
            if isinstance(pair, list) and pair and isinstance(pair[0], str):
                yield "r\0" + pair[0]


def _objection_links(value: object) -> Iterator[str]:
    yield from ("b\0" + x for x in _strings(value, "branch"))
    yield from ("m\0" + x for x in _strings(value, "member"))
    for key in ("id", "event", "correction"):
        yield from ("r\0" + x for x in _strings(value, key))


def _case_links(value: object) -> Iterator[str]:
    yield from ("r\0" + x for x in _strings(value, "id"))
    yield from ("m\0" + x for x in _strings(value, "member"))
    yield from ("b\0" + x for x in _strings(value, "branch"))
    transfer = value.get("transfer") if isinstance(value, dict) else None
    yield from ("b\0" + x for x in _strings(transfer, "to"))
    rect = value.get("rectification") if isinstance(value, dict) else None
    yield from ("m\0" + x for x in _strings(rect, "mentors"))


# --- the registry ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RecordKind:
    """One kind of data file (see the module docstring)."""

    name: str
    pattern: str  # below the data directory: "policy.yaml", "rules/*.yaml", "events/**/*.yaml"
    schema: str  # schema/<schema>.schema.json
    builder: Callable[[Document, Builder], None]
    label: str  # what its records are called, in Chinese
    owner: str  # who reviews its files: "branch" (per-branch folders) or "office"
    lists: tuple[str, ...] = ()  # keys of its record lists (one broken record spares the rest)
    diff: tuple[str, ...] = ()  # the fields `jifen diff` shows of a changed record
    record: str | None = None  # the name `jifen diff` gives a record of this kind
    command: str | None = None  # the command that writes it
    required: str | None = None  # the message when the data directory has none
    empty_ok: bool = False  # an empty file is an empty mapping (every key optional)
    # what its records refer to across files (see ``_strings``); None: its checks need
    # the whole data set (or, with ``context``, every check may read it)
    links: Callable[[object], Iterable[str]] | None = None
    # read by every check: the organisation, the policy, the rules, and the nominations
    # (the year-end decisions bound the corrections of a year)
    context: bool = False

    @property
    def folder(self) -> str:
        """The top folder of its files ("" for a file at the top)."""
        return self.pattern.split("/")[0] if "/" in self.pattern else ""

    @property
    def branch_folders(self) -> bool:
        """Do its files sit in one folder per branch (``events/<branch>/…``)?"""
        return "**" in self.pattern

    def matches(self, relative: str) -> bool:
        if not relative.endswith(".yaml"):
            return False
        if "/" not in self.pattern:
            return relative == self.pattern
        if "**" in self.pattern:
            return relative.startswith(self.folder + "/")
        return relative.count("/") == 1 and relative.startswith(self.folder + "/")


_EVENT_FIELDS = ("member", "rule", "date", "points", "status", "note", "evidence",
                 "void_reason", "approved_by", "approved_on", "unverified_reason")

KINDS: tuple[RecordKind, ...] = (
    RecordKind("organization", "organization.yaml", "organization", _organization,
               "组织架构", "office", lists=("branches",),
               required="每个数据目录都要有 organization.yaml，登记党工委和各党支部。",
               context=True),
    RecordKind("policy", "policy.yaml", "policy", _policy, "积分政策", "office",
               empty_ok=True, context=True),
    RecordKind("rules", "rules/*.yaml", "rules", _rules, "积分标准", "office", lists=("rules",),
               required="rules/ 中至少要有一个积分标准文件，例如 rules/enterprise.yaml。",
               context=True),
    RecordKind("member", "members/**/*.yaml", "member", _member, "党员档案", "branch",
               record="member", links=_member_links),
    RecordKind("meetings", "meetings/**/*.yaml", "meetings", _meetings, "会议考勤", "branch",
               lists=("meetings", "corrections"),
               diff=("branch", "date", "title", "absent", "leave", "late", "early", "separate"),
               record="meeting", command="jifen add meeting", links=_meetings_links),
    RecordKind("events", "events/**/*.yaml", "events", _events, "扣分登记", "branch",
               lists=("events", "corrections"), diff=_EVENT_FIELDS, record="event",
               command="jifen add event", links=_events_links),
    RecordKind("additions", "additions/**/*.yaml", "events", _events, "加分登记", "office",
               lists=("events", "corrections"), diff=_EVENT_FIELDS, record="event",
               command="jifen add event", links=_events_links),
    RecordKind("direct", "direct/**/*.yaml", "events", _events, "党工委直接扣分", "office",
               lists=("events", "corrections"), diff=_EVENT_FIELDS, record="event",
               links=_events_links),
    RecordKind("close", "closes/**/*.yaml", "close", _close, "季度审定", "branch",
               diff=("meeting", "window", "digest", "counted"), record="close",
               command="jifen close", links=_close_links),
    RecordKind("objection", "objections/**/*.yaml", "objection", _objection, "异议", "branch",
               diff=("branch", "quarter", "raised_on", "member", "event", "details",
                     "outcome", "decided_on", "decision", "correction"),
               record="objection", links=_objection_links),
    RecordKind("case", "cases/**/*.yaml", "case", _case, "后进党员处置案件", "branch",
               links=_case_links),
    RecordKind("nominations", "nominations/**/*.yaml", "nominations", _nominations,
               "优秀党员评选和积分运用", "branch", context=True),
)
BY_NAME = {kind.name: kind for kind in KINDS}
# The fields `jifen diff` shows of a record, by the record's name (corrections are
# records inside events files).
DIFF_FIELDS = {k.record: k.diff for k in KINDS if k.record and k.diff} | {
    "correction": ("corrects", "member", "mark", "date", "reason", "objection")}


# The kinds a path may be of, by its first part: a name at the top, or a folder.
_BY_TOP: dict[str, list[RecordKind]] = {}
for _kind in KINDS:
    _BY_TOP.setdefault(_kind.folder or _kind.pattern, []).append(_kind)


def kind_of(relative: str) -> str | None:
    """The kind of a data file from its path below the data directory; None for anything
    else (only ``.yaml`` files are data). The first kind in ``KINDS`` that matches."""
    for kind in _BY_TOP.get(relative.partition("/")[0], ()):
        if kind.matches(relative):
            return kind.name
    return None


def arrange(relatives: Iterable[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The data files among paths relative to a data directory, with their kind, in
    loading order (``KINDS``, then path); and the required kinds that are missing. Used
    for folders and for Git revisions alike."""
    order = {kind.name: i for i, kind in enumerate(KINDS)}
    found = sorted(((kind, r) for r in relatives if (kind := kind_of(r)) is not None),
                   key=lambda pair: (order[pair[0]], pair[1]))
    present = {kind for kind, _ in found}
    return found, [k.name for k in KINDS if k.required and k.name not in present]


def build(documents: Iterable[Document], base: Builder | None = None) -> Dataset:
    """Turn schema-checked documents (in loading order) into records, skipping what
    failed the schema; after what ``base`` built (``builder``), if given. ``derived`` is
    left empty: the pipeline fills it in."""
    builder = Builder() if base is None else base.fork()
    for doc in documents:
        BY_NAME[doc.kind].builder(doc, builder)
    return builder.dataset()


def builder(documents: Iterable[Document]) -> Builder:
    """A builder that has built these documents (in loading order), to ``build`` on."""
    found = Builder()
    for doc in documents:
        BY_NAME[doc.kind].builder(doc, found)
    return found
