"""《考评手册》 and 督导检查: the member's handbook and the office's supervision of the branches."""

from __future__ import annotations

import io
import json
import zipfile

from docx import Document

from generator.handbook import handbook, handbook_docx
from generator.supervise import supervise
from tests.support import DataDir, event, events_file, run

TODAY = "2026-01-15"


def _committee(data: DataDir) -> None:
    data.member("m01", name="张一")
    data.meetings("meetings:\n"
                  "  - {id: mt-01, branch: b-a, date: 2025-01-10, title: 1月主题党日, absent: [m01]}\n"
                  "  - {id: mt-03, branch: b-a, date: 2025-03-10, title: 3月主题党日}\n")
    data.events(events_file(event("e1", "K7", "2025-03-05", points=-3, note="迟到早退说明")),
                name="b-a/2025-03.yaml")
    data.additions(events_file(event("a1", "J3", "2025-03-20", evidence="志愿服务签到表")))


def test_the_handbook_has_every_month_with_its_lines_and_balances(data: DataDir) -> None:
    _committee(data)
    ds, _ = data.check(TODAY)
    book = handbook(ds, ds.members["m01"], 2025, TODAY)
    assert (book.member, book.branch, book.category, book.year) == ("张一", "甲公司党支部", "正式党员",
                                                                    2025)
    assert len(book.months) == 12
    january, february, march = book.months[:3]
    assert (january.opening, january.closing, [(x.rule, x.points, x.balance, x.note)
                                                for x in january.lines]) == (
        80, 75, [("K1.1", -5, 75, "1月主题党日")])
    assert (february.opening, february.closing, february.lines) == (75, 75, ())
    assert [(x.rule, x.points, x.balance) for x in march.lines] == [("K7", -3, 72), ("J3", 2, 74)]
    assert book.score == 74
    # the catalogue in short leaves out what the branch registers from meetings
    codes = [r.code for r in book.catalogue]
    assert "K7" in codes and "J3" in codes and "K1.1" not in codes


def test_the_handbook_docx_is_the_same_bytes_and_holds_no_private_text(data: DataDir) -> None:
    _committee(data)
    ds, _ = data.check(TODAY)
    book = handbook(ds, ds.members["m01"], 2025, TODAY)
    first, second = handbook_docx(book), handbook_docx(handbook(ds, ds.members["m01"], 2025,
                                                                TODAY))
    assert first == second
    text = "\n".join(p.text for p in Document(io.BytesIO(first)).paragraphs)
    tables = "\n".join(c.text for t in Document(io.BytesIO(first)).tables
                       for r in t.rows for c in r.cells)
    assert "党员积分制动态量化考评手册" in text and "2025年3月" in text
    assert "K7" in tables and "72" in tables
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        xml = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    for private in ("迟到早退说明", "志愿服务签到表"):  # a note and an evidence
        assert private not in xml
    a4 = Document(io.BytesIO(handbook_docx(book, size="A4")))
    assert round(a4.sections[0].page_width.mm) == 210
    assert round(Document(io.BytesIO(first)).sections[0].page_width.mm) == 148


def test_supervision_names_each_gap_with_its_figure_and_due_date(data: DataDir) -> None:
    _committee(data)
    ds, _ = data.check(TODAY)
    report = supervise(ds, TODAY)
    mine = [(f.kind, f.period, f.due) for f in report.findings if f.branch == "b-a"]
    assert ("meeting", "2025-02", "2025-02-28") in mine
    assert ("registration", "2025-02", "2025-02-28") in mine
    assert ("meeting", "2025-01", "2025-01-31") not in mine
    assert ("close", "2025-Q1", "2025-04-30") in mine  # not closed within 30 days
    assert ("close", "2025-Q4", "2026-01-30") not in mine  # not yet due on 2026-01-15
    assert ("registrars", "", "") in mine
    summary = next(s for s in report.summaries if s.branch == "b-a")
    assert summary.months == 12 and summary.counts["meeting"] == 10


# --- the commands ---------------------------------------------------------------------------------

def test_jifen_handbook_for_a_member_by_name_and_for_a_branch(data: DataDir, tmp_path) -> None:
    _committee(data)
    data.member("m02", name="李二")
    one = tmp_path / "手册.docx"
    done = run("handbook", "张一", "--year", "2025", "--out", str(one), "--data", str(data.root),
               "--today", TODAY, "--no-cache")
    assert done.code == 0, done.stderr
    assert "已生成" in done.stdout and one.is_file()
    folder = tmp_path / "b-a"
    done = run("handbook", "--branch", "b-a", "--year", "2025", "--size", "A4", "--out",
               str(folder), "--data", str(data.root), "--today", TODAY, "--no-cache")
    assert done.code == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["2025-m01-张一.docx", "2025-m02-李二.docx"]
    done = run("handbook", "--year", "2025", "--out", str(one), "--data", str(data.root),
               "--today", TODAY, "--no-cache")
    assert done.code == 2 and "二者选一" in done.stderr


def test_jifen_supervise_lists_the_gaps_as_text_and_json(data: DataDir) -> None:
    _committee(data)
    done = run("supervise", "--branch", "b-a", "--data", str(data.root), "--today", TODAY,
               "--no-cache")
    assert done.code == 0, done.stderr
    assert "当月没有召开主题党日" in done.stdout and "2025-02" in done.stdout
    assert "各党支部汇总" in done.stdout
    done = run("supervise", "--format", "json", "--data", str(data.root), "--today", TODAY,
               "--no-cache")
    report = json.loads(done.stdout)
    assert {"branch": "b-a", "kind": "meeting", "what": "当月没有召开主题党日", "period": "2025-02",
            "due": "2025-02-28", "detail": "2025年2月无会议记录"} in report["findings"]
    assert {b["branch"] for b in report["branches"]} == {"b-a", "b-b", "b-flow", "b-v1", "b-edu"}
