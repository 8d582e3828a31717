"""Site plan: every page of the bulletin as data, before any template runs.

``plan`` turns a validated data set into ``Page`` values: a path in the docs
folder, the template that presents it and the context it gets. Contexts hold
plain values (strings, numbers, lists, dicts) and never HTML; the public build
never puts a note, an evidence string or a void reason into any context, so no
template can leak one. ``internal=True`` adds what only officers may see.

Public means 审定 (“每季度经支委会审定后……在党务公开栏内进行公示”): the public
build shows, per branch, only the quarters its committee has closed (``closes/``,
a close dated on or before the as-of date). Quarter notices, member ledgers and
charts end at the last closed quarter; a year's total appears once its fourth
quarter is closed; the monthly registers are public only when the policy says so
(``publish_monthly``), and then only for closed quarters. The running quarter and
provisional (暂定) figures are internal. A notice names who issued it, the 审定
date and the publication window (公示期), and during the window how and until when
to object; afterwards, the objections raised in it and their outcome, and the
corrections made since (reasons and details are internal). Below the laggard line a
public page says what the regulation publishes (“60分以下”), never “后进”, which is
the 党工委's finding.

Two planners share the work. ``Planner`` plans a *part's* pages (its members' pages and
handbooks, its branches' pages, notices, registers and registrar's lists, its cases'
forms) and sums up what the pages about everyone need of the part (``Part``); ``Board``
makes those pages (home, branches, rules, years, quarter overviews, results, changes,
the internal alerts, supervision and cases' index) from the context and the parts'
summaries alone. ``groups`` plans the whole data set as one part; ``parts.py`` plans
each component of the data as one, so that a build after an edit plans only the
component it touched and the Board.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import pickle
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, NamedTuple

from generator.cases import (
    DISPOSAL_NAMES,
    HELP_NAMES,
    STEP_NAMES,
    deadline,
    overdue,
    stage,
)
from generator.derive import branch_on, registrars_on
from generator.form import EVALUATION_NAMES, form_fields  # the same fields as the .docx form
from generator.handbook import BLANK_ROWS, handbook
from generator.model import (
    BRANCH_KIND_NAMES,
    CATEGORY_NAMES,
    INDICATORS,
    OUTCOME_NAMES,
    STATUS_NAMES,
    Branch,
    Case,
    Close,
    Contact,
    Correction,
    Dataset,
    Event,
    Meeting,
    Member,
    Rule,
)
from generator.nominations import DECISION_NAMES, Decision, Progress, list_rule, progress
from generator.periods import WINDOW_DAYS, Quarter, quarter_of, year_end
from generator.provenance import UNCOMMITTED, Commit, Provenance
from generator.score import FLAG_NAMES, Entry, Standing, counts
from generator.supervise import KINDS as GAP_NAMES
from generator.supervise import Finding, supervise
from generator.supervise import Summary as GapSummary
from generator.tables import ScoreBook, member_link, member_row, rank

CHANGES_SHOWN = 50
# More names than this on the year's results page (积分运用) and they go on a page per
# branch: at 20,000 members one page would list thousands (over a megabyte).
RESULTS_ROWS = 500
# Flags that are candidacies for a decision of the 党工委, not facts to publish.
YEAR_END_FLAGS = frozenset({"excellent_candidate", "probation_cancelled",
                            "not_development_target", "transfer_postponed"})
# What the public JSON calls a score below the laggard line: the fact, not the finding.
PUBLIC_FLAG = {"laggard": "below_line"}
# The regulation's own words for each threshold of policy.yaml (exact quotes; the rules
# page shows them beside the value applied). Keys are the rows of that table.
REGULATION = {
    "base": "基础分 80分",
    "floor": "扣分后最低为 0分",
    "cap": "积分上不封顶",
    "laggard": "对于积分在 60分以下的党员,由党支部统一填报《后进党员评定呈报表》",
    "excellent": "年度总积分在 100 分以上的党员,由村(居)、企业党支部初定,党总支初审,"
                 "***党工委认定,最后以一定比例确定为优秀党员",
    "probationary": "预备党员当年度积分低于 100分的取消预备党员资格",
    "activist": "入党积极分子当年度积分低于 100 分的不得列为当年的发展对象",
    "flowing": "流动支部党员当年度评分低于 90分的,暂缓转入户籍所在村(居)党支部",
    "veto": "重点工作“ 一票否决” 制",
    "window": "每季度经支委会审定后,在党支部会议上公布每名党员的积分情况,"
              "并及时在党务公开栏内进行公示,自觉接受党内外监督",
    "monthly": "积分考评按照“ 月登记、季通报、后进党员随时呈报” 的原则进行",
}
# What a reading concerns, by name (policy.schema.json, readings.concerns).
CONCERN_NAMES = {"base": "基础分", "floor": "最低分", "cap": "上限", "laggard_below": "60分线",
                 "laggard_inclusive": "60分是否在内", "excellent_at_least": "优秀党员候选分数线",
                 "excellent_share": "优秀党员比例", "probationary_below": "预备党员分数线",
                 "activist_below": "入党积极分子分数线", "flowing_below": "流动党员分数线",
                 "veto_rules": "一票否决", "publish_monthly": "月度登记是否公开",
                 "categories": "五类指标的归类", "window": "公示期",
                 "catalogues": "各类党支部适用的积分标准", "direct_rules": "党工委直接扣分的条目",
                 "close_within_days": "季度审定的期限"}
# The regulation's values: a threshold that differs and that no reading explains is
# marked on the rules page as the committee's, adopted when and by whom not recorded.
REGULATION_VALUES = {"base": 80, "floor": 0, "cap": None, "laggard_below": 60,
                     "excellent_at_least": 100, "probationary_below": 100,
                     "activist_below": 100, "flowing_below": 90}
# Bins of the distribution chart: (label, lowest score in the bin)
BINS = (("<60", -1), ("60–69", 60), ("70–79", 70), ("80–89", 80), ("90–99", 90), ("≥100", 100))


@dataclass(frozen=True)
class Page:
    """One output file. ``template`` renders ``context``; a page with ``data`` and
    no template is written as JSON (the machine-readable twin of a page)."""

    path: str
    template: str = ""
    context: dict[str, object] = field(default_factory=dict)
    data: object = None
    title: str = ""


@dataclass(frozen=True)
class Group:
    """A page and its twin (its data as JSON), planned together: ``name`` is the
    page's path. Either ``pages`` (built at once; the build digests them to see whether
    they changed) or ``make``, a pure function of what ``key`` digests: the build calls
    it only when the key differs from the last build's, so an unchanged member's page is
    neither planned nor rendered."""

    name: str
    pages: tuple[Page, ...] = ()
    key: str = ""
    make: Callable[..., list[Page]] | None = None  # a module's function (it may be pickled
    args: tuple[object, ...] = ()                  # to another process, with its args)

    def build(self) -> list[Page]:
        return list(self.pages) if self.make is None else self.make(*self.args)


def digest(value: object) -> str:
    """A digest of plain values (and records), the same for the same content in every
    run: pickled without its memo, so shared and equal objects write the same bytes."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: identity never shows in the bytes
    pickler.dump(value)
    return hashlib.blake2b(buffer.getbuffer(), digest_size=16).hexdigest()


def pages_key(pages: Sequence[Page]) -> str:
    """The key of a group built at once (``Group.pages``): a digest of its pages."""
    return digest([(p.path, p.template, p.context, p.data) for p in pages])


def close_years(ds: Dataset, as_of: str) -> frozenset[int]:
    """The years of the quarters closed (审定) on or before the as-of date."""
    return frozenset(c.year for c in ds.closes if c.meeting <= as_of)


def shown_years(data: frozenset[int], closed: frozenset[int], as_of: str, internal: bool
                ) -> list[int]:
    """The years a build has pages for, none after the as-of year: internally every year
    with data and the as-of year; publicly the years with a close and the years over
    (their results, 积分运用, are the 党工委's decisions). ``data`` and ``closed``: of the
    whole data set (``Dataset.data_years``, ``close_years``), or the union of its parts'."""
    everything = sorted(y for y in data | {int(as_of[:4])} if y <= int(as_of[:4]))
    if internal:
        return everything
    return sorted(set(closed) | {y for y in everything if as_of >= year_end(y)})


def cn_date(date: str) -> str:
    """``2026-10-08`` → ``2026年10月8日``, as an official notice writes a date."""
    return f"{int(date[:4])}年{int(date[5:7])}月{int(date[8:10])}日"


def window_state(window: tuple[str, str], as_of: str) -> str:
    """Where the as-of date stands in a publication window: ``before`` it, ``open``
    (in it, the last day included) or ``over``."""
    if as_of < window[0]:
        return "before"
    return "open" if as_of <= window[1] else "over"


