"""The year-end selection (积分运用): nominations, the 党工委's confirmation and decisions,
their checks beyond one code each (tests/test_validation.py), and the results page."""

from __future__ import annotations

import pytest

from generator.model import Dataset
from generator.pipeline import check
from generator.render import render
from generator.site import plan
from tests.support import REPO, DataDir, event, events_file
from tests.test_validation import DECIDED, committee, nominations, selection

TODAY = "2027-01-15"


def codes(data: DataDir, today: str = TODAY) -> list[str]:
    return [line.split(": ", 1)[1].split()[0] for line in data.lines(today)]


def complete(data: DataDir) -> DataDir:
    """b-a nominates m03 and m01, the 党总支 passes both, the 党工委 confirms m03 only and
    decides on m02 (probationary, below 100)."""
    selection(data)
    nominations(data)
    committee(data)
    return data


# --- validation -------------------------------------------------------------------------------

def test_a_complete_selection_is_clean(data: DataDir) -> None:
    complete(data)
    assert data.lines() == []


def test_a_branch_outside_any_general_branch_skips_the_review(data: DataDir) -> None:
    selection(data)
    data.member("m05", name="钱五", branch="b-b")
    data.additions(events_file(event("e8", "J6", "2025-03-05", member="m05"),
                               event("e9", "J6", "2025-04-05", member="m05")),
                   name="b-b/2025-03.yaml")
    nominations(data)
    nominations(data, branch="b-b", nominated="[m05]", passed=None)
    committee(data, confirmed="[m03, m05]")
    assert data.lines() == []


def test_a_branch_in_a_general_branch_needs_the_review_before_confirmation(
        data: DataDir) -> None:
    selection(data)
    nominations(data, passed=None)
    committee(data)
    assert data.lines() == [
        "nominations/2025.yaml:4:13: E806 党支部“b-a”的初定尚未经党总支（第一党总支）初审："
        "请先在 nominations/b-a/2025.yaml 中登记 review。请从认定名单中删除，或先完成前面的步骤。",
    ]


def test_confirmation_needs_the_branch_to_have_nominated(data: DataDir) -> None:
    selection(data)
    committee(data)
    assert codes(data) == ["E806"]
    assert "没有支部初定（nominations/b-a/2025.yaml）" in data.lines()[0]


def test_passed_must_be_among_the_nominated(data: DataDir) -> None:
    selection(data)
    nominations(data, nominated="[m03]", passed="[m03, m01]")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:8:17: E806 党总支初审通过的 m01 不在支部初定名单（nominated.members）"
        "中：初审只能在支部初定的人选中进行。请核对。",
    ]


def test_confirmation_dated_before_the_review(data: DataDir) -> None:
    complete(data)
    committee(data, on="2026-01-12")
    assert data.lines() == [
        "nominations/2025.yaml:3:9: E807 党工委认定日期 2026-01-12 早于党支部“b-a”的党总支初审日期 "
        "2026-01-15。请核对。",
    ]


def test_stages_are_dated_after_the_year_end_and_not_in_the_future(data: DataDir) -> None:
    selection(data)
    nominations(data, on="2025-12-20", reviewed="2027-02-01")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:4:9: E807 支部初定日期 2025-12-20 应在 2025 年度结束（2025-12-31）"
        "之后：年度积分以全年为准。请核对日期或 year。",
        "nominations/b-a/2025.yaml:7:9: E501 日期 2027-02-01 晚于今天（2027-01-15），不能登记未来的事项。"
        "请核对日期。",
    ]


def test_unknown_ids(data: DataDir) -> None:
    complete(data)
    nominations(data, nominated="[m03, m01, m99]")
    committee(data, decisions=DECIDED + "  - {member: m98, action: transfer_postponed, "
              "date: 2026-01-20}\n")
    assert codes(data) == ["E303", "E303"]


def test_a_vetoed_member_is_not_eligible(data: DataDir) -> None:
    selection(data)
    data.events(events_file(event("k1", "K4.1", "2025-06-01", member="m03")),
                name="b-a/2025-06.yaml")
    data.additions(events_file(event("e8", "J6", "2025-06-05", member="m03"),
                               event("e9", "J6", "2025-07-05", member="m03")),
                   name="b-a/2025-06.yaml")
    nominations(data, nominated="[m03, m01]", passed="[m01]")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:5:13: E804 m03（王三）不符合 2025 年度优秀党员条件：本年度被一票否决。"
        "优秀党员从年度积分 100 分以上、未被一票否决的党员（含预备党员）中评选。请从名单中删除。",
    ]


