"""Diff: what a change to the data does, for the reviewer of a pull request.

``compare`` takes two validated revisions (base and head) and reports the records
added, changed, voided or removed; for every year whose records the change touches
(``touched_years``), every member whose standing in it changes (the year's score
and the score at its last published quarter, flags gained and lost); changes to the
rule catalogue or the policy; and the errors the change introduces.
``markdown`` renders it for a pull-request comment (all data escaped); ``text`` for a
terminal (plain text, aligned tables, no character references; control characters
shown as ``[U+001B]``); ``as_json`` for tools. ``labels`` are the tags a forge workflow can set.

The report (``Report``) is plain data: the records changed, and one ``YearSection``
per year, oldest first, each with its as-of date and its movements. A renderer
loops over ``report.sections``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.errors import Diagnostic
from generator.kinds import DIFF_FIELDS
from generator.model import Correction, Dataset, Event, Member
from generator.periods import Quarter, year_end, year_final
from generator.report import table
from generator.score import FLAG_NAMES, standings
from generator.text import md_escape


@dataclass
class Revision:
    name: str
    dataset: Dataset
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


@dataclass
class Change:
    kind: str  # event, meeting, member, correction, close, objection or nominations
    id: str
    change: str  # "added" | "changed" | "voided" | "removed"
    member: str = ""
    summary: str = ""


@dataclass
class Movement:
    member: str
    name: str
    branch: str
    score: tuple[int | None, int | None]
    quarter: tuple[int | None, int | None] | None
    gained: list[str]
    lost: list[str]


@dataclass
class YearSection:
    """One year of the report: the members whose standing in ``year`` changes, as
    known on ``as_of`` — the year's closing (its end with the corrections of it dated
    in the next January, ``periods.year_closing``) or the report's as-of date,
    whichever is earlier — with the score at ``quarter``, the year's last published
    quarter (by name, "" if none has ended)."""

    year: int
    as_of: str
    quarter: str
    movements: list[Movement] = field(default_factory=list)


@dataclass
class Report:
    """What a change does. ``year`` and ``as_of`` are the comparison's as-of date and its
    year; ``sections`` one per year the change touches (oldest first), each with its
    own as-of date, last published quarter and movements."""

    base: str
    head: str
    year: int
    as_of: str
    records: list[Change] = field(default_factory=list)
    sections: list[YearSection] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # changed rule codes
    policy: list[str] = field(default_factory=list)  # changed policy fields
    introduced: list[Diagnostic] = field(default_factory=list)
    head_valid: bool = True
    base_valid: bool = True

    @property
    def movements(self) -> list[Movement]:
        """Every year's movements, oldest year first."""
        return [m for section in self.sections for m in section.movements]

    @property
    def quarter(self) -> str:
        """The last published quarter of the as-of year, by name ("" if it has no
        section or no quarter has ended)."""
        return next((y.quarter for y in self.sections if y.year == self.year), "")

    @property
    def labels(self) -> list[str]:
        found = []
        if not self.head_valid:
            found.append("数据有错误")
        if any("laggard" in m.gained + m.lost or "excellent_candidate" in m.gained + m.lost
               or "transfer_postponed" in m.gained + m.lost for m in self.movements):
            found.append("跨越分数线")
        if any("vetoed" in m.gained for m in self.movements):
            found.append("一票否决")
        if self.rules:
            found.append("规则变动")
        if self.policy:
            found.append("政策变动")
        if any(r.kind == "close" for r in self.records):
            found.append("季度审定")
        if any(r.kind in ("correction", "objection") for r in self.records):
            found.append("更正或异议")
        if any(r.kind == "nominations" for r in self.records):
            found.append("积分运用")
        return found


def _last_published_quarter(year: int, as_of: str) -> tuple[str, str] | None:
    ended = [(q.end, q.name) for q in Quarter.all_of(year) if q.end <= as_of]
    return ended[-1] if ended else None


