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
    used = {e.rule for s in standings(example, 2025) for e in s.entries}
    catalogue = {code for c in example.catalogues for code in c.versions}
    assert used == catalogue


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
