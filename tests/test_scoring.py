"""Scoring semantics: every rule, the floor, consecutive leave, every flag at its
boundary, year boundaries and rule versions."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.support import REPO, DataDir, event, events_file

CATALOGUE = yaml.safe_load((REPO / "data/rules/enterprise.yaml").read_text("utf-8"))["rules"]
MANUAL = [r for r in CATALOGUE if "attendance" not in r]


@pytest.mark.parametrize("rule", MANUAL, ids=[r["code"] for r in MANUAL])
def test_every_rule_applies_its_points(data: DataDir, rule: dict) -> None:
    data.member()
    if "range" in rule:
        lo, hi = rule["range"]
        items = [event("e1", rule["code"], "2025-03-01", points=lo),
                 event("e2", rule["code"], "2025-03-02", points=hi)]
        expected = 80 + lo + hi
    else:
        items = [event("e1", rule["code"], "2025-03-01")]
        expected = 80 + rule["points"]
    data.events(events_file(*items))
    standing = data.standings()["m01"]
    assert standing.score == max(0, expected)
    assert [e.rule for e in standing.entries] == [rule["code"]] * len(items)
    assert ("vetoed" in standing.flags) == (rule["code"] in {"K4.1", "K4.2", "K4.3", "K4.4",
                                                             "K9.1"})


MEETINGS = """\
meetings:
  - {{id: mt-01, branch: b-a, date: 2025-01-10, title: 1月主题党日, {lists}}}
