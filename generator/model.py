"""The domain: immutable records, built from schema-valid documents by ``kinds.py``.

Records are frozen dataclasses or NamedTuples (the ones built hundreds of thousands of
times per run) with named fields; the ``Dataset`` holding them is frozen too. Nothing
here computes across records or caches anything: what the records imply is ``Derived``
(``derive.py``), what scoring makes of them is ``score.py``.

Dates stay ISO strings (``YYYY-MM-DD``): they sort and compare correctly as
text and need no conversion on the hot path. Each record remembers where it
came from (``path`` and ``pointer``) so that any later check can point at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from generator.errors import Pointer

CATEGORY_NAMES = {"full": "正式党员", "probationary": "预备党员", "activist": "入党积极分子"}
BRANCH_KIND_NAMES = {"enterprise": "企业党支部", "village": "村(居)党支部",
                     "flowing": "企业流动党支部", "education": "党性教育党支部"}
RULE_KIND_NAMES = {"deduction": "扣分项", "addition": "加分项"}
INDICATORS = ("政治素质", "服务职工", "遵纪守法", "弘扬正气", "群众反映")
STATUS_NAMES = {"declared": "个人申报", "verified": "支部核实", "approved": "党工委审定",
                "registered": "支部登记", "void": "已作废"}
ATTENDANCE_NAMES = {"absent": "缺席", "leave": "请假", "late": "迟到", "early": "早退"}
# The marks an attendance correction may set (``present``: on none of the lists).
MARK_NAMES = {"present": "出席", **ATTENDANCE_NAMES}
LEFT_NAMES = {"transferred_out": "转出", "stopped": "停止党籍", "died": "去世", "other": "其他"}


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
class Contact:
    """Where the public raises objections in a publication window (异议受理): the
    office's address, telephone and e-mail, never a person's private number."""

    address: str = ""
    telephone: str = ""
    email: str = ""
    hours: str = ""


FORGE_KINDS = ("github", "gitlab", "gitea")


@dataclass(frozen=True, slots=True)
class Forge:
    """The code forge that holds the data repository: ``kind`` (github, gitlab, gitea)
    and the repository's web address, for links to its pull requests and commits."""

    kind: str
    url: str

    def pull_request(self, number: int) -> str:
        path = {"gitlab": "-/merge_requests", "gitea": "pulls"}.get(self.kind, "pull")
        return f"{self.url}/{path}/{number}"

    def commit(self, sha: str) -> str:
        return f"{self.url}/{'-/commit' if self.kind == 'gitlab' else 'commit'}/{sha}"


@dataclass(frozen=True, slots=True)
class Organization:
    committee: str
    general_branches: dict[str, str]  # id -> name
    branches: dict[str, Branch]
    path: str
    office_name: str = ""
    office_accounts: tuple[str, ...] = ()
    contact: Contact | None = None  # the office's public contact for objections
    forge: Forge | None = None


@dataclass(frozen=True, slots=True)
class Exemption:
    start: str
    until: str | None
    reason: str
    approved_on: str

    def covers(self, date: str) -> bool:
        return self.start <= date and (self.until is None or date <= self.until)


@dataclass(frozen=True, slots=True)
class Leaving:
    """Out of the scheme from ``date`` on (转出, 停止党籍, 去世 …); the history is kept."""

    date: str
    reason: str  # a key of LEFT_NAMES
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """One member's file. ``branch`` and ``category`` are the current ones; the dated
    history (``joined_on``, ``categories``, ``branches``, ``left``) is as written, each
    list of (from, value) pairs in file order: ``derive.py`` turns it into the member's
    ``Membership``. A file without history means what it always meant: one branch and
    one category for all time."""

    id: str
    name: str
    branch: str
    category: str
    path: str
    gender: str | None = None
    joined: str | None = None  # 入党年月 (YYYY-MM), for the record only
    education: str | None = None
    posts: tuple[str, ...] = ()
    transfer_to: str | None = None
    exempt: Exemption | None = None
    joined_on: str | None = None  # in scope from this day (入党、列为积极分子或转入)
    categories: tuple[tuple[str, str], ...] = ()  # (from, category), oldest first
    branches: tuple[tuple[str, str], ...] = ()  # (from, branch), oldest first
    left: Leaving | None = None

    def exempt_on(self, date: str) -> bool:
        return self.exempt is not None and self.exempt.covers(date)


