"""A registrar's real year: members who join, change category, move between branches and
leave; attendance corrections; corrections across the year end; the flowing members
whose scoring a village branch manages. Scoring, validation, the year-end lists and the
pages, on small data directories written by the tests."""

from __future__ import annotations

from generator.pipeline import check
from generator.render import render
from generator.site import Page, plan
from tests.support import DataDir, event, events_file, run

AS_OF = "2026-11-25"


def pages(data: DataDir, as_of: str = AS_OF, internal: bool = True) -> dict[str, Page]:
    """The pages of the internal build (every quarter: what membership changes, not what is
    published yet; publication is tests/test_site.py's)."""
    dataset, diagnostics, _ = check(data.root, today=as_of)
    assert [d.format() for d in diagnostics if d.is_error] == []
    return {p.path: p for p in plan(dataset, as_of, internal=internal)}


def ledger(data: DataDir, member: str = "m01", year: int = 2025, as_of: str | None = None
           ) -> list[tuple[str, str, int, int, str]]:
    """(date, ref, points, balance, detail) of each line of a member's ledger."""
    return [(e.date, e.ref, e.points, e.balance, e.detail)
            for e in data.standings(year, as_of)[member].entries]


# --- joining, leaving ----------------------------------------------------------------------------

def test_a_member_who_joins_mid_year_starts_from_the_base_on_that_day(data: DataDir) -> None:
    data.member("m01", joined_on="2025-09-01", category="probationary")
    data.member("m02")
    data.meetings("meetings:\n"
                  "  - {id: mt1, branch: b-a, date: 2025-03-10, title: 3月主题党日, absent: [m02]}\n"
                  "  - {id: mt2, branch: b-a, date: 2025-09-10, title: 9月主题党日, absent: [m01]}\n")
    assert data.score("m01") == 75  # 80 from 2025-09-01, then one absence
    assert "m01" not in data.standings(2025, "2025-06-30")  # not in scope up to that day
    assert "m01" not in data.standings(2024)
    # registered before joining: refused (E506); the March meeting did not expect them
    data.meetings("meetings:\n"
                  "  - {id: mt1, branch: b-a, date: 2025-03-10, title: 3月主题党日, absent: [m01]}\n")
    assert [line.split()[1] for line in data.lines()] == ["E506"]


def test_the_quarter_table_lists_a_member_from_the_quarter_they_joined(data: DataDir) -> None:
    data.member("m01", joined_on="2025-08-15")
    data.member("m02")
    data.events(events_file(event("e1", "K7", "2025-03-02", member="m02", points=-2)))
    found = pages(data)
    q2 = [r["id"] for r in found["2025/q2/b-a.md"].context["rows"]]
    q3 = {r["id"]: r for r in found["2025/q3/b-a.md"].context["rows"]}
    assert q2 == ["m02"]
    assert q3["m01"]["start"] == 80 and q3["m01"]["change"] == 0
    assert "members/m01/2025.md" in found and "members/m01/2024.md" not in found
    ledger_html = render([found["members/m01/2025.md"]]).fragments[
        "members/m01/2025.md.ledger.html"].decode()
    assert "<tr><td>2025-08-15</td><td></td><td>基础分</td>" in ledger_html
    # no page for a year before joining: a member joining in 2026 has no 2025 page
    data.member("m03", joined_on="2026-02-01")
    found = pages(data)
    assert "members/m03/2026.md" in found and "members/m03/2025.md" not in found
    assert found["members/m03/2026.md"].context["since"] == "2026-02-01"
    assert found["members/m03/2026.md"].context["years"] == []


def test_a_member_who_left_is_no_longer_listed_and_keeps_their_history(data: DataDir) -> None:
    data.member("m01", left={"date": "2025-07-01", "reason": "transferred_out"})
    data.member("m02")
    data.events(events_file(event("e1", "K7", "2025-03-02", points=-4)))
    standing = data.standings(2025)["m01"]
    assert (standing.score, standing.flags) == (76, ())  # the balance they left with
    found = pages(data)
    assert [r["id"] for r in found["2025/q2/b-a.md"].context["rows"]] == ["m02", "m01"]
    assert [r["id"] for r in found["2025/q3/b-a.md"].context["rows"]] == ["m02"]
    assert [r["id"] for r in found["branches/b-a.md"].context["rows"]] == ["m02"]
    assert found["members/m01/2025.md"].context["score"] == 76
    assert "members/m01/2026.md" not in found
    # a close after leaving does not record them
    data.close(quarter="2025-Q3")
    assert "m01" not in (data.root / "closes/b-a/2025-Q3.yaml").read_text("utf-8")
    # nor can anything be registered for them after it
    data.events(events_file(event("e2", "K7", "2025-08-02", points=-2)), name="b-a/2025-08.yaml")
    assert [line.split()[1] for line in data.lines()] == ["E506"]