"""


@pytest.mark.parametrize(("lists", "expected", "codes"), [
    ("absent: [m01]", 75, ["K1.1"]),
    ("leave: [m01]", 78, ["K1.2"]),
    ("late: [m01]", 79, ["K1.3"]),
    ("early: [m01]", 79, ["K1.3"]),
    ("late: [m01], early: [m01]", 78, ["K1.3", "K1.3"]),
    ("absent: [m02]", 80, []),
])
def test_attendance_deductions_come_from_meetings(data: DataDir, lists: str, expected: int,
                                                  codes: list[str]) -> None:
    data.member("m01")
    data.member("m02")
    data.meetings(MEETINGS.format(lists=lists))
    standing = data.standings()["m01"]
    assert standing.score == expected
    assert [e.rule for e in standing.entries] == codes


def monthly_meetings(*leave_months: int, absent: dict[int, str] | None = None,
                     year: int = 2025) -> str:
    lines = ["meetings:"]
    for month in range(1, 13):
        lists = []
        if month in leave_months:
            lists.append("leave: [m01]")
        if absent and month in absent:
            lists.append(absent[month])
        extra = (", " + ", ".join(lists)) if lists else ""
        lines.append(f"  - {{id: mt-{year}-{month:02d}, branch: b-a, date: {year}-{month:02d}-10, "
                     f"title: {month}月主题党日{extra}}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("months", "absent", "deltas"), [
    ((1, 2), None, [-2, -4]),
    ((1, 2, 3), None, [-2, -4, -4]),
    ((1, 3), None, [-2, -2]),
    ((1, 3), {2: "late: [m01]"}, [-2, -1, -2]),
    ((1, 3), {2: "absent: [m01]"}, [-2, -5, -2]),
])
def test_consecutive_leave(data: DataDir, months: tuple[int, ...],
                           absent: dict[int, str] | None, deltas: list[int]) -> None:
    data.member()
    data.meetings(monthly_meetings(*months, absent=absent))
    standing = data.standings()["m01"]
    assert [e.points for e in standing.entries] == deltas
    assert standing.score == 80 + sum(deltas)


def test_consecutive_leave_does_not_cross_the_year(data: DataDir) -> None:
    data.member()
    data.meetings(monthly_meetings(12))
    data.meetings(monthly_meetings(1, year=2026), name="b-a/2026.yaml")
    assert [e.points for e in data.standings(2026)["m01"].entries] == [-2]


def test_consecutive_leave_counts_only_the_members_branch(data: DataDir) -> None:
    data.member()
    data.member("m02", branch="b-b")
    data.meetings("""\
        meetings:
          - {id: mt-a1, branch: b-a, date: 2025-01-10, title: 1月, leave: [m01]}
          - {id: mt-a2, branch: b-a, date: 2025-02-10, title: 2月, leave: [m01]}
        """)
    data.meetings("""\
        meetings:
          - {id: mt-b1, branch: b-b, date: 2025-01-15, title: 1月, leave: [m02]}
        """, name="b-b/2025.yaml")
    assert [e.points for e in data.standings()["m01"].entries] == [-2, -4]


def test_floor_holds_the_balance_at_zero_after_each_step(data: DataDir) -> None:
    data.member()
    data.events(events_file(
        event("e1", "K4.4", "2025-02-01"),
        event("e2", "K7", "2025-02-02", points=-5),
        event("e3", "J3", "2025-02-03"),
    ))
    standing = data.standings()["m01"]
    assert [e.balance for e in standing.entries] == [0, 0, 2]
    assert standing.score == 2


def test_same_day_entries_apply_in_id_order(data: DataDir) -> None:
    data.member()
    data.events(events_file(
        event("e3", "J4", "2025-02-01", points=10),
        event("e1", "K4.4", "2025-02-01"),
        event("e2", "K4.2", "2025-02-01"),
    ))
    standing = data.standings()["m01"]
    assert [e.ref for e in standing.entries] == ["e1", "e2", "e3"]
    assert standing.score == 10


def test_no_cap_by_default_and_a_policy_cap(data: DataDir) -> None:
    data.member()
    data.events(events_file(*[event(f"e{i}", "J6", f"2025-03-{i:02d}") for i in range(1, 5)]))
    assert data.score() == 120
    data.write("policy.yaml", "cap: 100\n")
    assert data.score() == 100


def test_only_approved_additions_count(data: DataDir) -> None:
    data.member()
    data.events(events_file(
        event("e1", "J3", "2025-03-01", status="declared"),
        event("e2", "J3", "2025-03-02", status="verified"),
        event("e3", "J3", "2025-03-03", status="approved"),
        event("e4", "J3", "2025-03-04", status="void", void_reason="重复申报"),
        event("e5", "K7", "2025-03-05", points=-3, status="void", void_reason="误录"),
        event("e6", "K7", "2025-03-06", points=-3, status="registered"),
    ))
    standing = data.standings()["m01"]
    assert standing.score == 80 + 2 - 3
    assert [e.id for e in standing.pending] == ["e1", "e2"]


def test_year_boundaries(data: DataDir) -> None:
    data.member()
    data.additions(events_file(event("e1", "J6", "2025-12-31")), name="b-a/2025-12.yaml")
    data.events(events_file(event("e2", "K7", "2026-01-01", points=-5)),
                name="b-a/2026-01.yaml")
    assert data.score(year=2025) == 90
    assert data.score(year=2026) == 75
    assert data.score(year=2024) == 80


def test_as_of_cuts_off_later_events(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "J6", "2025-03-01"), event("e2", "J6", "2025-09-01")))
    assert data.score(as_of="2025-02-28") == 80
    assert data.score(as_of="2025-03-01") == 90
    assert data.score(as_of="2025-12-31") == 100


def years_events(*points: int, rule: str = "J4") -> str:
    return events_file(*[event(f"e{i}", rule, f"2025-04-{i + 1:02d}", points=p)
                         for i, p in enumerate(points)])


@pytest.mark.parametrize(("points", "inclusive", "laggard"), [
    ((-20,), False, False),                 # exactly 60 is the pass mark
    ((-20, -2), False, True),               # 58
    ((-19,), False, False),                 # 61
    ((-20,), True, True),                   # the inclusive reading
])
def test_laggard_boundary(data: DataDir, points: tuple[int, ...], inclusive: bool,
                          laggard: bool) -> None:
    data.member()
    items = []
    for i, p in enumerate(points):
        if p == -20:
            items.append(event(f"k{i}", "K2.1", f"2025-05-{i + 1:02d}"))
        elif p == -19:
            items.append(event(f"k{i}", "K5", f"2025-05-{i + 1:02d}", points=-19))
        else:
            items.append(event(f"k{i}", "K7", f"2025-05-{i + 1:02d}", points=p))
    data.events(events_file(*items))
    if inclusive:
        data.write("policy.yaml", "laggard_inclusive: true\n")
    assert ("laggard" in data.flags()) == laggard


@pytest.mark.parametrize(("category", "points", "flags"), [
    ("full", (10, 10), ("excellent_candidate",)),
    ("full", (10, 9), ()),
    ("probationary", (10, 10), ("excellent_candidate",)),
    ("probationary", (10, 9), ("probation_cancelled",)),
    ("activist", (10, 10), ()),
    ("activist", (10, 9), ("not_development_target",)),
])
def test_year_end_flags_at_100(data: DataDir, category: str, points: tuple[int, ...],
                               flags: tuple[str, ...]) -> None:
    data.member(category=category)
    data.events(years_events(*points))
    assert data.flags() == flags


def test_year_end_flags_only_on_the_last_day(data: DataDir) -> None:
    data.member(category="probationary")
    assert data.flags(as_of="2025-12-30") == ()
    assert data.flags(as_of="2025-12-31") == ("probation_cancelled",)


@pytest.mark.parametrize(("points", "postponed"), [((10,), False), ((9,), True), ((), True)])
def test_flowing_transfer_boundary_at_90(data: DataDir, points: tuple[int, ...],
                                         postponed: bool) -> None:
    data.member(branch="b-flow", transfer_to="b-v1")
    data.events(years_events(*points), name="2025-04.yaml")
    assert ("transfer_postponed" in data.flags()) == postponed


def test_veto_blocks_excellence(data: DataDir) -> None:
    data.member()
    data.events(events_file(
        *[event(f"e{i}", "J6", f"2025-03-{i:02d}") for i in range(1, 6)],
        event("v1", "K4.1", "2025-08-01"),
    ))
    standing = data.standings()["m01"]
    assert standing.score == 110
    assert standing.flags == ("vetoed",)
    assert data.flags(as_of="2025-07-31") == ()


def test_veto_rules_come_from_policy(data: DataDir) -> None:
    data.member()
    data.events(events_file(event("e1", "K8", "2025-03-01")))
    assert data.flags() == ()
    data.write("policy.yaml", "veto_rules: [K8]\n")
    assert data.flags() == ("vetoed",)


def test_exempt_member_has_no_score(data: DataDir) -> None:
    data.member(exempt={"from": "2025-07-01", "reason": "长期病休", "approved_on": "2025-06-20"})
    data.events(events_file(event("e1", "J6", "2025-03-01")))
    standing = data.standings()["m01"]
    assert (standing.score, standing.flags) == (None, ("exempt",))
    assert data.score(as_of="2025-06-30") == 90


def test_exemption_that_ended_scores_again(data: DataDir) -> None:
    data.member(exempt={"from": "2025-01-01", "until": "2025-03-31", "reason": "病休",
                        "approved_on": "2024-12-20"})
    data.events(events_file(event("e1", "J6", "2025-06-01")))
    assert data.score() == 90


def test_rule_versions_score_each_event_by_the_version_in_force(data: DataDir) -> None:
    catalogue = (REPO / "data/rules/enterprise.yaml").read_text("utf-8")
    catalogue = catalogue.replace(
        "    points: 2\n    text: 积极参与水环境整治",
        "    points: 2\n    until: 2025-06-30\n    text: 积极参与水环境整治", 1)
    catalogue += """\
  - code: J3
    name: 积极参与志愿服务
    category: 服务职工
    kind: addition
    points: 3
    from: 2025-07-01
