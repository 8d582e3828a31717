"""The site rebuilds only what changed, and what it builds is what a build from scratch
builds, byte for byte.

Real ``jifen build`` processes (real MkDocs, real Git where provenance matters): a site
is built, the data edited, the site rebuilt in the same folder; then the whole output
tree is compared with a build of the same data into an empty folder. Each rebuild also
says (``JIFEN_TIMINGS``) how many page groups it planned and rebuilt and how MkDocs ran,
which shows that it was incremental.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import PUBLISHED
from generator.workdir import MANIFEST
from tests.support import DataDir, event, events_file
from tests.test_site import AS_OF, fixture

JIFEN = Path(sys.executable).parent / "jifen"
WORK = ".site.jifen-work"
TIMINGS = re.compile(r"check=\S+ (?P<stages>.*) groups=(?P<groups>\d+) rebuilt=(?P<rebuilt>\d+)")


class Built:
    """What a build said of itself."""

    def __init__(self, stderr: str) -> None:
        match = TIMINGS.search(stderr)
        assert match, stderr
        self.groups, self.rebuilt = int(match["groups"]), int(match["rebuilt"])
        self.stages = {k.strip(): float(v) for k, v in
                       re.findall(r"([a-z][a-z -]*)=([0-9.]+)s", match["stages"])}
        self.mkdocs = next((k for k in self.stages if "mkdocs" in k), "")


def environment(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ, JIFEN_TIMINGS="1")
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def build(data: Path, out: Path, *extra: str, processes: int = 1) -> Built:
    """Build with ``processes`` processes (one, unless a test asks: the small test sites
    would get one anyway): rendering workers, and MkDocs shards when everything is
    built."""
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(JIFEN), "build", "--data", str(data), "--out", str(out),
                           "--as-of", AS_OF, "--today", AS_OF, *extra], cwd=out.parent,
                          capture_output=True, text=True, check=False,
                          env=environment(JIFEN_PROCESSES=str(processes)))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return Built(done.stderr)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def assert_as_from_scratch(data: Path, out: Path, scratch: Path, *extra: str) -> None:
    """``out`` holds, byte for byte, what a build of ``data`` into an empty folder holds."""
    build(data, scratch / "site", *extra)
    mine, theirs = tree(out), tree(scratch / "site")
    assert sorted(mine) == sorted(theirs)
    assert [p for p in theirs if mine[p] != theirs[p]] == []


def assert_mirrored(out: Path) -> None:
    """The staging tree is the output's mirror: the same files, as hard links."""
    staging = out.parent / WORK / "staging"
    files = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert {p.relative_to(staging) for p in staging.rglob("*") if p.is_file()} == files
    assert all(os.path.samefile(out / p, staging / p) for p in files)


# --- edits ---------------------------------------------------------------------------------------

def edit_event(data: DataDir) -> None:
    """An event of the running quarter (2026-Q1): internal only."""
    path = data.root / "events/b-a/2026-01.yaml"
    path.write_text(path.read_text("utf-8").replace("2026-01-20", "2026-01-21"), "utf-8")


def edit_correction(data: DataDir) -> None:
    """A correction of an event of a closed quarter: public."""
    path = data.root / "events/b-a/2026-01.yaml"
    path.write_text("corrections:\n  - {id: cr2, corrects: e4, date: 2026-01-15, reason: 误登}\n"
                    + path.read_text("utf-8"), "utf-8")


def edit_name(data: DataDir) -> None:
    data.member("m01", name="张一改", posts=["组织委员"])


def edit_policy(data: DataDir) -> None:
    path = data.root / "policy.yaml"
    text = path.read_text("utf-8")
    assert "excellent_at_least: 100 " in text
    path.write_text(text.replace("excellent_at_least: 100 ", "excellent_at_least: 95 "), "utf-8")


def edit_close(data: DataDir) -> None:
    data.close("b-flow", "2025-Q2", "2025-07-09", today=AS_OF)


EDITS: dict[str, Callable[[DataDir], None]] = {
    "event": edit_event, "correction": edit_correction, "name": edit_name,
    "policy": edit_policy, "close": edit_close}


@pytest.mark.parametrize(("edit", "variant"), [
    ("event", "public"), ("event", "internal"), ("correction", "public"),
    ("name", "public"), ("policy", "public"), ("close", "public"), ("close", "internal")])