# --- categories of the year ----------------------------------------------------------------------

def test_a_probationary_member_who_became_a_full_member_is_judged_as_both(data: DataDir) -> None:
    """预备党员 until 转正 in June: on the year-end list of 预备党员 below 100 (a
    candidacy the 党工委 decides on) and, as a party member, judged for 优秀党员."""
    data.member("m01", category="full",
                categories=[{"from": "2024-06-15", "category": "probationary"},
                            {"from": "2025-06-15", "category": "full"}])
    data.member("m02", category="probationary")
    standings = data.standings(2025)
    assert standings["m01"].flags == ("probation_cancelled",)
    assert standings["m01"].category == "full"
    assert standings["m02"].flags == ("probation_cancelled",)
    assert data.standings(2025, "2025-03-31")["m01"].category == "probationary"
    # the year before, they were 预备党员 all year
    assert data.standings(2024)["m01"].flags == ("probation_cancelled",)
    data.additions(events_file(event("e1", "J6", "2025-03-05"), event("e2", "J6", "2025-04-05")))
    assert data.flags("m01") == ("excellent_candidate",)


def test_an_activist_who_became_a_probationary_member(data: DataDir) -> None:
    data.member("m01", category="probationary",
                categories=[{"from": "2024-01-01", "category": "activist"},
                            {"from": "2025-09-01", "category": "probationary"}])
    # both year-end lists: 入党积极分子 and 预备党员 during the year, below 100
    assert data.flags("m01") == ("probation_cancelled", "not_development_target")
    # a party member at the year's end: judged for 优秀党员 with 100 or more
    data.additions(events_file(event("e1", "J6", "2025-03-05"), event("e2", "J6", "2025-10-05")))
    assert data.flags("m01") == ("excellent_candidate",)


def test_a_nomination_comes_from_the_branch_at_the_years_end(data: DataDir) -> None:
    """A member who moved after the year's end is nominated for it by their old branch."""
    data.member("m01", name="张一", branch="b-b",
                branches=[{"from": "2020-01-01", "branch": "b-a"},
                          {"from": "2026-03-01", "branch": "b-b"}])
    data.additions(events_file(event("e1", "J6", "2025-03-05"), event("e2", "J6", "2025-04-05")))
    data.write("nominations/b-a/2025.yaml", "year: 2025\nbranch: b-a\nnominated:\n"
               "  date: 2026-01-10\n  members: [m01]\nreview:\n  date: 2026-01-15\n"
               "  passed: [m01]\n")
    assert data.lines() == []
    # nominated by the branch they belong to now, which they joined after the year
    (data.root / "nominations/b-a/2025.yaml").unlink()
    data.write("nominations/b-b/2025.yaml", "year: 2025\nbranch: b-b\nnominated:\n"
               "  date: 2026-01-10\n  members: [m01]\n")
    assert data.lines() == [
        "nominations/b-b/2025.yaml:5:13: E805 m01（张一）属于党支部“b-a”，不能由党支部“b-b”推荐。"
        "请删除，由其所在党支部在 nominations/b-a/2025.yaml 中推荐。"]


# --- branch transfers ---------------------------------------------------------------------------

TRANSFERRED = {"branch": "b-b", "branches": [{"from": "2020-01-01", "branch": "b-a"},
                                             {"from": "2025-08-01", "branch": "b-b"}]}


