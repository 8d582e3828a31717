"""Incremental checking (``generator/incremental.py``) gives exactly what checking the
whole data set at once gives: ``jifen validate`` (text and JSON) and ``jifen score
--format json`` after each of a series of random edits — points changed, events added,
duplicated and removed, members moved, attendance changed, quarters reopened and closed
again, files broken, mended, moved and deleted — compared byte for byte with the same
commands run without a cache (``--no-cache``: the whole data set, no engine)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from array import array
from collections.abc import Callable
from pathlib import Path
from zlib import adler32, crc32

import pytest

from generator import incremental
from generator.cache import Cache
from generator.load import scan
from tests.support import REPO, run

TODAY = "2026-11-29"
COMMANDS = (("validate",), ("validate", "--format", "json"),
            ("score", "--year", "2025", "--format", "json"),
            ("score", "--year", "2026", "--format", "json"))


def same_both_ways(root: Path, cache: Path, what: str) -> None:
    for argv in COMMANDS:
        args = (*argv, "--data", str(root), "--today", TODAY)
        engine = run(*args, env={"JIFEN_CACHE_DIR": str(cache)})
        whole = run(*args, "--no-cache")
        assert engine == whole, f"{' '.join(argv)} after: {what}"


def files(root: Path, folder: str) -> list[Path]:
    return sorted((root / folder).rglob("*.yaml"))


# --- edits: each changes the data the way a registrar (or an accident) might; its description


def _records(text: str) -> list[str]:
    return text.split("\n  - id: ")


def change_points(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "events") + files(root, "additions"))
    text = path.read_text("utf-8")
    found = list(re.finditer(r"\n    points: (-?\d+)", text))
    if not found:
        return "nothing"
    hit = rng.choice(found)
    points = rng.choice([-20, -5, -3, -1, 1, 2, 5, 999])
    path.write_text(text[:hit.start(1)] + str(points) + text[hit.end(1):], "utf-8")
    return f"points {points} in {path.name}"


def add_event(rng: random.Random, root: Path) -> str:
    """A copy of an event: as it is (a duplicate id), with a new id (a possible
    duplicate, W104), or with a new id in another branch's file."""
    source = rng.choice(files(root, "events") + files(root, "additions"))
    blocks = _records(source.read_text("utf-8"))
    if len(blocks) < 2:
        return "nothing"
    block = rng.choice(blocks[1:]).rstrip("\n")
    how = rng.choice(["same id", "new id", "new id elsewhere"])
    if how != "same id":
        block = re.sub(r"^(\S+)", rf"\g<1>-copy{rng.randrange(1000)}", block, count=1)
    target = source if how != "new id elsewhere" else rng.choice(files(root, "events"))
    text = target.read_text("utf-8")
    target.write_text(text.rstrip("\n") + "\n  - id: " + block + "\n", "utf-8")
    return f"event copied ({how}) into {target.parent.name}/{target.name}"


def remove_event(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "events") + files(root, "additions"))
    blocks = _records(path.read_text("utf-8"))
    if len(blocks) < 3:
        return "nothing"
    del blocks[1 + rng.randrange(len(blocks) - 1)]
    path.write_text("\n  - id: ".join(blocks).rstrip("\n") + "\n", "utf-8")
    return f"event removed from {path.name}"


def move_member(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "members"))
    text = path.read_text("utf-8")
    branches = sorted(p.name for p in (root / "members").iterdir())
    branch = rng.choice(branches)
    path.write_text(re.sub(r"(?m)^branch: \S+", f"branch: {branch}", text, count=1), "utf-8")
    return f"{path.stem} now in {branch}"


def change_attendance(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "meetings"))
    text = path.read_text("utf-8")
    members = sorted(p.stem for p in (root / "members" / path.parent.name).glob("*.yaml"))
    if not members or "\n    title: " not in text:
        return "nothing"
    starts = [m.start() for m in re.finditer(r"\n    title: ", text)]
    at = rng.choice(starts)
    key = rng.choice(["absent", "leave", "late"])
    who = rng.choice([*members, "m-nobody"])
    path.write_text(text[:at] + f"\n    {key}: [{who}]" + text[at:], "utf-8")
    return f"{who} {key} in {path.parent.name}/{path.name}"


def reopen_quarter(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "closes"))
    path.unlink()
    return f"close {path.parent.name}/{path.name} removed"


def close_quarter_of(root: Path, branch: str, quarter: str, meeting: str) -> str:
    done = run("close", branch, quarter, "--meeting", meeting, "--data", str(root),
               "--today", TODAY, "--no-cache")
    assert done.code == 0, done.stderr
    return f"close {branch} {quarter}"