def test_sections_belong_to_their_own_file(data: DataDir) -> None:
    selection(data)
    data.write("nominations/2025.yaml",
               "year: 2025\nnominated:\n  date: 2026-01-10\n  members: [m03]\n")
    data.write("nominations/b-a/2025.yaml", "year: 2025\nbranch: b-a\n")
    lines = data.lines()
    assert codes(data) == ["E803", "E803"]
    assert "支部初定（nominated）写在党支部的文件 nominations/支部编号/2025.yaml 中" in lines[0]
    assert "党支部的文件须写明支部初定 nominated" in lines[1]


def test_a_branch_file_without_branch(data: DataDir) -> None:
    selection(data)
    data.write("nominations/b-a/2025.yaml",
               "year: 2025\nnominated:\n  date: 2026-01-10\n  members: [m03]\n")
    assert data.lines() == [
        "nominations/b-a/2025.yaml:1:7: E803 nominations/b-a/ 中是党支部的文件，须写明 branch（党支部编号）；"
        "党工委的认定和决定写在 nominations/2025.yaml 中。",
    ]


def test_a_second_file_for_one_branch_and_year_is_not_read(data: DataDir) -> None:
    """Only ``.yaml`` files are data: a copy as ``2025.yml`` is reported, not read."""
    complete(data)
    nominations(data, path="nominations/b-a/2025.yml")
    assert codes(data) == ["W109"]


def test_a_file_failing_the_schema_suspends_the_checks_across_files(data: DataDir) -> None:
    """The branch's file is unreadable: the 党工委's confirmation is not reported as
    confirming someone never nominated."""
    selection(data)
    nominations(data, extra="opinion: 同意\n")
    committee(data)
    assert codes(data) == ["E202"]


def test_eligibility_waits_until_the_data_can_be_scored(data: DataDir) -> None:
    """A meeting lists an unknown member: the year cannot be scored, so the nomination of
    m02 (below the line) is not judged until that is fixed."""
    selection(data)
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-01-10, title: 1月主题党日,"
                  " absent: [m77]}\n")
    nominations(data, nominated="[m03, m02]", passed="[m03]")
    assert codes(data) == ["E303"]


def test_the_share_is_over_the_whole_committee(data: DataDir) -> None:
    """0.5 of the three party members (the activist does not count): one may be confirmed."""
    complete(data)
    policy = (data.root / "policy.yaml").read_text("utf-8")
    data.write("policy.yaml", policy.replace("excellent_share: null", "excellent_share: 0.5"))
    assert data.lines() == []


def test_a_policy_share_above_one_is_a_schema_error(data: DataDir) -> None:
    policy = (data.root / "policy.yaml").read_text("utf-8")
    data.write("policy.yaml", policy.replace("excellent_share: null", "excellent_share: 1.5"))
    assert codes(data) == ["E208"]


# --- the results page -------------------------------------------------------------------------

def results(data: DataDir, as_of: str = TODAY, internal: bool = False) -> str:
    dataset, diagnostics = data.check()
    assert [d.format() for d in diagnostics if d.is_error] == []
    return render(plan(dataset, as_of, internal=internal)).docs["2025/results.md"].decode()


def test_the_public_page_names_the_confirmed_only(data: DataDir) -> None:
    page = results(complete(data))
    assert "党工委于 2026-01-20 认定以下 1 名同志为 2025 年度优秀党员" in page
    assert "王三" in page
    assert "张一" not in page      # passed by the 党总支, not confirmed
    assert "李二" not in page      # on the 取消预备党员资格 list: a count only
    assert "取消预备党员资格：1 人（党工委 2026-01-20 决定）" in page


def test_before_confirmation_the_selection_is_in_progress(data: DataDir) -> None:
    selection(data)
    nominations(data)
    page = results(data)
    assert "2025 年度优秀党员评选正在进行" in page
    assert "名单报党工委研究决定，决定后在此公布人数。" in page
    for name in ("张一", "王三", "李二", "赵四"):
        assert name not in page


