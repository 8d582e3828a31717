"""Hostile or damaged input around Git and the cache never gives a traceback.

File names from Git (``jifen diff``) and on disk may hold spaces, newlines, Chinese, or
bytes that are not UTF-8; the cache (one SQLite file) and the build's index of rendered
pages may hold anything. Everything runs for real: ``git`` in temporary repositories,
the ``jifen`` command, the SQLite file damaged in place.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
from pathlib import Path

import pytest

from generator.cache import seal, unseal
from tests.support import DataDir, Result, event, events_file, run

AS = ("-c", "user.name=t", "-c", "user.email=t@example.invalid")
BAD = os.fsdecode(b"bad\xff\xfe.yaml")  # a name that is not UTF-8, as Python names it


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *AS, *args], capture_output=True,
                          text=True, check=True).stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def jifen(cwd: Path, *args: str, cache: Path | None = None) -> Result:
    """In this process (``tests.support.run``): an exception would fail the test."""
    return run(*args, cwd=cwd, env={"JIFEN_CACHE_DIR": str(cache)} if cache else None)


def diff(root: Path, *args: str) -> Result:
    return jifen(root, "diff", *args, "--as-of", "2025-12-31", "--today", "2026-01-15")


def settle(root: Path) -> None:
    """Date the files a minute back: the stat index trusts them, so the memo is used."""
    for path in root.rglob("*"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 60 * 10**9))


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, DataDir]:
    root = tmp_path / "repo"
    data = DataDir(root / "data")
    data.member("m01", name="张一")
    data.events(events_file(event("e1", "J3", "2025-03-01")))
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    git(root, "checkout", "-qb", "change")
    return root, data


# --- jifen diff: file names --------------------------------------------------------------------


def test_a_name_that_is_not_utf8_is_an_error_and_the_rest_of_the_diff_works(
        repo: tuple[Path, DataDir]) -> None:
    root, data = repo
    (data.root / "events" / BAD).write_text(events_file(event("e9", "J3", "2025-03-09")),
                                            "utf-8")
    data.events(events_file(event("e1", "J3", "2025-03-01"), event("e2", "J3", "2025-03-02")))
    commit(root, "a name git keeps as bytes")
    shown = "data/events/bad\\xff\\xfe.yaml"
    for revisions in (("main", "HEAD"), ("main",)):  # a revision, and the working tree
        result = diff(root, *revisions, "--format", "json")
        assert result.code == 1, result.stderr
        report = json.loads(result.stdout)
        assert [(e["path"], e["code"]) for e in report["introduced_errors"]] == [(shown, "E120")]
        assert "不是 UTF-8 编码" in report["introduced_errors"][0]["message"]
        assert shown in report["introduced_errors"][0]["message"]
        assert report["records"] == [{"kind": "event", "id": "e2", "change": "added",
                                      "member": "m01", "fields": []}]
        text = diff(root, *revisions).stdout
        assert "E120" in text and "bad&#92;xff&#92;xfe.yaml" in text


def test_names_with_newlines_spaces_and_chinese_are_read(repo: tuple[Path, DataDir]) -> None:
    root, data = repo
    names = ["b-a/三月 登记.yaml", "b-a/a\nb.yaml", 'b-a/t\t"q" \\.yaml']
    for i, name in enumerate(names):
        data.events(events_file(event(f"n{i}", "K7", "2025-03-05", points=-2)), name=name)
    commit(root, "unusual names")
    result = diff(root, "main", "HEAD", "--format", "json")
    assert result.code == 0, result.stderr
    assert sorted((r["id"], r["change"]) for r in json.loads(result.stdout)["records"]) == [
        ("n0", "added"), ("n1", "added"), ("n2", "added")]
    for i, name in enumerate(names):
        data.events(events_file(event(f"n{i}", "K7", "2025-03-05", points=-3)), name=name)
    result = diff(root, "HEAD", "--format", "json")  # against the working tree
    assert result.code == 0, result.stderr
    assert {r["id"]: r["fields"] for r in json.loads(result.stdout)["records"]} == {
        "n0": ["points"], "n1": ["points"], "n2": ["points"]}
    data.events("events: [\n", name="b-a/坏 文件\n.yaml")
    commit(root, "a broken file")
    result = diff(root, "main", "HEAD", "--format", "json")
    assert result.code == 1
    assert [(e["path"], e["code"]) for e in json.loads(result.stdout)["introduced_errors"]] == [
        ("data/events/b-a/坏 文件\n.yaml", "E101")]
    comment = diff(root, "main", "HEAD").stdout
    assert "- `data/events/b-a/坏 文件 .yaml:2:1` E101" in comment  # on one line


# --- jifen validate: the same names on disk, with the command memo --------------------------


def test_validate_reports_a_name_that_is_not_utf8(data: DataDir, tmp_path: Path) -> None:
    data.member("m01")
    first = data.root / "events" / BAD
    first.parent.mkdir()
    first.write_text(events_file(event("e1", "J3", "2025-03-01")), "utf-8")
    settle(data.root)
    cache = tmp_path / "cache"
    runs = [jifen(tmp_path, "validate", "--data", str(data.root), "--today", "2026-01-15",
                  cache=cache) for _ in range(2)]  # the second is replayed from the memo
    for done in runs:
        assert done.code == 1
        assert f"{data.root}/events/bad\\xff\\xfe.yaml:1:1: E120" in done.stdout
    assert runs[0].stdout == runs[1].stdout
    first.rename(data.root / "events" / os.fsdecode(b"other\xff.yaml"))
    done = jifen(tmp_path, "validate", "--data", str(data.root), "--today", "2026-01-15",
                 cache=cache)
    assert "other\\xff.yaml" in done.stdout and "bad\\xff" not in done.stdout


# --- the cache: damaged rows, wrong shapes, a damaged file -------------------------------------


def _rows(cache: Path) -> list[tuple[str, bytes]]:
    with sqlite3.connect(cache / "cache.sqlite3") as db:
        return db.execute("SELECT key, blob FROM entries ORDER BY key").fetchall()


def _overwrite(cache: Path, blob: bytes) -> None:
    db = sqlite3.connect(cache / "cache.sqlite3")
    with db:
        db.execute("UPDATE entries SET blob = ?", (blob,))
    db.close()


WRONG = {
    "garbage": os.urandom(64),
    "empty": b"",
    "a truncated pickle": seal(pickle.dumps({"x": list(range(100))}))[:40],
    "a tuple of three": seal(pickle.dumps((1, 2, 3))),
    "a pair that is no output": seal(pickle.dumps((0, "nothing"))),
    "a broken parse result": seal(pickle.dumps((None, [("E100",)], frozenset()))),
    "a result with a bad diagnostic": seal(pickle.dumps(({}, [("E1", "m", "1", 1, ())],
                                                         frozenset()))),
    "an index of strings": seal(pickle.dumps({"a": "b"})),
    "a class that is gone": seal(b"cgenerator.cache\nNoSuchThing\n(tR."),
    "text": seal(pickle.dumps("text")),
}


@pytest.mark.parametrize("wrong", WRONG.values(), ids=WRONG.keys())
def test_anything_in_the_cache_rows_is_a_miss_and_is_overwritten(
        data: DataDir, tmp_path: Path, wrong: bytes) -> None:
    data.member("m01")
    data.member("m02", name="李二")
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-3)))
    settle(data.root)
    cache = tmp_path / "cache"
    commands = [("validate",), ("score", "--year", "2025")]

    def once(command: tuple[str, ...]) -> tuple[int, str, str]:
        done = jifen(tmp_path, *command, "--data", str(data.root), "--today", "2026-01-15",
                     cache=cache)
        return done.code, done.stdout, done.stderr

    clean = [once(command) for command in commands]
    assert clean[0][0] == 0 and "李二" in clean[1][1]
    assert [once(command) for command in commands] == clean  # replayed from the memo
    rows = len(_rows(cache))
    # parse results, the stat index, the two commands' output, and what incremental
    # checking keeps: the partition, the context's diagnostics, the one component's
    # diagnostics and its standings
    assert rows == 7 + 1 + 2 + 4
    _overwrite(cache, wrong)
    assert [once(command) for command in commands] == clean
    after = _rows(cache)
    assert len(after) == rows and all(blob != wrong for _, blob in after)
    assert all(unseal(blob) is not None for _, blob in after)


def _damage(cache: Path, how: str) -> None:
    path = cache / "cache.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    if how == "garbage":
        path.write_bytes(os.urandom(8192))
    elif how == "truncated":
        with path.open("r+b") as file:
            file.truncate(path.stat().st_size // 3)
    else:  # a valid database, but not ours
        path.unlink()
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE entries (key TEXT, value TEXT)")
            db.execute("INSERT INTO entries VALUES ('k', 'v')")
        db.close()


@pytest.mark.parametrize("how", ["garbage", "truncated", "a table of another shape"])
def test_a_damaged_cache_file_is_started_again(data: DataDir, tmp_path: Path, how: str) -> None:
    data.member("m01")
    for month in range(1, 13):  # enough rows that a third of the file cuts through them
        data.events(events_file(event(f"e{month}", "K7", f"2025-{month:02d}-01", points=-2,
                                      note="说明" * 200)), name=f"b-a/2025-{month:02d}.yaml")
    settle(data.root)
    cache = tmp_path / "cache"
    command = ("validate", "--data", str(data.root), "--today", "2026-01-15")
    clean = jifen(tmp_path, *command, cache=cache)
    assert clean.code == 0, clean.stdout
    _damage(cache, how)
    for _ in range(2):
        done = jifen(tmp_path, *command, cache=cache)
        assert (done.code, done.stdout) == (clean.code, clean.stdout)
    with sqlite3.connect(cache / "cache.sqlite3") as db:  # a sound cache again, filled
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] > 12
    db.close()


# --- the build's index of rendered pages ---------------------------------------------------------
