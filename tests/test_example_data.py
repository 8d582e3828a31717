"""The example committee shipped in data/: clean, and showing everything the scheme does."""

from __future__ import annotations

import re

import pytest

from generator.model import Dataset
from generator.pipeline import check
from generator.score import FLAGS, standings
from tests.support import REPO

TODAY = "2026-11-25"  # the day the example data was last brought up to date


@pytest.fixture(scope="module")
def example() -> Dataset:
    dataset, diagnostics, _ = check(REPO / "data", today=TODAY)
    assert [d.format() for d in diagnostics] == []
    return dataset


def test_shape(example: Dataset) -> None:
    assert example.organization is not None
    kinds = {b.kind for b in example.organization.branches.values()}
    assert kinds == {"enterprise", "village", "flowing", "education"}
    assert len(example.organization.branches) >= 5
    assert 50 <= len(example.members) <= 80
    assert {m.category for m in example.members.values()} == {"full", "probationary", "activist"}


def test_every_rule_counts_somewhere_in_2025(example: Dataset) -> None:
    """Every item of 附件1 (the enterprise standard; the village one is an example whose
    placeholder items 11-13 stand for the committee's own text)."""
    used = {e.rule for s in standings(example, 2025) for e in s.entries}
    enterprise = next(c for c in example.catalogues if c.id == "enterprise")
    assert set(enterprise.versions) <= used


def test_every_flag_appears_at_the_end_of_2025(example: Dataset) -> None:
    seen = {f for s in standings(example, 2025) for f in s.flags}
    assert seen == set(FLAGS)


def test_boundaries_are_exercised(example: Dataset) -> None:
    scores = {s.score for s in standings(example, 2025)}
    assert {60, 90, 100} <= scores


def test_a_laggard_this_year(example: Dataset) -> None:
    assert any("laggard" in s.flags for s in standings(example, 2026, TODAY))


def test_no_phone_or_id_numbers_in_data() -> None:
    phone = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    id_number = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
    for path in (REPO / "data").rglob("*.yaml"):
        text = path.read_text("utf-8")
        assert not phone.search(text), path
        assert not id_number.search(text), path


def test_a_registrars_real_year(example: Dataset) -> None:
    """Members who join, become full or probationary members, move and leave; an
    attendance correction; a January correction of 2025-Q4 before the 2025 decisions."""
    members = example.members.values()
    assert any(m.joined_on and m.joined_on[:4] == "2025" for m in members)  # mid-year join
    assert any(tuple(c for _, c in m.categories) == ("probationary", "full")
               for m in members)  # 转正
    assert any(len(m.branches) > 1 for m in members)  # 组织关系转接
    assert any(m.left for m in members)  # 转出
    attendance = [c for c in example.corrections if c.attendance]
    assert attendance and all(c.corrects in {mt.id for mt in example.meetings}
                              for c in attendance)
    events = {e.id: e for e in example.events}
    january = [c for c in example.corrections if not c.attendance
               and c.date[:7] == "2026-01" and events[c.corrects].date[:4] == "2025"]
    decided = next(f for f in example.nominations.files if f.year == 2025 and f.branch is None)
    assert january and decided.confirmed is not None
    assert all(c.date < decided.confirmed.date for c in january)
    # the 2025 total counts it; the published Q4 figure does not
    member = events[january[0].corrects].member
    final = {s.member.id: s for s in standings(example, 2025, "2026-01-31")}[member]
    q4 = {s.member.id: s for s in standings(example, 2025)}[member]
    assert final.score is not None and q4.score is not None and final.score > q4.score


def test_the_readme_meeting_example_is_refused_as_a_duplicate(tmp_path) -> None:
    """The README's ``jifen add meeting`` example, run on the example data, would write a
    second copy of a meeting: every write validates the whole data, so it is refused."""
    import shutil

    from tests.support import run

    shutil.copytree(REPO / "data", tmp_path / "data")
    done = run("add", "meeting", "--branch", "b-xinyuan", "--date", "2026-11-10", "--title",
               "11月主题党日", "--absent", "m-xy-11", "--leave", "m-xy-02,m-xy-07", "--late",
               "m-xy-04", "--today", TODAY, cwd=tmp_path)
    assert done.code == 1
    assert "E319 党支部“b-xinyuan”在 2026-11-10 已登记会议“mt-b-xinyuan-2026-11”" in done.stdout + done.stderr
    assert (tmp_path / "data/meetings/b-xinyuan/2026.yaml").read_text("utf-8") == (
        REPO / "data/meetings/b-xinyuan/2026.yaml").read_text("utf-8")
