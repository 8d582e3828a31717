"""jifen export: the quarterly 积分公示表 and the year's results as .xlsx, read back."""

from __future__ import annotations

import html
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from generator.model import INDICATORS
from generator.pipeline import check
from generator.site import plan
from tests.support import DataDir, Result, event, events_file, run

TODAY = "2026-02-15"
SECRETS = ("NOTE-SECRET-7f3a", "EVIDENCE-SECRET-91bc", "VOID-SECRET-55de", "DECLARED-SECRET-0a1b",
           "REASON-SECRET-c3d2")
QUARTER_HEAD_1 = ["排名", "姓名", "类别", "季初积分", "本季变化", "季末积分", "政治素质", None,
                  "服务职工", None, "遵纪守法", None, "弘扬正气", None, "群众反映", None, "标记"]
QUARTER_HEAD_2 = [None] * 6 + ["加分", "扣分"] * 5 + [None]


def jifen(*args: str, cwd: Path | None = None) -> Result:
    return run(*args, cwd=cwd)


@pytest.fixture
def committee(data: DataDir) -> DataDir:
    """Two branches over 2025, every consequence of the year, secrets in private fields."""
    data.member("m01", name="张一", posts=["组织委员"])
    data.member("m02", name="李二", category="probationary")
    data.member("m03", name="王三", branch="b-flow", transfer_to="b-v1")
    data.member("m04", name="赵四", exempt={"from": "2025-01-01", "reason": "长期卧床",
                                           "approved_on": "2024-12-20"})
    data.member("m05", name="钱五", category="activist")
    data.member("m06", name="孙六", branch="b-v1")
    data.events(events_file(
        event("e2", "K7", "2025-03-06", member="m02", points=-5, note=SECRETS[0]),
        event("e4", "K7", "2025-08-01", member="m01", points=-3),
    ), name="b-a/2025-03.yaml")
    data.additions(events_file(
        event("e1", "J4", "2025-03-05", points=10, note=SECRETS[0], evidence=SECRETS[1]),
        event("e3", "J3", "2025-03-07", member="m02", status="void", void_reason=SECRETS[2]),
        event("e5", "J3", "2025-12-01", member="m02", status="declared", note=SECRETS[3]),
        event("e7", "J6", "2025-06-10"),
        event("e8", "J6", "2025-11-10"),
    ), name="b-a/2025-03.yaml")
    data.additions(events_file(event("e6", "J6", "2025-05-10", member="m06")),
                   name="b-v1/2025-05.yaml")
    data.meetings("meetings:\n"
                  "  - {id: mt1, branch: b-a, date: 2025-01-10, title: 1月主题党日, leave: [m01]}\n"
                  "  - {id: mt2, branch: b-a, date: 2025-02-10, title: 2月主题党日, leave: [m01],"
                  " late: [m02]}\n")
    data.events(f"corrections:\n  - {{id: cr1, corrects: e2, date: 2025-05-06, reason: "
                f"{SECRETS[4]}}}\nevents: []\n", name="b-a/2025-05.yaml")
    data.close("b-a", "2025-Q1", "2025-04-08", today=TODAY)
    return data


def export(data: DataDir, *args: str, out: Path, today: str = TODAY) -> Result:
    return jifen("export", *args, "--data", str(data.root), "--today", today, "--out", str(out))


def values(ws: openpyxl.worksheet.worksheet.Worksheet, row: int) -> list[object]:
    return [c.value for c in ws[row]]


# --- the quarter ---------------------------------------------------------------------------------

