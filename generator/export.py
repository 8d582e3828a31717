"""Spreadsheets for the office (.xlsx): the quarterly 积分公示表 and the year's results.

``quarter_workbook`` gives one sheet per branch, laid out like the bulletin's quarter
page (the rows come from ``tables.ScoreBook.quarter_table``, as the page's do);
``year_workbook`` gives every member's year score and one sheet per consequence of
section 四(三) of the regulation (the flags of ``score.py``). Both return the bytes
of the file.

These are internal documents, but they hold only what the bulletin shows: no
note, evidence or void reason, and nothing from the private store (phone and ID
numbers; ``private.py`` is not imported here).

The same data gives the same bytes: the document properties and every zip entry
are dated by the as-of date, never by the clock.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from generator.documents import stable_zip, xml_text
from generator.model import BRANCH_KIND_NAMES, CATEGORY_NAMES, INDICATORS, Branch, Dataset
from generator.periods import Quarter, year_closing
from generator.score import FLAG_NAMES, Standing, standings
from generator.tables import QuarterRow, ScoreBook

# Number formats: signed, and signed with zero left blank (as the bulletin shows them).
SIGNED = '+0;-0;0'
SIGNED_OR_BLANK = '+0;-0;""'
# The consequence lists of section 四(三), in the regulation's order: flag -> sheet name.
CONSEQUENCES = ("excellent_candidate", "probation_cancelled", "not_development_target",
                "transfer_postponed")

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="EDEDED")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


# --- the quarterly 积分公示表 --------------------------------------------------------------------

def quarter_workbook(ds: Dataset, q: Quarter, as_of: str, branch: str | None = None) -> bytes:
    """积分公示表 of quarter ``q`` as of ``as_of`` (figures at the quarter's end, or at
    ``as_of`` if earlier): one sheet per branch, or only ``branch``. The data set must
    be valid, the quarter begun by ``as_of`` and ``branch`` (if given) known."""
    planner = ScoreBook(ds, as_of)
    date = planner.cutoff(q.end)
    wb = Workbook()
    wb.remove(wb.active)
    names: set[str] = set()
    for b in planner.branches():
        if branch is not None and b.id != branch:
            continue
        _, rows = planner.quarter_table(q, b.id)
        close = planner.closed(q, b.id)
        status = f"已审定公布（支委会 {close.meeting} 审定）" if close else "暂定"
        if close:
            note = f"公示期 {close.window[0]} 至 {close.window[1]}。"
        elif q.end <= as_of:
            note = "本季度已结束，支委会尚未审定，审定前可能变动。"
        else:
            note = "本季度尚未结束。"
        ws = wb.create_sheet(_sheet_name(b.name, names))
        _quarter_sheet(ws, ds, b, q, date, f"{b.name} {q.name}积分公示表　{status}", note, rows)
    return _save(wb, f"{ds.organization.committee if ds.organization else ''}"
                 f" {q.name}积分公示表", date)


QUARTER_HEAD = ("排名", "姓名", "类别", "季初积分", "本季变化", "季末积分")


def _quarter_sheet(ws: Worksheet, ds: Dataset, branch: Branch, q: Quarter, date: str,
                   title: str, note: str, rows: list[QuarterRow]) -> None:
    width = len(QUARTER_HEAD) + 2 * len(INDICATORS) + 1
    committee = ds.organization.committee if ds.organization else ""
    _title(ws, width, title, f"{committee}　{BRANCH_KIND_NAMES[branch.kind]}　积分截至 {date}。"
           f"{note}排名为本支部内排名；各指标列为本季度登记的加分与扣分。")
    # Two heading rows: indicators span their 加分 and 扣分 columns.
    for col, name in enumerate(QUARTER_HEAD, start=1):
        _put(ws, 3, col, name)
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for i, name in enumerate(INDICATORS):
        col = len(QUARTER_HEAD) + 1 + 2 * i
        _put(ws, 3, col, name)
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 1)
        _put(ws, 4, col, "加分")
        _put(ws, 4, col + 1, "扣分")
    _put(ws, 3, width, "标记")
    ws.merge_cells(start_row=3, start_column=width, end_row=4, end_column=width)
    _heading_style(ws, 3, 4, width)
    for r, row in enumerate(rows, start=5):
        values: list[object] = [row["rank"], row["name"], row["category"], row["start"],
                                row["change"], row["score"]]
        for c in row["categories"]:
            values += [c["plus"], c["minus"]]
        values.append("、".join(row["flags"]))
        _write_row(ws, r, values)
        ws.cell(r, 5).number_format = SIGNED
        for col in range(len(QUARTER_HEAD) + 1, width):
            ws.cell(r, col).number_format = SIGNED_OR_BLANK
    if not rows:
        _put(ws, 5, 1, "本支部没有在册人员。")
    widths = [6, 10, 13, 9, 9, 9] + [7] * (2 * len(INDICATORS)) + [18]
    _finish(ws, widths, rows=len(rows), head_rows=(3, 4))


# --- the year's results ------------------------------------------------------------------------

YEAR_HEAD = ("党支部", "编号", "姓名", "类别", "年度积分", "标记")


def year_workbook(ds: Dataset, year: int) -> bytes:
    """The year's results as of its last day: every member (by branch, then score), and
    one sheet per consequence list of section 四(三). The data set must be valid."""
    assert ds.organization is not None
    org = ds.organization
    end = f"{year}-12-31"
    # the year's total: with the corrections of it dated in the next January
    final = standings(ds, year, year_closing(year), ledgers=False)
    final.sort(key=lambda s: (s.branch, s.score is None, -(s.score or 0), s.member.id))
    wb = Workbook()
    ws = wb.active
    ws.title = "年度积分"
    _title(ws, len(YEAR_HEAD), f"{org.committee} {year}年度党员积分",
           f"积分截至 {end}，共 {len(final)} 人；按党支部、积分从高到低排列。")
    _table(ws, YEAR_HEAD, ([org.branches[s.branch].name, s.member.id, s.member.name,
                            CATEGORY_NAMES[s.category], s.score,
                            "、".join(FLAG_NAMES[f] for f in s.flags)] for s in final),
           [22, 12, 10, 13, 9, 28])
    policy = ds.policy
    explained = {
        "excellent_candidate": f"年度积分 {policy.excellent_at_least} 分以上、未被一票否决的党员，"
        "由党支部初定、党总支初审、党工委认定，按一定比例确定为优秀党员。",
        "probation_cancelled": f"年度积分低于 {policy.probationary_below} 分的预备党员，"
        "取消预备党员资格。",
        "not_development_target": f"年度积分低于 {policy.activist_below} 分的入党积极分子，"
        "不得列为当年的发展对象。",
        "transfer_postponed": f"年度积分低于 {policy.flowing_below} 分的流动党支部党员，"
        "暂缓转入户籍所在村(居)党支部。",
    }
    for flag in CONSEQUENCES:
        listed = [s for s in final if flag in s.flags]
        ws = wb.create_sheet(FLAG_NAMES[flag])
        head: Sequence[str] = YEAR_HEAD[:5]
        widths = [22, 12, 10, 13, 9]
        if flag == "transfer_postponed":
            head = (*head, "拟转入党支部")
            widths.append(22)
        _title(ws, len(head), f"{org.committee} {year}年度 {FLAG_NAMES[flag]}（{len(listed)} 人）",
               explained[flag])
        _table(ws, head, (_consequence_row(ds, s, flag) for s in listed), widths,
               empty="无。")
    return _save(wb, f"{org.committee} {year}年度积分运用结果", end)


def _consequence_row(ds: Dataset, s: Standing, flag: str) -> list[object]:
    assert ds.organization is not None
    branches = ds.organization.branches
    row: list[object] = [branches[s.branch].name, s.member.id, s.member.name,
                         CATEGORY_NAMES[s.category], s.score]
    if flag == "transfer_postponed":
        target = branches.get(s.member.transfer_to or "")
        row.append(target.name if target else "（未填写）")
    return row


# --- layout helpers ----------------------------------------------------------------------------

def _title(ws: Worksheet, width: int, title: str, subtitle: str) -> None:
    _put(ws, 1, 1, title).font = _TITLE
    _put(ws, 2, 1, subtitle)
    for row in (1, 2):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        ws.cell(row, 1).alignment = Alignment(vertical="center", wrap_text=row == 2)
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[2].height = 30


def _put(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """Put a value in a cell. Text is stored as text, always: openpyxl would make a
    formula of a name such as ``=HYPERLINK(...)`` and an error value of ``#N/A``.
    (Text starting with ``+``, ``-`` or ``@`` is inert once stored as text.) Every
    cell of an export is written through here; characters no worksheet can hold (control
    characters) are shown as U+FFFD."""
    cell = ws.cell(row, col)
    if isinstance(value, str):
        cell.value = xml_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _heading_style(ws: Worksheet, first: int, last: int, width: int) -> None:
    for row in range(first, last + 1):
        for col in range(1, width + 1):
            cell = ws.cell(row, col)
            cell.font = _BOLD
            cell.fill = _HEAD_FILL
            cell.border = _BOX
            cell.alignment = _CENTRE


def _write_row(ws: Worksheet, row: int, values: Sequence[object]) -> None:
    for col, value in enumerate(values, start=1):
        cell = _put(ws, row, col, value)
        cell.border = _BOX
        if isinstance(value, int):
            cell.alignment = Alignment(horizontal="right")


def _table(ws: Worksheet, head: Sequence[str], rows: Iterable[Sequence[object]],
           widths: list[int], empty: str = "") -> None:
    """A one-row heading at row 3 and the rows below it."""
    for col, name in enumerate(head, start=1):
        _put(ws, 3, col, name)
    _heading_style(ws, 3, 3, len(head))
    count = 0
    for count, values in enumerate(rows, start=1):
        _write_row(ws, 3 + count, values)
    if not count and empty:
        _put(ws, 4, 1, empty)
    _finish(ws, widths, rows=count, head_rows=(3, 3))
    if count:
        ws.auto_filter.ref = f"A3:{get_column_letter(len(head))}{3 + count}"


def _finish(ws: Worksheet, widths: list[int], rows: int, head_rows: tuple[int, int]) -> None:
    """Column widths (wide enough for the longest text), frozen headings, A4 landscape."""
    spanning = {(m.min_row, m.min_col) for m in ws.merged_cells.ranges
                if m.max_col > m.min_col}  # headings over several columns
    for col, least in enumerate(widths, start=1):
        longest = max((_display_width(ws.cell(r, col).value)
                       for r in range(head_rows[0], head_rows[1] + rows + 1)
                       if (r, col) not in spanning), default=0)
        ws.column_dimensions[get_column_letter(col)].width = max(least, min(longest + 2, 60))
    ws.freeze_panes = ws.cell(head_rows[1] + 1, 1)
    ws.print_title_rows = f"{head_rows[0]}:{head_rows[1]}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _display_width(value: object) -> int:
    """Columns a value takes: CJK characters count double."""
    if value is None:
        return 0
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (≤ 31 characters, none of []:*?/\\), unique in the book."""
    base = _SHEET_FORBIDDEN.sub("_", xml_text(name)).strip("'") or "Sheet"
    candidate, n = base[:31], 1
    while candidate in taken:
        n += 1
        suffix = f"({n})"
        candidate = base[:31 - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


# --- deterministic files -----------------------------------------------------------------------

def _save(wb: Workbook, title: str, date: str) -> bytes:
    """The workbook's bytes, dated ``date`` (00:00) inside and out, whatever the clock."""
    stamp = dt.datetime.fromisoformat(date)
    props = wb.properties
    props.created = props.modified = stamp
    props.creator = props.lastModifiedBy = "jifen"
    props.title = xml_text(title)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: it stamps the clock
    return stable_zip(raw.getvalue(), stamp)