@dataclass(frozen=True, slots=True)
class Membership:
    """When a member is under the scheme, and in which branch and category on a day.

    ``branches`` and ``categories`` are (from, value) pairs, oldest first, the first
    from ``""`` (since always): the value on a day is that of the last pair starting
    on or before it, so the oldest value also covers any day before the history
    begins, and the newest any day after it. ``start`` is the first day in scope
    (None: always), ``end`` the first day out of it (None: still in scope). Built by
    ``derive.py`` (which also lays laggard cases' transfers over the branches) and read
    by scoring, validation and the pages as plain values."""

    branches: tuple[tuple[str, str], ...]
    categories: tuple[tuple[str, str], ...]
    start: str | None = None
    end: str | None = None

    @staticmethod
    def of(member: Member) -> Membership:
        """From the member's file alone (no laggard case), for a data set not derived."""
        return Membership(
            branches=_timeline(member.branches, member.branch),
            categories=_timeline(member.categories, member.category),
            start=member.joined_on, end=member.left.date if member.left else None)

    def in_scope(self, date: str) -> bool:
        return (self.start is None or self.start <= date) and (
            self.end is None or date < self.end)

    def overlaps(self, first: str, last: str) -> bool:
        """In scope on some day from ``first`` to ``last`` (both included)?"""
        return (self.start is None or self.start <= last) and (
            self.end is None or first < self.end)

    def branch_on(self, date: str) -> str:
        return _value_on(self.branches, date)

    def category_on(self, date: str) -> str:
        return _value_on(self.categories, date)

    def categories_between(self, first: str, last: str) -> frozenset[str]:
        """Every category held on a day in scope from ``first`` to ``last`` (included)."""
        if self.start is not None and self.start > first:
            first = self.start
        if first > last or (self.end is not None and self.end <= first):
            return frozenset()
        found = {self.category_on(first)}
        found.update(value for start, value in self.categories
                     if first < start <= last and (self.end is None or start < self.end))
        return frozenset(found)


def _timeline(pairs: tuple[tuple[str, str], ...], current: str) -> tuple[tuple[str, str], ...]:
    """(from, value) pairs sorted, the first from "" (since always); none: ``current``."""
    if not pairs:
        return (("", current),)
    ordered = sorted(pairs)
    return (("", ordered[0][1]), *ordered[1:])


def _value_on(timeline: tuple[tuple[str, str], ...], date: str) -> str:
    for start, value in reversed(timeline):
        if start <= date:
            return value
    return timeline[0][1]


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
    slot: int  # the record's place in its file's list
    separate: bool = False  # another meeting of the branch on the same day, on purpose

    def at(self, *rest: str | int) -> Pointer:
        return ("meetings", self.slot, *rest)

    def marks_of(self, member: str) -> tuple[str, ...]:
        """The attendance lists ``member`` is on (none: present)."""
        return tuple(key for key in ATTENDANCE_NAMES if member in getattr(self, key))


class Event(NamedTuple):  # a tuple: hundreds of thousands are built per run
    id: str
    member: str
    rule: str
    date: str
    points: int | None
    status: str | None
    path: str
    slot: int  # the record's place in its file's list
    note: str | None = None
    evidence: str | None = None
    void_reason: str | None = None
    approved_by: str | None = None
    approved_on: str | None = None
    unverified_reason: str | None = None  # why the 党工委 approved it unverified

    def at(self, *rest: str | int) -> Pointer:
        return ("events", self.slot, *rest)


