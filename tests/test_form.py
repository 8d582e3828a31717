"""`jifen form laggard`: the 《后进党员评定呈报表》 (附件3) as a filled Word document."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from docx import Document

from generator.cli import main
from tests.cases_fixture import laggard_data, write_case
from tests.support import TODAY, DataDir

PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"  # the GB 11643 example number, checksum valid


def private_store(path: Path, member: str = "m01") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'members:\n  - member: {member}\n    phone: "{PHONE}"\n'
                    f'    id_number: "{ID_NUMBER}"\n', "utf-8")
    return path


@pytest.fixture
def case(data: DataDir) -> DataDir:
    laggard_data(data)
    write_case(data, "committee_review")
    return data


def cells(path: Path) -> list[str]:
    """Every distinct cell text of the form's table, in reading order."""
    table = Document(str(path)).tables[0]
    seen: list[str] = []
    for row in table.rows:
        for cell in row.cells:
            if not seen or seen[-1] != cell.text:
                seen.append(cell.text)
    return seen


def test_every_field_of_the_form_is_filled(case: DataDir, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    store = private_store(tmp_path / "secret" / "members.yaml")
    out = tmp_path / "呈报表.docx"
    assert main(["form", "laggard", "case-1", "--data", str(case.root), "--out", str(out),
                 "--private", str(store), "--today", TODAY, "--no-cache"]) == 0
    assert "一式两份" in capsys.readouterr().out
    doc = Document(str(out))
    assert doc.paragraphs[0].text == "后进党员评定呈报表"
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert cells(out) == [
        "姓名", "张一", "性别", "男", "文化程度", "高中",
        "所在党支部", "甲公司党支部", "入党年月", "2012年7月",
        "联系电话", PHONE, "身份证号码", ID_NUMBER,
        "后进党员\n主要表现",
        "截至 2025年3月31日，2025 年度积分 40 分，低于 60 分。"
        "主要扣分：侵占企业集体资产或挪用集体资金（K5）2 次，共 -40 分。",
        "党(总)支部\n意见",
        "经支委会定性分析、集体决议，初定为后进党员。\n党总支初审意见（2025年4月10日）：同意党支部初步意见。"
        "\n\n党(总)支部书记签名：王书记\n（盖公章）\n2025年4月8日",
        "党工委\n意见", "认定为后进党员。\n\n（盖章）\n2025年4月15日",
        "备注", "2025年4月8日支部委员会：应到支部委员 5 人，实到支部委员 4 人。"
        "评定情况：经支委会定性分析、集体决议，初定为后进党员。"]
    assert doc.paragraphs[-1].text.endswith("本表一式两份，支部留存一份，上报工委一份。")
    again = tmp_path / "again.docx"
    assert main(["form", "laggard", "case-1", "--data", str(case.root), "--out", str(again),
                 "--private", str(store), "--today", TODAY, "--no-cache"]) == 0
    assert again.read_bytes() == out.read_bytes()  # the same case, the same bytes
    with zipfile.ZipFile(out) as archive:  # dated by the branch's decision, not the clock
        assert {info.date_time for info in archive.infolist()} == {(2025, 4, 8, 0, 0, 0)}


def test_a_missing_private_store_says_what_to_do(case: DataDir, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "呈报表.docx"
    code = main(["form", "laggard", "case-1", "--data", str(case.root), "--out", str(out),
                 "--private", str(tmp_path / "nowhere.yaml"), "--today", TODAY, "--no-cache"])
    assert code == 1
    err = capsys.readouterr().err
    assert "找不到私密信息文件" in err and "private.example.yaml" in err
    assert "没有生成文件" in err
    assert not out.exists()


def test_a_member_missing_from_the_store_is_named(case: DataDir, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    case.member("m09", name="赵九")
    store = private_store(tmp_path / "members.yaml", member="m09")
    out = tmp_path / "f.docx"
    assert main(["form", "laggard", "case-1", "--data", str(case.root), "--out", str(out),
                 "--private", str(store), "--today", TODAY, "--no-cache"]) == 1
    assert "没有 m01（张一）的联系电话和身份证号码" in capsys.readouterr().err
    assert not out.exists()


def test_an_unknown_case_is_a_usage_error(case: DataDir, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["form", "laggard", "case-9", "--data", str(case.root), "--out",
                 str(tmp_path / "f.docx"), "--today", TODAY]) == 2
    assert "处置案件“case-9”不存在。已有的案件：case-1" in capsys.readouterr().err


FIELD_LIKE = ('{ HYPERLINK "http://evil.example/" }', '=cmd|\' /C calc\'!A0',
              '{DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"}',
              '<w:fldSimple w:instr="HYPERLINK"/>', "@SUM(1+1)", "+1-1")


def test_text_from_the_data_stays_text_in_the_form(case: DataDir, tmp_path: Path) -> None:
    """Word fields (HYPERLINK, DDEAUTO…) come only from field elements, never from text:
    the form has none, whatever the data says. (Control characters, which a document
    cannot hold, never get this far: validation refuses them, E111.)"""
    member = case.root / "members/b-a/m01.yaml"
    member.write_text(member.read_text("utf-8").replace("name: 张一", 'name: "=张一"'),
                      "utf-8")
    path = case.root / "cases/b-a/case-1.yaml"
    opinion = "；".join(FIELD_LIKE)
    path.write_text(path.read_text("utf-8").replace(
        "opinion: 认定为后进党员。", f"opinion: {json.dumps(opinion, ensure_ascii=False)}"),
        "utf-8")
    store = private_store(tmp_path / "secret" / "members.yaml")
    out = tmp_path / "form.docx"
    assert main(["form", "laggard", "case-1", "--data", str(case.root), "--out", str(out),
                 "--private", str(store), "--today", TODAY, "--no-cache"]) == 0
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                tags = {element.tag.rsplit("}", 1)[-1] for element in
                        ElementTree.fromstring(archive.read(name)).iter()}
                assert not tags & {"fldSimple", "fldChar", "instrText", "fldData",
                                   "hyperlink"}, name
    assert cells(out)[1] == "=张一"
    assert cells(out)[cells(out).index("党工委\n意见") + 1].startswith(opinion + "\n")