def test_a_rebuild_after_an_edit_equals_a_build_from_scratch(
        data: DataDir, tmp_path: Path, edit: str, variant: str) -> None:
    extra = ("--internal",) if variant == "internal" else ()
    fixture(data)
    out = tmp_path / "a/site"
    first = build(data.root, out, *extra)
    assert first.rebuilt == first.groups and first.mkdocs == "mkdocs"
    EDITS[edit](data)
    again = build(data.root, out, *extra)
    assert_as_from_scratch(data.root, out, tmp_path / "b", *extra)
    assert_mirrored(out)
    if edit == "policy":
        return  # every figure may move
    # incremental: a few page groups built again, MkDocs on the changed pages only (or not
    # at all: a running quarter's event is not on the public site)
    assert again.groups >= first.groups
    if (edit, variant) == ("event", "public"):
        assert (again.rebuilt, again.mkdocs) == (0, "mkdocs skipped")
        assert "publish skipped" in again.stages
    else:
        assert 0 < again.rebuilt < again.groups // 2
        assert again.mkdocs in ("mkdocs --dirty", "mkdocs")  # a new quarter: a new nav


@pytest.mark.parametrize("variant", ["public", "internal"])
def test_several_processes_build_what_one_builds(data: DataDir, tmp_path: Path,
                                                 variant: str) -> None:
    """A large site is rendered by one worker per core and built by one MkDocs process
    per core, each its share of the pages (the hook's shards): the same bytes as one
    process."""
    extra = ("--internal",) if variant == "internal" else ()
    fixture(data)
    build(data.root, tmp_path / "one/site", *extra)
    build(data.root, tmp_path / "three/site", *extra, processes=3)
    one, three = tree(tmp_path / "one/site"), tree(tmp_path / "three/site")
    assert sorted(one) == sorted(three)
    assert [p for p in one if one[p] != three[p]] == []
    # and a rebuild after edits that change many pages, by the workers
    edit_policy(data)
    edit_name(data)
    again = build(data.root, tmp_path / "three/site", *extra, processes=3)
    assert again.rebuilt > 5
    assert_as_from_scratch(data.root, tmp_path / "three/site", tmp_path / "scratch", *extra)
    assert (tmp_path / "three" / WORK / variant / "site").is_dir()
    assert not list((tmp_path / "three" / WORK / variant).glob("site.*"))


def test_nothing_changed_builds_nothing(data: DataDir, tmp_path: Path) -> None:
    """The same inputs (data, dates, variant, code) as the site published: not even the
    data is checked again. Another day: checked and planned again, and nothing written."""
    fixture(data)
    settled = time.time() - 3600  # the cache trusts what it saw of files not just written
    for path in data.root.rglob("*.yaml"):
        os.utime(path, (settled, settled))
    out = tmp_path / "site"
    build(data.root, out)
    before = tree(out)
    again = build(data.root, out)
    assert (again.rebuilt, list(again.stages)) == (0, ["up to date"])
    assert tree(out) == before
    done = subprocess.run([str(JIFEN), "build", "--data", str(data.root), "--out", str(out),
                           "--as-of", AS_OF, "--today", "2026-02-16"], cwd=tmp_path,
                          capture_output=True, text=True, check=False, env=environment())
    assert done.returncode == 0, done.stderr
    later = Built(done.stderr)
    assert (later.rebuilt, later.mkdocs) == (0, "mkdocs skipped")
    assert "publish skipped" in later.stages
    assert tree(out) == before


def test_a_rebuild_as_of_another_day_equals_a_build_from_scratch(data: DataDir,
                                                                 tmp_path: Path) -> None:
    """Five days on, no public page changes, but the as-of date dates the build
    (``SOURCE_DATE_EPOCH``: the gzipped sitemap's header): MkDocs runs again."""
    fixture(data)
    out = tmp_path / "a/site"
    build(data.root, out)
    later = subprocess.run([str(JIFEN), "build", "--data", str(data.root), "--out", str(out),
                            "--as-of", "2026-02-20", "--today", "2026-02-20"], cwd=out.parent,
                           capture_output=True, text=True, check=False, env=environment())
    assert later.returncode == 0, later.stderr
    assert Built(later.stderr).mkdocs == "mkdocs --dirty"
    scratch = tmp_path / "b/site"
    scratch.parent.mkdir()
    done = subprocess.run([str(JIFEN), "build", "--data", str(data.root), "--out", str(scratch),
                           "--as-of", "2026-02-20", "--today", "2026-02-20"], cwd=scratch.parent,
                          capture_output=True, text=True, check=False, env=environment())
    assert done.returncode == 0, done.stderr
    assert tree(out) == tree(scratch)


def test_a_member_who_leaves_the_data_takes_their_pages_along(data: DataDir,
                                                              tmp_path: Path) -> None:
    fixture(data)
    data.member("m05", name="孙五", joined_on="2026-01-05")
    data.events(events_file(event("e9", "K7", "2026-02-02", member="m05", points=-2)),
                name="b-a/2026-02.yaml")
    out = tmp_path / "a/site"
    build(data.root, out, "--internal")
    pages = [p for p in tree(out) if p.startswith("members/m05/")]
    assert "members/m05/2026/index.html" in pages
    index = (out / "search/search_index.json").read_text("utf-8")
    assert "孙五" in index
    (data.root / "members/b-a/m05.yaml").unlink()
    (data.root / "events/b-a/2026-02.yaml").unlink()
    again = build(data.root, out, "--internal")
    assert again.mkdocs == "mkdocs --dirty"
    assert not (out / "members/m05").exists()
    assert "孙五" not in (out / "search/search_index.json").read_text("utf-8")
    assert_as_from_scratch(data.root, out, tmp_path / "b", "--internal")
    assert_mirrored(out)