def test_a_confirmation_after_the_as_of_date_is_not_shown(data: DataDir) -> None:
    page = results(complete(data), as_of="2026-01-19")
    assert "评选正在进行" in page and "王三" not in page
    assert "1 人" not in page


def test_the_internal_page_shows_candidates_stages_and_lists(data: DataDir) -> None:
    page = results(complete(data), internal=True)
    assert "## 优秀党员候选人及评选进度（内部）" in page
    assert "| 1 | [王三](../members/m03/2025.md) | 正式党员 | 104 | 第 1 位 | 通过 | 认定 |" in page
    assert "| 2 | [张一](../members/m01/2025.md) | 正式党员 | 100 | 第 2 位 | 通过 | 未认定 |" in page
    assert "## 取消预备党员资格（内部，报党工委决定）" in page
    assert "| 甲公司党支部 | [李二](../members/m02/2025.md) | 预备党员 | 80 | 已决定（2026-01-20） |" \
        in page
    assert "赵四" not in page  # an activist at 100: neither a candidate nor on a list


def test_the_internal_page_before_any_stage(data: DataDir) -> None:
    page = results(selection(data), internal=True)
    assert "| 1 | [王三](../members/m03/2025.md) | 正式党员 | 104 | 待初定 | — | — |" in page
    assert "| 甲公司党支部 | [李二](../members/m02/2025.md) | 预备党员 | 80 | 待决定 |  |" in page


def test_notes_and_opinions_stay_internal(data: DataDir) -> None:
    selection(data)
    nominations(data, passed="[m03]", extra="")
    path = data.root / "nominations/b-a/2025.yaml"
    path.write_text(path.read_text("utf-8").replace(
        "  passed: [m03]\n", "  passed: [m03]\n  opinion: OPINION-SECRET-1\n")
        .replace("  members: [m03, m01]\n", "  members: [m03, m01]\n  note: NOTE-SECRET-2\n"),
        "utf-8")
    committee(data, decisions="decisions:\n  - {member: m02, action: probation_cancelled, "
              "date: 2026-01-20, note: DECISION-SECRET-3}\n")
    dataset, _ = data.check()
    public = b"".join(render(plan(dataset, TODAY)).docs.values()).decode()
    internal = results(data, internal=True)
    for secret in ("OPINION-SECRET-1", "NOTE-SECRET-2", "DECISION-SECRET-3"):
        assert secret not in public
        assert secret in internal


def test_a_hostile_name_in_the_confirmed_list_is_text(data: DataDir) -> None:
    complete(data)
    data.member("m03", name="<script>alert(1)</script>*粗*|[链](javascript:alert(1))")
    page = results(data)
    body = page.split("## 优秀党员", 1)[1].split("## 预备党员")[0]
    assert "<script" not in body and "javascript:" not in body
    assert "&#60;script&#62;" in body and "&#124;" in body


# --- the example data ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example() -> Dataset:
    dataset, diagnostics, _ = check(REPO / "data", today="2026-11-25")
    assert [d.format() for d in diagnostics] == []
    return dataset


def test_the_example_has_a_complete_2025_selection_and_none_for_2026(example: Dataset) -> None:
    files = {f.relative: f for f in example.nominations.files}
    assert {f.year for f in files.values()} == {2025}
    committee_file = files["nominations/2025.yaml"]
    assert committee_file.confirmed is not None and committee_file.confirmed.members
    assert committee_file.decisions
    branch_files = [f for f in files.values() if f.branch]
    assert branch_files and all(f.nominated and f.review for f in branch_files)
    passed = {m for f in branch_files for m in f.review.members}  # type: ignore[union-attr]
    assert set(committee_file.confirmed.members) < passed  # one passed, not confirmed
    assert not (REPO / "data/nominations/2026.yaml").exists()


def test_the_example_results_page_names_the_confirmed_only(example: Dataset) -> None:
    page = render(plan(example, "2026-11-25")).docs["2025/results.md"].decode()
    names = {m.id: m.name for m in example.members.values()}
    files = {f.relative: f for f in example.nominations.files}
    confirmed = files["nominations/2025.yaml"].confirmed
    assert confirmed is not None
    for ident in confirmed.members:
        assert names[ident] in page
    others = {m for f in files.values() if f.nominated for m in f.nominated.members}
    others |= {d.member for d in files["nominations/2025.yaml"].decisions}
    for ident in others - set(confirmed.members):
        assert names[ident] not in page, ident