def quarter_of_close(close: Close) -> Quarter:
    return Quarter(close.year, close.number)


class Pages(ScoreBook):
    """What the planner of a part and the board share: the build's variant and
    provenance, the pages collected, the notices and contacts they show."""

    def __init__(self, ds: Dataset, as_of: str, internal: bool,
                 provenance: Provenance | None = None) -> None:
        super().__init__(ds, as_of)
        self.provenance = provenance
        self.internal = internal
        self.pages: list[Page] = []

    def base(self, page: str) -> dict[str, object]:
        return {"committee": self.org.committee, "as_of": self.as_of, "page": page,
                "internal": self.internal}

    # --- what this build shows ----------------------------------------------------------------

    def visible(self, q: Quarter, branch: str) -> bool:
        """A branch's quarter is on the internal build always, on the public one once its
        committee closed it (审定)."""
        return self.internal or self.closed(q, branch) is not None

    def quarters_shown(self, year: int) -> list[Quarter]:
        """The quarters with an overview: internally every begun one, publicly those that
        at least one branch closed."""
        return [q for q in self.quarters(year)
                if self.internal or any(self.closed(q, b.id) for b in self.branches())]

    def results_shown(self, year: int) -> bool:
        """积分运用 once the year is over: the 党工委's decisions (a member's year total
        shows there once the branch closed the fourth quarter)."""
        return self.as_of >= year_end(year)

    # --- pages --------------------------------------------------------------------------------

    def _now(self, step: Callable[..., None], *args: object, **kwargs: object
             ) -> Iterator[Group]:
        """The pages ``step`` adds, built now: each Markdown page with the twins that
        follow it."""
        step(*args, **kwargs)
        pages, self.pages = self.pages, []
        start = 0
        for i in range(1, len(pages) + 1):
            if i == len(pages) or pages[i].path.endswith(".md"):
                yield Group(pages[start].path, tuple(pages[start:i]))
                start = i

    def add(self, path: str, template: str, title: str, **context: object) -> None:
        self.pages.append(Page(path, template, {**self.base(path), "title": title,
                                                "nav_title": "", **context}, title=title))

    def _contact(self) -> dict[str, str]:
        """Where to object (异议受理): the office and its public contact, as configured."""
        contact = self.org.contact or Contact()
        return {"office": self.org.office_name or "党工委办公室", "address": contact.address,
                "telephone": contact.telephone, "email": contact.email, "hours": contact.hours}

    def _notice(self, close: Close) -> dict[str, object]:
        """What a notice says of its 审定 and publication window."""
        return {"meeting": close.meeting, "meeting_cn": cn_date(close.meeting),
                "window": list(close.window), "window_cn": [cn_date(d) for d in close.window],
                "state": window_state(close.window, self.as_of)}

    def _links(self, commit: Commit) -> dict[str, str]:
        """Where the forge shows a commit and its pull request, when organization.yaml
        names the forge (``forge``); empty otherwise."""
        forge = self.org.forge
        if forge is None:
            return {"commit_url": "", "pr_url": ""}
        number = commit.pull_request
        return {"commit_url": forge.commit(commit.sha),
                "pr_url": forge.pull_request(number) if number is not None else ""}

    def shown(self, flags: tuple[str, ...]) -> tuple[str, ...]:
        """The flags a page may show. The year-end consequences (优秀党员候选, 取消预备党员
        资格, 不列为发展对象, 暂缓转入) are for the 党工委 to decide on: the public site
        shows its decisions (the results page), never the candidate lists."""
        if self.internal:
            return flags
        return tuple(f for f in flags if f not in YEAR_END_FLAGS)

    def labels(self, flags: tuple[str, ...]) -> list[str]:
        """The flags a page shows, by name. Publicly a score below the laggard line reads as
        the regulation publishes it (“60分以下”): that the member is a 后进党员 is the
        党工委's finding (附件2, step 3), which stays internal."""
        below = f"{self.ds.policy.laggard_below}分以下"
        return [below if f == "laggard" and not self.internal else FLAG_NAMES[f]
                for f in self.shown(flags)]

    def codes(self, flags: tuple[str, ...]) -> list[str]:
        """The flags of a JSON twin; publicly ``below_line`` rather than ``laggard``."""
        return [f if self.internal else PUBLIC_FLAG.get(f, f) for f in self.shown(flags)]


class BranchFacts(NamedTuple):
    """What the pages about every branch (``Board``) show of one."""

    members: int  # on the as-of date
    closes: tuple[Close, ...]  # up to the as-of date, by quarter (without what they counted)
    overview: dict[str, tuple[int, float | None, int]]  # quarter shown -> members, average
    months: dict[int, tuple[int, ...]]  # year -> the months shown     # score, how many below


class Results(NamedTuple):
    """What a part gives the results page of a year (``Board.results_page``): rows with
    the key they are ordered by (branch, score descending, member)."""

    excellent: list[tuple[tuple[str, int, str], dict[str, object]]] | None  # None: none yet
    listed: frozenset[tuple[str, str]]  # (member, action) the year-end flags list
    lists: dict[str, list[tuple[tuple[str, int, str], dict[str, object]]]]  # internal
    candidates: list[dict[str, object]]  # internal: per branch of the part


Keyed = list[tuple[tuple[Any, ...], dict[str, object]]]  # rows, each with its sort key


@dataclass
class Part:
    """What the pages about everyone (``Board``: home, years, quarter overviews,
    results, the internal lists) need of one part of the data set, so that they are
    made from the parts' summaries without the data set itself: plain values, kept
    between builds beside each part's pages. ``plan`` makes the whole data set one
    part; ``jifen build`` plans each component of the data (``incremental.py``) as a
    part, with every branch's records in the component that owns it."""

    branches: dict[str, BranchFacts]
    results: dict[int, Results]
    alerts: tuple[Keyed, Keyed, Keyed, Keyed] | None = None  # internal: now, uncased, posts, late
    findings: list[Finding] = field(default_factory=list)  # internal: 督导检查, of its branches
    summaries: list[GapSummary] = field(default_factory=list)
    cases: Keyed = field(default_factory=list)  # internal: the cases' index rows