def test_records_belong_to_the_branch_of_their_date(data: DataDir) -> None:
    data.member("m01", name="张一", **TRANSFERRED)
    data.member("m02")
    data.events("branch: b-a\n" + events_file(event("e1", "K7", "2025-03-02", points=-4)),
                name="b-a/2025-03.yaml")
    data.events("branch: b-b\n" + events_file(event("e2", "K7", "2025-09-02", points=-2)),
                name="b-b/2025-09.yaml")
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-07-10, title: 7月, late: [m01]}\n")
    data.meetings("meetings:\n  - {id: mt2, branch: b-b, date: 2025-09-10, title: 9月, late: [m01]}\n",
                  name="b-b/2025.yaml")
    assert data.lines() == []
    assert data.score() == 80 - 4 - 2 - 1 - 1
    found = pages(data)
    assert [r["id"] for r in found["2025/q2/b-a.md"].context["rows"]] == ["m02", "m01"]
    assert [r["id"] for r in found["2025/q3/b-a.md"].context["rows"]] == ["m02"]
    assert [r["id"] for r in found["2025/q3/b-b.md"].context["rows"]] == ["m01"]
    assert [r["id"] for r in found["2025/m03/b-a.md"].context["rows"]] == ["e1"]
    assert [r["id"] for r in found["2025/m09/b-b.md"].context["rows"]] == ["e2"]
    # the old branch's quarter closes without them after the move
    data.close("b-a", "2025-Q3")
    data.close("b-b", "2025-Q3")
    assert "m01" not in (data.root / "closes/b-a/2025-Q3.yaml").read_text("utf-8")
    assert "m01" in (data.root / "closes/b-b/2025-Q3.yaml").read_text("utf-8")
    assert data.lines() == []
    # an attendance mark at the old branch's meeting after the move: E509
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-07-10, title: 7月, late: [m01]}\n"
                  "  - {id: mt3, branch: b-a, date: 2025-11-10, title: 11月, late: [m01]}\n")
    assert data.lines() == [
        "meetings/b-a/2025.yaml:3:65: E509 m01（张一）在 2025-11-10 属于党支部“b-b”，不属于党支部“b-a”"
        "（档案中的 branches 和组织关系转接）：不能列入党支部“b-a”这次会议的考勤。请核对日期，"
        "或核对档案中所在党支部的变动。"]


def test_an_event_is_scored_by_the_catalogue_of_the_branch_of_its_date(data: DataDir) -> None:
    """A member who moved from an enterprise to a village branch: a deduction dated
    before the move is checked and scored by the enterprise catalogue."""
    rules = (data.root / "rules/enterprise.yaml").read_text("utf-8")
    data.write("rules/enterprise.yaml", rules.replace(
        "applies_to: [enterprise, flowing, village, education]",
        "applies_to: [enterprise, flowing, education]"))
    data.write("rules/village.yaml", "catalogue: village\ntitle: 村标准\napplies_to: [village]\n"
               "rules:\n  - {code: K1.1, name: 缺席, category: 政治素质, kind: deduction, "
               "points: -5, attendance: absent}\n"
               "  - {code: K7, name: 村规, category: 遵纪守法, kind: deduction, range: [-9, -6]}\n")
    data.member("m01", branch="b-v1", branches=[{"from": "2020-01-01", "branch": "b-a"},
                                                {"from": "2025-08-01", "branch": "b-v1"}])
    data.events("branch: b-a\n" + events_file(event("e1", "K7", "2025-03-02", points=-4)),
                name="b-a/2025-03.yaml")
    data.events("branch: b-v1\n" + events_file(event("e2", "K7", "2025-09-02", points=-7)),
                name="b-v1/2025-09.yaml")
    assert data.lines() == []
    assert [(e.ref, e.name) for e in data.standings()["m01"].entries] == [
        ("e1", "违反公司（企业）管理规定"), ("e2", "村规")]


# --- flowing members: scored by the village branch they are to join -----------------------------

def test_a_flowing_members_records_may_be_registered_by_the_village_branch(data: DataDir) -> None:
    data.member("m03", name="王三", branch="b-flow", transfer_to="b-v1")
    data.additions("branch: b-v1\n" + events_file(
        event("e1", "J3", "2025-03-05", member="m03", status="verified")),
        name="b-v1/2025-03.yaml")
    data.events("branch: b-v1\n" + events_file(event("e2", "K7", "2025-03-06", member="m03",
                                                     points=-2)), name="b-v1/2025-03.yaml")
    assert [line for line in data.lines() if " W102 " not in line] == []
    assert data.score("m03") == 78
    # the village branch's registrars see the flowing member's pending addition
    found = pages(data, internal=True)
    assert [r["id"] for r in found["internal/b-v1.md"].context["rows"]] == ["e1"]
    assert [r["id"] for r in found["internal/b-flow.md"].context["rows"]] == ["e1"]
    assert found["internal/b-a.md"].context["rows"] == []
    # another village branch may not
    data.events("branch: b-b\n" + events_file(event("e3", "K7", "2025-03-07", member="m03",
                                                    points=-2)), name="b-b/2025-03.yaml")
    assert [line.split()[1] for line in data.lines()] == ["W102", "E309"]


