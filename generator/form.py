"""《后进党员评定呈报表》 (附件3): its fields from a case, and the .docx document.

``form_fields`` gathers every field of the form from the data (and the phone and
ID numbers from the private store, which only the .docx needs); the internal
site's print view and ``laggard_docx`` present the same fields, laid out like
附件3 on A4.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

from generator.documents import stable_zip, xml_text
from generator.model import Case, Dataset
from generator.periods import quarter_bounds
from generator.score import standings

NOTE = ("说明：1. 党支部呈报的对象，意见栏填写参加会议应到支部委员人数，实到支部委员人数，评定情况等；"
        "2. 本表一式两份，支部留存一份，上报工委一份。")
BLANK_DATE = "年    月    日"


@dataclass(frozen=True)
class FormFields:
    name: str
    gender: str
    education: str
    branch: str
    joined: str
    phone: str
    id_number: str
    performance: str
    branch_opinion: str
    branch_signer: str
    branch_date: str
    committee_opinion: str
    committee_date: str
    remarks: str


def chinese_date(date: str | None) -> str:
    """``2025-04-08`` → ``2025年4月8日``; blank date lines for a date not yet known."""
    if not date:
        return BLANK_DATE
    d = dt.date.fromisoformat(date)
    return f"{d.year}年{d.month}月{d.day}日"


def performance(ds: Dataset, case: Case) -> str:
    """后进党员主要表现: the score at the quarter's end and the deductions behind it."""

    end = quarter_bounds(case.quarter)[1]
    standing = standings(ds, int(case.quarter[:4]), end, only=[case.member])[0]
    totals: dict[tuple[str, str], list[int]] = defaultdict(list)
    for entry in standing.entries:
        if entry.points < 0 and entry.source != "correction":
            totals[(entry.rule, entry.name)].append(entry.points)
    items = sorted(totals.items(), key=lambda kv: (sum(kv[1]), kv[0][0]))
    listed = "；".join(f"{name}（{rule}）{len(points)} 次，共 {sum(points)} 分"
                      for (rule, name), points in items)
    return (f"截至 {chinese_date(end)}，{case.quarter[:4]} 年度积分 {standing.score} 分，"
            f"低于 {ds.policy.laggard_below} 分。" + (f"主要扣分：{listed}。" if listed else ""))


EVALUATION_NAMES = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


def rectification_progress(case: Case) -> str:
    """限期整改 and 党支部决议 as recorded so far (附件2 第5、6步), in words: the monthly
    党员测评 results, the application for 转化合格, the 党性教育党支部's reviews."""
    parts: list[str] = []
    rect = case.rectification
    if rect is not None:
        tested = [f"{int(r.month[5:])}月{EVALUATION_NAMES[r.evaluation]}" for r in rect.reports
                  if r.evaluation is not None]
        if tested:
            parts.append("闪光言行考评党员测评：" + "、".join(tested) + "。")
        if rect.application is not None:
            parts.append(f"{chinese_date(rect.application.date)}本人提出转化合格的申请。")
    for res in case.resolutions:
        if res.education_review is not None:
            parts.append(f"{chinese_date(res.education_review.date)}党性教育党支部审核："
                         f"{res.education_review.opinion}")
    return "".join(parts)


def form_fields(ds: Dataset, case: Case, contact: tuple[str, str] | None) -> FormFields:
    """Every field of the form. ``contact`` is (phone, ID number) from the private store;
    None leaves them blank (the internal print view: they are written in by hand)."""
    member = ds.members[case.member]
    org = ds.organization
    branch = org.branches[case.branch].name if org and case.branch in org.branches else ""
    joined = ""
    if member.joined:
        joined = f"{member.joined[:4]}年{int(member.joined[5:7])}月"
    d = case.branch_decision
    review = case.general_review
    opinion = d.opinion if d else ""
    if review is not None:
        opinion += f"\n党总支初审意见（{chinese_date(review.date)}）：{review.opinion}"
    committee = case.committee_review
    remarks = ""
    if d is not None:
        remarks = (f"{chinese_date(d.date)}支部委员会：应到支部委员 {d.expected} 人，"
                   f"实到支部委员 {d.present} 人。评定情况：{d.opinion}")
    progress = rectification_progress(case)
    if progress:
        remarks = "\n".join(filter(None, (remarks, progress)))
    return FormFields(
        name=member.name, gender=member.gender or "", education=member.education or "",
        branch=branch, joined=joined, phone=contact[0] if contact else "",
        id_number=contact[1] if contact else "", performance=performance(ds, case),
        branch_opinion=opinion, branch_signer=d.secretary or "" if d else "",
        branch_date=chinese_date(d.date if d else None),
        committee_opinion=committee.opinion if committee else "",
        committee_date=chinese_date(committee.date if committee else None), remarks=remarks)


def laggard_docx(fields: FormFields, *, created: str) -> bytes:
    """The form as a Word document (A4, laid out like 附件3), dated ``created`` inside
    and out: the same case gives the same bytes."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    normal = doc.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    stamp = dt.datetime.fromisoformat(created + "T00:00:00")
    doc.core_properties.created = doc.core_properties.modified = stamp
    doc.core_properties.title = "后进党员评定呈报表"
    doc.core_properties.author = ""
    doc.core_properties.last_modified_by = ""

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("后进党员评定呈报表")
    run.bold = True
    run.font.size = Pt(18)
    run.font.name = "黑体"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")

    table = doc.add_table(rows=7, cols=6)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Mm(24), Mm(30), Mm(22), Mm(26), Mm(24), Mm(34))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width

    def put(row: int, col: int, text: str, *, to: int | None = None, center: bool = False,
            height: int | None = None) -> None:
        cell = table.cell(row, col)
        if to is not None:
            cell = cell.merge(table.cell(row, to))
        lines = xml_text(text).split("\n")
        cell.paragraphs[0].text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)
        if center:
            for paragraph in cell.paragraphs:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if height is not None:
            table.rows[row].height = Mm(height)

    put(0, 0, "姓名", center=True)
    put(0, 1, fields.name, center=True)
    put(0, 2, "性别", center=True)
    put(0, 3, fields.gender, center=True)
    put(0, 4, "文化程度", center=True)
    put(0, 5, fields.education, center=True)
    put(1, 0, "所在党支部", center=True)
    put(1, 1, fields.branch, to=3)
    put(1, 4, "入党年月", center=True)
    put(1, 5, fields.joined, center=True)
    put(2, 0, "联系电话", center=True)
    put(2, 1, fields.phone, center=True)
    put(2, 2, "身份证号码", center=True)
    put(2, 3, fields.id_number, to=5, center=True)
    put(3, 0, "后进党员\n主要表现", center=True)
    put(3, 1, fields.performance, to=5, height=45)
    put(4, 0, "党(总)支部\n意见", center=True)
    put(4, 1, f"{fields.branch_opinion}\n\n党(总)支部书记签名：{fields.branch_signer}"
              f"\n（盖公章）\n{fields.branch_date}", to=5, height=55)
    put(5, 0, "党工委\n意见", center=True)
    put(5, 1, f"{fields.committee_opinion}\n\n（盖章）\n{fields.committee_date}", to=5,
        height=45)
    put(6, 0, "备注", center=True)
    put(6, 1, fields.remarks, to=5, height=20)
    doc.add_paragraph(NOTE)
    out = io.BytesIO()
    doc.save(out)
    return stable_zip(out.getvalue(), stamp)
