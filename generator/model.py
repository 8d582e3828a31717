"""The domain: immutable records built from schema-valid documents.

Dates stay ISO strings (``YYYY-MM-DD``): they sort and compare correctly as
text and need no conversion on the hot path. Each record remembers where it
came from (``path`` and ``pointer``) so that any later check can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

from generator.errors import Pointer
from generator.load import Document, Loaded

CATEGORY_NAMES = {"full": "正式党员", "probationary": "预备党员", "activist": "入党积极分子"}
BRANCH_KIND_NAMES = {"enterprise": "企业党支部", "village": "村(居)党支部",
                     "flowing": "企业流动党支部", "education": "党性教育党支部"}
RULE_KIND_NAMES = {"deduction": "扣分项", "addition": "加分项"}
INDICATORS = ("政治素质", "服务职工", "遵纪守法", "弘扬正气", "群众反映")
STATUS_NAMES = {"declared": "个人申报", "verified": "支部核实", "approved": "党工委审定",
                "registered": "支部登记", "void": "已作废"}
ATTENDANCE_NAMES = {"absent": "缺席", "leave": "请假", "late": "迟到", "early": "早退"}


@dataclass(frozen=True, slots=True)
class Branch:
    id: str
    name: str
    kind: str
    general_branch: str | None
    path: str
    pointer: Pointer
    registrars: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Organization:
    committee: str
    general_branches: dict[str, str]  # id -> name
    branches: dict[str, Branch]
    path: str
    office_name: str = ""
    office_accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Exemption:
    start: str
    until: str | None
    reason: str
    approved_on: str

    def covers(self, date: str) -> bool:
        return self.start <= date and (self.until is None or date <= self.until)


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    branch: str
    category: str
    path: str
    gender: str | None = None
    joined: str | None = None
    education: str | None = None
    posts: tuple[str, ...] = ()
    transfer_to: str | None = None
    exempt: Exemption | None = None

    def exempt_on(self, date: str) -> bool:
        return self.exempt is not None and self.exempt.covers(date)


class Meeting(NamedTuple):  # a tuple: hundreds of thousands are built per run
    id: str
    branch: str
    date: str
    title: str
    absent: tuple[str, ...]
    leave: tuple[str, ...]
    late: tuple[str, ...]
    early: tuple[str, ...]
    path: str
    index: int

    def at(self, *rest: str | int) -> Pointer:
        return ("meetings", self.index, *rest)


class Event(NamedTuple):  # a tuple: hundreds of thousands are built per run
    id: str
    member: str
    rule: str
    date: str
    points: int | None
    status: str | None
    path: str
    index: int
    note: str | None = None
    evidence: str | None = None
    void_reason: str | None = None
    approved_by: str | None = None
    approved_on: str | None = None

    def at(self, *rest: str | int) -> Pointer:
        return ("events", self.index, *rest)


class Correction(NamedTuple):
    """Cancels a counted event of a closed quarter from ``date`` on (更正)."""

    id: str
    corrects: str
    date: str
    reason: str
    objection: str | None
    path: str
    index: int

    def at(self, *rest: str | int) -> Pointer:
        return ("corrections", self.index, *rest)


@dataclass(frozen=True, slots=True)
class Close:
    """A branch committee's close of a quarter (支委会审定): what it published."""

    branch: str
    quarter: str  # YYYY-Qn
    meeting: str
    window: tuple[str, str]
    digest: str
    counted: dict[str, tuple[int | None, str]]  # member -> (score, digest)
    path: str

    @property
    def year(self) -> int:
        return int(self.quarter[:4])

    @property
    def number(self) -> int:
        return int(self.quarter[-1])


@dataclass(frozen=True, slots=True)
class Objection:
    """An objection raised in a publication window (异议) and its outcome."""

    id: str
    branch: str
    quarter: str
    raised_on: str
    details: str
    outcome: str  # pending | upheld | rejected
    path: str
    member: str | None = None
    event: str | None = None
    decided_on: str | None = None
    decision: str | None = None
    correction: str | None = None


OUTCOME_NAMES = {"pending": "处理中", "upheld": "异议成立，已更正", "rejected": "异议不成立，维持原公示"}


# --- laggard cases (后进党员教育处置, 附件2) ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class Announcement:  # 1. 亮分通报
    date: str | None = None
    skipped: bool = False
    approved_on: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BranchDecision:  # 2. 党支部初定
    date: str
    expected: int
    present: int
    opinion: str
    secretary: str | None = None