class Planner(Pages):
    """Plans the pages of one part of the data set (a member's pages, a branch's),
    over the score book the exports share, and sums up what the pages about everyone
    need of it (``part``)."""

    def __init__(self, ds: Dataset, as_of: str, internal: bool,
                 provenance: Provenance | None = None, *, years: list[int] | None = None,
                 own: frozenset[str] | None = None) -> None:
        super().__init__(ds, as_of, internal, provenance)
        # the branches whose pages this planner makes (all, unless it plans a part)
        self.own = frozenset(self.org.branches) if own is None else own
        # 审定: the closes of the as-of date; each branch's last; whom each published
        closes = sorted((c for c in ds.closes if c.meeting <= as_of),
                        key=lambda c: (c.quarter, c.branch))
        self.last_closes: dict[str, Close] = {c.branch: c for c in closes}
        self.published: dict[str, list[Close]] = defaultdict(list)  # member -> closes
        self._cutoffs: dict[tuple[str, int], tuple[str, Close] | None] = {}
        for close in closes:
            for ident in close.counted:
                self.published[ident].append(close)
        self.years = shown_years(ds.data_years(), close_years(ds, as_of), as_of, internal) \
            if years is None else years
        # Indexes, each built once when first needed (a public build without monthly
        # registers never needs the events by branch and month).
        self.corrected = ds.derived.corrections
        self.meetings_by_id = {m.id: m for m in ds.meetings}
        self.objections: dict[tuple[str, str], list] = defaultdict(list)
        for o in sorted(ds.objections, key=lambda o: (o.raised_on, o.id)):
            self.objections[(o.branch, o.quarter)].append(o)

    @cached_property
    def events_by_id(self) -> dict[str, Event]:
        return {e.id: e for e in self.ds.events}

    @cached_property
    def corrections_by_id(self) -> dict[str, Correction]:
        return {c.id: c for c in self.ds.corrections}

    @cached_property
    def by_month(self) -> dict[tuple[str, str], list[tuple[Event, Rule]]]:
        """Events (with their rules) by the branch the member belonged to that day and
        the month."""
        ds = self.ds
        found: dict[tuple[str, str], list[tuple[Event, Rule]]] = defaultdict(list)
        for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
            member = ds.members.get(event.member)
            if member is not None and rule is not None:
                found[(branch_on(ds, member, event.date), event.date[:7])].append((event, rule))
        return found

    @cached_property
    def meetings_by_month(self) -> dict[tuple[str, str], list[Meeting]]:
        found: dict[tuple[str, str], list[Meeting]] = defaultdict(list)
        for meeting in sorted(self.ds.meetings, key=lambda m: (m.date, m.id)):
            found[(meeting.branch, meeting.date[:7])].append(meeting)
        return found

    @cached_property
    def corrected_events(self) -> dict[str, list[Event]]:
        """Each member's corrected events, by date and id."""
        found: dict[str, list[Event]] = defaultdict(list)
        events = self.events_by_id
        for ident in self.corrected:
            event = events.get(ident)
            if event is not None:
                found[event.member].append(event)
        for mine in found.values():
            mine.sort(key=lambda e: (e.date, e.id))
        return found

    @cached_property
    def direct(self) -> list[tuple[Event, Rule]]:
        """The 党工委's direct deductions (not void), by date and id."""
        ds = self.ds
        files = ds.files.direct
        found = [(event, rule) for event, rule in zip(ds.events, ds.derived.event_rules,
                                                      strict=True)
                 if rule is not None and event.path in files and event.status != "void"
                 and event.member in ds.members]
        found.sort(key=lambda pair: (pair[0].date, pair[0].id))
        return found

    def months_shown(self, year: int, branch: str) -> list[int]:
        """The months whose register (月登记) is on this build: internally every begun one;
        publicly none, or with ``publish_monthly`` those of the branch's closed quarters."""
        if self.internal:
            return self.months(year)
        if not self.ds.policy.publish_monthly:
            return []
        return [m for m in self.months(year)
                if self.closed(Quarter.of(f"{year}-{m:02d}-01"), branch) is not None]

    def member_cutoff(self, member: Member, year: int) -> tuple[str, Close | None] | None:
        """Up to which day a member's year is shown, and the close that published it:
        internally the year's end or the as-of date (no close); publicly the end of the
        last quarter of the year whose close counted the member (None: none yet)."""
        if self.internal:
            return self.cutoff(year_end(year)), None
        key = (member.id, year)
        if key not in self._cutoffs:  # asked for by every table a member is in
            closes = [c for c in self.published.get(member.id, ()) if c.year == year]
            self._cutoffs[key] = (quarter_of_close(closes[-1]).end, closes[-1]) if closes \
                else None
        return self._cutoffs[key]

    def part_groups(self) -> Iterator[Group]:
        """The pages of this part, one group (a page and its twins) at a time, so that a
        build can render and write each as it comes instead of holding them all: its
        branches' pages (the branch, its quarter notices and monthly registers, its
        registrar's list), its members' pages and handbooks, its cases."""
        own = [b for b in self.branches() if b.id in self.own]
        for branch in own:
            yield from self._now(self.branch_page, branch)
        for year in self.years:
            for quarter in self.quarters(year):
                for branch in own:
                    if self.visible(quarter, branch.id):
                        yield from self._now(self.quarter_page, quarter, branch)
            for branch in own:
                for month in self.months_shown(year, branch.id):
                    yield from self._now(self.month_page, year, month, branch)
            for member in sorted(self.ds.members.values(), key=lambda m: m.id):
                shown = self.member_cutoff(member, year) if self.in_year(member, year) \
                    else None  # no page for a year before joining, nor an unpublished one
                if shown is not None:
                    yield self.member_group(member, year, *shown)
        if self.internal:
            for branch in own:
                yield from self._now(self.registrar_page, branch)
            for case in sorted(self.ds.cases, key=lambda c: c.id):
                yield from self._now(self.case_page, case)
            year = int(self.as_of[:4])
            for member in sorted(self.ds.members.values(), key=lambda m: m.id):
                if self.in_year(member, year):
                    yield from self._now(self.handbook_page, member, year)

    def part(self) -> Part:
        """What the pages about everyone need of this part (``Part``)."""
        branches: dict[str, BranchFacts] = {}
        for b in self.branches():
            if b.id not in self.own:
                continue
            overview: dict[str, tuple[int, float | None, int]] = {}
            for year in self.years:
                for q in self.quarters(year):
                    if not self.visible(q, b.id):
                        continue
                    date = self.cutoff(q.end)
                    now = self.standing(q.year, date)
                    members = self.members_at(b.id, date)
                    scored = [s for m in members if (s := now[m.id].score) is not None]
                    overview[q.code] = (
                        len(members), round(sum(scored) / len(scored), 1) if scored else None,
                        sum(1 for m in members if "laggard" in now[m.id].flags))
            branches[b.id] = BranchFacts(
                len(self.members_of(b.id)),
                tuple(replace(c, counted={}, records={}) for c in sorted(
                    self.ds.closes, key=lambda c: c.quarter)
                      if c.branch == b.id and c.meeting <= self.as_of),
                overview, {year: tuple(self.months_shown(year, b.id)) for year in self.years})
        part = Part(branches, {year: self._results_part(year) for year in self.years
                               if self.results_shown(year)})
        if self.internal:
            part.alerts = self._alerts_part()
            report = supervise(self.ds, self.as_of,
                               close_within_days=self.ds.policy.close_within_days)
            part.findings = [f for f in report.findings if f.branch in self.own]
            part.summaries = [s for s in report.summaries if s.branch in self.own]
            part.cases = self._case_rows()
        return part

    def branch_page(self, branch: Branch) -> None:
        close = self.last_closes.get(branch.id)
        rows: list[dict[str, object]] = []
        basis: dict[str, object] | None = None
        year = self.years[-1] if self.years else int(self.as_of[:4])
        if self.internal:
            now = self.standing(year, self.cutoff(year_end(year)))
            rows = [self._row(now[m.id], year) for m in self.members_of(branch.id)]
        elif close is not None:
            q = quarter_of_close(close)
            year = q.year
            now = self.standing(year, q.end)
            rows = [self._row(now[i], year) for i in sorted(close.counted) if i in now]
            basis = {"quarter": q.name, "link": f"{q.slug}/{branch.id}.md", **self._notice(close)}
        self.add(f"branches/{branch.id}.md", "branch.md.j2", branch.name,
                 branch={"id": branch.id, "name": branch.name,
                         "kind": BRANCH_KIND_NAMES[branch.kind],
                         "general_branch": self.org.general_branches.get(
                             branch.general_branch or "", "")},
                 year=year, rows=rows, basis=basis,
                 quarters=[{"name": q.name, "link": f"{q.slug}/{branch.id}.md",
                            "closed": c.meeting if (c := self.closed(q, branch.id)) else ""}
                           for y in reversed(self.years) for q in reversed(self.quarters(y))
                           if self.visible(q, branch.id)],
                 months=[{"name": f"{y}年{m}月", "link": f"{y}/m{m:02d}/{branch.id}.md"}
                         for y in reversed(self.years)
                         for m in reversed(self.months_shown(y, branch.id))])

    def _row(self, s: Standing, year: int) -> dict[str, object]:
        return {**member_row(s, year), "flags": self.labels(s.flags),
                "link": self.link_of(s.member, year)}

    def link_of(self, member: Member, year: int) -> str:
        """The member's page of ``year``; "" where this build has none (publicly: no
        close of the year counted the member yet)."""
        return member_link(member, year) if self.member_cutoff(member, year) else ""

    def quarter_page(self, q: Quarter, branch: Branch) -> None:
        date = self.cutoff(q.end)
        now, table = self.quarter_table(q, branch.id)
        rows = [{**r, "flags": self.labels(now[r["id"]].flags),
                 "link": self.link_of(self.ds.members[r["id"]], q.year)} for r in table]
        close = self.closed(q, branch.id)
        title = f"{branch.name} {q.name}积分通报" + ("" if close else "（暂定）")
        chart = _distribution([r["score"] for r in table])
        context = {"branch": {"id": branch.id, "name": branch.name}, "rows": rows,
                   "quarter": {"name": q.name, "end": date, "provisional": close is None,
                               "ended": q.end <= self.as_of,
                               "meeting": close.meeting if close else "",
                               "window": list(close.window) if close else []},
                   "notice": self._notice(close) if close else None,
                   "contact": self._contact(), "line": self.ds.policy.laggard_below,
                   "corrections": self._corrections_of(q, close),
                   "objections": self._objections_of(q, branch),
                   "direct": self._direct_of(q, branch),
                   "indicators": INDICATORS,
                   "chart": {"bins": chart, "title": f"{branch.name} {q.name}积分分布"},
                   "json": f"{q.slug}/{branch.id}.json"}
        self.add(f"{q.slug}/{branch.id}.md", "quarter.md.j2", title, **context)
        self.pages.append(Page(f"{q.slug}/{branch.id}.json", data={
            "branch": branch.id, "year": q.year, "quarter": q.number, "as_of": date,
            "provisional": close is None, "closed_on": close.meeting if close else None,
            "window": list(close.window) if close else None,
            "members": [{"id": r["id"], "name": r["name"], "score": r["score"],
                         "rank": r["rank"], "change": r["change"],
                         "flags": self.codes(now[r["id"]].flags),
                         "categories": {c["name"]: {"plus": c["plus"], "minus": c["minus"]}
                                        for c in r["categories"]}} for r in table]}))

    def _direct_of(self, q: Quarter, branch: Branch) -> list[dict[str, object]]:
        """The 党工委's direct deductions (直接扣分亮分) of the quarter, in the branch the
        member belonged to that day: announced with the quarter's notice."""
        rows: list[dict[str, object]] = []
        for event, rule in self.direct:
            member = self.ds.members[event.member]
            if q.contains(event.date) and event.date <= self.as_of and (
                    branch_on(self.ds, member, event.date) == branch.id):
                rows.append({"date": event.date, "name": member.name, "rule": rule.code,
                             "item": rule.name, "link": self.link_of(member, q.year),
                             "points": event.points if event.points is not None
                             else rule.points})
        return rows

    def _corrections_of(self, q: Quarter, close: Close | None) -> list[dict[str, object]]:
        """Corrections, made after the close, of events counted in this quarter."""
        if close is None:
            return []
        rows = []
        for ident in close.counted:
            member = self.ds.members.get(ident)
            if member is None:
                continue
            for event in self.corrected_events.get(ident, ()):
                correction = self.corrected[event.id]
                if quarter_of(event.date) != q.code or correction.date > self.as_of:
                    continue
                row: dict[str, object] = {
                    "date": correction.date, "name": member.name,
                    "link": self.link_of(member, q.year), "event_date": event.date,
                    "rule": event.rule}
                if self.internal:
                    row |= {"id": correction.id, "event": event.id, "reason": correction.reason}
                rows.append(row)
            # attendance corrections: one member's mark at a meeting of the quarter
            for correction in self.ds.derived.attendance.get(ident, ()):
                meeting = self.meetings_by_id[correction.corrects]
                if quarter_of(meeting.date) != q.code or meeting.branch != close.branch or (
                        correction.date > self.as_of):
                    continue
                marks = meeting.marks_of(ident) or (correction.mark or "",)
                rule = self.ds.attendance_rule(member, marks[0], meeting.date)
                row = {"date": correction.date, "name": member.name,
                       "link": member_link(member, q.year), "event_date": meeting.date,
                       "rule": rule.code if rule else ""}
                if self.internal:
                    row |= {"id": correction.id, "event": meeting.id,
                            "reason": correction.reason}
                rows.append(row)
        rows.sort(key=lambda r: (r["date"], r["name"], r["event_date"]))
        return rows

    def _objections_of(self, q: Quarter, branch: Branch) -> list[dict[str, object]]:
        rows = []
        for o in self.objections.get((branch.id, q.code), ()):
            if o.raised_on > self.as_of:
                continue
            decided = o.decided_on is not None and o.decided_on <= self.as_of
            row: dict[str, object] = {
                "raised_on": o.raised_on,
                "outcome": OUTCOME_NAMES[o.outcome if decided else "pending"],
                "decided_on": o.decided_on if decided else ""}
            if self.internal:
                member = self.ds.members.get(o.member or "")
                row |= {"id": o.id, "member": member.name if member else "",
                        "event": o.event or "", "details": o.details,
                        "decision": o.decision or "", "correction": o.correction or ""}
            rows.append(row)
        return rows

    def month_page(self, year: int, month: int, branch: Branch) -> None:
        start = f"{year}-{month:02d}-01"
        members = self.ds.members
        rows = []
        for event, rule in self.by_month[(branch.id, start[:7])]:
            if not self.internal and event.status == "declared":
                continue  # a personal declaration is published once the branch verifies it
            counted = counts(event, rule.kind)
            points = event.points if event.points is not None else rule.points
            row = {"date": event.date, "id": event.id, "name": members[event.member].name,
                   "link": self.link_of(members[event.member], year), "rule": rule.code,
                   "rule_name": rule.name, "points": points,
                   "status": STATUS_NAMES.get(event.status or "registered", ""),
                   "counted": counted, "pending": event.status in ("declared", "verified"),
                   "void": event.status == "void"}
            if self.internal:
                row |= {"note": event.note or "", "evidence": event.evidence or "",
                        "void_reason": event.void_reason or ""}
            rows.append(row)
        attendance = []
        for meeting in self.meetings_by_month.get((branch.id, start[:7]), ()):
            attendance.append({"date": meeting.date, "title": meeting.title, "lists": [
                {"kind": kind, "names": [{"name": members[i].name,
                                          "link": self.link_of(members[i], year)}
                                         for i in getattr(meeting, key) if i in members]}
                for key, kind in (("absent", "缺席"), ("leave", "请假"), ("late", "迟到"),
                                  ("early", "早退"))]})
        rows.sort(key=lambda r: (r["date"], r["id"]))
        self.add(f"{year}/m{month:02d}/{branch.id}.md", "month.md.j2",
                 f"{branch.name} {year}年{month}月积分登记",
                 branch={"id": branch.id, "name": branch.name}, year=year, month=month,
                 rows=rows, meetings=attendance)

    def member_group(self, member: Member, year: int, date: str, close: Close | None
                     ) -> Group:
        """A member's year up to ``date`` (``member_cutoff``): publicly the end of the last
        quarter whose close (``close``) counted the member. A whole year includes the
        corrections of it dated in the next January; the page shows the branch and
        category of that year, and the base from the first day in scope.

        The planner gathers what the page shows (``MemberInputs``, cheap: the standing is
        already scored); ``member_pages`` makes the pages from that alone, and only when
        its digest changed since the last build."""
        s = self.final(year)[member.id] if date == year_end(year) else \
            self.standing(year, date)[member.id]
        branch = self.org.branches[s.branch]
        joined = self.ds.membership(member).start
        final = date == year_end(year)
        if close is not None:
            q = quarter_of_close(close)
            label = f"{year} 年度积分" if final else f"截至{q.name}积分"
            basis: dict[str, object] | None = {
                "quarter": q.name, "link": f"{q.slug}/{close.branch}.md",
                "branch": self.org.branches[close.branch].name, **self._notice(close)}
            published: dict[str, str] | None = {"quarter": close.quarter,
                                                "closed_on": close.meeting}
        else:
            label = f"{year} 年度积分" if final else f"{year} 年度积分（截至 {date}，暂定）"
            basis = published = None
        notes: tuple[tuple[str, str], ...] | None = None
        if self.internal:
            found = []
            for raw in s.entries:
                event = self.events_by_id.get(raw.ref) if raw.source == "event" else None
                note = (event.note or "") if event else ""
                if raw.source == "correction":
                    note = self.corrections_by_id[raw.ref].reason
                found.append((note, (event.evidence or "") if event else ""))
            notes = tuple(found)
        inputs = MemberInputs(
            committee=self.org.committee, as_of=self.as_of if self.internal else "",
            internal=self.internal, id=member.id, name=member.name, posts=member.posts,
            year=year, date=date, category=s.category, branch=(branch.id, branch.name),
            score=s.score, labels=tuple(self.labels(s.flags)), codes=tuple(self.codes(s.flags)),
            label=label, basis=basis, published=published,
            since=max(f"{year}-01-01", joined or ""), base=self.ds.policy.base,
            entries=s.entries,
            corrects=tuple(self._corrected_line(e) for e in s.entries),
            commits=None if self.provenance is None else tuple(self._commit(e)
                                                               for e in s.entries),
            notes=notes, pending=s.pending if self.internal else (),
            years=tuple(y for y in self.years if y != year and self.in_year(member, y)
                        and self.member_cutoff(member, y)),
            handbook=f"internal/handbooks/{member.id}.md" if self.internal
            and year == int(self.as_of[:4]) else "")
        return Group(f"members/{member.id}/{year}.md", key=digest(("member", inputs)),
                     make=member_pages, args=(inputs,))

    def _corrected_line(self, entry: Entry) -> str:
        """For a correction: the date of the line it cancels (an event), or of the
        meeting whose attendance it changes."""
        if not entry.corrects:
            return ""
        event = self.events_by_id.get(entry.corrects)
        return event.date if event else self.meetings_by_id[entry.corrects].date

    def _commit(self, entry: Entry) -> dict[str, object] | None:
        """Who last changed the record behind a ledger line (internal: and why)."""
        if self.provenance is None:
            return None
        record = (self.events_by_id.get(entry.ref) if entry.source == "event"
                  else self.corrections_by_id.get(entry.ref) if entry.source == "correction"
                  else self.meetings_by_id.get(entry.ref))
        found = self.provenance.of(record.path, entry.ref) if record else None
        if found == UNCOMMITTED:
            return {"uncommitted": True}
        if not isinstance(found, Commit):
            return None
        commit: dict[str, object] = {"short": found.short, "date": found.date,
                                     "pr": found.pull_request, **self._links(found)}
        if self.internal:
            commit |= {"author": found.account, "subject": found.subject}
        return commit

    def _results_part(self, year: int) -> Results:
        """What this part gives the results page of ``year`` (``Board.results_page``)."""
        final = self.final(year)  # January corrections of the year included
        selection = progress(self.ds, year, self.as_of)

        def row(s: Standing) -> dict[str, object]:
            found = {**self._row(s, year), "branch": self.org.branches[s.branch].name,
                     "branch_id": s.branch}
            if not self.internal and not self.closed(Quarter(year, 4), s.branch):
                found["score"] = None  # the year total is public once Q4 is 审定
            return found

        def key(s: Standing) -> tuple[str, int, str]:
            return (s.branch, -(s.score or 0), s.member.id)

        confirmed = selection.confirmed
        excellent = None if confirmed is None else [
            (key(final[i]), row(final[i])) for i in confirmed.members if i in final]
        decided: dict[tuple[str, str], Decision] = {
            (d.member, d.action): d for d in selection.decisions}
        listed = frozenset((s.member.id, a) for s in final.values() for a in DECISION_NAMES
                           if a in s.flags)
        lists: dict[str, list[tuple[tuple[str, int, str], dict[str, object]]]] = {}
        if self.internal:
            for action in DECISION_NAMES:
                rows = []
                for s in final.values():
                    if action in s.flags:
                        d = decided.get((s.member.id, action))
                        rows.append((key(s), {**row(s), "decided": d.date if d else "",
                                              "note": d.note or "" if d else ""}))
                lists[action] = rows
        candidates = self._candidates(final, selection) if self.internal else []
        return Results(excellent, listed, lists, candidates)

    def _candidates(self, final: dict[str, Standing], selection: Progress
                    ) -> list[dict[str, object]]:
        """Internal: each branch's 优秀党员 candidates ranked by score, with their stage."""
        found: list[dict[str, object]] = []
        confirmed = selection.confirmed
        for b in self.branches():
            if b.id not in self.own:
                continue
            rows = [final[m.id] for m in self.members_at(b.id, f"{selection.year}-12-31")
                    if "excellent_candidate" in final[m.id].flags]
            nominated, review = selection.nominated(b.id), selection.review(b.id)
            if not rows and nominated is None:
                continue
            ranks = rank(rows)
            order = {i: n for n, i in enumerate(nominated.members, 1)} if nominated else {}
            passed = set(review.members) if review else set()
            out = []
            for s in sorted(rows, key=lambda s: (-(s.score or 0), s.member.id)):
                i = s.member.id
                first = ("待初定" if nominated is None else
                         f"第 {order[i]} 位" if i in order else "未推荐")
                second = ("不适用" if not b.general_branch else "—" if i not in order else
                          "待初审" if review is None else "通过" if i in passed else "未通过")
                reached = i in order and (i in passed or not b.general_branch)
                third = ("—" if not reached else "待认定" if confirmed is None else
                         "认定" if i in confirmed.members else "未认定")
                out.append({**self._row(s, selection.year), "rank": ranks.get(i),
                            "nominated": first, "review": second, "confirmed": third})
            found.append({
                "id": b.id, "name": b.name,
                "general_branch": (self.org.general_branches.get(b.general_branch)
                                   or b.general_branch) if b.general_branch else "",
                "nominated": nominated.date if nominated else "",
                "review": review.date if review else "",
                "note": (nominated.note or "") if nominated else "",
                "opinion": (review.note or "") if review else "", "rows": out})
        return found

    def _alerts_part(self) -> tuple[Keyed, Keyed, Keyed, Keyed]:
        """后进预警 (internal), this part's rows (``Board.alerts_page``): who is below the
        line now; who was at a quarter's end with no case opened; office holders below
        it; cases running late."""
        year = int(self.as_of[:4])
        now = self.standing(year, self.as_of)
        rows: Keyed = []
        for s in now.values():
            if "laggard" in s.flags:
                row = {**self._row(s, year), "branch": self.org.branches[s.branch].name,
                       "posts": list(s.member.posts)}
                rows.append(((row["branch"], row["score"] or 0, row["id"]), row))
        opened = {(c.member, c.quarter) for c in self.ds.cases}
        uncased: dict[str, dict[str, object]] = {}  # member -> their latest such quarter
        uncased_quarters: dict[str, list[str]] = defaultdict(list)
        posts: Keyed = []
        for y in self.years:
            for q in self.quarters(y):
                if q.end > self.as_of:
                    continue
                for s in self.standing(y, q.end).values():
                    if "laggard" not in s.flags:
                        continue
                    branch = self.org.branches[branch_on(self.ds, s.member, q.end)].name
                    row = {**self._row(s, y), "quarter": q.name, "branch": branch,
                           "posts": list(s.member.posts)}
                    if (s.member.id, q.code) not in opened:
                        uncased_quarters[s.member.id].append(q.name)
                        uncased[s.member.id] = {**row,
                                                "quarters": list(uncased_quarters[s.member.id])}
                    if s.member.posts:
                        posts.append(((y, q.number, s.member.id), row))
        late: Keyed = []
        for case in sorted(self.ds.cases, key=lambda c: c.id):
            for n, problem in enumerate(overdue(case, self.as_of)):
                member = self.ds.members[case.member]
                late.append(((case.id, n), {"case": case.id,
                                            "link": f"internal/cases/{case.id}.md",
                                            "name": member.name, "problem": problem}))
        return (rows, [((str(r["branch"]), str(r["id"])), r) for r in uncased.values()],
                posts, late)

    def _case_rows(self) -> Keyed:
        """后进党员处置 (internal): this part's cases, for their index (``Board``)."""
        rows: Keyed = []
        for case in self.ds.cases:
            member = self.ds.members[case.member]
            now = stage(case)
            rows.append(((case.quarter, case.id), {
                "id": case.id, "link": f"internal/cases/{case.id}.md", "name": member.name,
                "branch": self.org.branches[case.branch].name, "quarter": case.quarter,
                "stage": STEP_NAMES.get(now.step, "尚未开始"),
                "outcome": now.outcome or "进行中", "deadline": deadline(case) or ""}))
        return rows

    def handbook_page(self, member: Member, year: int) -> None:
        """《考评手册》 (internal): a member's handbook of the as-of year, to print."""
        book = handbook(self.ds, member, year, self.as_of,
                        standing=self.standing(year, self.cutoff(year_end(year)))[member.id])
        self.add(f"internal/handbooks/{member.id}.md", "handbook.md.j2",
                 f"{member.name} {year}年度考评手册（内部）", book=book, blank_rows=BLANK_ROWS)

    def case_page(self, case: object) -> None:

        assert isinstance(case, Case)
        member = self.ds.members[case.member]
        fields = form_fields(self.ds, case, None)
        steps = []
        a = case.announcement
        if a is not None:
            steps.append({"name": STEP_NAMES["announcement"], "date": a.approved_on or "",
                          "text": f"经党工委批准不进行（{a.reason}）"} if a.skipped else
                         {"name": STEP_NAMES["announcement"], "date": a.date or "",
                          "text": "专题组织生活会通报积分"})
        d = case.branch_decision
        if d is not None:
            steps.append({"name": STEP_NAMES["branch_decision"], "date": d.date,
                          "text": f"应到支委 {d.expected} 人，实到 {d.present} 人。{d.opinion}"})
        for key in ("general_review", "committee_review"):
            r = getattr(case, key)
            if r is not None:
                steps.append({"name": STEP_NAMES[key], "date": r.date, "text": r.opinion})
        t = case.transfer
        if t is not None:
            steps.append({"name": STEP_NAMES["transfer"], "date": t.date,
                          "text": f"组织关系转入{self.org.branches[t.to].name}"})
        rect = case.rectification
        if rect is not None:
            mentors = "、".join(self.ds.members[m].name for m in rect.mentors
                               if m in self.ds.members)
            steps.append({"name": STEP_NAMES["rectification"], "date": rect.start,
                          "text": f"期限 {rect.months} 个月（至 {deadline(case)}）；帮教联系人："
                                  f"{mentors}；分类帮教："
                                  + "、".join(HELP_NAMES[h] for h in rect.help)
                                  + f"；已汇报 {len(rect.reports)} 次"
                                  + "".join(f"；{r.month} 闪光言行考评"
                                            f"（{r.evaluation_meeting or '未登记'}）党员测评"
                                            f"{EVALUATION_NAMES.get(r.evaluation or '', '未登记')}"
                                            for r in rect.reports)})
            if rect.application is not None:
                steps.append({"name": "第5步 转化合格申请", "date": rect.application.date,
                              "text": "整改期满后本人向党支部提出转化合格的申请"
                                      + (f"：{rect.application.summary}"
                                         if rect.application.summary else "")})
        for i, r in enumerate(case.resolutions):
            if r.education_review is not None:
                steps.append({"name": f"第6步 党性教育党支部审核（第{i + 1}次）",
                              "date": r.education_review.date,
                              "text": r.education_review.opinion})
            text = "整改合格" if r.outcome == "improved" else (
                f"仍无明显改进，确定为不合格党员，{DISPOSAL_NAMES[r.disposal]}" if r.disposal
                else "无明显改进，延长三个月整改期")
            steps.append({"name": f"{STEP_NAMES['resolutions']}（第{i + 1}次）", "date": r.date,
                          "text": text + (f"。{r.opinion}" if r.opinion else "")})
        ap = case.approval
        if ap is not None:
            steps.append({"name": STEP_NAMES["approval"], "date": ap.date, "text": ap.reply
                          + (f"（{ap.returned_on} 转回原党支部）" if ap.returned_on else "")})
        self.add(f"internal/cases/{case.id}.md", "case.md.j2",
                 f"{member.name} 后进党员评定呈报表（内部）", form=fields, steps=steps,
                 case={"id": case.id, "quarter": case.quarter,
                       "outcome": stage(case).outcome or "进行中"})

    def registrar_page(self, branch: Branch) -> None:
        members = self.ds.members
        waiting = []
        # the branch's own members' additions, and those of flowing members whose
        # scoring the branch manages (their transfer_to)
        mine = (e for (b, _), found in self.by_month.items() for e, _ in found
                if b == branch.id or (self.org.branches[b].kind == "flowing" and branch.id
                                      in registrars_on(self.ds, members[e.member], e.date)))
        for e in mine:
            if e.status in ("declared", "verified"):
                waiting.append({"date": e.date, "id": e.id, "name": members[e.member].name,
                                "rule": e.rule, "points": e.points,
                                "status": STATUS_NAMES[e.status or "declared"],
                                "next": "支部核实" if e.status == "declared" else "党工委审定",
                                "note": e.note or "", "evidence": e.evidence or "",
                                "path": e.path})
        waiting.sort(key=lambda r: (r["date"], r["id"]))
        self.add(f"internal/{branch.id}.md", "registrar.md.j2", f"{branch.name}待办（内部）",
                 branch={"id": branch.id, "name": branch.name}, rows=waiting)