# --- attendance corrections ---------------------------------------------------------------------

ATTENDANCE = ("meetings:\n"
              "  - {id: mt7, branch: b-a, date: 2025-07-10, title: 7月主题党日, absent: [m01]}\n"
              "  - {id: mt8, branch: b-a, date: 2025-08-11, title: 8月主题党日, leave: [m01]}\n"
              "  - {id: mt12, branch: b-a, date: 2025-12-10, title: 12月主题党日, leave: [m01]}\n")


def attendance(data: DataDir) -> DataDir:
    """m01 absent in July and on leave in August and December; 2025-Q3 closed."""
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.meetings(ATTENDANCE)
    data.close()
    return data


def correct(data: DataDir, mark: str = "leave", date: str = "2025-10-20", meeting: str = "mt7",
            name: str = "b-a/2025-10.yaml") -> None:
    data.meetings(f"branch: b-a\ncorrections:\n  - {{id: cr1, corrects: {meeting}, member: m01, "
                  f"mark: {mark}, date: {date}, reason: 当天已请假, objection: obj1}}\n", name=name)


def test_absent_corrected_to_leave_from_its_date(data: DataDir) -> None:
    """“I was on leave, not absent”: from the correction's date the July mark is leave, so
    the August leave becomes consecutive (−4); each changed line shows on that date. The
    published Q3 figure stays as published."""
    attendance(data)
    assert data.score() == 80 - 5 - 2 - 4  # December's leave follows August's
    correct(data)
    assert data.lines() == []
    assert ledger(data) == [
        ("2025-07-10", "mt7", -5, 75, "7月主题党日"),
        ("2025-08-11", "mt8", -2, 73, "8月主题党日"),
        ("2025-10-20", "cr1", 3, 76, "7月主题党日：缺席 → 请假"),
        ("2025-10-20", "cr1", -2, 74, "8月主题党日：请假 → 连续请假"),
        ("2025-12-10", "mt12", -4, 70, "12月主题党日（连续请假）"),
    ]
    assert data.score(as_of="2025-09-30") == 73  # the published Q3 figure
    assert data.standings(as_of="2025-10-20")["m01"].entries[-1].corrects == "mt8"


def test_a_correction_changes_a_later_meeting_directly(data: DataDir) -> None:
    """August corrected from leave to present in October: December's leave, scored with
    the corrections known on its day, is no longer consecutive (−2, not −4)."""
    attendance(data)
    correct(data, mark="present", meeting="mt8")
    assert ledger(data)[1:] == [
        ("2025-08-11", "mt8", -2, 73, "8月主题党日"),
        ("2025-10-20", "cr1", 2, 75, "8月主题党日：请假 → 出席"),
        ("2025-12-10", "mt12", -2, 73, "12月主题党日"),
    ]


def test_the_correction_is_shown_on_the_quarter_page_the_ledger_and_explain(
        data: DataDir) -> None:
    attendance(data)
    correct(data)
    data.write("objections/b-a/obj1.yaml", "id: obj1\nbranch: b-a\nquarter: 2025-Q3\n"
               "raised_on: 2025-10-12\nmember: m01\nevent: mt7\ndetails: 我是请假\n"
               "outcome: upheld\ndecided_on: 2025-10-18\ncorrection: cr1\n")
    found = pages(data, internal=True)
    assert found["2025/q3/b-a.md"].context["corrections"] == [
        {"date": "2025-10-20", "name": "张一", "link": "members/m01/2025.md",
         "event_date": "2025-07-10", "rule": "K1.1", "id": "cr1", "event": "mt7",
         "reason": "当天已请假"}]
    entries = found["members/m01/2025.md"].context["entries"]
    assert [(e["date"], e["corrects"], e["cancelled"]) for e in entries] == [
        ("2025-07-10", "", "2025-10-20"), ("2025-08-11", "", "2025-10-20"),
        ("2025-10-20", "2025-07-10", ""), ("2025-10-20", "2025-08-11", ""),
        ("2025-12-10", "", "")]
    html = render([found["members/m01/2025.md"]]).fragments[
        "members/m01/2025.md.ledger.html"].decode()
    assert "更正考勤：7月主题党日：缺席 → 请假" in html
    done = run("explain", "m01", "--year", "2025", "--data", str(data.root),
               "--today", AS_OF)
    assert done.code == 0, done.stderr
    assert "更正考勤 mt7：7月主题党日：缺席 → 请假" in done.stdout
    assert "更正考勤 mt8：8月主题党日：请假 → 连续请假" in done.stdout