def test_quarter_sheets_match_the_bulletin(committee: DataDir, tmp_path: Path) -> None:
    out = tmp_path / "q1.xlsx"
    done = export(committee, "quarter", "2025-Q1", out=out)
    assert done.code == 0, done.stderr
    assert done.stdout == (f"已导出 {out}：2025年第一季度积分公示表（5 个党支部，数据截至 2025-03-31）。"
                           "内部材料，请勿公开转发。\n")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["甲公司党支部", "乙公司党支部", "党性教育党支部", "企业流动党支部", "某村党支部"]
    ws = wb["甲公司党支部"]
    assert ws["A1"].value == "甲公司党支部 2025年第一季度积分公示表　已审定公布（支委会 2025-04-08 审定）"
    assert ws["A2"].value.startswith("测试党工委　企业党支部　积分截至 2025-03-31。公示期 2025-04-08 至")
    assert values(ws, 3) == QUARTER_HEAD_1
    assert values(ws, 4) == QUARTER_HEAD_2
    # the same rows, in the same order, as the bulletin's quarter page (its JSON twin)
    dataset, _, _ = check(committee.root, today=TODAY)
    page = next(p for p in plan(dataset, TODAY) if p.path == "2025/q1/b-a.json")
    published = page.data["members"]  # type: ignore[index]
    rows = [values(ws, r) for r in range(5, 5 + len(published))]
    assert ws.max_row == 4 + len(published)
    for row, member in zip(rows, published, strict=True):
        assert row[0] == member["rank"]
        assert row[1] == member["name"]
        assert row[4] == member["change"]
        assert row[5] == member["score"]
        assert row[6:16] == [v for c in INDICATORS for v in (member["categories"][c]["plus"],
                                                             member["categories"][c]["minus"])]
    assert rows[0] == [1, "张一", "正式党员", 80, 4, 84, 0, -6, 10, 0, 0, 0, 0, 0, 0, 0, None]
    assert rows[1] == [2, "钱五", "入党积极分子", 80, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None]
    assert rows[2] == [3, "李二", "预备党员", 80, -6, 74, 0, -1, 0, 0, 0, -5, 0, 0, 0, 0, None]
    assert rows[3] == [None, "赵四", "正式党员", 80, None, None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                       "暂不列入"]
    other = wb["某村党支部"]
    assert other["A1"].value == "某村党支部 2025年第一季度积分公示表　暂定"
    assert "本季度已结束，支委会尚未审定" in other["A2"].value


def test_quarter_figures_agree_with_jifen_score(committee: DataDir, tmp_path: Path) -> None:
    out = tmp_path / "q3.xlsx"
    assert export(committee, "quarter", "2025-Q3", "--branch", "b-a", out=out).code == 0
    ws = openpyxl.load_workbook(out).active
    assert ws.title == "甲公司党支部"
    assert ws["A1"].value == "甲公司党支部 2025年第三季度积分公示表　暂定"
    scored = jifen("score", "--data", str(committee.root), "--year", "2025", "--as-of",
                   "2025-09-30", "--branch", "b-a", "--format", "json")
    expected = {m["name"]: m["score"] for m in json.loads(scored.stdout)["members"]}
    got = {ws.cell(r, 2).value: ws.cell(r, 6).value for r in range(5, ws.max_row + 1)}
    assert got == expected
    assert got["张一"] == 80 - 2 - 4 + 10 + 10 - 3  # Q3: K7 (−3) after J4 and J6
    starts = {ws.cell(r, 2).value: (ws.cell(r, 4).value, ws.cell(r, 5).value)
              for r in range(5, ws.max_row + 1)}
    assert starts["张一"] == (94, -3)
    assert starts["李二"] == (79, 0)  # corrected in Q2: 74 + 5


