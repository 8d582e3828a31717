"""A laggard case written step by step, for tests (see tests/test_cases.py)."""

from __future__ import annotations

from tests.support import DataDir, event, events_file

# The steps of case-1 (m01, improved after one extension) in the order they happen.
STEPS = {
    "announcement": "announcement:\n  date: 2025-04-05\n",
    "branch_decision": ("branch_decision:\n  date: 2025-04-08\n  expected: 5\n  present: 4\n"
                        "  opinion: 经支委会定性分析、集体决议，初定为后进党员。\n"
                        "  secretary: 王书记\n"),
    "general_review": "general_review:\n  date: 2025-04-10\n  opinion: 同意党支部初步意见。\n",
    "committee_review": ("committee_review:\n  date: 2025-04-15\n  opinion: 认定为后进党员。\n"
                         "  confirmed: true\n"),
    "transfer": "transfer:\n  date: 2025-04-20\n  to: b-edu\n",
    "rectification": ("rectification:\n  start: 2025-04-20\n  months: 3\n  mentors: [m02, m03]\n"
                      "  help: [1]\n  plan: 每月学习党章，按时参加组织生活。\n  reports:\n"
                      + "".join(f"    - {{month: 2025-{m:02d}, date: 2025-{m:02d}-28, "
                                f"evaluation_meeting: 2025-{m:02d}-25, evaluation: satisfied}}\n"
                                for m in range(4, 10))
                      + "  application: {date: 2025-07-20, summary: 申请转化合格}\n"),
    "first_resolution": ("resolutions:\n  - date: 2025-07-21\n    outcome: not_improved\n"
                         "    opinion: 无明显改进，延长三个月整改期。\n"
                         "    education_review: {date: 2025-07-21, opinion: 整改尚不到位。}\n"),
    "second_resolution": ("  - date: 2025-10-21\n    outcome: improved\n"
                          "    education_review: {date: 2025-10-20, opinion: 整改合格。}\n"),
    "approval": ("approval:\n  date: 2025-10-25\n  reply: 同意转回原党支部（工委批复〔2025〕8号）。\n"
                 "  returned_on: 2025-10-28\n"),
}
HEAD = "id: case-1\nmember: m01\nbranch: b-a\nquarter: 2025-Q1\n"


def laggard_data(data: DataDir) -> DataDir:
    """m01 falls to 40 in 2025-Q1; m02 and m03 are full members in good standing."""
    data.member("m01", name="张一", gender="男", education="高中", joined="2012-07")
    data.member("m02", name="李二")
    data.member("m03", name="王三", branch="b-edu")
    data.events(events_file(event("e1", "K5", "2025-02-10", points=-20),
                            event("e2", "K5", "2025-03-10", points=-20)),
                name="b-a/2025-03.yaml")
    return data


def write_case(data: DataDir, upto: str, *, moved: bool | None = None) -> None:
    """The case file with every step up to ``upto``; the member's record moved to the
    education branch while the relation is there (``moved`` overrides)."""
    keys = list(STEPS)
    text = HEAD + "".join(STEPS[k] for k in keys[:keys.index(upto) + 1])
    data.write("cases/b-a/case-1.yaml", text)
    transferred = keys.index(upto) >= keys.index("transfer") and upto != "approval"
    if moved is not None:
        transferred = moved
    path = data.root / "members" / "b-a" / "m01.yaml"
    if path.exists():
        path.unlink()
    edu = data.root / "members" / "b-edu" / "m01.yaml"
    if edu.exists():
        edu.unlink()
    data.member("m01", name="张一", gender="男", education="高中", joined="2012-07",
                branch="b-edu" if transferred else "b-a")