def _record_changes(base: Dataset, head: Dataset) -> list[Change]:
    changes: list[Change] = []
    events = {e.id: e for e in (*base.events, *head.events)}
    for kind, old, new in (("event", {e.id: e for e in base.events},
                            {e.id: e for e in head.events}),
                           ("meeting", {m.id: m for m in base.meetings},
                            {m.id: m for m in head.meetings}),
                           ("correction", {c.id: c for c in base.corrections},
                            {c.id: c for c in head.corrections}),
                           ("close", {f"{c.branch} {c.quarter}": c for c in base.closes},
                            {f"{c.branch} {c.quarter}": c for c in head.closes}),
                           ("objection", {o.id: o for o in base.objections},
                            {o.id: o for o in head.objections})):
        fields = DIFF_FIELDS[kind]  # the registry says which fields a reviewer sees
        for ident in sorted(old.keys() | new.keys()):
            a, b = old.get(ident), new.get(ident)
            record = b or a
            member = getattr(record, "member", "") or ""
            if isinstance(record, Correction):
                target = events.get(record.corrects)
                member = record.member or (target.member if target else "")
            if a is None:
                changes.append(Change(kind, ident, "added", member))
            elif b is None:
                changes.append(Change(kind, ident, "removed", member))
            else:
                differ = [f for f in fields if getattr(a, f) != getattr(b, f)]
                if not differ:
                    continue
                voided = (isinstance(a, Event) and isinstance(b, Event)
                          and b.status == "void" and a.status != "void")
                changes.append(Change(kind, ident, "voided" if voided else "changed", member,
                                      "、".join(differ)))
    old_files = {f.relative: f for f in base.nominations.files}
    new_files = {f.relative: f for f in head.nominations.files}
    for ident in sorted(old_files.keys() | new_files.keys()):
        old_file, new_file = old_files.get(ident), new_files.get(ident)
        if old_file is None or new_file is None:
            changes.append(Change("nominations", ident,
                                  "added" if old_file is None else "removed"))
            continue
        differ = [n for n in ("nominated", "review", "confirmed", "decisions")
                  if getattr(old_file, n) != getattr(new_file, n)]
        if differ:
            changes.append(Change("nominations", ident, "changed", "", "、".join(differ)))
    old_members, new_members = base.members, head.members
    for ident in sorted(old_members.keys() | new_members.keys()):
        old_member, new_member = old_members.get(ident), new_members.get(ident)
        if old_member is None:
            changes.append(Change("member", ident, "added", ident))
        elif new_member is None:
            changes.append(Change("member", ident, "removed", ident))
        elif _member_fields(old_member) != _member_fields(new_member):
            differ = [k for k, v in _member_fields(old_member).items()
                      if _member_fields(new_member)[k] != v]
            changes.append(Change("member", ident, "changed", ident, "、".join(differ)))
    return changes


def _member_fields(member: object) -> dict[str, object]:
    names = ("name", "branch", "category", "gender", "joined", "education", "posts",
             "transfer_to", "exempt", "joined_on", "categories", "branches", "left")
    return {n: getattr(member, n) for n in names}


def _rule_changes(base: Dataset, head: Dataset) -> list[str]:
    def versions(ds: Dataset) -> dict[str, list[tuple]]:
        found: dict[str, list[tuple]] = {}
        for catalogue in ds.catalogues:
            for code, rules in catalogue.versions.items():
                found.setdefault(code, []).extend(
                    (catalogue.id, r.name, r.category, r.kind, r.points, r.range,
                     r.consecutive_points, r.limit, r.attendance, r.start, r.until)
                    for r in rules)
        return found

    old, new = versions(base), versions(head)
    return sorted(code for code in old.keys() | new.keys() if old.get(code) != new.get(code))


def _policy_changes(base: Dataset, head: Dataset) -> list[str]:
    names = ("base", "floor", "cap", "laggard_below", "laggard_inclusive",
             "excellent_at_least", "probationary_below", "activist_below", "flowing_below",
             "veto_rules", "excellent_share")
    return [n for n in names if getattr(base.policy, n) != getattr(head.policy, n)]