def _damage_manifest(work: Path) -> None:
    (work / "public" / MANIFEST).write_text('{"version": 1, "groups": [')


def _delete_work(work: Path) -> None:
    shutil.rmtree(work)


def _delete_site(work: Path) -> None:
    shutil.rmtree(work / "public/site")


def _delete_page(work: Path) -> None:
    (work / "public/docs/members/m01/2025.md").unlink()


def _delete_published(work: Path) -> None:
    (work / PUBLISHED).write_text("garbage")


@pytest.mark.parametrize("damage", [_damage_manifest, _delete_work, _delete_site,
                                    _delete_page, _delete_published])
def test_a_damaged_work_folder_means_building_it_again(data: DataDir, tmp_path: Path,
                                                       damage: Callable[[Path], None]) -> None:
    """Whatever happened to the work folder, the next build publishes the right site:
    without a usable manifest it builds everything; a page deleted behind the manifest's
    back is built again."""
    fixture(data)
    out = tmp_path / "a/site"
    build(data.root, out)
    edit_name(data)
    damage(out.parent / WORK)
    again = build(data.root, out)
    if damage in (_damage_manifest, _delete_work, _delete_site):
        assert (again.rebuilt, again.mkdocs) == (again.groups, "mkdocs")
    assert_as_from_scratch(data.root, out, tmp_path / "b")
    assert_mirrored(out)
    manifest = json.loads((out.parent / WORK / "public" / MANIFEST).read_text("utf-8"))
    assert manifest["unpublished"] == [] and manifest["published"]


def git(data: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(data), "-c", "user.name=登记员", "-c",
                    "user.email=registrar@example.org", "-c", "commit.gpgsign=false", *args],
                   check=True, capture_output=True)


def test_a_rebuild_after_a_commit_equals_a_build_from_scratch(data: DataDir,
                                                              tmp_path: Path) -> None:
    """With the data in Git, ledger lines name the commit of their record (provenance)."""
    fixture(data)
    git(data.root, "init", "-q", "-b", "main")
    git(data.root, "add", "-A")
    git(data.root, "commit", "-q", "-m", "Data (#1)")
    out = tmp_path / "a/site"
    build(data.root, out, "--internal")
    edit_event(data)
    git(data.root, "commit", "-q", "-am", "Move an event (#2)")
    again = build(data.root, out, "--internal")
    assert 0 < again.rebuilt < again.groups // 2
    member = (out / "members/m02/2026/index.html").read_text("utf-8")
    assert "#2" in member
    assert_as_from_scratch(data.root, out, tmp_path / "b", "--internal")


# --- progress ------------------------------------------------------------------------------------

def on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal: (exit code, what it wrote there)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal closed: the build ended
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif process.poll() is not None:
                break
    finally:
        os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_a_build_says_how_it_goes_on_a_terminal_only(data: DataDir, tmp_path: Path) -> None:
    """MkDocs-style lines on a terminal; nothing in a log (stderr not a terminal) nor in
    CI (``CI`` set), even on a terminal."""
    fixture(data)
    args = [str(JIFEN), "build", "--data", str(data.root), "--as-of", AS_OF, "--today", AS_OF]
    code, said = on_a_terminal(args, tmp_path, environment(CI=None, JIFEN_TIMINGS=None))
    assert code == 0, said
    lines = [line for line in said.splitlines() if line.startswith("INFO    -  ")]
    assert lines[0] == "INFO    -  检查数据……"
    assert any(line.startswith("INFO    -  页面：共 ") for line in lines), said
    assert "INFO    -  MkDocs 正在生成网页……" in lines
    assert re.fullmatch(r"INFO    -  MkDocs：需要生成 \d+ 个网页", lines[lines.index(
        "INFO    -  MkDocs 正在生成网页……") + 1])  # from the MkDocs process (the hook)
    assert "INFO    -  发布网站……" in lines
    for folder in ("site", WORK):
        shutil.rmtree(tmp_path / folder)
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, check=False,
                          env=environment(CI=None, JIFEN_TIMINGS=None))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    for folder in ("site", WORK):
        shutil.rmtree(tmp_path / folder)
    code, said = on_a_terminal(args, tmp_path, environment(CI="true", JIFEN_TIMINGS=None))
    assert code == 0, said
    assert "INFO" not in said