class Correction(NamedTuple):
    """A correction (更正) of a closed quarter, from ``date`` on: cancels the counted
    event ``corrects`` names or, with ``member`` and ``mark``, sets that member's
    attendance mark at the meeting ``corrects`` names (an attendance correction)."""

    id: str
    corrects: str
    date: str
    reason: str
    objection: str | None
    path: str
    slot: int  # the record's place in its file's list
    member: str | None = None  # attendance corrections only
    mark: str | None = None  # a key of MARK_NAMES; attendance corrections only

    @property
    def attendance(self) -> bool:
        return self.member is not None or self.mark is not None

    def at(self, *rest: str | int) -> Pointer:
        return ("corrections", self.slot, *rest)


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
    # member -> record id -> its digest (closes written since per-record digests exist):
    # lets validation point at the very record that was changed after the close
    records: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

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
    evaluation_meeting: str | None = None  # the month's 闪光言行考评组织生活会
    evaluation: str | None = None  # 党员测评: satisfied | basically_satisfied | unsatisfied


@dataclass(frozen=True, slots=True)
class Application:  # 5. ⑶④ 整改期满后向党支部提出转化合格的申请
    date: str
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class EducationReview:  # 6. 由党性教育党支部审核后党员大会评定
    date: str
    opinion: str


@dataclass(frozen=True, slots=True)
class Rectification:  # 5. 限期整改
    start: str
    months: int
    mentors: tuple[str, ...]
    help: tuple[int, ...]
    plan: str | None = None
    reports: tuple[MonthlyReport, ...] = ()
    application: Application | None = None


@dataclass(frozen=True, slots=True)
class Resolution:  # 6. 党支部决议
    date: str
    outcome: str  # improved | not_improved
    disposal: str | None = None  # persuade_withdraw | expel
    opinion: str | None = None
    education_review: EducationReview | None = None


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
    slot: int  # the record's place in its file's list

    def at(self, *rest: str | int) -> Pointer:
        return ("decisions", self.slot, *rest)


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


@dataclass(frozen=True, slots=True)
class Nominations:
    """Every usable file under ``nominations/``; ``broken_years``: years with a file that
    failed the schema (None: a file whose year is unknown), whose cross-file checks are
    skipped rather than reported against a partial picture."""

    files: tuple[NominationFile, ...] = ()
    broken_years: frozenset[int | None] = frozenset()


ATTENDANCE_MARKS = {"absent": ("absent",), "leave": ("leave",), "late_early": ("late", "early")}


@dataclass(frozen=True, slots=True)
class Rule:
    """One version of an item of the catalogue (附件1). What a rule is comes from the
    catalogue, never from its code's spelling: ``kind`` (addition or deduction),
    ``attendance`` (derived from meetings, never registered by hand), ``limit``
    (``once_per_year``), fixed ``points`` or a ``range``. Whether it vetoes is the
    policy's (``Policy.vetoes``)."""

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
    def is_addition(self) -> bool:
        return self.kind == "addition"

    @property
    def once_a_year(self) -> bool:
        return self.limit == "once_per_year"

    @property
    def marks(self) -> tuple[str, ...]:
        """The attendance marks this rule scores (``absent``, ``leave``, ``late``, ``early``)."""
        return ATTENDANCE_MARKS.get(self.attendance or "", ())

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
    versions: Mapping[str, tuple[Rule, ...]]  # code -> versions in file order
    path: str
    attendance: Mapping[str, str] = field(default_factory=dict)  # mark -> rule code
    standard: str = "enterprise"  # which of the regulation's standards: enterprise | village

    def rule(self, code: str, date: str) -> Rule | None:
        for version in self.versions.get(code, ()):
            if version.in_force(date):
                return version
        return None

    def for_mark(self, mark: str, date: str) -> Rule | None:
        """The rule that scores attendance ``mark`` on ``date``, if the catalogue has one."""
        code = self.attendance.get(mark)
        return self.rule(code, date) if code is not None else None


