"""Site plan: every page of the bulletin as data, before any template runs.

``plan`` turns a validated data set into ``Page`` values: a path in the docs
folder, the template that presents it and the context it gets. Contexts hold
plain values (strings, numbers, lists, dicts) and never HTML; the public build
never puts a note, an evidence string or a void reason into any context, so no
template can leak one. ``internal=True`` adds what only officers may see.

Periods: the calendar year is the cycle; a branch's quarter is published (公布)
once its committee closed it (``closes/``), provisional (暂定) until then; year
results appear once the year is over. Corrections made after a close, and
objections raised in its window, are listed with the quarter (the public sees
that they were handled and how; reasons and details are internal).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from generator.cases import (
    DISPOSAL_NAMES,
    HELP_NAMES,
    STEP_NAMES,
    deadline,
    overdue,
    stage,
)
from generator.derive import branch_on, registrars_on
from generator.form import form_fields  # the same fields as the .docx form
from generator.model import (
    BRANCH_KIND_NAMES,
    CATEGORY_NAMES,
    INDICATORS,
    OUTCOME_NAMES,
    STATUS_NAMES,
    Branch,
    Case,
    Close,
    Dataset,
    Event,
    Meeting,
    Member,
    Rule,
)
from generator.nominations import DECISION_NAMES, Decision, Progress, list_rule, progress
from generator.periods import Quarter, quarter_of
from generator.provenance import UNCOMMITTED, Commit, Provenance
from generator.score import Entry, Standing, counts
from generator.tables import ScoreBook, flag_names, member_link, member_row, rank

CHANGES_SHOWN = 50
# Flags that are candidacies for a decision of the 党工委, not facts to publish.
YEAR_END_FLAGS = frozenset({"excellent_candidate", "probation_cancelled",
                            "not_development_target", "transfer_postponed"})
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


def years_of(ds: Dataset, as_of: str) -> list[int]:
    """Every year with data, and the as-of year; none after it."""
    found = {int(e.date[:4]) for e in ds.events} | {int(m.date[:4]) for m in ds.meetings}
    found.add(int(as_of[:4]))
    return sorted(y for y in found if y <= int(as_of[:4]))


class Planner(ScoreBook):
    """Collects the pages of one build, over the score book the exports share."""

    def __init__(self, ds: Dataset, as_of: str, internal: bool,
                 provenance: Provenance | None = None) -> None:
        super().__init__(ds, as_of)
        self.provenance = provenance
        self.internal = internal
        self.pages: list[Page] = []
        self.years = years_of(ds, as_of)
        # Indexes built once: pages look events up by branch and month, or by id.
        self.by_month: dict[tuple[str, str], list[tuple[Event, Rule]]] = defaultdict(list)
        self.events_by_id = {e.id: e for e in ds.events}
        self.meetings_by_id = {m.id: m for m in ds.meetings}
        self.meetings_by_month: dict[tuple[str, str], list[Meeting]] = defaultdict(list)
        for meeting in sorted(ds.meetings, key=lambda m: (m.date, m.id)):
            self.meetings_by_month[(meeting.branch, meeting.date[:7])].append(meeting)
        self.corrected = ds.derived.corrections
        self.corrections_by_id = {c.id: c for c in ds.corrections}
        self.objections: dict[tuple[str, str], list] = defaultdict(list)
        for o in sorted(ds.objections, key=lambda o: (o.raised_on, o.id)):
            self.objections[(o.branch, o.quarter)].append(o)
        self.events_of_member: dict[str, list[Event]] = defaultdict(list)
        for e in sorted(ds.events, key=lambda e: (e.date, e.id)):
            self.events_of_member[e.member].append(e)
        for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
            member = ds.members.get(event.member)
            if member is not None and rule is not None:
                self.by_month[(branch_on(ds, member, event.date), event.date[:7])].append(
                    (event, rule))

    def base(self, page: str) -> dict[str, object]:
        return {"committee": self.org.committee, "as_of": self.as_of, "page": page,
                "internal": self.internal}

    # --- pages --------------------------------------------------------------------------------

    def plan(self) -> list[Page]:
        self.home()
        self.rules()
        self.add("branches/index.md", "branches.md.j2", "各党支部",
                 branches=self._branch_list())
        for branch in self.branches():
            self.branch_page(branch)
        for year in self.years:
            self.year_page(year)
            for quarter in self.quarters(year):
                self.quarter_overview(quarter)
                for branch in self.branches():
                    self.quarter_page(quarter, branch)
            for month in self.months(year):
                for branch in self.branches():
                    self.month_page(year, month, branch)
            if self.as_of >= f"{year}-12-31":
                self.results_page(year)
            for member in sorted(self.ds.members.values(), key=lambda m: m.id):
                if self.in_year(member, year):  # no page for a year before joining
                    self.member_page(member, year)
        if self.provenance is not None:
            self.changes_page()
        if self.internal:
            self.alerts_page()
            for branch in self.branches():
                self.registrar_page(branch)
            self.cases_pages()
        self.pages.sort(key=lambda p: p.path)
        return self.pages

    def add(self, path: str, template: str, title: str, **context: object) -> None:
        self.pages.append(Page(path, template, {**self.base(path), "title": title,
                                                "nav_title": "", **context}, title=title))

    def home(self) -> None:
        year = self.years[-1]
        published = [q for q in self.quarters(year) if q.end <= self.as_of]
        if not published and len(self.years) > 1:
            published = [q for q in self.quarters(self.years[-2]) if q.end <= self.as_of]
        latest = published[-1] if published else None
        self.add("index.md", "index.md.j2", f"{self.org.committee}党务公开栏", nav_title="首页",
                 year=year, years=list(reversed(self.years)),
                 latest=None if latest is None else {"name": latest.name,
                                                      "link": f"{latest.slug}/index.md"},
                 branches=self._branch_list(), policy=self.ds.policy)

    def _branch_list(self) -> list[dict[str, object]]:
        return [{"id": b.id, "name": b.name, "kind": BRANCH_KIND_NAMES[b.kind],
                 "general_branch": self.org.general_branches.get(b.general_branch or "", ""),
                 "link": f"branches/{b.id}.md", "members": len(self.members_of(b.id))}
                for b in self.branches()]

    def rules(self) -> None:
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
                        "veto": code in self.ds.policy.veto_rules,
                        "attendance": rule.attendance is not None,
                        "period": rule.period() if (rule.start or rule.until) else "",
                        "text": rule.text})
            catalogues.append({"title": catalogue.title, "rules": rules,
                               "applies_to": [BRANCH_KIND_NAMES[k] for k in catalogue.applies_to]})
        self.add("rules.md", "rules.md.j2", "积分标准与政策", catalogues=catalogues,
                 policy=self.ds.policy, indicators=INDICATORS)

    def branch_page(self, branch: Branch) -> None:
        year = self.years[-1]
        current = self.standing(year, self.cutoff(f"{year}-12-31"))
        rows = [self._row(current[m.id], year) for m in self.members_of(branch.id)]
        self.add(f"branches/{branch.id}.md", "branch.md.j2", branch.name,
                 branch={"id": branch.id, "name": branch.name,
                         "kind": BRANCH_KIND_NAMES[branch.kind],
                         "general_branch": self.org.general_branches.get(
                             branch.general_branch or "", "")},
                 year=year, rows=rows,
                 quarters=[{"name": q.name, "link": f"{q.slug}/{branch.id}.md"}
                           for y in reversed(self.years) for q in reversed(self.quarters(y))],
                 months=[{"name": f"{y}年{m}月", "link": f"{y}/m{m:02d}/{branch.id}.md"}
                         for y in reversed(self.years) for m in reversed(self.months(y))])

    def _row(self, s: Standing, year: int) -> dict[str, object]:
        return {**member_row(s, year), "flags": flag_names(self.shown(s.flags))}

    def shown(self, flags: tuple[str, ...]) -> tuple[str, ...]:
        """The flags a page may show. The year-end consequences (优秀党员候选, 取消预备党员
        资格, 不列为发展对象, 暂缓转入) are for the 党工委 to decide on: the public site
        shows its decisions (the results page), never the candidate lists."""
        if self.internal:
            return flags
        return tuple(f for f in flags if f not in YEAR_END_FLAGS)

    def year_page(self, year: int) -> None:
        self.add(f"{year}/index.md", "year.md.j2", f"{year}年度",
                 year=year, closed=self.as_of >= f"{year}-12-31",
                 quarters=[{"name": q.name, "link": f"q{q.number}/index.md",
                            "provisional": not self.all_closed(q)}
                           for q in self.quarters(year)],
                 months=[{"name": f"{month}月", "links": [
                     {"name": b.name, "link": f"m{month:02d}/{b.id}.md"}
                     for b in self.branches()]} for month in self.months(year)],
                 results="results.md" if self.as_of >= f"{year}-12-31" else "")

    def quarter_overview(self, q: Quarter) -> None:
        date = self.cutoff(q.end)
        now = self.standing(q.year, date)
        summary = []
        for b in self.branches():
            members = self.members_at(b.id, date)
            scores = [now[m.id].score for m in members]
            scored = [s for s in scores if s is not None]
            close = self.closed(q, b.id)
            summary.append({"name": b.name, "link": f"{q.slug}/{b.id}.md", "members": len(scores),
                            "closed": close.meeting if close else "",
                            "average": round(sum(scored) / len(scored), 1) if scored else None,
                            "laggards": sum(1 for m in members
                                            if "laggard" in now[m.id].flags)})
        provisional = not self.all_closed(q)
        self.add(f"{q.slug}/index.md", "quarter_overview.md.j2",
                 f"{q.name}积分通报" + ("（暂定）" if provisional else ""),
                 quarter={"name": q.name, "end": date, "provisional": provisional,
                          "ended": q.end <= self.as_of},
                 branches=summary)

    def quarter_page(self, q: Quarter, branch: Branch) -> None:
        date = self.cutoff(q.end)
        now, table = self.quarter_table(q, branch.id)
        rows = [{**r, "flags": flag_names(self.shown(now[r["id"]].flags))} for r in table]
        close = self.closed(q, branch.id)
        title = f"{branch.name} {q.name}积分通报" + ("" if close else "（暂定）")
        chart = _distribution([r["score"] for r in table])
        context = {"branch": {"id": branch.id, "name": branch.name}, "rows": rows,
                   "quarter": {"name": q.name, "end": date, "provisional": close is None,
                               "ended": q.end <= self.as_of,
                               "meeting": close.meeting if close else "",
                               "window": list(close.window) if close else []},
                   "corrections": self._corrections_of(q, close),
                   "objections": self._objections_of(q, branch),
                   "indicators": INDICATORS, "chart": f"{branch.id}.svg",
                   "json": f"{branch.id}.json"}
        self.add(f"{q.slug}/{branch.id}.md", "quarter.md.j2", title, **context)
        self.pages.append(Page(f"{q.slug}/{branch.id}.svg", "distribution.svg.j2",
                               {"bins": chart, "title": f"{branch.name} {q.name}积分分布"}))
        self.pages.append(Page(f"{q.slug}/{branch.id}.json", data={
            "branch": branch.id, "year": q.year, "quarter": q.number, "as_of": date,
            "provisional": close is None, "closed_on": close.meeting if close else None,
            "members": [{"id": r["id"], "name": r["name"], "score": r["score"],
                         "rank": r["rank"], "change": r["change"],
                         "flags": list(self.shown(now[r["id"]].flags)),
                         "categories": {c["name"]: {"plus": c["plus"], "minus": c["minus"]}
                                        for c in r["categories"]}} for r in table]}))

    def _corrections_of(self, q: Quarter, close: Close | None) -> list[dict[str, object]]:
        """Corrections, made after the close, of events counted in this quarter."""
        if close is None:
            return []
        rows = []
        for ident in close.counted:
            member = self.ds.members.get(ident)
            if member is None:
                continue
            for event in self.events_of_member.get(ident, ()):
                correction = self.corrected.get(event.id)
                if correction is None or quarter_of(event.date) != q.code or (
                        correction.date > self.as_of):
                    continue
                row: dict[str, object] = {
                    "date": correction.date, "name": member.name,
                    "link": member_link(member, q.year), "event_date": event.date,
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
                   "link": member_link(members[event.member], year), "rule": rule.code,
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
                                          "link": member_link(members[i], year)}
                                         for i in getattr(meeting, key) if i in members]}
                for key, kind in (("absent", "缺席"), ("leave", "请假"), ("late", "迟到"),
                                  ("early", "早退"))]})
        rows.sort(key=lambda r: (r["date"], r["id"]))
        self.add(f"{year}/m{month:02d}/{branch.id}.md", "month.md.j2",
                 f"{branch.name} {year}年{month}月积分登记",
                 branch={"id": branch.id, "name": branch.name}, year=year, month=month,
                 rows=rows, meetings=attendance)

    def member_page(self, member: Member, year: int) -> None:
        # the year's total, with the corrections of it dated in the next January; the
        # page shows the branch and category of that year
        s = self.final(year)[member.id]
        date = min(s.as_of, f"{year}-12-31")
        branch = self.org.branches[s.branch]
        joined = self.ds.membership(member).start
        since = max(f"{year}-01-01", joined or "")  # the base counts from the first day in scope
        cancelled = {e.corrects: e.date for e in s.entries if e.corrects}
        entries = [{"date": e.date, "rule": e.rule, "name": e.name, "category": e.category,
                    "points": e.points, "balance": e.balance, "detail": e.detail,
                    "corrects": self._corrected_line(e), "cancelled": cancelled.get(e.ref, ""),
                    "commit": self._commit(e)} for e in s.entries]
        pending = []
        if self.internal:
            pending = [{"date": e.date, "id": e.id, "rule": e.rule,
                        "status": STATUS_NAMES[e.status or "declared"], "note": e.note or "",
                        "evidence": e.evidence or "", "points": e.points} for e in s.pending]
            for entry, raw in zip(entries, s.entries, strict=True):
                event = self.events_by_id.get(raw.ref) if raw.source == "event" else None
                entry["note"] = event.note or "" if event else ""
                entry["evidence"] = event.evidence or "" if event else ""
                if raw.source == "correction":
                    entry["note"] = self.corrections_by_id[raw.ref].reason
        other_years = [y for y in self.years if y != year and self.in_year(member, y)]
        context = {"member": {"id": member.id, "name": member.name,
                              "category": CATEGORY_NAMES[s.category],
                              "branch": branch.name, "branch_link": f"branches/{branch.id}.md",
                              "posts": list(member.posts)},
                   "year": year, "score": s.score, "flags": flag_names(self.shown(s.flags)),
                   "base": self.ds.policy.base, "since": since, "entries": entries,
                   "pending": pending,
                   "years": [{"year": y, "link": f"{y}.md"} for y in other_years],
                   "provenance": self.provenance is not None,
                   "chart": f"{year}.svg", "json": f"{year}.json"}
        self.add(f"members/{member.id}/{year}.md", "member.md.j2",
                 f"{member.name} {year}年度积分", **context)
        self.pages.append(Page(f"members/{member.id}/{year}.svg", "balance.svg.j2",
                               _balance_chart(year, self.ds.policy.base, s, date, since)))
        self.pages.append(Page(f"members/{member.id}/{year}.json", data={
            "id": member.id, "name": member.name, "branch": s.branch,
            "category": s.category, "year": year, "as_of": date, "score": s.score,
            "flags": list(self.shown(s.flags)),
            "ledger": [{"date": e.date, "rule": e.rule, "points": e.points,
                        "balance": e.balance,
                        **({"corrects": self._corrected_line(e)} if e.corrects else {})}
                       for e in s.entries]}))

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
                                     "pr": found.pull_request}
        if self.internal:
            commit |= {"author": found.author, "subject": found.subject}
        return commit

    def changes_page(self) -> None:
        """变更记录: the latest changes to the data, newest first."""
        assert self.provenance is not None
        rows = []
        for commit in self.provenance.history.commits[:CHANGES_SHOWN]:
            row: dict[str, object] = {"short": commit.short, "date": commit.date,
                                      "author": commit.author, "pr": commit.pull_request}
            if self.internal:
                row["subject"] = commit.subject
            rows.append(row)
        self.add("changes.md", "changes.md.j2", "变更记录", rows=rows, shown=CHANGES_SHOWN)

    def results_page(self, year: int) -> None:
        """积分运用 (``nominations.py``). Public: the 优秀党员 the 党工委 confirmed (before
        that, that the selection is under way) and, for the decision lists, only how many
        members each decision concerned once taken. Internal: the candidates ranked per
        branch with their stage, and the lists with the decisions taken and pending."""
        final = self.final(year)  # January corrections of the year included
        selection = progress(self.ds, year, self.as_of)
        policy = self.ds.policy

        def row(s: Standing) -> dict[str, object]:
            return {**self._row(s, year), "branch": self.org.branches[s.branch].name}

        def ordered(rows: list[Standing]) -> list[Standing]:
            return sorted(rows, key=lambda s: (s.branch, -(s.score or 0), s.member.id))

        confirmed = selection.confirmed
        excellent = None if confirmed is None else {
            "date": confirmed.date,
            "rows": [row(s) for s in ordered([final[i] for i in confirmed.members
                                               if i in final])]}
        decided: dict[tuple[str, str], Decision] = {
            (d.member, d.action): d for d in selection.decisions}
        summary = []
        for action, name in DECISION_NAMES.items():
            taken = [d for (_, a), d in decided.items() if a == action]
            if taken:
                summary.append({"name": name, "count": len(taken),
                                "dates": sorted({d.date for d in taken})})
        listed = {(s.member.id, a) for s in final.values() for a in DECISION_NAMES
                  if a in s.flags}
        lists = []
        if self.internal:
            for action, name in DECISION_NAMES.items():
                rows = []
                for s in ordered([s for s in final.values() if action in s.flags]):
                    d = decided.get((s.member.id, action))
                    rows.append({**row(s), "decided": d.date if d else "",
                                 "note": d.note or "" if d else ""})
                lists.append({"name": name, "rule": list_rule(self.ds, action), "rows": rows})
        share = policy.excellent_share
        self.add(f"{year}/results.md", "results.md.j2", f"{year}年度积分运用结果",
                 year=year, policy=policy, excellent=excellent, decided=summary,
                 pending=bool(listed - decided.keys()),
                 share="" if share is None else f"{share * 100:g}%",
                 candidates=self._candidates(final, selection) if self.internal else [],
                 lists=lists)

    def _candidates(self, final: dict[str, Standing], selection: Progress
                    ) -> list[dict[str, object]]:
        """Internal: each branch's 优秀党员 candidates ranked by score, with their stage."""
        found: list[dict[str, object]] = []
        confirmed = selection.confirmed
        for b in self.branches():
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
                "name": b.name,
                "general_branch": (self.org.general_branches.get(b.general_branch)
                                   or b.general_branch) if b.general_branch else "",
                "nominated": nominated.date if nominated else "",
                "review": review.date if review else "",
                "note": (nominated.note or "") if nominated else "",
                "opinion": (review.note or "") if review else "", "rows": out})
        return found

    def alerts_page(self) -> None:
        """后进预警 (internal): who is below the line now; who was at a quarter's end with
        no case opened; office holders whose posts lapse; cases running late."""
        year = int(self.as_of[:4])
        now = self.standing(year, self.as_of)
        rows = [{**self._row(s, year), "branch": self.org.branches[s.branch].name,
                 "posts": list(s.member.posts)}
                for s in now.values() if "laggard" in s.flags]
        rows.sort(key=lambda r: (r["branch"], r["score"] or 0, r["id"]))
        opened = {(c.member, c.quarter) for c in self.ds.cases}
        uncased: dict[str, dict[str, object]] = {}  # member -> their latest such quarter
        uncased_quarters: dict[str, list[str]] = defaultdict(list)
        posts = []
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
                        posts.append(row)
        late = []
        for case in sorted(self.ds.cases, key=lambda c: c.id):
            for problem in overdue(case, self.as_of):
                member = self.ds.members[case.member]
                late.append({"case": case.id, "link": f"internal/cases/{case.id}.md",
                             "name": member.name, "problem": problem})
        self.add("internal/alerts.md", "alerts.md.j2", "后进党员预警（内部）", rows=rows,
                 uncased=sorted(uncased.values(), key=lambda r: (str(r["branch"]), str(r["id"]))),
                 posts=posts, late=late)

    def cases_pages(self) -> None:
        """后进党员处置 (internal): every case, and each case as a printable 呈报表."""
        rows = []
        for case in sorted(self.ds.cases, key=lambda c: (c.quarter, c.id), reverse=True):
            member = self.ds.members[case.member]
            now = stage(case)
            rows.append({"id": case.id, "link": f"internal/cases/{case.id}.md",
                         "name": member.name, "branch": self.org.branches[case.branch].name,
                         "quarter": case.quarter,
                         "stage": STEP_NAMES.get(now.step, "尚未开始"),
                         "outcome": now.outcome or "进行中", "deadline": deadline(case) or ""})
            self.case_page(case)
        self.add("internal/cases/index.md", "cases.md.j2", "后进党员处置（内部）", rows=rows)

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
                                  + f"；已汇报 {len(rect.reports)} 次"})
        for i, r in enumerate(case.resolutions):
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


def _balance_chart(year: int, base: int, s: Standing, as_of: str, since: str
                   ) -> dict[str, object]:
    """A step line of the balance over the year, from ``since`` (the first day in scope):
    x is the day of the year (a correction dated in the next January on the last)."""
    start = dt.date(year, 1, 1)
    days = (dt.date(year, 12, 31) - start).days + 1
    points = [((dt.date.fromisoformat(since) - start).days, base)]
    for e in s.entries:
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
            "height": height, "title": f"{s.member.name} {year}年积分变化",
            "final": s.score}


def plan(ds: Dataset, as_of: str, internal: bool = False,
         provenance: Provenance | None = None) -> list[Page]:
    """Every page of the bulletin for ``ds`` as of ``as_of``; with ``provenance``, ledger
    lines name the commit that last changed their record, and a 变更记录 page lists the
    latest changes."""
    return Planner(ds, as_of, internal, provenance).plan()
