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
import html
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.errors import Diagnostic
from generator.model import Dataset
from generator.render import TEMPLATES, render
from generator.site import Page, plan

REPO = Path(__file__).resolve().parent.parent
BASE_CONFIG = REPO / "mkdocs.yml"


class BuildError(Exception):
    """MkDocs could not build the site; the message says why, in Chinese."""


@dataclass(frozen=True)
class Result:
    pages: int
    written: int
    removed: int
    out: Path


def nav(pages: list[Page], internal: bool) -> list[object]:
    """The navigation: home, each year with its quarter reports and results, the
    branches, the rules. Member, month and branch-quarter pages stay out of it (they
    are linked from tables), which keeps every page small."""
    titles = {p.path: html.escape(p.title) for p in pages if p.path.endswith(".md")}
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
    if internal:
        entries.append({"内部": [{titles[p]: p} for p in sorted(titles)
                                 if p.startswith("internal/")]})
    return entries


def write_docs(docs: Path, files: dict[str, bytes]) -> tuple[int, int]:
    """Make ``docs`` hold exactly ``files``: write what changed, delete the rest."""
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
    for path in sorted(docs.rglob("*"), reverse=True):
        relative = path.relative_to(docs).as_posix()
        if path.is_file() and relative not in files:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written, removed


def assets() -> dict[str, bytes]:
    root = TEMPLATES / "assets"
    return {f"assets/{p.relative_to(root).as_posix()}": p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_config(work: Path, pages: list[Page], internal: bool, committee: str) -> Path:
    config = {
        "INHERIT": str(BASE_CONFIG),
        "site_name": html.escape(f"{committee}党务公开栏" + ("（内部）" if internal else "")),
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


def _mkdocs(config: Path, as_of: str) -> None:
    day = dt.date.fromisoformat(as_of)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(calendar.timegm(day.timetuple())))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean",
                           "-q", "-f", str(config)], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-20:]
        raise BuildError("MkDocs 生成网站失败，原网站保持不变。MkDocs 的输出：\n"
                         + "\n".join(detail))


def publish(site: Path, out: Path) -> None:
    """Replace ``out`` with a copy of ``site`` in one rename (the old one goes after)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    shutil.rmtree(staging)
    shutil.copytree(site, staging)
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        shutil.rmtree(old)
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build(dataset: Dataset, diagnostics: list[Diagnostic], *, as_of: str, out: Path,
          work: Path, internal: bool = False) -> Result:
    """Build the site for a data set that validated (the caller checks ``diagnostics``)."""
    assert not any(d.is_error for d in diagnostics)
    assert dataset.organization is not None
    pages = plan(dataset, as_of, internal=internal)
    written, removed, count = write_work(work, pages, internal, dataset.organization.committee)
    _mkdocs(work / "mkdocs.yml", as_of)
    publish(work / "site", out)
    return Result(count, written, removed, out)


def write_work(work: Path, pages: list[Page], internal: bool, committee: str
               ) -> tuple[int, int, int]:
    """Write the docs folder, the table fragments and the config: (written, removed,
    files). Only what changed is written."""
    rendered = render(pages)
    docs = rendered.docs | assets()
    (work / "docs").mkdir(parents=True, exist_ok=True)
    (work / "fragments").mkdir(parents=True, exist_ok=True)
    written, removed = write_docs(work / "docs", docs)
    written_fragments, removed_fragments = write_docs(work / "fragments", rendered.fragments)
    write_config(work, pages, internal, committee)
    return (written + written_fragments, removed + removed_fragments,
            len(docs) + len(rendered.fragments))
