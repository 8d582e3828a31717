"""Build: the bulletin site, from validated data to a published folder.

    check → plan (site.py) → render (render.py) → write docs → mkdocs build → swap

Nothing is written unless the data validated. Generated Markdown goes to a work
folder that persists between builds, and only files whose bytes changed are
written, so their mtimes tell MkDocs (and anyone diffing) what changed. MkDocs
builds into the work folder; the result then replaces the output folder in one
rename, so a failed build leaves the previous site untouched. Output is
deterministic: the as-of date, not the clock, dates the build
(``SOURCE_DATE_EPOCH``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from generator.cache import code_fingerprint
from generator.model import Dataset
from generator.provenance import Provenance
from generator.render import TEMPLATES, render, title_text
from generator.site import Page, plan

REPO = Path(__file__).resolve().parent.parent
BASE_CONFIG = REPO / "mkdocs.yml"


BUILT_MARKER = ".jifen-built"


class BuildError(Exception):
    """MkDocs could not build the site; the message says why, in Chinese."""


@dataclass(frozen=True)
class Result:
    pages: int
    written: int
    removed: int
    out: Path
    seconds: dict[str, float]  # per stage, for benchmarks


def nav(pages: list[Page], internal: bool) -> list[object]:
    """The navigation: home, each year with its quarter reports and results, the
    branches, the rules. Member, month and branch-quarter pages stay out of it (they
    are linked from tables), which keeps every page small."""
    titles = {p.path: title_text(p.title) for p in pages if p.path.endswith(".md")}
    years = sorted({p.split("/")[0] for p in titles if p[:4].isdigit()}, reverse=True)
    entries: list[object] = [{"首页": "index.md"}]
    for year in years:
        section: list[object] = [f"{year}/index.md"]
        section += [{titles[p]: p} for p in sorted(titles, reverse=True)
                    if p.startswith(f"{year}/q") and p.endswith("/index.md")]
        if f"{year}/results.md" in titles:
            section.append({"年度积分运用结果": f"{year}/results.md"})
        entries.append({f"{year}年度": section})
    entries.append({"各党支部": "branches/index.md"})
    entries.append({"积分标准与政策": "rules.md"})
    if "changes.md" in titles:
        entries.append({"变更记录": "changes.md"})
    if internal:
        entries.append({"内部": [{titles[p]: p} for p in sorted(titles)
                                 if p.startswith("internal/") and (
                                     not p.startswith("internal/cases/")
                                     or p == "internal/cases/index.md")]})
    return entries


def write_docs(docs: Path, files: dict[str, bytes], keep: set[str] = frozenset()
               ) -> tuple[int, int]:
    """Make ``docs`` hold ``files`` plus the already written ``keep``: write what
    changed, delete the rest. (written, removed)"""
    written = removed = 0
    for relative, content in files.items():
        target = docs / relative
        try:
            if target.read_bytes() == content:
                continue
        except OSError:
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written += 1
    for root, _dirs, names in os.walk(docs, topdown=False):
        for name in names:
            relative = Path(root, name).relative_to(docs).as_posix()
            if relative not in files and relative not in keep:
                os.unlink(os.path.join(root, name))
                removed += 1
        if root != str(docs) and not os.listdir(root):
            os.rmdir(root)
    return written, removed


@cache
def _templates_fingerprint() -> bytes:
    digest = hashlib.blake2b(code_fingerprint(), digest_size=16)
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.digest()


def page_digest(page: Page) -> str:
    """Changes whenever the page's output could: its template, data or our code."""
    digest = hashlib.blake2b(_templates_fingerprint(), digest_size=16)
    digest.update(pickle.dumps((page.template, page.context, page.data), protocol=5))
    return digest.hexdigest()


def assets() -> dict[str, bytes]:
    root = TEMPLATES / "assets"
    return {f"assets/{p.relative_to(root).as_posix()}": p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_config(work: Path, pages: list[Page], internal: bool, committee: str) -> Path:
    config = {
        "INHERIT": str(BASE_CONFIG),
        "site_name": title_text(f"{committee}党务公开栏" + ("（内部）" if internal else "")),
        "docs_dir": "docs",
        "site_dir": "site",
        "nav": nav(pages, internal),
        "hooks": [str(Path(__file__).resolve().parent / "mkdocs_hooks.py")],
    }
    path = work / "mkdocs.yml"
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if not path.exists() or path.read_text("utf-8") != text:
        path.write_text(text, "utf-8")
    return path


def _mkdocs(config: Path, as_of: str, dirty: bool) -> None:
    day = dt.date.fromisoformat(as_of)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(calendar.timegm(day.timetuple())),
               NO_MKDOCS_2_WARNING="1")
    mode = "--dirty" if dirty else "--clean"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", mode,
                           "-q", "-f", str(config)], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-20:]
        raise BuildError("MkDocs 生成网站失败，原网站保持不变。MkDocs 的输出：\n"
                         + "\n".join(detail))