class Board(Pages):
    """The pages about everyone, made from the parts' summaries (``Part``) and the
    context (organisation, policy, rules, nominations): home, the branches, the rules,
    each year with its quarter overviews and results, the changes, and internally the
    alerts, the supervision and the cases' index."""

    def __init__(self, context: Dataset, as_of: str, internal: bool,
                 provenance: Provenance | None, parts: list[Part], years: list[int]) -> None:
        super().__init__(context, as_of, internal, provenance)
        self.parts = parts
        self.years = years
        self.facts: dict[str, BranchFacts] = {}
        for part in parts:
            self.facts.update(part.branches)
        closes = sorted((c for f in self.facts.values() for c in f.closes),
                        key=lambda c: (c.quarter, c.branch))
        self.closes = {(c.branch, c.quarter): c for c in closes}
        self.last_closes: dict[str, Close] = {c.branch: c for c in closes}

    def groups(self) -> Iterator[Group]:
        yield from self._now(self.home)
        yield from self._now(self.rules)
        yield from self._now(self.add, "branches/index.md", "branches.md.j2", "各党支部",
                             branches=self._branch_list())
        for year in self.years:
            yield from self._now(self.year_page, year)
            for quarter in self.quarters_shown(year):
                yield from self._now(self.quarter_overview, quarter)
            if self.results_shown(year):
                yield from self._now(self.results_page, year)
        if self.provenance is not None:
            yield from self._now(self.changes_page)
        if self.internal:
            yield from self._now(self.alerts_page)
            yield from self._now(self.supervision_page)
            yield from self._now(self.cases_index)

    def months_shown(self, year: int, branch: str) -> tuple[int, ...]:
        return self.facts[branch].months.get(year, ())

    def home(self) -> None:
        latest = []
        for b in self.branches():
            row: dict[str, object] = {"name": b.name, "link": f"branches/{b.id}.md",
                                      "notice": "", "quarter": "", "state": ""}
            close = self.last_closes.get(b.id)
            if close is not None:
                q = quarter_of_close(close)
                row |= {"quarter": q.name, "notice": f"{q.slug}/{b.id}.md",
                        **self._notice(close)}
            latest.append(row)
        running = None
        if self.internal:
            q = Quarter.of(self.as_of)
            running = {"name": q.name, "link": f"{q.slug}/index.md"}
        self.add("index.md", "index.md.j2", f"{self.org.committee}党务公开栏", nav_title="首页",
                 years=list(reversed(self.years)), latest=latest, running=running,
                 open=any(r.get("state") == "open" for r in latest),
                 contact=self._contact(), branches=self._branch_list(), policy=self.ds.policy)

    def _branch_list(self) -> list[dict[str, object]]:
        return [{"id": b.id, "name": b.name, "kind": BRANCH_KIND_NAMES[b.kind],
                 "general_branch": self.org.general_branches.get(b.general_branch or "", ""),
                 "link": f"branches/{b.id}.md", "members": self.facts[b.id].members}
                for b in self.branches()]

    def rules(self) -> None:
        """积分标准与政策: each threshold and item beside the regulation's own words, and
        the committee's readings (党工委规定) with who adopted them and when."""
        policy = self.ds.policy

        def refs(*subjects: str) -> list[dict[str, object]]:
            found = {r.id: r for s in subjects for r in policy.readings_of(s)}
            return [{"anchor": _anchor(r.id), "title": r.title}
                    for r in policy.readings if r.id in found]

        share = policy.excellent_share
        laggard = (f"{policy.laggard_below} 分及以下" if policy.laggard_inclusive
                   else f"低于 {policy.laggard_below} 分（不含 {policy.laggard_below} 分）")
        rows = [
            ("基础分", "base", f"{policy.base} 分，每个自然年重新计分", ("base",),
             policy.base != REGULATION_VALUES["base"]),
            ("最低分", "floor", f"{policy.floor} 分", ("floor",),
             policy.floor != REGULATION_VALUES["floor"]),
            ("上限", "cap", "不封顶" if policy.cap is None else f"{policy.cap} 分", ("cap",),
             policy.cap != REGULATION_VALUES["cap"]),
            ("60分以下", "laggard", f"{laggard}的，由党支部填报《后进党员评定呈报表》",
             ("laggard_below", "laggard_inclusive"),
             policy.laggard_below != REGULATION_VALUES["laggard_below"]
             or policy.laggard_inclusive),
            ("优秀党员候选", "excellent",
             f"年度积分 {policy.excellent_at_least} 分及以上，且未被一票否决"
             + (f"；认定人数不超过党员人数的 {share * 100:g}%" if share is not None else ""),
             ("excellent_at_least", "excellent_share"),
             policy.excellent_at_least != REGULATION_VALUES["excellent_at_least"]
             or share is not None),
            ("预备党员", "probationary",
             f"年度积分低于 {policy.probationary_below} 分的，取消预备党员资格",
             ("probationary_below",),
             policy.probationary_below != REGULATION_VALUES["probationary_below"]),
            ("入党积极分子", "activist",
             f"年度积分低于 {policy.activist_below} 分的，不列为当年发展对象",
             ("activist_below",), policy.activist_below != REGULATION_VALUES["activist_below"]),
            ("流动党员", "flowing",
             f"年度积分低于 {policy.flowing_below} 分的，暂缓转入村(居)党支部",
             ("flowing_below",), policy.flowing_below != REGULATION_VALUES["flowing_below"]),
            ("一票否决", "veto", "、".join(policy.veto_rules) or "无", ("veto_rules",),
             bool(policy.veto_rules)),
            ("公示期", "window", f"自支委会审定之日起 {WINDOW_DAYS} 天（可在审定时另定）",
             ("window",), True),
            ("月度登记", "monthly",
             "公开栏公布已审定季度的月度登记" if policy.publish_monthly
             else "只在内部版本中，公开栏不公布", ("publish_monthly",), True),
        ]
        thresholds = []
        for name, quote, value, keys, differs in rows:
            basis = refs(*keys)
            thresholds.append({"name": name, "regulation": REGULATION[quote], "value": value,
                               "basis": basis, "unrecorded": differs and not basis})
        readings = [{"anchor": _anchor(r.id), "title": r.title, "regulation": list(r.regulation),
                     "decision": r.decision, "adopted_by": r.adopted_by,
                     "adopted_on": r.adopted_on, "rules": list(r.rules),
                     "concerns": [CONCERN_NAMES[c] for c in r.concerns]}
                    for r in policy.readings]
        catalogues = []
        for catalogue in self.ds.catalogues:
            rules = []
            for code, versions in sorted(catalogue.versions.items(), key=lambda kv: _code_key(
                    kv[0])):
                for rule in versions:
                    lo, hi = rule.bounds
                    rules.append({
                        "code": code, "name": rule.name, "category": rule.category,
                        "kind": "扣分" if rule.kind == "deduction" else "加分",
                        "points": (f"{lo:+d}" if lo == hi else f"{lo:+d} 至 {hi:+d}") + (
                            f"（连续请假第二次起 {rule.consecutive_points:+d}）"
                            if rule.consecutive_points else ""),
                        "limit": "每年一次" if rule.once_a_year else "每次",
                        "veto": code in policy.veto_rules,
                        "attendance": rule.attendance is not None,
                        "period": rule.period() if (rule.start or rule.until) else "",
                        "text": rule.text, "readings": refs(code)})
            catalogues.append({"title": catalogue.title, "rules": rules,
                               "applies_to": [BRANCH_KIND_NAMES[k] for k in catalogue.applies_to]})
        self.add("rules.md", "rules.md.j2", "积分标准与政策", catalogues=catalogues,
                 thresholds=thresholds, readings=readings, categories=refs("categories"),
                 indicators=INDICATORS)

    def year_page(self, year: int) -> None:
        quarters = []
        for q in self.quarters_shown(year):
            closed = sum(1 for b in self.branches() if self.closed(q, b.id))
            quarters.append({"name": q.name, "link": f"q{q.number}/index.md",
                             "provisional": closed < len(self.branches()),
                             "closed": closed, "branches": len(self.branches())})
        months = []
        for month in self.months(year):
            links = [{"name": b.name, "link": f"m{month:02d}/{b.id}.md"}
                     for b in self.branches() if month in self.months_shown(year, b.id)]
            if links:
                months.append({"name": f"{month}月", "links": links})
        self.add(f"{year}/index.md", "year.md.j2", f"{year}年度",
                 year=year, closed=self.as_of >= year_end(year), quarters=quarters,
                 months=months, results="results.md" if self.results_shown(year) else "")

    def quarter_overview(self, q: Quarter) -> None:
        date = self.cutoff(q.end)
        summary = []
        for b in self.branches():
            close = self.closed(q, b.id)
            row: dict[str, object] = {"name": b.name, "closed": close.meeting if close else "",
                                      "link": "", "members": None, "average": None,
                                      "below": None}
            if self.visible(q, b.id):
                members, average, below = self.facts[b.id].overview[q.code]
                row |= {"link": f"{q.slug}/{b.id}.md", "members": members,
                        "average": average, "below": below}
            summary.append(row)
        provisional = not self.all_closed(q)
        self.add(f"{q.slug}/index.md", "quarter_overview.md.j2",
                 f"{q.name}积分通报" + ("（暂定）" if provisional and self.internal else ""),
                 quarter={"name": q.name, "end": date, "provisional": provisional,
                          "ended": q.end <= self.as_of},
                 branches=summary, line=self.ds.policy.laggard_below)

    def changes_page(self) -> None:
        """变更记录: the latest changes to the data, newest first."""
        assert self.provenance is not None
        rows = []
        for commit in self.provenance.history.commits[:CHANGES_SHOWN]:
            row: dict[str, object] = {"short": commit.short, "date": commit.date,
                                      "author": commit.account, "pr": commit.pull_request,
                                      **self._links(commit)}
            if self.internal:
                row["subject"] = commit.subject
            rows.append(row)
        self.add("changes.md", "changes.md.j2", "变更记录", rows=rows, shown=CHANGES_SHOWN)

    def results_page(self, year: int) -> None:
        """积分运用 (``nominations.py``). Public: the 优秀党员 the 党工委 confirmed (before
        that, that the selection is under way) and, for the decision lists, only how many
        members each decision concerned once taken. Internal: the candidates ranked per
        branch with their stage, and the lists with the decisions taken and pending."""
        selection = progress(self.ds, year, self.as_of)
        policy = self.ds.policy
        parts = [part.results[year] for part in self.parts]

        def rows(keyed: Iterator[tuple[tuple[str, int, str], dict[str, object]]]
                 ) -> list[dict[str, object]]:
            return [row for _, row in sorted(keyed, key=lambda pair: pair[0])]

        confirmed = selection.confirmed
        excellent = None if confirmed is None else {
            "date": confirmed.date,
            "rows": rows(x for p in parts for x in p.excellent or ())}
        decided: dict[tuple[str, str], Decision] = {
            (d.member, d.action): d for d in selection.decisions}
        summary = []
        for action, name in DECISION_NAMES.items():
            taken = [d for (_, a), d in decided.items() if a == action]
            if taken:
                summary.append({"name": name, "count": len(taken),
                                "dates": sorted({d.date for d in taken})})
        listed = frozenset().union(*(p.listed for p in parts))
        lists = []
        if self.internal:
            for action, name in DECISION_NAMES.items():
                lists.append({"name": name, "rule": list_rule(self.ds, action),
                              "rows": rows(x for p in parts for x in p.lists[action])})
        share = policy.excellent_share
        candidates = sorted((c for p in parts for c in p.candidates),
                            key=lambda c: str(c["id"]))
        context: dict[str, object] = {
            "year": year, "policy": policy, "excellent": excellent, "decided": summary,
            "pending": bool(listed - decided.keys()),
            "share": "" if share is None else f"{share * 100:g}%",
            "candidates": candidates, "lists": lists, "branches": []}
        tables: list[Any] = [excellent["rows"] if excellent else []]
        tables += [c["rows"] for c in candidates] + [x["rows"] for x in lists]
        if sum(len(t) for t in tables) > RESULTS_ROWS:  # many: the names on branch pages
            context["branches"] = self._results_by_branch(year, excellent, candidates, lists)
        self.add(f"{year}/results.md", "results.md.j2", f"{year}年度积分运用结果", **context)

    def _results_by_branch(self, year: int, excellent: dict[str, Any] | None,
                           candidates: list[dict[str, Any]], lists: list[dict[str, Any]]
                           ) -> list[dict[str, object]]:
        """The names of the results page, a page per branch (``{year}/results/<branch>``);
        the branches with their counts, for the results page's table."""
        found: list[dict[str, object]] = []
        for b in self.branches():
            mine = {"date": excellent["date"],
                    "rows": [r for r in excellent["rows"] if r["branch_id"] == b.id]
                    } if excellent else None
            ranked = [c for c in candidates if c["id"] == b.id]
            listed = [{**x, "rows": [r for r in x["rows"] if r["branch_id"] == b.id]}
                      for x in lists]
            counts = {"excellent": len(mine["rows"]) if mine else 0,
                      "candidates": sum(len(c["rows"]) for c in ranked),
                      "listed": sum(len(x["rows"]) for x in listed)}
            if not any(counts.values()) and not ranked:
                continue
            path = f"{year}/results/{b.id}.md"
            self.add(path, "results_branch.md.j2", f"{b.name} {year}年度积分运用结果",
                     year=year, branch=b.name, excellent=mine, candidates=ranked,
                     lists=listed)
            found.append({"name": b.name, "link": path, **counts})
        return found

    def alerts_page(self) -> None:
        """后进预警 (internal): who is below the line now; who was at a quarter's end with
        no case opened; office holders whose posts lapse; cases running late."""
        found: tuple[Keyed, Keyed, Keyed, Keyed] = ([], [], [], [])
        for part in self.parts:
            assert part.alerts is not None
            for mine, theirs in zip(found, part.alerts, strict=True):
                mine += theirs
        rows, uncased, posts, late = ([row for _, row in sorted(keyed, key=lambda x: x[0])]
                                      for keyed in found)
        self.add("internal/alerts.md", "alerts.md.j2", "后进党员预警（内部）", rows=rows,
                 uncased=uncased, posts=posts, late=late)

    def supervision_page(self) -> None:
        """督导检查 (internal): the branches' routine gaps, as ``jifen supervise``."""
        names = {b.id: b.name for b in self.branches()}
        findings = sorted((f for part in self.parts for f in part.findings),
                          key=lambda f: (f.branch, f.due or "9999", f.kind, f.period))
        summaries = sorted((s for part in self.parts for s in part.summaries),
                           key=lambda s: s.branch)
        self.add("internal/supervision.md", "supervision.md.j2", "督导检查（内部）",
                 findings=[{**f.as_json(), "branch": names[f.branch]} for f in findings],
                 kinds=list(GAP_NAMES.values()),
                 summaries=[{"name": s.name, "months": s.months, "total": s.total,
                             "counts": [s.counts.get(k, 0) for k in GAP_NAMES]}
                            for s in summaries],
                 close_within_days=self.ds.policy.close_within_days)

    def cases_index(self) -> None:
        """后进党员处置 (internal): every case (each has its page, a printable 呈报表)."""
        rows = [row for _, row in sorted((x for part in self.parts for x in part.cases),
                                         key=lambda x: x[0], reverse=True)]
        self.add("internal/cases/index.md", "cases.md.j2", "后进党员处置（内部）", rows=rows)