# What a committee's reading (党工委规定) may concern besides rule codes: a key of
# policy.yaml, the indicator of each rule (the five-indicator mapping) or the publication
# window (公示期).
READING_CONCERNS = ("base", "floor", "cap", "laggard_below", "laggard_inclusive",
                    "excellent_at_least", "excellent_share", "probationary_below",
                    "activist_below", "flowing_below", "veto_rules", "publish_monthly",
                    "categories", "window")


@dataclass(frozen=True, slots=True)
class Reading:
    """A committee's reading of the regulation (党工委规定), where the regulation is silent
    or leaves a choice: the regulation's own words (``regulation``, exact quotes; empty
    where it says nothing), what the committee decided, who adopted it and when, and what
    it concerns (``concerns``: policy keys and the like; ``rules``: catalogue items it
    changes or adds)."""

    id: str
    title: str
    decision: str
    adopted_by: str
    adopted_on: str
    regulation: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    index: int = 0

    def at(self, *rest: str | int) -> Pointer:
        return ("readings", self.index, *rest)


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds of the scheme. Defaults are the regulation's; see policy.schema.json.
    ``readings`` record the committee's own readings of the regulation (党工委规定);
    ``publish_monthly`` puts the monthly registers of 审定 quarters on the public site."""

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
    publish_monthly: bool = False
    readings: tuple[Reading, ...] = ()
    # branch kind -> the catalogue (its id) that scores it; kinds not named: applies_to
    catalogues: Mapping[str, str] = field(default_factory=dict)
    # catalogue id -> the rules the 党工委 may deduct directly (直接扣分亮分)
    direct_rules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    close_within_days: int = 30  # a quarter is to be closed (审定) this soon after its end
    routine_warnings: bool = True  # validation warns of recent gaps in the routine (W401-W405)
    path: str = ""

    def is_laggard(self, score: int) -> bool:
        if self.laggard_inclusive:
            return score <= self.laggard_below
        return score < self.laggard_below

    def vetoes(self, code: str) -> bool:
        return code in self.veto_rules

    def readings_of(self, subject: str) -> tuple[Reading, ...]:
        """The readings that concern ``subject``: a policy key, ``categories``,
        ``window`` or a rule code."""
        return tuple(r for r in self.readings if subject in r.concerns or subject in r.rules)


@dataclass(frozen=True, slots=True)
class Files:
    """What loading learnt about the files themselves, for validation to report: the
    branch each meetings/events file is for, the branch folder a file sits in, the
    additions files, ids of records that failed the schema (references to them are not
    reported again), duplicates and folder conflicts."""

    branch_of: Mapping[str, str] = field(default_factory=dict)  # path -> the file's branch
    folder_of: Mapping[str, str] = field(default_factory=dict)  # path -> its branch folder
    additions: frozenset[str] = frozenset()  # paths of files under additions/
    direct: frozenset[str] = frozenset()  # paths of files under direct/ (党工委直接扣分)
    broken: Mapping[str, frozenset[str]] = field(default_factory=dict)  # record kind -> ids
    # (record kind, id, path, pointer, the path that had it first)
    duplicates: tuple[tuple[str, str, str, Pointer, str], ...] = ()
    # (path, folder branch, declared branch) where a file's folder names one branch
    # and its `branch` key another
    folder_conflicts: tuple[tuple[str, str, str], ...] = ()
    member_folders: Mapping[str, str] = field(default_factory=dict)  # member id -> folder

    def broken_ids(self, kind: str) -> frozenset[str]:
        return self.broken.get(kind, frozenset())


class TransferSpan(NamedTuple):
    """A span in which a laggard case held a member's relation in the education branch."""

    start: str
    until: str | None  # the day the relation returned (None: still there)
    to: str  # the education branch
    origin: str  # the branch that reported the member