def publish(site: Path, out: Path) -> None:
    """Make ``out`` a copy of ``site``; called only after a successful build, so a
    failure never reaches ``out``.

    The first time, the copy is made aside and renamed into place. After that only
    the files that differ (size or mtime; copies keep mtimes) are copied, each into a
    temporary name and renamed over the old one, and files no longer built are
    removed: a reader always gets a whole file, and an incremental build publishes in
    milliseconds instead of copying thousands of files."""
    out = out.resolve()
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        staging.rmdir()
        shutil.copytree(site, staging, ignore=shutil.ignore_patterns(BUILT_MARKER))
        staging.rename(out)
        return
    wanted: set[str] = set()
    for root, dirs, names in os.walk(site):
        dirs.sort()
        relative = os.path.relpath(root, site)
        os.makedirs(os.path.join(out, relative), exist_ok=True)
        for name in sorted(names):
            if name == BUILT_MARKER:
                continue
            source = os.path.join(root, name)
            target = os.path.join(out, relative, name)
            wanted.add(os.path.normpath(target))
            new = os.stat(source)
            try:
                old = os.stat(target)
                if (old.st_size, old.st_mtime_ns) == (new.st_size, new.st_mtime_ns):
                    continue
            except OSError:
                pass
            temporary = f"{target}.jifen-tmp"
            shutil.copy2(source, temporary)
            os.replace(temporary, target)
    for root, _dirs, names in os.walk(out, topdown=False):
        for name in names:
            path = os.path.normpath(os.path.join(root, name))
            if path not in wanted:
                os.unlink(path)
        if not os.listdir(root) and root != str(out):
            os.rmdir(root)


def build(dataset: Dataset, *, as_of: str, out: Path, work: Path, internal: bool = False,
          provenance: Provenance | None = None) -> Result:
    """Build the site for a data set that validated (``pipeline.check`` without errors)."""
    assert dataset.organization is not None
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 3)
        clock = now

    pages = plan(dataset, as_of, internal=internal, provenance=provenance)
    lap("plan")
    built = work / "site" / BUILT_MARKER  # present only after a successful build
    config_before = _read(work / "mkdocs.yml")
    written, removed, count = write_work(work, pages, internal, dataset.organization.committee)
    lap("render+write")
    # Rebuild only the changed pages when nothing else moved: same config (and so the same
    # navigation), no page removed, and a previous build that completed.
    dirty = built.is_file() and removed == 0 and _read(work / "mkdocs.yml") == config_before
    built.unlink(missing_ok=True)
    _mkdocs(work / "mkdocs.yml", as_of, dirty)
    built.touch()
    lap("mkdocs --dirty" if dirty else "mkdocs")
    publish(work / "site", out)
    lap("publish")
    return Result(count, written, removed, out, seconds)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _index_entry(known: object) -> bool:
    """(page digest, fragment names): the shape ``write_work`` stores for a page."""
    return (isinstance(known, tuple) and len(known) == 2 and isinstance(known[0], str)
            and isinstance(known[1], tuple) and all(isinstance(f, str) for f in known[1]))


def write_work(work: Path, pages: list[Page], internal: bool, committee: str
               ) -> tuple[int, int, int]:
    """Write the docs folder, the table fragments and the config: (written, removed,
    files). A page whose digest matches the last build's is not even rendered: its
    files are already there."""
    index_path = work / "rendered.pickle"
    try:  # the last build's index; whatever is wrong with it only costs a full render
        loaded = pickle.loads(index_path.read_bytes())
    except Exception:
        loaded = None
    previous = {path: known for path, known in loaded.items()
                if isinstance(path, str) and _index_entry(known)
                } if isinstance(loaded, dict) else {}
    docs_dir, fragments_dir = work / "docs", work / "fragments"
    docs_dir.mkdir(parents=True, exist_ok=True)
    fragments_dir.mkdir(parents=True, exist_ok=True)
    index: dict[str, tuple[str, tuple[str, ...]]] = {}
    todo: list[Page] = []
    keep_docs: set[str] = set()
    keep_fragments: set[str] = set()
    for page in pages:
        digest = page_digest(page)
        known = previous.get(page.path)
        if known is not None and known[0] == digest and (docs_dir / page.path).is_file() \
                and all((fragments_dir / f).is_file() for f in known[1]):
            index[page.path] = known
            keep_docs.add(page.path)
            keep_fragments.update(known[1])
        else:
            index[page.path] = (digest, ())
            todo.append(page)
    rendered = render(todo)
    for page in todo:
        index[page.path] = (index[page.path][0], rendered.fragments_of.get(page.path, ()))
    docs = rendered.docs | assets()
    written, removed = write_docs(docs_dir, docs, keep_docs)
    written_fragments, removed_fragments = write_docs(fragments_dir, rendered.fragments,
                                                      keep_fragments)
    index_path.write_bytes(pickle.dumps(index, protocol=5))
    write_config(work, pages, internal, committee)
    return (written + written_fragments, removed + removed_fragments,
            len(docs) + len(keep_docs) + len(rendered.fragments) + len(keep_fragments))