def close_quarter(rng: random.Random, root: Path) -> str:
    """Close a quarter that is open (``jifen close``, on valid data only)."""
    branches = sorted(p.name for p in (root / "meetings").iterdir())
    branch = rng.choice(branches)
    for quarter, meeting in (("2025-Q4", "2026-01-10"), ("2026-Q1", "2026-04-10"),
                             ("2026-Q2", "2026-07-10"), ("2026-Q3", "2026-10-10")):
        if not (root / "closes" / branch / f"{quarter}.yaml").exists():
            done = run("close", branch, quarter, "--meeting", meeting, "--data", str(root),
                       "--today", TODAY, "--no-cache")
            return f"close {branch} {quarter}: exit {done.code}"
    return "nothing"


def break_file(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "events") + files(root, "meetings") + files(root, "members"))
    text = path.read_text("utf-8")
    path.write_text(text.replace(": ", ': "', 1), "utf-8")
    return f"{path.parent.name}/{path.name} is no longer YAML"


def move_file(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "events"))
    folders = sorted(p.name for p in (root / "events").iterdir())
    target = root / "events" / rng.choice(folders) / f"moved-{rng.randrange(1000)}.yaml"
    path.rename(target)
    return f"{path.parent.name}/{path.name} moved to {target.parent.name}"


def delete_file(rng: random.Random, root: Path) -> str:
    path = rng.choice(files(root, "events") + files(root, "members") + files(root, "cases")
                      + files(root, "objections"))
    path.unlink()
    return f"{path.parent.name}/{path.name} deleted"


EDITS: tuple[Callable[[random.Random, Path], str], ...] = (
    change_points, add_event, remove_event, move_member, change_attendance,
    reopen_quarter, close_quarter, break_file, move_file, delete_file)


def restore(rng: random.Random, root: Path, original: Path) -> str:
    """Put one changed (or deleted) file back as it was."""
    differing = [p.relative_to(original) for p in sorted(original.rglob("*.yaml"))
                 if not (root / p.relative_to(original)).exists()
                 or (root / p.relative_to(original)).read_bytes() != p.read_bytes()]
    if not differing:
        return "nothing"
    relative = rng.choice(differing)
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(original / relative, root / relative)
    return f"{relative} restored"


def example(tmp_path: Path) -> Path:
    """A copy of the example data: every kind of file, closed quarters, laggard cases,
    objections, corrections and the year-end nominations."""
    root = tmp_path / "data"
    shutil.copytree(REPO / "data", root)
    return root


def test_the_engine_checks_the_example_data() -> None:
    assert incremental.usable(scan(REPO / "data"))


def restore_all(root: Path, original: Path) -> str:
    shutil.rmtree(root)
    shutil.copytree(original, root)
    return "everything restored"


def edit_text(root: Path, relative: str, old: str, new: str) -> str:
    path = root / relative
    text = path.read_text("utf-8")
    assert old in text, (relative, old)
    path.write_text(text.replace(old, new, 1), "utf-8")
    return f"{relative}: {old!r} -> {new!r}"


def test_incremental_runs_equal_whole_runs_over_each_kind_of_edit(tmp_path: Path) -> None:
    """Each kind of edit in turn, on the example data (closed quarters, laggard cases,
    objections, corrections, nominations), then random ones."""
    root = example(tmp_path)
    original = tmp_path / "original"
    shutil.copytree(root, original)
    cache = tmp_path / "cache"
    rng = random.Random(1)
    steps: list[Callable[[], str]] = [
        lambda: "nothing (cold)",
        lambda: edit_text(root, "events/b-lvzhou/2026-11.yaml", "违反厂区禁烟规定", "违反禁烟规定"),
        lambda: change_points(random.Random(5), root),  # in a closed quarter: E317
        lambda: add_event(random.Random(2), root),
        lambda: remove_event(random.Random(3), root),
        lambda: move_member(random.Random(4), root),
        lambda: change_attendance(random.Random(6), root),
        lambda: restore_all(root, original),
        lambda: str((root / "closes" / "b-lvzhou" / "2026-Q3.yaml").unlink()),  # reopened
        lambda: close_quarter_of(root, "b-lvzhou", "2026-Q3", "2026-10-12"),
        lambda: break_file(random.Random(7), root),
        lambda: restore_all(root, original),
        lambda: delete_file(random.Random(8), root),
        lambda: move_file(random.Random(9), root),
        lambda: restore_all(root, original),
        # the year-end nominations, checked against everyone's figures for the year
        lambda: edit_text(root, "nominations/2025.yaml",
                          "  - member: m-fl-05\n    action: transfer_postponed\n"
                          "    date: 2026-01-23\n", ""),  # a list undecided (W201)
        lambda: edit_text(root, "nominations/2025.yaml", "[m-hf-01, m-xy-01]",
                          "[m-hf-01, m-xy-01, m-dc-09]"),  # not eligible
        lambda: "; ".join(  # m-xy-01's year falls below the line: no longer eligible
            edit_text(root, f"additions/b-xinyuan/2025-{month}.yaml", "member: m-xy-01",
                      "member: m-xy-02") for month in ("03", "04", "05", "06")),
        lambda: edit_text(root, "events/b-lvzhou/2026-11.yaml", "member: m-lz-", "member: m-x"),
        lambda: restore_all(root, original),
        # the routine (督导, W401-W405): a short 公示期, a close late, a month's meeting gone
        lambda: edit_text(root, "closes/b-lvzhou/2026-Q3.yaml", "until: 2026-10-14",
                          "until: 2026-10-10"),
        lambda: edit_text(root, "closes/b-lvzhou/2026-Q3.yaml", "meeting: 2026-10-08",
                          "meeting: 2026-11-08"),
        lambda: edit_text(root, "meetings/b-lvzhou/2026.yaml", "date: 2026-10-",
                          "date: 2026-09-"),
        lambda: restore_all(root, original),
        # the 党工委's direct deductions: an item the policy does not allow (E421)
        lambda: edit_text(root, "direct/b-v-xicun/2026-10.yaml", "rule: K8", "rule: K1.1"),
        lambda: restore_all(root, original),
        *(lambda: rng.choice(EDITS)(rng, root) for _ in range(6)),
    ]
    for step, edit in enumerate(steps):
        same_both_ways(root, cache, f"step {step}: {edit()}")


