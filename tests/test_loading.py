"""Loading: the YAML reader, the content-hash cache and the parallel path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from generator import load as load_module
from generator import pipeline
from generator.cache import Cache
from generator.load import load
from generator.yamlio import Loader, compose, locate, parse
from tests.support import TODAY, DataDir, event, events_file


def test_uses_the_c_loader_when_libyaml_is_present() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml here; the pure loader is the fallback")
    assert issubclass(Loader, yaml.CSafeLoader)


def test_dates_stay_strings_and_yaml_11_scalars_resolve() -> None:
    value, _, problems = parse("x.yaml", b"a: 2025-03-05\nb: 007\nc: no\nd: '007'\ne: -5\n")
    assert value == {"a": "2025-03-05", "b": 7, "c": False, "d": "007", "e": -5}
    assert problems == []


def test_byte_order_mark_is_tolerated() -> None:
    value, _, problems = parse("x.yaml", "\ufeffa: 张一\n".encode())
    assert (value, problems) == ({"a": "张一"}, [])


def test_a_non_existent_date_does_not_crash_the_loader(data: DataDir) -> None:
    data.member(exempt={"from": "2025-02-29", "reason": "病休", "approved_on": "2025-01-01"})
    assert data.lines() == ["members/b-a/m01.yaml:6:9: E206 日期 2025-02-29 不存在。请核对年、月、日。"]


def make_data(data: DataDir, files: int) -> None:
    for i in range(files):
        data.member(f"m{i:03d}")
    data.events(events_file(event("e1", "K7", "2025-03-01", member="m000", points=3),
                            event("e2", "J3", "2025-03-01", member="m001")))


def snapshot(data_dir: Path, **kwargs: object) -> tuple[list, list]:
    loaded = load(data_dir, **kwargs)  # type: ignore[arg-type]
    return ([(d.kind, d.path, d.value, d.broken) for d in loaded.documents],
            [d.format() for d in loaded.diagnostics])


def test_parallel_and_sequential_loading_agree(data: DataDir,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_data(data, 40)
    data.write("members/b-a/bad.yaml", "id: bad\nname: [\n")
    sequential = snapshot(data.root, workers=1)
    monkeypatch.setattr(load_module, "PARALLEL_MIN_FILES", 2)
    parallel = snapshot(data.root, workers=2)
    assert parallel == sequential
    assert any("E101" in line for line in sequential[1])


def entries(cache_dir: Path) -> list[str]:
    with sqlite3.connect(cache_dir / "cache.sqlite3") as db:
        return sorted(key for (key,) in db.execute("SELECT key FROM entries"))


def test_cache_serves_unchanged_files_and_misses_changed_ones(data: DataDir,
                                                              tmp_path: Path) -> None:
    make_data(data, 5)
    data.member("m003", category="nobody")
    cache = Cache(tmp_path / "cache")
    first = snapshot(data.root, cache=cache)
    stored = entries(tmp_path / "cache")
    assert len(stored) == len(first[0]) + 1                   # + the stat index
    assert snapshot(data.root, cache=cache) == first          # all hits, same answer
    assert entries(tmp_path / "cache") == stored
    data.member("m003")                                        # fixed: a miss, a new answer
    fixed = snapshot(data.root, cache=cache)
    assert not any("m003" in line for line in fixed[1])
    assert fixed == snapshot(data.root)                        # same as without a cache


def test_cached_diagnostics_carry_the_current_path(data: DataDir, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    data.member("m01", category="nobody")
    data.write("members/b-b/m02.yaml", "id: m02\nname: 李二\nbranch: b-b\ncategory: nobody\n")
    snapshot(data.root, cache=cache)
    lines = snapshot(data.root, cache=cache)[1]
    assert any("members/b-a/m01.yaml" in line for line in lines)
    assert any("members/b-b/m02.yaml" in line for line in lines)


def test_an_unwritable_cache_is_no_error(data: DataDir, tmp_path: Path) -> None:
    make_data(data, 2)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert snapshot(data.root, cache=Cache(blocker / "cache")) == snapshot(data.root)


def test_diagnostics_are_positioned_from_the_first_parse(data: DataDir) -> None:
    """A warning made with a pointer only (W104, a possible duplicate) gets its line and
    column from the positions kept when the file was parsed: the file is never read or
    composed again (at scale that re-reading was most of a run), and the position is
    libyaml's."""
    text = events_file(event("e1", "K7", "2025-03-01", member="m01", points=-2),
                       event("e2", "K7", "2025-03-01", member="m01", points=-2))
    path = data.events(text)
    data.member("m01")
    read: list[str] = []

    def reader(name: str) -> bytes:
        read.append(name)
        return Path(name).read_bytes()

    _, diagnostics, _ = pipeline.validated(load(data.root, workers=1), TODAY, reader)
    found = [d for d in diagnostics if d.code == "W104"]
    assert read == []
    assert [(d.path, d.line, d.col) for d in found] == [
        (str(path), *locate(compose(text), ("events", 1, "id")))]
