"""《党员积分制动态量化考评手册》: the member's handbook, from the data.

The regulation: “党工委统一制作下发《……考评手册》，平时由党员自行保管，月度集中考评时上交党支部统一
核实登记。” ``handbook`` gathers, for one member and year, what the printed handbook holds:
a cover (committee, branch, member, category, year), the catalogue in short, one section
per month with the lines registered in it (rule, points, running balance) and blank rows
for the member's own declarations, a box for the branch's monthly 核实 (signature, date),
and a year summary. ``handbook_docx`` lays it out for print (A5 booklet or A4, the
office's choice); the internal site shows the same data as a printable page.

Public facts and blanks only: no note, evidence, void reason, phone or ID number. The
same data gives the same bytes (documents dated by the as-of date).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from generator.documents import stable_zip, xml_text
from generator.model import CATEGORY_NAMES, Dataset, Member
from generator.periods import month_end, year_end
from generator.score import FLAG_NAMES, Entry, Standing, standings

SIZES = ("A5", "A4")
BLANK_ROWS = 3  # rows left for the member's own declarations each month
SOURCES = {"event": "", "meeting": "考勤", "correction": "更正"}


@dataclass(frozen=True, slots=True)
class Line:
    """A registered line of the month: when, which rule, how many points, the balance."""

    date: str
    rule: str
    name: str
    points: int
    balance: int
    note: str  # public: 考勤 (from a meeting), 更正 (a correction), the meeting's title


@dataclass(frozen=True, slots=True)
class Month:
    number: int
    opening: int  # the balance on the month's first day
    closing: int | None  # the balance at its end; None for a month not yet over
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class RuleLine:
    code: str
    kind: str  # 加分 or 扣分
    name: str
    points: str  # "−5", "+2—5"


@dataclass(frozen=True, slots=True)
class Handbook:
    committee: str
    branch: str
    member: str
    member_id: str
    category: str
    year: int
    as_of: str
    base: int
    catalogue: tuple[RuleLine, ...]
    months: tuple[Month, ...]
    score: int | None  # the year's total as of ``as_of``; None: exempt
    flags: tuple[str, ...]  # the flags' Chinese names (public facts of the year)


def _signed(points: int) -> str:
    return f"+{points}" if points > 0 else f"−{-points}" if points < 0 else "0"


def _points(lo: int, hi: int) -> str:
    if lo == hi:
        return _signed(lo)
    if hi <= 0:
        return f"−{-hi}—{-lo}"
    return f"+{lo}—{hi}"


def _line(entry: Entry) -> Line:
    note = SOURCES.get(entry.source, "")
    if entry.source == "meeting":
        note = entry.detail or note
    return Line(entry.date, entry.rule, entry.name, entry.points, entry.balance, note)


def handbook(ds: Dataset, member: Member, year: int, as_of: str,
             standing: Standing | None = None) -> Handbook:
    """The handbook of ``member`` for ``year``, filled in as of ``as_of`` (the data set
    must be valid). ``standing``: the member's, on ``min(as_of, the year's end)``, when
    the caller has scored everyone already (the internal site, for every member)."""
    assert ds.organization is not None
    cutoff = min(as_of, year_end(year))
    if standing is None:
        standing = standings(ds, year, cutoff, only=[member.id])[0]
    kind = ds.branch_kind(member)
    catalogue = ds.catalogue_for(kind) if kind else None
    rules: list[RuleLine] = []
    if catalogue is not None:
        for code, versions in catalogue.versions.items():
            rule = next((v for v in versions if v.in_force(cutoff)), None)
            if rule is None or rule.marks:  # attendance: the branch registers it from meetings
                continue
            lo, hi = rule.bounds
            rules.append(RuleLine(code, "加分" if rule.is_addition else "扣分", rule.name,
                                  _points(lo, hi)))
    months: list[Month] = []
    balance = ds.policy.base
    for number in range(1, 13):
        first, last = f"{year}-{number:02d}-01", month_end(year, number)
        lines = tuple(_line(e) for e in standing.entries if first <= e.date <= last)
        opening = balance
        if lines:
            balance = lines[-1].balance
        months.append(Month(number, opening, balance if last <= cutoff else None, lines))
    return Handbook(
        committee=ds.organization.committee,
        branch=ds.organization.branches[member.branch].name,
        member=member.name, member_id=member.id,
        category=CATEGORY_NAMES[member.category], year=year, as_of=cutoff,
        base=ds.policy.base, catalogue=tuple(rules), months=tuple(months),
        score=standing.score, flags=tuple(FLAG_NAMES[f] for f in standing.flags))


def handbook_docx(book: Handbook, *, size: str = "A5") -> bytes:
    """The handbook as a Word document (A5 booklet pages or A4), dated by its as-of date
    inside and out: the same data gives the same bytes."""
    from docx import Document  # python-docx, loaded only when a document is made
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    assert size in SIZES
    width, height = (Mm(148), Mm(210)) if size == "A5" else (Mm(210), Mm(297))
    margin = Mm(15) if size == "A5" else Mm(22)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = width, height
    section.left_margin = section.right_margin = margin
    section.top_margin = section.bottom_margin = margin
    normal = doc.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(10 if size == "A5" else 11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    stamp = dt.datetime.fromisoformat(book.as_of + "T00:00:00")
    doc.core_properties.created = doc.core_properties.modified = stamp
    doc.core_properties.title = "党员积分制动态量化考评手册"
    doc.core_properties.author = ""
    doc.core_properties.last_modified_by = ""

    def heading(text: str, points: int) -> None:
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(xml_text(text))
        run.bold = True
        run.font.size = Pt(points)
        run.font.name = "黑体"
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")

    def table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        grid = doc.add_table(rows=1 + len(rows), cols=len(head))
        grid.style = "Table Grid"
        for col, text in enumerate(head):
            grid.cell(0, col).text = text
        for r, row in enumerate(rows, start=1):
            for col, text in enumerate(row):
                grid.cell(r, col).text = xml_text(text)

    # cover
    for _ in range(4):
        doc.add_paragraph()
    heading(book.committee, 14)
    heading("党员积分制动态量化考评手册", 20)
    heading(f"{book.year} 年度", 14)
    for _ in range(3):
        doc.add_paragraph()
    for label, value in (("党支部", book.branch), ("姓　名", book.member),
                         ("编　号", book.member_id), ("类　别", book.category)):
        paragraph = doc.add_paragraph(f"{label}：{xml_text(value)}")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # the catalogue in short
    heading("积分标准（摘要）", 13)
    doc.add_paragraph(f"基础分 {book.base} 分，积分上不封顶，扣分后最低为 0 分。组织生活考勤"
                      "（缺席、请假、迟到早退）由党支部按会议登记。加分须有书面依据，"
                      "经个人申报、支部核实、公示登记，报党工委审定。")
    table(("编号", "类别", "事项", "分值"),
          [(r.code, r.kind, r.name, r.points) for r in book.catalogue])

    # one section per month
    for month in book.months:
        doc.add_section(WD_SECTION.NEW_PAGE)
        heading(f"{book.year}年{month.number}月", 13)
        doc.add_paragraph(f"月初积分：{month.opening}")
        rows = [(line.date[5:], line.rule, line.name + (f"（{line.note}）" if line.note else ""),
                 _signed(line.points), str(line.balance)) for line in month.lines]
        rows += [("", "", "", "", "")] * BLANK_ROWS
        table(("日期", "规则", "事项（本人申报请写明依据）", "分值", "余额"), rows)
        closing = "" if month.closing is None else str(month.closing)
        doc.add_paragraph(f"月末积分：{closing}")
        doc.add_paragraph("党支部核实：登记人签名＿＿＿＿＿＿　日期＿＿＿年＿＿月＿＿日")

    # the year
    doc.add_section(WD_SECTION.NEW_PAGE)
    heading(f"{book.year} 年度积分", 13)
    score = "暂不列入积分制管理" if book.score is None else str(book.score)
    done = book.as_of == year_end(book.year)
    doc.add_paragraph(("年度积分：" if done else f"积分（截至 {book.as_of}）：") + score)
    if book.flags:
        doc.add_paragraph("标记：" + "、".join(book.flags))
    doc.add_paragraph("党支部审核意见：")
    for _ in range(3):
        doc.add_paragraph()
    doc.add_paragraph("党支部书记签名＿＿＿＿＿＿　（盖章）　＿＿＿年＿＿月＿＿日")
    for extra in doc.sections[1:]:
        extra.page_width, extra.page_height = width, height
        extra.left_margin = extra.right_margin = margin
        extra.top_margin = extra.bottom_margin = margin
    out = io.BytesIO()
    doc.save(out)
    return stable_zip(out.getvalue(), stamp)