def test_a_synthetic_committee_over_random_edits(tmp_path: Path) -> None:
    """Many small components (a branch each, as in a county), with possible duplicates."""
    root = tmp_path / "data"
    subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"), str(root),
                    "--members", "300", "--events", "4000", "--year", "2025",
                    "--duplicates", "0.02"], check=True, capture_output=True)
    original = tmp_path / "original"
    shutil.copytree(root, original)
    cache = tmp_path / "cache"
    same_both_ways(root, cache, "nothing (cold)")
    rng = random.Random(3)
    for step in range(10):
        edit = rng.choice((change_points, add_event, remove_event, move_member,
                           change_attendance, break_file, move_file, delete_file))
        what = restore(rng, root, original) if step % 4 == 3 else edit(rng, root)
        same_both_ways(root, cache, f"step {step}: {what}")


def test_one_edit_recomputes_one_component(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit of one event file (in a quarter not closed yet), only the component
    holding it is checked again; the others' results come from the cache."""
    root = example(tmp_path)
    cache = Cache(tmp_path / "cache")
    first = incremental.run(scan(root, cache), today=TODAY, cache=cache)
    assert first is not None
    checked: list[int] = []
    real = incremental.check_component

    def counting(*args: object, **kwargs: object) -> incremental.Found:
        checked.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]  # the real function, counted

    monkeypatch.setattr(incremental, "check_component", counting)
    path = root / "events" / "b-lvzhou" / "2026-11.yaml"
    path.write_text(path.read_text("utf-8").replace("违反厂区禁烟规定", "违反禁烟规定"), "utf-8")
    again = incremental.run(scan(root, cache), today=TODAY, cache=cache)
    assert again is not None and again.diagnostics == first.diagnostics
    assert checked == [1]


def hashes(*links: str) -> bytes:
    """Link hashes as files carry them (``load.link_hashes``)."""
    return array("Q", sorted({crc32(x.encode()) << 32 | adler32(x.encode())
                              for x in links})).tobytes()


def test_files_sharing_a_link_form_one_component_and_edits_merge_them() -> None:
    files = ["events/a.yaml", "members/a/m1.yaml", "events/b.yaml", "members/b/m2.yaml"]
    links = [hashes("m\0m1", "r\0e1"), hashes("m\0m1"), hashes("m\0m2", "r\0e2"),
             hashes("m\0m2")]
    first = incremental.partition(files, ["k1", "k2", "k3", "k4"], links)
    assert [first.files[f][1] for f in files] == [0, 0, 1, 1]
    # events/b.yaml now also names m1 (a member of the other component): one component
    merged = incremental.update(first, files, ["k1", "k2", "k3x", "k4"],
                                {2: hashes("m\0m2", "m\0m1", "r\0e2")})
    assert len({merged.files[f][1] for f in files}) == 1
    # an edit that reaches nothing new: its component is numbered anew, the other kept
    alone = incremental.update(first, files, ["k1x", "k2", "k3", "k4"],
                               {0: hashes("m\0m1", "r\0e1b")})
    assert alone.files[files[0]][1] == alone.files[files[1]][1] != first.files[files[0]][1]
    assert alone.files[files[2]][1] == alone.files[files[3]][1] == first.files[files[2]][1]
    # unchanged: the same partition
    assert incremental.update(first, files, ["k1", "k2", "k3", "k4"], {}) is first