def compare(base: Revision, head: Revision, *, as_of: str, year: int | None = None) -> Report:
    """What the change from ``base`` to ``head`` does, as of ``as_of`` (the comparison's
    day: usually today). Every year the change touches gets a section (``year``: that
    year only, as before); a year before ``as_of``'s is scored to its closing."""
    report = Report(base.name, head.name, int(as_of[:4]), as_of,
                    head_valid=not head.errors, base_valid=not base.errors)
    old_errors = {(d.path, d.code, d.message) for d in base.errors}
    report.introduced = [d for d in head.errors if (d.path, d.code, d.message) not in old_errors]
    report.records = _record_changes(base.dataset, head.dataset)
    if not (report.head_valid and report.base_valid):
        return report
    report.rules = _rule_changes(base.dataset, head.dataset)
    report.policy = _policy_changes(base.dataset, head.dataset)
    years = [year] if year is not None else touched_years(
        base.dataset, head.dataset, report.year, bool(report.rules or report.policy))
    report.sections = [_section(base.dataset, head.dataset, y, year_final(y, as_of))
                       for y in years]
    return report


def _section(base: Dataset, head: Dataset, year: int, as_of: str) -> YearSection:
    """The members whose standing in ``year`` (as known on ``as_of``) changes."""
    quarter = _last_published_quarter(year, min(as_of, year_end(year)))
    section = YearSection(year, as_of, quarter[1] if quarter else "")
    before = {s.member.id: s for s in standings(base, year, as_of)}
    after = {s.member.id: s for s in standings(head, year, as_of)}
    q_before = q_after = None
    if quarter:
        q_before = {s.member.id: s for s in standings(base, year, quarter[0], ledgers=False)}
        q_after = {s.member.id: s for s in standings(head, year, quarter[0], ledgers=False)}
    org = head.organization
    for ident in sorted(before.keys() | after.keys()):
        a, b = before.get(ident), after.get(ident)
        score = (a.score if a else None, b.score if b else None)
        flags_a, flags_b = set(a.flags if a else ()), set(b.flags if b else ())
        q = None
        if q_before is not None and q_after is not None:
            qa, qb = q_before.get(ident), q_after.get(ident)
            q = (qa.score if qa else None, qb.score if qb else None)
        if score[0] == score[1] and flags_a == flags_b and (q is None or q[0] == q[1]):
            continue
        standing = b or a
        assert standing is not None  # the ident came from one side or the other
        branch = org.branches[standing.branch].name if org and standing.branch in org.branches \
            else standing.branch
        section.movements.append(Movement(
            ident, standing.member.name, branch, score, q,
            sorted(flags_b - flags_a), sorted(flags_a - flags_b)))
    return section


def touched_years(base: Dataset, head: Dataset, current: int, everything: bool) -> list[int]:
    """The years whose records differ between ``base`` and ``head``, up to ``current``
    (the as-of year): a record's date and, for a correction, the date of what it
    corrects; a close's, an objection's or a nomination file's year; the dates of a
    member's file that changed (their category or branch without dates: ``current``).
    ``current`` too when ``everything`` (rules or policy changed: every year is scored
    by them) or when nothing dated changed."""
    found: set[int] = set()
    for old, new in _dated_records(base, head):
        if old != new:
            found.update(int(d[:4]) for d in _dates(old) | _dates(new))
    for ident in base.members.keys() | head.members.keys():
        a, b = base.members.get(ident), head.members.get(ident)
        if a != b:
            dated = _member_dates(a) ^ _member_dates(b)
            found.update(int(d[:4]) for d in dated)
            if not dated or (a and b and (a.category, a.branch, a.name, a.exempt) != (
                    b.category, b.branch, b.name, b.exempt)):
                found.add(current)
    found = {y for y in found if y <= current}
    if everything or not found:
        found.add(current)
    return sorted(found)


