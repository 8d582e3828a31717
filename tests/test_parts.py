"""Planning the public bulletin part by part (``generator/parts.py``) gives exactly the
pages of planning the whole data set at once (``site.groups``): every group with the
same key (the digest of what it depends on), on several as-of dates, with and without
Git history, cold and after each of a series of edits; and after an edit of one file
only the component holding it is planned again."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from generator import incremental
from generator.cache import Cache
from generator.load import scan
from generator.parts import Parts
from generator.pipeline import check
from generator.provenance import for_data
from generator.site import groups, pages_key
from tests.support import REPO
from tests.test_incremental import (
    add_event,
    change_attendance,
    change_points,
    close_quarter_of,
    edit_text,
    move_member,
    remove_event,
    restore_all,
)

TODAY = "2026-11-29"
Keys = dict[str, str]


def whole(root: Path, as_of: str) -> Keys | None:
    """Every group's key, the data set planned at once (None: the data has errors)."""
    ds, diagnostics, _ = check(root, today=TODAY)
    if any(d.is_error for d in diagnostics):
        return None
    return {g.name: g.key or pages_key(g.build())
            for g in groups(ds, as_of, False, for_data(root))}


def in_parts(root: Path, cache: Cache, as_of: str, kept: Keys | None = None
             ) -> tuple[Keys, int] | None:
    """The same, planned part by part with the cache, as ``jifen build`` does when the
    work folder holds the groups ``kept``; and how many components were planned."""
    outcome = incremental.run(scan(root, cache), today=TODAY, cache=cache)
    assert outcome is not None
    if any(d.is_error for d in outcome.diagnostics):
        return None
    assert outcome.parts is not None
    parts = Parts(outcome.parts, outcome.context, as_of=as_of, provenance=for_data(root),
                  cache=cache)
    known = kept or {}
    found = {g.name: g.key or pages_key(g.build())
             for g in parts.groups(lambda name, key: known.get(name) == key)}
    return found, parts.planned


def same_both_ways(root: Path, cache: Cache, what: str, dates: tuple[str, ...],
                   kept: dict[str, Keys]) -> None:
    for as_of in dates:
        expected = whole(root, as_of)
        got = in_parts(root, cache, as_of, kept.get(as_of))
        if expected is None:
            assert got is None, what
            continue
        assert got is not None, what
        keys, _ = got
        assert sorted(keys) == sorted(expected), f"{what}, as of {as_of}"
        differing = [name for name in keys if keys[name] != expected[name]]
        assert not differing, f"{what}, as of {as_of}: {differing[:5]}"
        kept[as_of] = keys


def example(tmp_path: Path, git: bool = False) -> Path:
    root = tmp_path / "repo" / "data"
    shutil.copytree(REPO / "data", root)
    if git:
        for argv in (["init", "-q"], ["add", "-A"],
                     ["-c", "user.name=支部专人", "-c", "user.email=a@example.org", "commit",
                      "-q", "-m", "数据"]):
            subprocess.run(["git", "-C", str(root.parent), *argv], check=True)
    return root


DATES = ("2026-11-29", "2027-02-10", "2026-05-20", "2026-10-10")  # (a window open)


def test_the_example_data_in_parts_equals_the_whole(tmp_path: Path) -> None:
    root = example(tmp_path)
    same_both_ways(root, Cache(tmp_path / "cache"), "cold", DATES, {})


def test_with_git_history_the_ledgers_name_the_same_commits(tmp_path: Path) -> None:
    root = example(tmp_path, git=True)
    cache = Cache(tmp_path / "cache")
    kept: dict[str, Keys] = {}
    dates = ("2026-11-29",)
    same_both_ways(root, cache, "cold", dates, kept)
    edit_text(root, "events/b-lvzhou/2026-11.yaml", "违反厂区禁烟规定", "违反禁烟规定")
    same_both_ways(root, cache, "an uncommitted edit", dates, kept)
    subprocess.run(["git", "-C", str(root.parent), "-c", "user.name=支部书记", "-c",
                    "user.email=b@example.org", "commit", "-q", "-am", "改正"], check=True)
    same_both_ways(root, cache, "committed", dates, kept)