class MemberInputs(NamedTuple):
    """Everything a member's page of a year shows (``Planner.member_group``)."""

    committee: str
    as_of: str  # internal pages say it; "" on public ones, which never show it
    internal: bool
    id: str
    name: str
    posts: tuple[str, ...]
    year: int
    date: str  # up to which day the year is shown
    category: str
    branch: tuple[str, str]  # id, name
    score: int | None
    labels: tuple[str, ...]  # the flags as the page shows them
    codes: tuple[str, ...]  # the flags as the JSON twin gives them
    label: str
    basis: dict[str, object] | None  # the notice that published it
    published: dict[str, str] | None  # the same, for the JSON twin
    since: str
    base: int
    entries: tuple[Entry, ...]
    corrects: tuple[str, ...]  # per entry: the date of the line a correction cancels
    commits: tuple[dict[str, object] | None, ...] | None  # per entry, with provenance
    notes: tuple[tuple[str, str], ...] | None  # per entry (internal): note, evidence
    pending: tuple[Event, ...]  # internal: additions not yet counted
    years: tuple[int, ...]  # the member's other years on this build
    handbook: str  # internal: the page of the member's 考评手册 of the year ("": none)


def member_pages(i: MemberInputs) -> list[Page]:
    """A member's page of a year, its chart and its JSON twin: from ``i`` alone."""
    path = f"members/{i.id}/{i.year}.md"
    cancelled = {e.corrects: e.date for e in i.entries if e.corrects}
    entries: list[dict[str, object]] = [
        {"date": e.date, "rule": e.rule, "name": e.name, "category": e.category,
         "points": e.points, "balance": e.balance, "detail": e.detail,
         "corrects": i.corrects[n], "cancelled": cancelled.get(e.ref, ""),
         "commit": i.commits[n] if i.commits is not None else None}
        for n, e in enumerate(i.entries)]
    if i.notes is not None:
        for entry, (note, evidence) in zip(entries, i.notes, strict=True):
            entry["note"], entry["evidence"] = note, evidence
    pending = [{"date": e.date, "id": e.id, "rule": e.rule,
                "status": STATUS_NAMES[e.status or "declared"], "note": e.note or "",
                "evidence": e.evidence or "", "points": e.points} for e in i.pending]
    title = f"{i.name} {i.year}年度积分"
    context = {"committee": i.committee, "as_of": i.as_of, "page": path,
               "internal": i.internal, "title": title, "nav_title": "",
               "member": {"id": i.id, "name": i.name, "category": CATEGORY_NAMES[i.category],
                          "branch": i.branch[1], "branch_link": f"branches/{i.branch[0]}.md",
                          "posts": list(i.posts), "terms": search_terms(i.name)},
               "year": i.year, "score": i.score, "flags": list(i.labels),
               "label": i.label, "basis": i.basis, "since": i.since,
               "base": i.base, "entries": entries, "pending": pending,
               "years": [{"year": y, "link": f"{y}.md"} for y in i.years],
               "handbook": i.handbook,
               "provenance": i.commits is not None,
               "chart": _balance_chart(i.year, i.base, i.name, i.score, i.entries, i.date,
                                       i.since),
               "json": f"members/{i.id}/{i.year}.json"}
    return [
        Page(path, "member.md.j2", context, title=title),
        Page(f"members/{i.id}/{i.year}.json", data={
            "id": i.id, "name": i.name, "branch": i.branch[0],
            "category": i.category, "year": i.year, "as_of": i.date, "score": i.score,
            "flags": list(i.codes),
            **({"published": i.published} if i.published is not None else {}),
            "ledger": [{"date": e.date, "rule": e.rule, "points": e.points,
                        "balance": e.balance,
                        **({"corrects": i.corrects[n]} if e.corrects else {})}
                       for n, e in enumerate(i.entries)]})]