def test_quarter_sheet_layout(committee: DataDir, tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    assert export(committee, "quarter", "2025-Q1", "--branch", "b-a", out=out).code == 0
    ws = openpyxl.load_workbook(out).active
    assert ws.freeze_panes == "A5"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.print_title_rows == "$3:$4"
    assert all(ws.cell(3, c).font.b for c in range(1, 18) if QUARTER_HEAD_1[c - 1])
    assert all(ws.cell(4, c).font.b for c in range(7, 17))  # 加分, 扣分
    assert ws["A1"].font.b
    assert {"G3:H3", "A3:A4", "Q3:Q4", "A1:Q1"} <= {str(r) for r in ws.merged_cells.ranges}
    for letter in "ABCDEFGHIJKLMNOPQ":
        assert ws.column_dimensions[letter].width >= 6, letter
    assert ws.column_dimensions["C"].width >= 14  # 入党积极分子 fits
    assert isinstance(ws["F5"].value, int) and isinstance(ws["E5"].value, int)
    assert ws["E5"].number_format == "+0;-0;0"
    assert ws["H5"].number_format == '+0;-0;""'


# --- the year ------------------------------------------------------------------------------------

def test_year_results(committee: DataDir, tmp_path: Path) -> None:
    out = tmp_path / "2025.xlsx"
    done = export(committee, "year", "2025", out=out)
    assert done.code == 0, done.stderr
    assert done.stdout == f"已导出 {out}：2025 年度积分和积分运用结果。内部材料，请勿公开转发。\n"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["年度积分", "优秀党员候选", "取消预备党员资格", "不列为发展对象", "暂缓转入"]
    ws = wb["年度积分"]
    assert ws["A1"].value == "测试党工委 2025年度党员积分"
    assert ws["A2"].value == "积分截至 2025-12-31，共 6 人；按党支部、积分从高到低排列。"
    assert values(ws, 3) == ["党支部", "编号", "姓名", "类别", "年度积分", "标记"]
    rows = [values(ws, r) for r in range(4, ws.max_row + 1)]
    assert rows == [
        ["甲公司党支部", "m01", "张一", "正式党员", 101, "优秀党员候选"],
        ["甲公司党支部", "m05", "钱五", "入党积极分子", 80, "不列为发展对象"],
        ["甲公司党支部", "m02", "李二", "预备党员", 79, "取消预备党员资格"],
        ["甲公司党支部", "m04", "赵四", "正式党员", None, "暂不列入"],
        ["企业流动党支部", "m03", "王三", "正式党员", 80, "暂缓转入"],
        ["某村党支部", "m06", "孙六", "正式党员", 90, None],
    ]
    scored = jifen("score", "--data", str(committee.root), "--year", "2025", "--format", "json")
    expected = {m["id"]: (m["score"], m["flags"]) for m in json.loads(scored.stdout)["members"]}
    assert len(expected) == len(rows)
    from generator.score import FLAG_NAMES
    for row in rows:
        score, flags = expected[row[1]]
        assert row[4] == score
        assert (row[5] or "") == "、".join(FLAG_NAMES[f] for f in flags)
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:F9"
    assert ws.page_setup.orientation == "landscape"

    def listed(name: str) -> list[list[object]]:
        sheet = wb[name]
        return [values(sheet, r) for r in range(4, sheet.max_row + 1)]

    assert wb["优秀党员候选"]["A1"].value == "测试党工委 2025年度 优秀党员候选（1 人）"
    assert wb["优秀党员候选"]["A2"].value.startswith("年度积分 100 分以上、未被一票否决的党员")
    assert values(wb["优秀党员候选"], 3) == ["党支部", "编号", "姓名", "类别", "年度积分"]
    assert listed("优秀党员候选") == [["甲公司党支部", "m01", "张一", "正式党员", 101]]
    assert listed("取消预备党员资格") == [["甲公司党支部", "m02", "李二", "预备党员", 79]]
    assert listed("不列为发展对象") == [["甲公司党支部", "m05", "钱五", "入党积极分子", 80]]
    assert values(wb["暂缓转入"], 3) == ["党支部", "编号", "姓名", "类别", "年度积分", "拟转入党支部"]
    assert listed("暂缓转入") == [["企业流动党支部", "m03", "王三", "正式党员", 80, "某村党支部"]]


def test_an_empty_consequence_list_says_so(data: DataDir, tmp_path: Path) -> None:
    data.member("m01", name="张一")
    out = tmp_path / "y.xlsx"
    assert export(data, "year", "2025", out=out).code == 0
    wb = openpyxl.load_workbook(out)
    assert wb["优秀党员候选"]["A1"].value == "测试党工委 2025年度 优秀党员候选（0 人）"
    assert wb["优秀党员候选"]["A4"].value == "无。"


# --- determinism and what is left out --------------------------------------------------------------

def test_exports_are_byte_identical(committee: DataDir, tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert export(committee, "year", "2025", out=first).code == 0
    assert export(committee, "year", "2025", out=second, today="2026-03-01").code == 0
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2025, 12, 31, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2025-12-31T00:00:00Z" in core and core.count("2025-12-31T00:00:00Z") == 2
    third, fourth = tmp_path / "c.xlsx", tmp_path / "d.xlsx"
    assert export(committee, "quarter", "2025-Q2", out=third).code == 0
    assert export(committee, "quarter", "2025-Q2", out=fourth).code == 0
    assert third.read_bytes() == fourth.read_bytes()
    with zipfile.ZipFile(third) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2025, 6, 30, 0, 0, 0)}