@dataclass(frozen=True, slots=True)
class Derived:
    """What the records imply, computed once per data set by ``derive.derive`` (the
    pipeline's step after building): scoring and the pages read these plain values and
    never recompute them.

    * ``event_rules``: the rule version that scores each event (aligned with
      ``Dataset.events``; None where the member or the rule is unknown);
    * ``closed``: (member, quarter) → the close that published it;
    * ``late``: event id → the date an addition counts from, when it was approved after
      its quarter was closed;
    * ``corrections``: event id → the (first) correction that cancels it;
    * ``transfers``: member → the spans laggard cases held them in the education branch;
    * ``membership``: member → when they are in scope, and their branch and category on
      a day (their file's history with the laggard cases' transfers laid over it);
    * ``attendance``: member → the attendance corrections of their marks at meetings
      that exist, by date then id.
    """

    event_rules: tuple[Rule | None, ...] = ()
    closed: Mapping[tuple[str, str], Close] = field(default_factory=dict)
    late: Mapping[str, str] = field(default_factory=dict)
    corrections: Mapping[str, Correction] = field(default_factory=dict)
    transfers: Mapping[str, tuple[TransferSpan, ...]] = field(default_factory=dict)
    membership: Mapping[str, Membership] = field(default_factory=dict)
    attendance: Mapping[str, tuple[Correction, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class Dataset:
    """Everything loaded: schema-valid records only, immutable. ``files`` is what loading
    learnt about the files; ``derived`` what the records imply (filled in by the
    pipeline, ``derive.derive``). Compared and hashed by identity, so that caches of
    results computed from one data set (per year, say) can be kept beside it, never in it."""

    organization: Organization | None = None
    policy: Policy = field(default_factory=Policy)
    catalogues: tuple[Catalogue, ...] = ()
    members: Mapping[str, Member] = field(default_factory=dict)
    meetings: tuple[Meeting, ...] = ()
    events: tuple[Event, ...] = ()
    corrections: tuple[Correction, ...] = ()
    closes: tuple[Close, ...] = ()
    objections: tuple[Objection, ...] = ()
    cases: tuple[Case, ...] = ()
    nominations: Nominations = field(default_factory=Nominations)  # year-end selection
    files: Files = field(default_factory=Files)
    derived: Derived = field(default_factory=Derived)

    def catalogue_for(self, branch_kind: str) -> Catalogue | None:
        """The catalogue that scores branches of ``branch_kind``: the policy's choice, else
        the (first) one that applies to the kind."""
        chosen = self.policy.catalogues.get(branch_kind)
        for catalogue in self.catalogues:
            if catalogue.id == chosen if chosen is not None else branch_kind in catalogue.applies_to:
                return catalogue
        return None

    def data_years(self) -> frozenset[int]:
        """The years of the events and meetings."""
        return frozenset({int(e.date[:4]) for e in self.events}
                         | {int(m.date[:4]) for m in self.meetings})

    def membership(self, member: Member) -> Membership:
        """When ``member`` is in scope, in which branch and category (``derived``; from
        the member's file alone when the data set was not derived)."""
        found = self.derived.membership.get(member.id)
        return found if found is not None else Membership.of(member)

    def branch_kind(self, member: Member, date: str | None = None) -> str | None:
        """The kind of ``member``'s branch on ``date`` (None: the current branch)."""
        ident = member.branch if date is None else self.membership(member).branch_on(date)
        branch = self.organization.branches.get(ident) if self.organization else None
        return branch.kind if branch else None

    def rule_for(self, member: Member, code: str, date: str) -> Rule | None:
        """The version of rule ``code`` that applies to ``member`` on ``date`` (by the
        catalogue of the branch they belonged to that day)."""
        kind = self.branch_kind(member, date)
        catalogue = self.catalogue_for(kind) if kind else None
        return catalogue.rule(code, date) if catalogue else None

    def attendance_rule(self, member: Member, mark: str, date: str) -> Rule | None:
        """The rule that scores attendance ``mark`` for ``member`` on ``date``."""
        kind = self.branch_kind(member, date)
        catalogue = self.catalogue_for(kind) if kind else None
        return catalogue.for_mark(mark, date) if catalogue else None