"""
    data.write("rules/enterprise.yaml", catalogue)
    data.member()
    data.events(events_file(event("e1", "J3", "2025-03-01"), event("e2", "J3", "2025-09-01")))
    standing = data.standings()["m01"]
    assert [e.points for e in standing.entries] == [2, 3]
    assert [e.name for e in standing.entries] == ["积极参与水环境整治和创卫整治等志愿服务",
                                                  "积极参与志愿服务"]


def test_policy_base(data: DataDir) -> None:
    data.member()
    data.write("policy.yaml", "base: 70\n")
    assert data.score() == 70


def test_an_earlier_standing_derives_from_a_later_one(data: DataDir) -> None:
    """score.earlier (used by the bulletin) agrees with scoring the earlier date directly."""
    from generator.score import earlier, standings

    data.member("m01", category="probationary")
    data.member("m02", exempt={"from": "2025-07-01", "reason": "病休", "approved_on": "2025-06-01"})
    data.events(events_file(
        event("e1", "K4.4", "2025-02-01"), event("e2", "J6", "2025-03-01"),
        event("e3", "K4.1", "2025-06-15"), event("e4", "J6", "2025-09-01", member="m02"),
        event("e5", "J3", "2025-10-01", status="verified"),
        *[event(f"x{i}", "J4", f"2025-11-{i:02d}", points=10) for i in range(1, 12)]))
    data.meetings(monthly_meetings(3, 4, absent={5: "absent: [m01]"}))
    dataset, _ = data.check()
    full = {s.member.id: s for s in standings(dataset, 2025)}
    for date in ("2025-01-31", "2025-03-31", "2025-06-15", "2025-06-30", "2025-09-30",
                 "2025-11-30", "2025-12-31"):
        direct = {s.member.id: s for s in standings(dataset, 2025, date)}
        for ident, standing in full.items():
            assert earlier(dataset, standing, date) == direct[ident], (ident, date)


def test_a_committee_can_rename_every_code(data: DataDir) -> None:
    """What a rule is comes from the catalogue (kind, attendance, limit, points) and the
    policy (veto), never from its code's spelling: the same records under renamed codes
    (K… → D-…, J… → A-…) score exactly as before."""
    def renamed(code: str) -> str:
        return ("D-" if code.startswith("K") else "A-") + code[1:]

    data.member()
    data.member("m02")
    data.meetings("meetings:\n  - {id: mt-01, branch: b-a, date: 2025-01-10, title: 1月主题党日,"
                  " absent: [m01], late: [m02]}\n"
                  "  - {id: mt-02, branch: b-a, date: 2025-02-10, title: 2月主题党日,"
                  " leave: [m01], early: [m02]}\n"
                  "  - {id: mt-03, branch: b-a, date: 2025-03-10, title: 3月主题党日,"
                  " leave: [m01]}\n")
    records = [("e1", "K7", "2025-03-01", {"points": -3}), ("e2", "K4.1", "2025-04-01", {}),
               ("e3", "K2.1", "2025-05-01", {})]
    data.events(events_file(*(event(i, code, date, **extra) for i, code, date, extra in records)))
    data.additions(events_file(event("a1", "J3", "2025-06-01", member="m02")))
    before = {m: (s.score, s.flags, [(e.date, e.points, e.balance) for e in s.entries])
              for m, s in data.standings().items()}

    rules = (data.root / "rules/enterprise.yaml").read_text("utf-8")
    rules = re.sub(r"code: ([JK][0-9.]+)", lambda m: f"code: {renamed(m[1])}", rules)
    (data.root / "rules/enterprise.yaml").write_text(rules, "utf-8")
    policy = (data.root / "policy.yaml").read_text("utf-8")
    policy = re.sub(r"veto_rules: \[([^]]*)\]", lambda m: "veto_rules: [" + ", ".join(
        renamed(c.strip()) for c in m[1].split(",")) + "]", policy)
    (data.root / "policy.yaml").write_text(policy, "utf-8")
    data.events(events_file(*(event(i, renamed(code), date, **extra)
                              for i, code, date, extra in records)))
    data.additions(events_file(event("a1", renamed("J3"), "2025-06-01", member="m02",
                                     status="approved", evidence="签到表", approved_by="党工委",
                                     approved_on="2025-06-01")))
    assert [d.format() for d in data.check()[1] if d.is_error] == []
    after = {m: (s.score, s.flags, [(e.date, e.points, e.balance) for e in s.entries])
             for m, s in data.standings().items()}
    assert after == before
    assert "vetoed" in after["m01"][1]