def _dated_records(base: Dataset, head: Dataset) -> list[tuple[object, object]]:
    """Pairs (base, head) of every record that has dates, by kind and id (None: absent)."""
    pairs: list[tuple[object, object]] = []
    kinds: list[tuple[dict[object, object], dict[object, object]]]
    targets = {e.id: e.date for e in (*base.events, *head.events)} | {
        m.id: m.date for m in (*base.meetings, *head.meetings)}
    kinds = [
            ({e.id: e for e in base.events}, {e.id: e for e in head.events}),
            ({m.id: m for m in base.meetings}, {m.id: m for m in head.meetings}),
            ({c.id: (c, targets.get(c.corrects)) for c in base.corrections},
             {c.id: (c, targets.get(c.corrects)) for c in head.corrections}),
            ({(c.branch, c.quarter): c for c in base.closes},
             {(c.branch, c.quarter): c for c in head.closes}),
            ({o.id: o for o in base.objections}, {o.id: o for o in head.objections}),
            ({f.relative: f for f in base.nominations.files},
             {f.relative: f for f in head.nominations.files})]
    for old_records, new_records in kinds:
        for key in old_records.keys() | new_records.keys():
            pairs.append((old_records.get(key), new_records.get(key)))
    return pairs


def _dates(record: object) -> set[str]:
    """The dates by which a record belongs to a year (none for None)."""
    if record is None:
        return set()
    if isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], Correction):
        correction, target = record  # a correction and the date of what it corrects
        return {target} if target else {correction.date}
    quarter = getattr(record, "quarter", None)
    if isinstance(quarter, str):
        return {quarter[:4] + "-01-01"}
    year = getattr(record, "year", None)
    if isinstance(year, int):
        return {f"{year}-01-01"}
    date = getattr(record, "date", None)
    return {date} if isinstance(date, str) else set()


def _member_dates(member: Member | None) -> set[str]:
    """The dates of a member's file: its history and exemption (as values to compare)."""
    if member is None:
        return set()
    found = {day for day, _ in member.categories} | {day for day, _ in member.branches}
    found |= {d for d in (member.joined_on, member.left.date if member.left else None)
              if d is not None}
    if member.exempt is not None:
        found |= {d for d in (member.exempt.start, member.exempt.until) if d is not None}
    return found


_CHANGE_NAMES = {"added": "新增", "changed": "修改", "voided": "作废", "removed": "删除"}
_KIND_NAMES = {"event": "积分登记", "meeting": "组织生活", "member": "党员档案",
               "correction": "更正", "close": "季度审定", "objection": "异议",
               "nominations": "优秀党员评选和积分运用决定"}


def _arrow(pair: tuple[int | None, int | None]) -> str:
    def one(v: int | None) -> str:
        return "—" if v is None else str(v)

    return one(pair[0]) if pair[0] == pair[1] else f"{one(pair[0])} → {one(pair[1])}"


# The comment is rendered by the forge, which does more than Markdown: it turns "@name"
# into a mention (a notification), "#12"/"!12" into links to issues and merge requests,
# URLs and "www." into links (after character references are decoded, so "&#64;" does
# not help), and it shows bidirectional controls and zero-width characters unchanged,
# which can reorder or hide text. Data therefore gets visible, harmless stand-ins: the
# full-width forms of "@", "#" and "!" (ordinary punctuation in Chinese text), a
# full-width colon in "://" and a full-width stop after "www", and "[U+202E]" for each
# invisible control character.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_NO_LINKS = str.maketrans({"@": "＠", "#": "＃", "!": "！"})
_SCHEME = re.compile(r"://")
_WWW = re.compile(r"(?i)(www)\.")


def _defused(value: object) -> str:
    """``value`` as text that cannot mention, reference, link or reorder anything."""
    text = "" if value is None else str(value)
    text = _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
    return _WWW.sub(r"\1．", _SCHEME.sub("：//", text.translate(_NO_LINKS)))


def md_text(value: object) -> str:
    """Data as Markdown text for the comment (also safe in a table cell)."""
    if isinstance(value, bool | int | float):
        return md_escape(value)
    return md_escape(_defused(value))


