"""Laggard cases (附件2): the seven steps in fixture data, both outcomes."""

from __future__ import annotations

from generator.cases import branch_on, deadline, due_reports, stage
from tests.cases_fixture import STEPS, laggard_data, write_case
from tests.support import DataDir, event, events_file


def test_a_full_case_with_an_extension_validates_at_every_step(data: DataDir) -> None:
    laggard_data(data)
    for step in STEPS:
        write_case(data, step)
        assert [line for line in data.lines() if " W30" not in line] == [], step
    dataset, _ = data.check()
    case = dataset.cases[0]
    assert deadline(case) == "2025-10-20"  # three months, then three more
    assert stage(case).closed and stage(case).outcome == "整改合格，组织关系转回原党支部"
    m01 = dataset.members["m01"]
    assert [branch_on(dataset, m01, d) for d in ("2025-04-19", "2025-04-20", "2025-10-27",
                                                  "2025-10-28")] == ["b-a", "b-edu", "b-edu",
                                                                     "b-a"]


def test_the_unqualified_outcome_ends_in_a_disposal(data: DataDir) -> None:
    laggard_data(data)
    write_case(data, "first_resolution")
    path = data.root / "cases/b-a/case-1.yaml"
    path.write_text(path.read_text("utf-8") + "  - date: 2025-10-21\n    outcome: not_improved\n"
                    "    disposal: expel\napproval:\n  date: 2025-10-30\n  reply: 同意除名。\n",
                    "utf-8")
    assert [line for line in data.lines() if " W30" not in line] == []
    dataset, _ = data.check()
    assert stage(dataset.cases[0]).outcome == "确定为不合格党员，除名"


def test_events_while_transferred_belong_to_the_education_branch(data: DataDir) -> None:
    laggard_data(data)
    write_case(data, "rectification")
    data.events("branch: b-edu\n" + events_file(event("e3", "K7", "2025-05-10", points=-2)),
                name="b-edu/2025-05.yaml")
    assert [line for line in data.lines() if " W30" not in line] == []
    # the same deduction filed with the old branch is in the wrong folder
    (data.root / "events/b-edu/2025-05.yaml").rename(data.root / "events/b-a/2025-05.yaml")
    text = (data.root / "events/b-a/2025-05.yaml").read_text("utf-8")
    (data.root / "events/b-a/2025-05.yaml").write_text(text.replace("b-edu", "b-a"), "utf-8")
    assert any(" E309 " in line for line in data.lines())


def test_missing_reports_and_passed_deadlines_are_warned(data: DataDir) -> None:
    laggard_data(data)
    write_case(data, "rectification")
    path = data.root / "cases/b-a/case-1.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("    - {month: 2025-05, date: 2025-05-28}\n", ""), "utf-8")
    dataset, _ = data.check()
    assert due_reports(dataset.cases[0], "2025-08-15") == ["2025-04", "2025-05", "2025-06"]
    lines = [line for line in data.lines() if " W30" in line]
    assert lines == [
        "cases/b-a/case-1.yaml:24:3: W302 案件“case-1”：整改期已于 2025-07-20 期满，尚未登记党支部决议"
        "（resolutions）。",
        "cases/b-a/case-1.yaml:30:5: W301 案件“case-1”：2025-05 的帮教转化情况汇报尚未登记"
        "（rectification.reports）。"]