# Two-character surnames (复姓): the given name of 欧阳明 is 明, not 阳明.
COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "钟离",
    "闻人", "申屠", "澹台", "公冶", "太史", "濮阳", "单于", "赫连"))


def search_terms(name: str) -> list[str]:
    """What people type to find a member: the full name and the given name (丽萍 finds
    周丽萍). Han names only; anything else is searched as written."""
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,6}", name):
        return []
    given = name[2:] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[1:]
    return [name, given] if given != name else [name]


def _anchor(ident: str) -> str:
    """The id of a reading's heading on the rules page (``r-veto``)."""
    return "r-" + re.sub(r"[^a-z0-9-]", "-", ident)


def _code_key(code: str) -> list[str | int]:
    """Rule codes in natural order (K2 before K10), whatever the committee calls them."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code)]


def _distribution(scores: list[int | None]) -> list[dict[str, object]]:
    counts_by_bin: dict[str, int] = defaultdict(int)
    for score in scores:
        if score is None:
            continue
        label = next(lbl for lbl, low in reversed(BINS) if score >= low)
        counts_by_bin[label] += 1
    top = max(counts_by_bin.values(), default=0) or 1
    return [{"label": label, "count": counts_by_bin[label],
             "height": round(120 * counts_by_bin[label] / top, 1), "x": 40 + 60 * i}
            for i, (label, _) in enumerate(BINS)]


def _balance_chart(year: int, base: int, name: str, score: int | None,
                   entries: tuple[Entry, ...], as_of: str, since: str) -> dict[str, object]:
    """A step line of the balance over the year, from ``since`` (the first day in scope):
    x is the day of the year (a correction dated in the next January on the last)."""
    start = dt.date(year, 1, 1)
    days = (dt.date(year, 12, 31) - start).days + 1
    points = [((dt.date.fromisoformat(since) - start).days, base)]
    for e in entries:
        points.append((min(days - 1, (dt.date.fromisoformat(e.date) - start).days),
                       e.balance))
    end_day = (dt.date.fromisoformat(as_of) - start).days
    points.append((end_day, points[-1][1]))
    values = [v for _, v in points] + [60, 100]
    low, high = min(values) - 5, max(values) + 5
    width, height = 600, 200

    def xy(day: int, value: int) -> tuple[float, float]:
        return (round(40 + (width - 50) * day / days, 1),
                round(height - 20 - (height - 40) * (value - low) / (high - low), 1))

    path = []
    for i, (day, value) in enumerate(points):
        x, y = xy(day, value)
        if i:
            path.append(f"H{x}")
            path.append(f"V{y}")
        else:
            path.append(f"M{x},{y}")
    guides = [{"label": str(v), "y": xy(0, v)[1]} for v in (60, 100) if low <= v <= high]
    months = [{"label": f"{m}月", "x": xy((dt.date(year, m, 1) - start).days, low)[0]}
              for m in range(1, 13)]
    return {"path": " ".join(path), "guides": guides, "months": months, "width": width,
            "height": height, "title": f"{name} {year}年积分变化",
            "final": score}


def plan(ds: Dataset, as_of: str, internal: bool = False,
         provenance: Provenance | None = None) -> list[Page]:
    """Every page of the bulletin for ``ds`` as of ``as_of``; with ``provenance``, ledger
    lines name the commit that last changed their record, and a 变更记录 page lists the
    latest changes."""
    return sorted((page for group in groups(ds, as_of, internal, provenance)
                   for page in group.build()), key=lambda p: p.path)


def groups(ds: Dataset, as_of: str, internal: bool = False,
           provenance: Provenance | None = None) -> Iterator[Group]:
    """The pages of ``plan``, one group at a time (see ``Group``), in no particular order:
    the whole data set as one part."""
    planner = Planner(ds, as_of, internal, provenance)
    yield from planner.part_groups()
    yield from Board(ds, as_of, internal, provenance, [planner.part()], planner.years).groups()