def md_code(value: object) -> str:
    """Data as a Markdown code span: shown literally, so no character references; a
    backtick or a line break cannot end it."""
    text = " ".join(_defused(value).replace("`", "'").split())
    return f"`{text}`"


def markdown(report: Report) -> str:
    """The report as a pull-request comment. Names and texts from data are escaped."""
    e = md_text
    years = "；".join(f"{y.year} 年度，截至 {y.as_of}" + (
        f" · 上一次季通报：{y.quarter}" if y.quarter else "") for y in report.sections)
    lines = ["## 积分变动说明（jifen diff）", "",
             f"比较：{md_code(report.base)} → {md_code(report.head)} · "
             + (years or f"截至 {report.as_of}"), ""]
    if report.labels:
        lines += ["标签：" + "、".join(f"**{label}**" for label in report.labels), ""]
    if not report.head_valid:
        lines += ["### ❌ 修改后的数据有错误，不能合并", ""]
        lines += [f"- {md_code(f'{d.path}:{d.line}:{d.col}')} {d.code} {e(d.message)}"
                  for d in (report.introduced or [])]
        if not report.introduced:
            lines.append("（错误在修改前已经存在。）")
        lines.append("")
    if report.records:
        counts = {c: sum(1 for r in report.records if r.change == c) for c in _CHANGE_NAMES}
        lines += ["### 数据变动", "",
                  "，".join(f"{_CHANGE_NAMES[c]} {n} 项" for c, n in counts.items() if n), "",
                  "| 类别 | 编号 | 党员 | 变动 | 修改的字段 |", "|---|---|---|---|---|"]
        lines += [f"| {_KIND_NAMES[r.kind]} | {e(r.id)} | {e(r.member)} | "
                  f"{_CHANGE_NAMES[r.change]} | {e(r.summary)} |" for r in report.records]
        lines.append("")
    for section in report.sections:
        if not section.movements:
            continue
        quarter_head = f" {section.quarter}" if section.quarter else ""
        title = "积分和标记的变化" if len(report.sections) == 1 else (
            f"{section.year} 年度积分和标记的变化")
        lines += [f"### {title}", "",
                  f"| 党员 | 党支部 | {section.year} 年度积分 |{quarter_head}积分 | 新增标记 | "
                  "去掉的标记 |",
                  "|---|---|---:|---:|---|---|"]
        for m in section.movements:
            quarter = _arrow(m.quarter) if m.quarter else "—"
            lines.append(f"| {e(m.name)}（{e(m.member)}） | {e(m.branch)} | {_arrow(m.score)} | "
                         f"{quarter} | {'、'.join(FLAG_NAMES[f] for f in m.gained)} | "
                         f"{'、'.join(FLAG_NAMES[f] for f in m.lost)} |")
        lines.append("")
    if not report.movements and report.head_valid and report.base_valid:
        lines += ["没有人的积分或标记因此改变。", ""]
    if report.rules or report.policy:
        lines += ["### 规则与政策", ""]
        if report.rules:
            lines.append("修改的规则：" + "、".join(e(c) for c in report.rules) +
                         "。受影响的人员已列在上表。")
        if report.policy:
            lines.append("修改的政策参数：" + "、".join(report.policy) + "。")
        lines.append("")
    return "\n".join(lines)


def _member_json(m: Movement) -> dict[str, object]:
    return {"id": m.member, "score": list(m.score),
            "quarter_score": list(m.quarter) if m.quarter else None,
            "gained": m.gained, "lost": m.lost}


# What a terminal must never be sent from data: C0 and C1 controls (escape sequences
# could rewrite the screen) and the invisible characters the comment names too.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def plain_text(value: object) -> str:
    """Data as one line of terminal text: shown as written, but for line breaks
    (spaces) and control or invisible characters (``[U+001B]``)."""
    text = re.sub(r"[\r\n\t]+", " ", "" if value is None else str(value))
    return _CONTROL.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def _sections(report: Report) -> list[tuple[int, str, str, list[Movement]]]:
    """(year, as of, last published quarter, movements) for each year the report covers."""
    return [(s.year, s.as_of, s.quarter, s.movements) for s in report.sections]