def test_exports_hold_no_notes_evidence_or_private_numbers(committee: DataDir,
                                                           tmp_path: Path) -> None:
    (committee.root.parent / "private").mkdir()
    (committee.root.parent / "private/members.yaml").write_text(
        'members:\n  - member: m01\n    phone: "13900000001"\n'
        '    id_number: "110101199003070003"\n', "utf-8")
    for args in (("quarter", "2025-Q1"), ("quarter", "2025-Q4"), ("year", "2025")):
        out = tmp_path / f"{args[1]}.xlsx"
        done = export(committee, *args, out=out)
        assert done.code == 0, done.stderr
        with zipfile.ZipFile(out) as archive:
            text = html.unescape("".join(archive.read(n).decode("utf-8")
                                         for n in archive.namelist()))
        assert "张一" in text
        for secret in (*SECRETS, "13900000001", "110101199003070003"):
            assert secret not in text, (args, secret)


# --- errors --------------------------------------------------------------------------------------

def test_invalid_data_writes_nothing(committee: DataDir, tmp_path: Path) -> None:
    committee.member("m09", branch="b-zz")
    out = tmp_path / "q.xlsx"
    done = export(committee, "quarter", "2025-Q1", out=out)
    assert done.code == 1
    assert done.stdout == ""
    assert "E302" in done.stderr and "数据有错误，无法导出；请先改正。" in done.stderr
    assert not out.exists()
    assert export(committee, "year", "2025", out=out).code == 1
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["quarter", "2025-Q5"], "jifen: 季度请写成 YYYY-Qn，例如 2025-Q3：2025-Q5\n"),
    (["quarter", "2025-Q1", "--branch", "b-zz"],
     "jifen: 党支部“b-zz”不存在。请使用 data/organization.yaml 中的编号。\n"),
    (["quarter", "2026-Q2"], "jifen: 2026-Q2 在 2026-02-15 还没有开始，没有可导出的积分。\n"),
    (["quarter", "2025-Q4", "--as-of", "2025-09-30"],
     "jifen: 2025-Q4 在 2025-09-30 还没有开始，没有可导出的积分。\n"),
    (["year", "2026"], "jifen: 2026 年度尚未结束（今天是 2026-02-15），年度积分运用结果在 2026-12-31 "
     "之后才能导出。季度积分请用 jifen export quarter。\n"),
])
def test_bad_arguments_exit_2(committee: DataDir, tmp_path: Path, args: list[str],
                              message: str) -> None:
    out = tmp_path / "x.xlsx"
    done = export(committee, *args, out=out)
    assert (done.code, done.stderr) == (2, message)
    assert not out.exists()