@dataclass(frozen=True, slots=True)
class Review:  # 3. 党总支预审 (confirmed unused) and 党工委审评
    date: str
    opinion: str
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class Transfer:  # 4. 关系转出
    date: str
    to: str


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    month: str  # YYYY-MM
    date: str
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Rectification:  # 5. 限期整改
    start: str
    months: int
    mentors: tuple[str, ...]
    help: tuple[int, ...]
    plan: str | None = None
    reports: tuple[MonthlyReport, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolution:  # 6. 党支部决议
    date: str
    outcome: str  # improved | not_improved
    disposal: str | None = None  # persuade_withdraw | expel
    opinion: str | None = None


@dataclass(frozen=True, slots=True)
class Approval:  # 7. 党工委审批
    date: str
    reply: str
    returned_on: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    member: str
    branch: str  # the branch that reported the member
    quarter: str
    path: str
    direct: bool = False
    announcement: Announcement | None = None
    branch_decision: BranchDecision | None = None
    general_review: Review | None = None
    committee_review: Review | None = None
    transfer: Transfer | None = None
    rectification: Rectification | None = None
    resolutions: tuple[Resolution, ...] = ()
    approval: Approval | None = None


def _case(value: dict, path: str) -> Case:
    def step(key: str, cls: type) -> object:
        return cls(**value[key]) if key in value else None

    rect = value.get("rectification")
    return Case(
        value["id"], value["member"], value["branch"], value["quarter"], path,
        direct=value.get("direct", False),
        announcement=step("announcement", Announcement),  # type: ignore[arg-type]
        branch_decision=step("branch_decision", BranchDecision),  # type: ignore[arg-type]
        general_review=step("general_review", Review),  # type: ignore[arg-type]
        committee_review=step("committee_review", Review),  # type: ignore[arg-type]
        transfer=step("transfer", Transfer),  # type: ignore[arg-type]
        rectification=None if rect is None else Rectification(
            rect["start"], rect["months"], tuple(rect["mentors"]), tuple(rect["help"]),
            rect.get("plan"), tuple(MonthlyReport(**r) for r in rect.get("reports", ()))),
        resolutions=tuple(Resolution(**r) for r in value.get("resolutions", ())),
        approval=step("approval", Approval))  # type: ignore[arg-type]
# --- year-end selection (积分运用): nominations/<branch>/<YYYY>.yaml, nominations/<YYYY>.yaml ---

# The 党工委's decisions on the year-end lists: action -> (flag in score.py, name)
DECISION_NAMES = {"probation_cancelled": "取消预备党员资格",
                  "not_development_target": "不列为当年发展对象",
                  "transfer_postponed": "暂缓转入村(居)党支部"}


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of the selection of 优秀党员 (支部初定, 总支初审 or 党工委认定): its date
    and the member ids in the order written; ``note`` (an opinion) is internal."""

    date: str
    members: tuple[str, ...]
    note: str | None = None


class Decision(NamedTuple):
    """The 党工委's decision on one member of a year-end list (``action`` is the flag)."""

    member: str
    action: str
    date: str
    note: str | None
    index: int

    def at(self, *rest: str | int) -> Pointer:
        return ("decisions", self.index, *rest)


@dataclass(frozen=True, slots=True)
class NominationFile:
    """A file under ``nominations/``: a branch's (``branch`` set: 支部初定 ``nominated``,
    党总支初审 ``review``) or the 党工委's (no branch: 认定 ``confirmed``, ``decisions``).
    Sections written in the wrong kind of file are kept, so that validation can say so."""

    year: int
    path: str
    relative: str  # below the data directory, e.g. nominations/b-a/2025.yaml
    branch: str | None = None
    nominated: Stage | None = None
    review: Stage | None = None
    confirmed: Stage | None = None
    decisions: tuple[Decision, ...] = ()

    @staticmethod
    def from_document(doc: Document) -> NominationFile:
        value = doc.value
        assert isinstance(value, dict)

        def stage(key: str, members: str, note: str) -> Stage | None:
            raw = value.get(key)
            if raw is None:
                return None
            return Stage(raw["date"], tuple(raw[members]), raw.get(note))

        return NominationFile(
            value["year"], doc.path, doc.relative, value.get("branch"),
            stage("nominated", "members", "note"), stage("review", "passed", "opinion"),
            stage("confirmed", "members", "note"),
            tuple(Decision(d["member"], d["action"], d["date"], d.get("note"), i)
                  for i, d in enumerate(value.get("decisions", ()))))


@dataclass
class Nominations:
    """Every usable file under ``nominations/``; ``broken_years``: years with a file that
    failed the schema (None: a file whose year is unknown), whose cross-file checks are
    skipped rather than reported against a partial picture."""

    files: list[NominationFile] = field(default_factory=list)
    broken_years: set[int | None] = field(default_factory=set)

    def add(self, doc: Document) -> None:
        if doc.usable():
            self.files.append(NominationFile.from_document(doc))
        else:
            year = doc.value.get("year") if isinstance(doc.value, dict) else None
            self.broken_years.add(year if isinstance(year, int) else None)


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    category: str
    kind: str
    path: str
    index: int
    points: int | None = None
    range: tuple[int, int] | None = None
    consecutive_points: int | None = None
    limit: str = "each"
    attendance: str | None = None
    text: str = ""
    start: str | None = None
    until: str | None = None

    def at(self, *rest: str | int) -> Pointer:
        return ("rules", self.index, *rest)

    def in_force(self, date: str) -> bool:
        return (self.start is None or self.start <= date) and (
            self.until is None or date <= self.until)

    @property
    def bounds(self) -> tuple[int, int]:
        """Smallest and largest allowed signed points."""
        if self.range is not None:
            return self.range
        assert self.points is not None
        return self.points, self.points

    def period(self) -> str:
        return f"{self.start or '不限'} 至 {self.until or '今'}"


@dataclass(frozen=True, slots=True)
class Catalogue:
    id: str
    title: str
    applies_to: tuple[str, ...]
    versions: dict[str, tuple[Rule, ...]]  # code -> versions in file order
    path: str

    def rule(self, code: str, date: str) -> Rule | None:
        for version in self.versions.get(code, ()):
            if version.in_force(date):
                return version
        return None


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds of the scheme. Defaults are the regulation's; see policy.schema.json."""

    base: int = 80
    floor: int = 0
    cap: int | None = None
    laggard_below: int = 60
    laggard_inclusive: bool = False
    excellent_at_least: int = 100
    excellent_share: float | None = None  # most 优秀党员 per party member; None: no limit
    probationary_below: int = 100
    activist_below: int = 100
    flowing_below: int = 90
    veto_rules: tuple[str, ...] = ("K4.1", "K4.2", "K4.3", "K4.4", "K9.1")
    path: str = ""

    def is_laggard(self, score: int) -> bool:
        if self.laggard_inclusive:
            return score <= self.laggard_below
        return score < self.laggard_below


@dataclass
class Dataset:
    """Everything loaded, schema-valid records only. ``broken_ids`` are ids of
    records that failed the schema: references to them are not reported again."""

    organization: Organization | None
    policy: Policy
    catalogues: list[Catalogue]
    members: dict[str, Member]
    meetings: list[Meeting]
    events: list[Event]
    file_branches: dict[str, str]  # path -> the branch a meetings/events file is for
    broken_ids: dict[str, set[str]] = field(default_factory=dict)
    duplicates: list[tuple[str, str, str, Pointer, str]] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    closes: list[Close] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    nominations: Nominations = field(default_factory=Nominations)  # year-end selection
    addition_files: set[str] = field(default_factory=set)  # events files under additions/
    # (path, folder branch, declared branch) where a file's folder names one branch
    # and its `branch` key another
    folder_conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    member_folders: dict[str, str] = field(default_factory=dict)  # member id -> folder
    branch_folders: dict[str, str] = field(default_factory=dict)  # path -> its branch folder
    memo: dict[str, object] = field(default_factory=dict, repr=False)  # derived indexes
    _rules: dict[tuple[str, str, str], Rule | None] = field(default_factory=dict, repr=False)
    _event_rules: list[Rule | None] | None = field(default=None, repr=False)

    def catalogue_for(self, branch_kind: str) -> Catalogue | None:
        for catalogue in self.catalogues:
            if branch_kind in catalogue.applies_to:
                return catalogue
        return None

    def rule_for(self, member: Member, code: str, date: str) -> Rule | None:
        """The version of rule ``code`` that applies to ``member`` on ``date``.

        Memoised: a large year asks the same (branch kind, code, date) many times."""
        branch = self.organization.branches.get(member.branch) if self.organization else None
        if branch is None:
            return None
        key = (branch.kind, code, date)
        try:
            return self._rules[key]
        except KeyError:
            catalogue = self.catalogue_for(branch.kind)
            rule = self._rules[key] = catalogue.rule(code, date) if catalogue else None
            return rule


    def event_rules(self) -> list[Rule | None]:
        """The rule version each event is scored by (aligned with ``events``; None
        where the member or the rule is unknown). Computed once per data set."""
        if self._event_rules is None:
            kinds = ({b.id: b.kind for b in self.organization.branches.values()}
                     if self.organization else {})
            member_kind = {m.id: kinds.get(m.branch) for m in self.members.values()}
            rules = self._rules
            found: list[Rule | None] = []
            for event in self.events:
                kind = member_kind.get(event.member)
                key = (kind or "", event.rule, event.date)
                rule = rules.get(key, _MISSING)
                if rule is _MISSING:
                    catalogue = self.catalogue_for(kind) if kind else None
                    rule = rules[key] = catalogue.rule(event.rule, event.date) if catalogue \
                        else None
                found.append(rule)  # type: ignore[arg-type]
            self._event_rules = found
        return self._event_rules


_MISSING = object()
_new_tuple = tuple.__new__


def _opt(record: dict, cls: type) -> dict:
    """The keyword arguments of ``cls`` present in ``record``."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in record.items() if k in names}


def build(loaded: Loaded) -> Dataset:
    """Turn schema-checked documents into records, skipping what failed the schema."""
    broken: dict[str, set[str]] = {"branch": set(), "member": set(), "meeting": set(),
                                   "event": set()}
    organization: Organization | None = None
    policy = Policy()
    catalogues: list[Catalogue] = []
    members: dict[str, Member] = {}
    meetings: list[Meeting] = []
    events: list[Event] = []
    duplicates: list[tuple[str, str, str, Pointer, str]] = []
    file_branches: dict[str, str] = {}
    corrections: list[Correction] = []
    closes: list[Close] = []
    objections: list[Objection] = []
    cases: list[Case] = []
    nominations = Nominations()
    addition_files: set[str] = set()
    folder_conflicts: list[tuple[str, str, str]] = []
    member_folders: dict[str, str] = {}
    branch_folders: dict[str, str] = {}

    def folder_branch(doc: Document) -> str | None:
        folder = doc.folder
        known = organization.branches if organization else {}
        return folder if folder in known else None

    def note_broken(doc: Document, kind: str, records: list, index: int) -> bool:
        if not doc.broken or doc.usable(index):
            return False
        record = records[index] if 0 <= index < len(records) else None
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            broken[kind].add(record["id"])
        return True

    for doc in loaded.documents:
        value = doc.value if isinstance(doc.value, dict) else {}
        if doc.kind == "organization":
            raw = value.get("branches") if isinstance(value.get("branches"), list) else []
            branches: dict[str, Branch] = {}
            # Every branch that is itself well-formed is kept, whatever else is wrong in
            # the file: everything refers to branches, so losing them would bury the one
            # real error under hundreds of "unknown branch" reports.
            for i, b in enumerate(raw):
                if i in doc.broken:
                    if isinstance(b, dict) and isinstance(b.get("id"), str):
                        broken["branch"].add(b["id"])
                    continue
                if b["id"] in branches:
                    duplicates.append(("党支部", b["id"], doc.path, ("branches", i, "id"),
                                       branches[b["id"]].path))
                    continue
                branches[b["id"]] = Branch(b["id"], b["name"], b["kind"], b.get("general_branch"),
                                           doc.path, ("branches", i),
                                           tuple(b.get("registrars", ())))
            gbs = value.get("general_branches")
            organization = Organization(
                committee=value.get("committee") if isinstance(value.get("committee"), str)
                else "",
                general_branches={g["id"]: g.get("name") for g in gbs or []
                                  if isinstance(g, dict) and isinstance(g.get("id"), str)}
                if isinstance(gbs, list) else {},
                branches=branches, path=doc.path,
                **_office(value.get("office") if "office" not in doc.broken else None))
        elif doc.kind == "policy" and doc.usable():
            args = dict(value)
            if "veto_rules" in args:
                args["veto_rules"] = tuple(args["veto_rules"])
            policy = Policy(**args, path=doc.path)
        elif doc.kind == "rules" and doc.usable():
            versions: dict[str, list[Rule]] = {}
            for i, r in enumerate(value["rules"]):
                if not doc.usable(i):  # this rule failed the schema; the others stand
                    continue
                args = _opt(r, Rule)
                if "range" in r:
                    args["range"] = tuple(r["range"])
                args["start"] = r.get("from")
                versions.setdefault(r["code"], []).append(
                    Rule(**args, path=doc.path, index=i))
            catalogues.append(Catalogue(value["catalogue"], value["title"],
                                        tuple(value["applies_to"]),
                                        {c: tuple(v) for c, v in versions.items()}, doc.path))
        elif doc.kind == "member":
            if not doc.usable():
                if isinstance(value.get("id"), str):
                    broken["member"].add(value["id"])
                continue
            args = _opt(value, Member)
            args["posts"] = tuple(value.get("posts", ()))
            if "exempt" in value:
                e = value["exempt"]
                args["exempt"] = Exemption(e["from"], e.get("until"), e["reason"],
                                           e["approved_on"])
            member = Member(**args, path=doc.path)
            if member.id in members:
                duplicates.append(("党员", member.id, doc.path, ("id",), members[member.id].path))
                continue
            members[member.id] = member
            folder = folder_branch(doc)
            if folder is not None:
                member_folders[member.id] = folder
        elif doc.kind == "case":
            if doc.usable():
                cases.append(_case(value, doc.path))
                folder = folder_branch(doc)
                if folder is not None and folder != value["branch"]:
                    folder_conflicts.append((doc.path, folder, value["branch"]))
        elif doc.kind in ("close", "objection"):
            if not doc.usable():
                continue
            folder = folder_branch(doc)
            if folder is not None and folder != value["branch"]:
                folder_conflicts.append((doc.path, folder, value["branch"]))
            if doc.kind == "objection":
                objections.append(Objection(**value, path=doc.path))
                continue
            closes.append(Close(value["branch"], value["quarter"], value["meeting"],
                                (value["window"]["from"], value["window"]["until"]),
                                value["digest"],
                                {c["member"]: (c["score"], c["digest"])
                                 for c in value["counted"]}, doc.path))
        elif doc.kind == "nominations":
            nominations.add(doc)
        elif doc.kind in ("meetings", "events", "additions"):
            key = "meetings" if doc.kind == "meetings" else "events"
            if doc.kind == "additions":
                addition_files.add(doc.path)
            declared = value.get("branch") if doc.usable() else None
            folder = folder_branch(doc)
            if folder is not None:
                branch_folders[doc.path] = folder
            if isinstance(declared, str):
                file_branches[doc.path] = declared
                if folder is not None and folder != declared:
                    folder_conflicts.append((doc.path, folder, declared))
            elif folder is not None:
                file_branches[doc.path] = folder
            if key == "events" and isinstance(value.get("corrections"), list):
                for i, c in enumerate(value["corrections"]):
                    if doc.usable(-2 - i):
                        corrections.append(Correction(c["id"], c["corrects"], c["date"],
                                                      c["reason"], c.get("objection"),
                                                      doc.path, i))
            raw = value.get(key) if isinstance(value.get(key), list) else []
            for i, r in enumerate(raw):
                if note_broken(doc, key[:-1], raw, i):
                    continue
                if key == "meetings":
                    meetings.append(Meeting(
                        r["id"], r["branch"], r["date"], r["title"],
                        tuple(r.get("absent", ())), tuple(r.get("leave", ())),
                        tuple(r.get("late", ())), tuple(r.get("early", ())), doc.path, i))
                else:
                    # tuple.__new__ skips NamedTuple's Python-level __new__: this line
                    # runs once per event, hundreds of thousands of times in a large year.
                    events.append(_new_tuple(Event, (
                        r["id"], r["member"], r["rule"], r["date"], r.get("points"),
                        r.get("status"), doc.path, i, r.get("note"), r.get("evidence"),
                        r.get("void_reason"), r.get("approved_by"), r.get("approved_on"))))
    return Dataset(organization, policy, catalogues, members, meetings, events,
                   file_branches, broken, duplicates, corrections=corrections, closes=closes,
                   objections=objections, cases=cases, nominations=nominations,
                   addition_files=addition_files,
                   folder_conflicts=folder_conflicts, member_folders=member_folders,
                   branch_folders=branch_folders)


def _office(value: object) -> dict[str, object]:
    if not isinstance(value, dict) or not isinstance(value.get("accounts"), list):
        return {}
    return {"office_name": value.get("name") or "党工委办公室",
            "office_accounts": tuple(value["accounts"])}