def test_a_file_of_corrections_needs_no_empty_list(data: DataDir) -> None:
    data.member("m01", name="张一")
    data.events(events_file(event("e1", "K7", "2025-08-01", points=-2)), name="b-a/2025-08.yaml")
    data.meetings(ATTENDANCE)
    data.close()
    data.events("corrections:\n  - {id: cr2, corrects: e1, date: 2025-11-05, reason: 登记有误}\n",
                name="b-a/2025-11.yaml")
    correct(data)  # a meetings file with corrections only
    assert data.lines() == []
    assert data.score() == 80 - 2 - 5 - 2 - 4 + 2 + 3 - 2 + 0  # December: leave after leave


# --- corrections across the year end -----------------------------------------------------------

def year_end(data: DataDir) -> DataDir:
    """m01, a 预备党员 at 98 in 2025 (100 less a deduction in November), on the list of
    预备党员 below 100; 2025-Q4 closed on 2026-01-08 (published: 98)."""
    data.member("m01", name="张一", category="probationary")
    data.additions(events_file(event("e1", "J6", "2025-03-05"), event("e2", "J6", "2025-04-05")))
    data.events(events_file(event("e3", "K7", "2025-11-05", points=-2)), name="b-a/2025-11.yaml")
    data.close(quarter="2025-Q4", meeting="2026-01-08")
    return data


JANUARY = ("corrections:\n  - {id: cr1, corrects: e3, date: 2026-01-15, reason: 经核实不属实, "
           "objection: obj1}\n")


def test_a_january_correction_changes_the_previous_year(data: DataDir) -> None:
    """The objection upheld in the Q4 公示期 is honoured: the 2025 total and its year-end
    lists change; the published Q4 figure stays as published, the correction listed
    beside it; 2026 is untouched."""
    year_end(data)
    assert data.flags() == ("probation_cancelled",)
    data.events(JANUARY, name="b-a/2026-01.yaml")
    data.write("objections/b-a/obj1.yaml", "id: obj1\nbranch: b-a\nquarter: 2025-Q4\n"
               "raised_on: 2026-01-10\nmember: m01\nevent: e3\ndetails: 不属实\n"
               "outcome: upheld\ndecided_on: 2026-01-14\ncorrection: cr1\n")
    assert data.lines() == []  # the Q4 close still holds
    assert data.score(as_of="2025-12-31") == 98  # the published Q4 figure
    assert data.flags(as_of="2025-12-31") == ("probation_cancelled",)
    final = data.standings(2025, "2026-01-31")["m01"]
    assert (final.score, final.flags) == (100, ("excellent_candidate",))
    assert final.entries[-1][:3] == ("2026-01-15", "cr1", "K7")
    assert data.score(year=2026, as_of="2026-03-01") == 80
    # before the correction's date it is not known yet
    assert data.standings(2025, "2026-01-14")["m01"].score == 98
    found = pages(data, as_of="2026-02-15")
    assert found["2025/q4/b-a.md"].context["rows"][0]["score"] == 98
    assert [c["date"] for c in found["2025/q4/b-a.md"].context["corrections"]] == ["2026-01-15"]
    member = found["members/m01/2025.md"].context
    assert member["score"] == 100 and member["entries"][-1]["corrects"] == "2025-11-05"
    assert found["2025/results.md"].context["pending"] is False  # nobody on a list now
    # the 党工委's decisions settle the year: a later correction of it is refused
    data.write("nominations/2025.yaml", "year: 2025\nconfirmed:\n  date: 2026-01-20\n"
               "  members: []\n")
    assert data.lines() == []
    data.events(JANUARY.replace("2026-01-15", "2026-01-22"), name="b-a/2026-01.yaml")
    assert [line.split()[1] for line in data.lines()] == ["E420"]