def text(report: Report) -> str:
    """The report for a terminal: the same sections as ``markdown``, as plain text."""
    t = plain_text
    sections = _sections(report)
    years = "；".join(f"{year} 年度，截至 {as_of}" + (f" · 上一次季通报：{quarter}" if quarter
                                                  else "") for year, as_of, quarter, _ in sections)
    lines = ["积分变动说明（jifen diff）",
             f"比较：{t(report.base)} → {t(report.head)} · {years or '截至 ' + report.as_of}"]
    if report.labels:
        lines.append("标签：" + "、".join(report.labels))
    lines.append("")
    if not report.head_valid:
        lines.append("修改后的数据有错误，不能合并：")
        lines += [f"  {t(d.path)}:{d.line}:{d.col}: {d.code} {t(d.message)}"
                  for d in report.introduced]
        if not report.introduced:
            lines.append("  （错误在修改前已经存在。）")
        lines.append("")
    if report.records:
        counts = {c: sum(1 for r in report.records if r.change == c) for c in _CHANGE_NAMES}
        lines.append("数据变动：" + "，".join(f"{_CHANGE_NAMES[c]} {n} 项"
                                          for c, n in counts.items() if n))
        rows = [[_KIND_NAMES[r.kind], t(r.id), t(r.member), _CHANGE_NAMES[r.change], t(r.summary)]
                for r in report.records]
        lines += ["", table(["类别", "编号", "党员", "变动", "修改的字段"], rows), ""]
    for year, _, quarter, movements in sections:
        if not movements:
            continue
        title = "积分和标记的变化" if len(sections) == 1 else f"{year} 年度积分和标记的变化"
        rows = [[f"{t(m.name)}（{t(m.member)}）", t(m.branch), _arrow(m.score),
                 _arrow(m.quarter) if m.quarter else "—",
                 "、".join(FLAG_NAMES[f] for f in m.gained),
                 "、".join(FLAG_NAMES[f] for f in m.lost)] for m in movements]
        lines += [f"{title}：", "",
                  table(["党员", "党支部", f"{year} 年度积分",
                         f"{quarter}积分" if quarter else "季度积分", "新增标记", "去掉的标记"],
                        rows, {2, 3}), ""]
    if not any(movements for *_, movements in sections) and report.head_valid \
            and report.base_valid:
        lines += ["没有人的积分或标记因此改变。", ""]
    if report.rules or report.policy:
        lines.append("规则与政策：")
        if report.rules:
            lines.append("  修改的规则：" + "、".join(t(c) for c in report.rules) +
                         "。受影响的人员已列在上表。")
        if report.policy:
            lines.append("  修改的政策参数：" + "、".join(report.policy) + "。")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def as_json(report: Report) -> dict[str, object]:
    """The report for tools: ``members`` are every year's (each with its ``year``),
    ``years`` one entry per year the change touches."""
    return {
        "base": report.base, "head": report.head, "year": report.year,
        "as_of": report.as_of, "last_published_quarter": report.quarter or None,
        "head_valid": report.head_valid, "base_valid": report.base_valid,
        "labels": report.labels,
        "records": [{"kind": r.kind, "id": r.id, "change": r.change, "member": r.member,
                     "fields": r.summary.split("、") if r.summary else []}
                    for r in report.records],
        "members": [{"year": y.year, **_member_json(m)}
                    for y in report.sections for m in y.movements],
        "years": [{"year": y.year, "as_of": y.as_of,
                   "last_published_quarter": y.quarter or None,
                   "members": [_member_json(m) for m in y.movements]}
                  for y in report.sections],
        "rules": report.rules, "policy": report.policy,
        "introduced_errors": [d.as_json() for d in report.introduced],
    }