def test_the_output_must_be_an_xlsx_file(committee: DataDir, tmp_path: Path) -> None:
    done = export(committee, "year", "2025", out=tmp_path / "x.csv")
    assert done.code == 2
    assert "输出文件名应以 .xlsx 结尾" in done.stderr
    assert not (tmp_path / "x.csv").exists()


def test_export_help_has_examples() -> None:
    for what in ("quarter", "year"):
        done = jifen("export", what, "--help")
        assert done.code == 0
        assert f"示例：jifen export {what}" in done.stdout


def test_sheet_names_excel_accepts() -> None:
    from generator.export import _sheet_name

    taken: set[str] = set()
    assert _sheet_name("甲公司党支部", taken) == "甲公司党支部"
    assert _sheet_name("甲公司党支部", taken) == "甲公司党支部(2)"
    assert _sheet_name("A/B:C*D?[E]\\F", taken) == "A_B_C_D__E__F"
    long = "某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某党支部"
    first, second = _sheet_name(long, taken), _sheet_name(long, taken)
    assert len(first) == 31 and len(second) == 31 and first != second


# --- text from the data stays text ---------------------------------------------------------------

HOSTILE = {  # what a spreadsheet would run or misread, were it not stored as text
    "committee": "=HYPERLINK(\"http://evil.example/c\",\"党工委\")",
    "b-a": "=1+1",
    "b-flow": "+cmd|' /C calc'!A0",
    "b-v1": "@SUM(1+9)*cmd|' /C calc'!A0",
    "m01": "=HYPERLINK(\"http://evil.example/\",\"张一\")",
    "m02": "-2+3+cmd|' /C calc'!A0",
    "m03": "@SUM(A1:A9)",
    "m05": "#N/A",
    "m06": "=\tDDE(\"cmd\";\"/C calc\";\"!A0\")",
}


def test_text_from_the_data_is_never_a_formula(committee: DataDir, tmp_path: Path) -> None:
    organization = committee.root / "organization.yaml"
    text = organization.read_text("utf-8").replace("测试党工委", json.dumps(HOSTILE["committee"]))
    for branch, name in (("b-a", "甲公司党支部"), ("b-flow", "企业流动党支部"),
                         ("b-v1", "某村党支部")):
        text = text.replace(name, json.dumps(HOSTILE[branch], ensure_ascii=False))
    organization.write_text(text, "utf-8")
    for member in ("m01", "m02", "m03", "m05", "m06"):
        path = next(committee.root.glob(f"members/*/{member}.yaml"))
        path.write_text(path.read_text("utf-8").replace(
            f"name: {path.read_text('utf-8').split('name: ')[1].splitlines()[0]}",
            f"name: {json.dumps(HOSTILE[member], ensure_ascii=False)}"), "utf-8")
    dataset, diagnostics, _ = check(committee.root, today=TODAY)
    assert not [d for d in diagnostics if d.is_error]
    assert dataset.members["m01"].name == HOSTILE["m01"]
    quarter, year = tmp_path / "q.xlsx", tmp_path / "y.xlsx"
    assert export(committee, "quarter", "2025-Q4", out=quarter).code == 0
    assert export(committee, "year", "2025", out=year).code == 0
    for path in (quarter, year):
        with zipfile.ZipFile(path) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
            assert sheets
            for name in sheets:
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name  # no formula at all
                assert 't="e"' not in xml, name  # no error value either
        book = openpyxl.load_workbook(path)
        found = {cell.value: cell.data_type for ws in book.worksheets
                 for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)}
        for key, value in HOSTILE.items():
            if key.startswith("m") or (path == year and key.startswith("b")):  # as they are
                assert found.get(value) == "s", value
            else:  # in titles
                assert any(v.startswith(value) for v in found), value
    listed = openpyxl.load_workbook(year)["暂缓转入"]
    assert [c.value for c in listed[4]][-1] == HOSTILE["b-v1"]  # 拟转入党支部
