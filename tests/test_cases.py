"""Laggard cases (附件2): the seven steps in fixture data, both outcomes."""

from __future__ import annotations

import re

from generator.cases import deadline, due_reports, stage
from generator.derive import branch_on
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
    # the same deduction filed with the old branch is in the wrong folder: the member
    # belongs there, but not on that date
    (data.root / "events/b-edu/2025-05.yaml").rename(data.root / "events/b-a/2025-05.yaml")
    text = (data.root / "events/b-a/2025-05.yaml").read_text("utf-8")
    (data.root / "events/b-a/2025-05.yaml").write_text(text.replace("b-edu", "b-a"), "utf-8")
    assert [line for line in data.lines() if " W30" not in line] == [
        "events/b-a/2025-05.yaml:4:13: E509 m01（张一）在 2025-05-10 属于党支部“b-edu”，不属于党支部"
        "“b-a”（档案中的 branches 和组织关系转接）：这条登记应放在党支部“b-edu”的文件中。请核对日期，"
        "或核对档案中所在党支部的变动。"]


def test_missing_reports_and_passed_deadlines_are_warned(data: DataDir) -> None:
    laggard_data(data)
    write_case(data, "rectification")
    path = data.root / "cases/b-a/case-1.yaml"
    text = path.read_text("utf-8")
    path.write_text(re.sub(r"    - \{month: 2025-05, [^\n]*\n", "", text), "utf-8")
    dataset, _ = data.check()
    assert due_reports(dataset.cases[0], "2025-08-15") == ["2025-04", "2025-05", "2025-06"]
    lines = [line for line in data.lines() if " W30" in line]
    assert lines == [
        "cases/b-a/case-1.yaml:24:3: W302 案件“case-1”：整改期已于 2025-07-20 期满，尚未登记党支部决议"
        "（resolutions）。",
        "cases/b-a/case-1.yaml:30:5: W301 案件“case-1”：2025-05 的帮教转化情况汇报尚未登记"
        "（rectification.reports）。"]


def test_the_internal_site_lists_cases_and_prints_the_form(data: DataDir) -> None:
    from generator.render import render
    from generator.site import plan

    laggard_data(data)
    write_case(data, "rectification")
    dataset, _ = data.check()
    internal = render(plan(dataset, "2025-08-15", internal=True)).docs
    listing = internal["internal/cases/index.md"].decode()
    assert "| [case-1](case-1.md) | 张一 | 甲公司党支部 | 2025-Q1 | 第5步 限期整改 | 2025-07-20 |" \
        in listing
    form = internal["internal/cases/case-1.md"].decode()
    for text in ("<td>张一</td>", "<td>男</td>", "<td>高中</td>", "<td colspan=\"3\">甲公司党支部</td>",
                 "<td>2012年7月</td>",
                 "截至 2025年3月31日，2025 年度积分 40 分，低于 60 分。"
                 "主要扣分：侵占企业集体资产或挪用集体资金（K5）2 次，共 -40 分。",
                 "经支委会定性分析、集体决议，初定为后进党员。<br>党总支初审意见（2025年4月10日）",
                 "党(总)支部书记签名：王书记", "2025年4月8日", "认定为后进党员。", "2025年4月15日",
                 "应到支部委员 5 人，实到支部委员 4 人", "本表一式两份",
                 "| 第5步 限期整改 | 2025-04-20 | 期限 3 个月（至 2025-07-20）；帮教联系人：李二、王三"):
        assert text in form, text
    alerts = internal["internal/alerts.md"].decode()
    assert "## 逾期的处置案件" in alerts and "整改期已于 2025-07-20 期满" in alerts
    public = render(plan(dataset, "2025-08-15")).docs
    assert not any(path.startswith("internal/") for path in public)
    everything = b"".join(public.values()).decode()
    assert "初定为后进党员" not in everything and "case-1" not in everything


def test_alerts_name_laggards_without_a_case_and_posts_that_lapse(data: DataDir) -> None:
    from generator.render import render
    from generator.site import plan

    laggard_data(data)
    data.member("m01", name="张一", posts=["组织委员"])
    dataset, _ = data.check()
    alerts = render(plan(dataset, "2025-08-15", internal=True)).docs["internal/alerts.md"]
    text = alerts.decode()
    uncased = text.split("## 季末低于后进线、尚未建立处置案件")[1].split("## ")[0]
    assert "| 甲公司党支部 | [张一](../members/m01/2025.md) | 2025年第二季度 | 40 | " \
        "2025年第一季度、2025年第二季度 |" in uncased
    lapsed = text.split("原任职务自然撤销）")[1].split("## ")[0]
    assert "| 2025年第一季度 | 甲公司党支部 | [张一](../members/m01/2025.md) | 40 | 组织委员 |" \
        in lapsed
    write_case(data, "announcement")
    dataset, _ = data.check()
    text = render(plan(dataset, "2025-08-15", internal=True)).docs["internal/alerts.md"].decode()
    uncased = text.split("## 季末低于后进线、尚未建立处置案件")[1].split("## ")[0]
    assert "| 2025年第二季度 | 40 | 2025年第二季度 |" in uncased


def test_a_member_the_committee_scored_directly_skips_the_branch_steps(data: DataDir) -> None:
    """附件2 steps 1 and 4: the 党工委 may deduct and announce directly; below 60 the member
    is a laggard without the branch's decision and the committee's review."""
    laggard_data(data)
    # the deductions the 党工委 registered itself (direct/), items the policy allows it
    (data.root / "events/b-a/2025-03.yaml").rename(data.root / "events/b-a/x.tmp")
    data.write("direct/b-a/2025-03.yaml", (data.root / "events/b-a/x.tmp").read_text("utf-8"))
    (data.root / "events/b-a/x.tmp").unlink()
    policy = data.root / "policy.yaml"
    policy.write_text(policy.read_text("utf-8") + "direct_rules:\n  enterprise: [K5]\n", "utf-8")
    data.write("cases/b-a/case-1.yaml", "id: case-1\nmember: m01\nbranch: b-a\nquarter: 2025-Q1\n"
               "direct: true\nannouncement:\n  date: 2025-04-05\n"
               + STEPS["transfer"] + STEPS["rectification"])
    (data.root / "members/b-a/m01.yaml").unlink()
    data.member("m01", name="张一", branch="b-edu")
    assert [line for line in data.lines() if " W30" not in line] == []
    path = data.root / "cases/b-a/case-1.yaml"
    path.write_text(path.read_text("utf-8") + STEPS["branch_decision"], "utf-8")
    assert [line.split()[1] for line in data.lines() if " W30" not in line] == ["E703"]


def test_steps_five_and_six_are_on_the_form(data: DataDir) -> None:
    from generator.form import form_fields

    laggard_data(data)
    write_case(data, "second_resolution")
    dataset, _ = data.check()
    remarks = form_fields(dataset, dataset.cases[0], None).remarks
    assert "闪光言行考评党员测评：4月满意、5月满意、6月满意、7月满意、8月满意、9月满意。" in remarks
    assert "2025年7月20日本人提出转化合格的申请。" in remarks
    assert "2025年10月20日党性教育党支部审核：整改合格。" in remarks