def new_member(root: Path) -> str:
    """A member with no record yet: in no file but their own (the branch's member count
    on the home and branches pages counts them)."""
    (root / "members" / "b-xinyuan" / "m-xy-99.yaml").write_text(
        "id: m-xy-99\nname: \"新党员\"\nbranch: b-xinyuan\ncategory: full\n"
        "joined_on: 2026-11-20\n", "utf-8")
    return "m-xy-99 joins b-xinyuan"


def reopen(root: Path, close: str) -> str:
    (root / close).unlink()
    return f"{close} deleted: the quarter reopened"


def test_after_each_edit_the_parts_equal_the_whole(tmp_path: Path) -> None:
    """Each kind of edit on the example data (closed quarters, laggard cases,
    objections, corrections, nominations), planning again only what changed."""
    root = example(tmp_path)
    original = tmp_path / "original"
    shutil.copytree(root, original)
    cache = Cache(tmp_path / "cache")
    kept: dict[str, Keys] = {}
    rng = random.Random(11)
    steps: list[Callable[[], str]] = [
        lambda: "nothing (cold)",
        lambda: "nothing (warm)",
        lambda: new_member(root),
        lambda: edit_text(root, "events/b-lvzhou/2026-11.yaml", "违反厂区禁烟规定", "违反禁烟规定"),
        lambda: add_event(random.Random(2), root),
        lambda: remove_event(random.Random(3), root),
        lambda: move_member(random.Random(4), root),
        lambda: change_attendance(random.Random(6), root),
        lambda: restore_all(root, original),
        lambda: reopen(root, "closes/b-lvzhou/2026-Q3.yaml"),
        lambda: close_quarter_of(root, "b-lvzhou", "2026-Q3", "2026-10-12"),
        lambda: restore_all(root, original),
        lambda: edit_text(root, "nominations/2025.yaml", "[m-hf-01, m-xy-01]",
                          "[m-hf-01]"),
        lambda: edit_text(root, "organization.yaml", "name: ", "name: 新"),
        lambda: restore_all(root, original),
        *(lambda: rng.choice((change_points, add_event, remove_event, move_member,
                              change_attendance))(rng, root) for _ in range(5)),
    ]
    for step, edit in enumerate(steps):
        same_both_ways(root, cache, f"step {step}: {edit()}", ("2026-11-29", "2027-02-10"),
                       kept)


def test_a_synthetic_committee_in_parts(tmp_path: Path) -> None:
    """Many components (a branch each), three quarters closed."""
    root = tmp_path / "data"
    subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"), str(root),
                    "--members", "300", "--events", "6000", "--year", "2025", "--closes",
                    "--today", "2025-12-31"], check=True, capture_output=True)
    cache = Cache(tmp_path / "cache")
    kept: dict[str, Keys] = {}
    dates = ("2025-12-31", "2025-10-20")
    global TODAY
    saved, TODAY = TODAY, "2025-12-31"
    try:
        same_both_ways(root, cache, "cold", dates, kept)
        change_points(random.Random(1), root)
        same_both_ways(root, cache, "one event", dates, kept)
    finally:
        TODAY = saved


def test_one_edit_plans_one_component(tmp_path: Path) -> None:
    root = example(tmp_path)
    cache = Cache(tmp_path / "cache")
    first = in_parts(root, cache, "2026-11-29")
    assert first is not None
    keys, planned = first
    outcome = incremental.run(scan(root, cache), today=TODAY, cache=cache)
    assert outcome is not None and outcome.parts is not None
    assert planned == len(outcome.parts.files) >= 3
    again = in_parts(root, cache, "2026-11-29", keys)
    assert again is not None and again == (keys, 0)
    edit_text(root, "events/b-lvzhou/2026-11.yaml", "违反厂区禁烟规定", "违反禁烟规定")
    after = in_parts(root, cache, "2026-11-29", keys)
    assert after is not None and after[1] == 1


def test_every_branch_is_planned_once(tmp_path: Path) -> None:
    """Each branch's pages come from one part: the component that owns it, or the rest."""
    root = example(tmp_path)
    cache = Cache(tmp_path / "cache")
    outcome = incremental.run(scan(root, cache), today=TODAY, cache=cache)
    assert outcome is not None and outcome.parts is not None
    parts = Parts(outcome.parts, outcome.context, as_of=TODAY, provenance=None, cache=cache)
    owned = [b for own in parts.owned.values() for b in own] + sorted(parts.rest)
    assert outcome.context.organization is not None
    assert sorted(owned) == sorted(outcome.context.organization.branches)
