"""The work folder of a bulletin build: what MkDocs reads, kept between builds.

A build streams the planner's groups (``site.Group``: a page and its twins) through
``Writer``: each group is rendered and written as it comes, then dropped, so a build
holds one page at a time, not the whole site. The work folder (one per variant,
``public/`` or ``internal/``) holds::

    docs/            the Markdown pages (each with its large HTML tables after it, which
                     the MkDocs hook puts into the built page), the site's own assets,
                     the internal web forms
    static/          the twins (JSON) of ``jifen build``: published as they are,
                     MkDocs never sees them (``jifen serve`` keeps them in docs/)
    site/            what MkDocs built
    mkdocs.yml       the configuration (its navigation, and a fingerprint of the code)
    manifest.json    what the folder holds, as the last complete build left it

The manifest (``Manifest``) names every group with the digest of what it depends on
(``Group.key``, or the digest of its pages), its files, and its page's title; the files
of ``site/``; and what changed there since the last publish. A group whose digest is
unchanged is skipped without being built or rendered; a group no longer planned has its
files removed, and its page's HTML. Nothing walks the folder: the manifest says what is
there. It is deleted when a build starts and written when the folder is complete again,
so a build that dies half-way (killed, disk full) leaves none, and the next build starts
from an empty folder (as does a manifest that is garbage, of another version, or of
other code: ``fingerprint``).

Files that a published file may be (publishing hard-links them, ``build.publish``) are
never written in place: twins are replaced by new files, and the MkDocs hook does the
same for everything MkDocs writes.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import multiprocessing.pool
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

from generator.cache import code_fingerprint
from generator.render import TEMPLATES, Renderer, embedded, page_url, title_text
from generator.resources import BASE_CONFIG
from generator.site import Group, Page, pages_key

MANIFEST = "manifest.json"
MANIFEST_VERSION = 3
DOCS, STATIC, SITE = "docs", "static", "site"


# --- what every page depends on besides its own data ---------------------------------------------

@cache
def _templates_fingerprint() -> bytes:
    digest_ = hashlib.blake2b(code_fingerprint(), digest_size=16)
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            digest_.update(path.as_posix().encode() + path.read_bytes())
    for package in ("mkdocs", "mkdocs-material", "markdown", "jieba"):
        try:
            digest_.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest_.update(f"{package}=?".encode())
    return digest_.digest()


@cache
def fingerprint() -> str:
    """Changes whenever any page's output could change for reasons other than its data:
    our code, the templates, the base configuration, the versions of MkDocs and its theme."""
    return hashlib.blake2b(_templates_fingerprint() + BASE_CONFIG.read_bytes(),
                           digest_size=8).hexdigest()


def assets() -> dict[str, bytes]:
    root = TEMPLATES / "assets"
    return {f"assets/{p.relative_to(root).as_posix()}": p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def html_of(page: str) -> str:
    """The file MkDocs builds from a Markdown page (directory URLs): ``a/b.md`` →
    ``a/b/index.html``, ``a/index.md`` → ``a/index.html``."""
    return page_url(page) + "index.html"


# --- the manifest --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """A group as the last build wrote it."""

    key: str
    title: str  # of its Markdown page, for the navigation
    docs: tuple[str, ...]  # in docs/: the page (and, for jifen serve, its twins)
    static: tuple[str, ...]  # in static/: its twins

    def as_json(self) -> list[object]:
        return [self.key, self.title, list(self.docs), list(self.static)]


@dataclass
class Manifest:
    fingerprint: str
    groups: dict[str, Entry] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # other docs files: path -> digest
    site: set[str] = field(default_factory=set)  # the files MkDocs built, in site/
    unpublished: set[str] = field(default_factory=set)  # changed since the last publish
    published: str = ""  # the token of the last publish of this folder ("": none)
    stamp: str = ""  # a digest of the build's inputs (``build.up_to_date``)
    epoch: str = ""  # the as-of date of MkDocs' last run (it dates the gzipped sitemap)

    def static(self) -> set[str]:
        """The twins' files (in static/)."""
        return {f for entry in self.groups.values() for f in entry.static}

    def files(self) -> int:
        """How many files the build made (pages, twins, assets)."""
        return sum(len(e.docs) + len(e.static) for e in self.groups.values()) + len(self.extra)

    def to_json(self) -> bytes:
        return json.dumps({"version": MANIFEST_VERSION, "fingerprint": self.fingerprint,
                           "groups": {k: e.as_json() for k, e in sorted(self.groups.items())},
                           "extra": dict(sorted(self.extra.items())),
                           "site": sorted(self.site), "unpublished": sorted(self.unpublished),
                           "published": self.published, "stamp": self.stamp,
                           "epoch": self.epoch},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def load_manifest(work: Path, fingerprint_: str) -> Manifest | None:
    """The last complete build's manifest; None when absent, unreadable, garbage, of
    another shape or version, of other code, or when a folder it describes is gone."""
    try:
        value = json.loads((work / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if not (isinstance(value, dict) and value.get("version") == MANIFEST_VERSION
            and value.get("fingerprint") == fingerprint_):
        return None
    groups, extra = value.get("groups"), value.get("extra")
    if not (isinstance(groups, dict) and isinstance(extra, dict)
            and all(isinstance(v, str) for v in extra.values())
            and _strings(value.get("site")) and _strings(value.get("unpublished"))
            and all(isinstance(value.get(k), str) for k in ("published", "stamp", "epoch"))):
        return None
    found: dict[str, Entry] = {}
    for name, entry in groups.items():
        if not (isinstance(entry, list) and len(entry) == 4 and isinstance(entry[0], str)
                and isinstance(entry[1], str) and all(_strings(x) for x in entry[2:])):
            return None
        found[name] = Entry(entry[0], entry[1], tuple(entry[2]), tuple(entry[3]))
    if not all((work / d).is_dir() for d in (DOCS, STATIC, SITE)):
        return None
    return Manifest(fingerprint_, found, dict(extra), set(value["site"]),
                    set(value["unpublished"]), value["published"], value["stamp"],
                    value["epoch"])


def save_manifest(work: Path, manifest: Manifest) -> None:
    """Write the manifest in one step (a new file renamed over the old)."""
    path = work / MANIFEST
    temporary = path.with_name(MANIFEST + ".new")
    write_file(temporary, manifest.to_json())
    os.replace(temporary, path)


# --- writing -------------------------------------------------------------------------------------

def write_file(path: Path, content: bytes) -> None:
    """Write a file; an error names it (a failed ``write`` alone names no file)."""
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def replace_file(path: Path, content: bytes) -> None:
    """Write a file as a new one (a published hard link to the old keeps its bytes)."""
    with suppress(FileNotFoundError):
        os.unlink(path)
    write_file(path, content)


def _same(path: Path, content: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(content) + 1) == content
    except OSError:
        return False


def remove_file(root: Path, relative: str) -> None:
    """Delete ``root/relative`` (if there) and the folders it leaves empty."""
    path = root / relative
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    folder = path.parent
    while folder != root:
        try:
            os.rmdir(folder)
        except OSError:  # not empty
            return
        folder = folder.parent


class Progress:
    """What a long build says while it runs, as MkDocs says it (``INFO    -  ...``): a line
    when a stage starts or ends, and one every few seconds in between. Silent unless
    given a stream (``jifen build`` gives its terminal, never a log or CI)."""

    EVERY = 2.0  # seconds

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self.write = write
        self.last = time.monotonic()

    def __bool__(self) -> bool:
        return self.write is not None

    def say(self, message: str) -> None:
        if self.write is not None:
            self.write(f"INFO    -  {message}\n")
            self.last = time.monotonic()

    def tick(self, message: Callable[[], str]) -> None:
        if self.write is not None and time.monotonic() - self.last >= self.EVERY:
            self.say(message())


@dataclass
class Written:
    """What ``write_work`` did."""

    files: int = 0  # files in docs/ and static/
    written: int = 0
    removed: int = 0
    groups: int = 0
    rebuilt: int = 0  # groups built and rendered (the others were unchanged)
    pages: set[str] = field(default_factory=set)  # Markdown pages written (or gone)
    docs_changed: bool = False  # a docs file other than a page written or removed
    config_changed: bool = False
    full: bool = False  # no usable manifest: everything was written afresh


@dataclass(frozen=True)
class Out:
    """What rendering and writing one group did."""

    entry: Entry
    written: int  # files whose bytes changed
    pages: tuple[str, ...]  # Markdown pages written
    twins: tuple[str, ...]  # twins written


class Files:
    """Renders groups and writes their files (in this process or in a worker)."""

    def __init__(self, docs: Path, twins: Path, twins_in_docs: bool) -> None:
        self.docs, self.twins, self.twins_in_docs = docs, twins, twins_in_docs
        self.renderer = Renderer()
        self.folders: set[str] = set()  # made (or found) here

    def write(self, key: str, pages: list[Page]) -> Out:
        docs: list[str] = []
        static: list[str] = []
        written: list[str] = []
        title = ""
        for page in pages:
            content, parts = self.renderer.page(page)
            if page.path.endswith(".md"):
                title = title_text(page.title)
                docs.append(page.path)
                if self.put(self.docs / page.path, embedded(page, content, parts),
                            replace=False):
                    written.append(page.path)
            else:
                (docs if self.twins_in_docs else static).append(page.path)
                if self.put(self.twins / page.path, content, replace=True):
                    written.append(page.path)
        return Out(Entry(key, title, tuple(docs), tuple(static)), len(written),
                   tuple(p for p in written if p.endswith(".md")),
                   tuple(p for p in written if not p.endswith(".md")))

    def put(self, path: Path, content: bytes, *, replace: bool) -> bool:
        """Write ``content`` unless the file holds it already; whether it was written."""
        if _same(path, content):
            return False
        folder = str(path.parent)
        if folder not in self.folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        try:
            (replace_file if replace else write_file)(path, content)
        except FileNotFoundError:  # its folder went since (a group removed before)
            path.parent.mkdir(parents=True, exist_ok=True)
            (replace_file if replace else write_file)(path, content)
        return True


# A worker process's writer (``_start``), and what it is sent: (group name, key, its make
# and args, or its pages).
_files: Files | None = None
Job = tuple[str, str, Callable[..., list[Page]] | None, tuple[object, ...], tuple[Page, ...]]


def _start(docs: Path, twins: Path, twins_in_docs: bool) -> None:
    global _files
    _files = Files(docs, twins, twins_in_docs)


def _write_batch(jobs: list[Job]) -> list[tuple[str, Out]]:
    assert _files is not None
    return [(name, _files.write(key, make(*args) if make is not None else list(pages)))
            for name, key, make, args, pages in jobs]


class Writer:
    """Writes the groups of a build into a work folder, skipping those unchanged since
    the manifest's build (see the module docstring).

    With ``workers``, once ``PARALLEL_FROM`` groups have had to be built (a full build,
    an edit of the policy), the others are built, rendered and written by that many
    worker processes, in batches, while this one plans on: forked (the heap frozen
    first, so that they copy nothing of it), they hold the build's lock like MkDocs does,
    and at most a few batches wait at any time."""

    PARALLEL_FROM = 200
    BATCH = 32

    def __init__(self, work: Path, previous: Manifest | None, *, twins_in_docs: bool,
                 progress: Progress | None = None, workers: int = 0,
                 parallel_from: int = PARALLEL_FROM) -> None:
        self.work = work
        self.docs = work / DOCS
        self.twins = self.docs if twins_in_docs else work / STATIC
        self.twins_in_docs = twins_in_docs
        self.previous = previous or Manifest(fingerprint())
        self.manifest = Manifest(fingerprint(), site=set(self.previous.site),
                                 unpublished=set(self.previous.unpublished),
                                 published=self.previous.published, epoch=self.previous.epoch)
        self.done = Written(full=previous is None)
        self.progress = progress or Progress()
        self.files = Files(self.docs, self.twins, twins_in_docs)
        self.workers, self.parallel_from = workers, parallel_from
        self.pool: multiprocessing.pool.Pool | None = None
        self.batch: list[Job] = []
        self.waiting: deque[multiprocessing.pool.AsyncResult[list[tuple[str, Out]]]] = deque()
        self.olds: dict[str, Entry] = {}  # of the groups sent to the workers
        self.intact: dict[str, bool] = {}  # of the previous groups looked at (``known``)

    def _intact(self, entry: Entry) -> bool:
        """The entry's files are all there (nobody deleted one since)."""
        docs, twins = f"{self.docs}/", f"{self.twins}/"
        try:
            for name in entry.docs:
                os.stat(docs + name)
            for name in entry.static:
                os.stat(twins + name)
        except OSError:
            return False
        return True

    def known(self, name: str, key: str) -> bool:
        """Does the folder hold the group ``name`` as built for ``key`` (all its files)?
        (Its files are looked at once a build: ``parts.py`` asks before ``add`` does.)"""
        old = self.previous.groups.get(name)
        if old is None or old.key != key:
            return False
        if name not in self.intact:
            self.intact[name] = self._intact(old)
        return self.intact[name]

    def _keep(self, name: str) -> None:
        old = self.manifest.groups[name] = self.previous.groups[name]
        self.done.files += len(old.docs) + len(old.static)

    def add(self, group: Group) -> None:
        done = self.done
        done.groups += 1
        old = self.previous.groups.get(group.name)
        if group.key and self.known(group.name, group.key):
            self._keep(group.name)
        elif group.make is not None and group.key and self._parallel():
            self._send((group.name, group.key, group.make, group.args, ()), old)
        else:
            pages = group.build()
            key = group.key or pages_key(pages)
            if self.known(group.name, key):
                self._keep(group.name)
            elif self._parallel():
                self._send((group.name, key, None, (), tuple(pages)), old)
            else:
                self._record(group.name, self.files.write(key, pages), old)
        self.progress.tick(lambda: f"已规划 {done.groups} 组页面，其中 {done.rebuilt} 组有变化，"
                                   "已重新生成")

    def _parallel(self) -> bool:
        """Whether to send the next group to the workers (starting them when it is time)."""
        if self.pool is None and self.workers and self.done.rebuilt >= self.parallel_from:
            gc.freeze()  # the workers share the heap as it is, and never collect it
            self.pool = multiprocessing.get_context("fork").Pool(
                self.workers, _start, (self.docs, self.twins, self.twins_in_docs))
        return self.pool is not None

    def _send(self, job: Job, old: Entry | None) -> None:
        assert self.pool is not None
        self.done.rebuilt += 1
        if old is not None:
            self.olds[job[0]] = old
        self.batch.append(job)
        if len(self.batch) >= self.BATCH:
            self.waiting.append(self.pool.apply_async(_write_batch, (self.batch,)))
            self.batch = []
            while len(self.waiting) > 2 * self.workers:  # a few batches ahead, no more
                self._collect(self.waiting.popleft().get())

    def _collect(self, results: list[tuple[str, Out]]) -> None:
        for name, out in results:
            self.done.rebuilt -= 1  # (counted when sent)
            self._record(name, out, self.olds.pop(name, None))

    def _drain(self) -> None:
        """Wait for the workers to finish every group sent, and stop them."""
        if self.pool is None:
            return
        try:
            if self.batch:
                self.waiting.append(self.pool.apply_async(_write_batch, (self.batch,)))
                self.batch = []
            while self.waiting:
                self._collect(self.waiting.popleft().get())
            self.pool.close()
            self.pool.join()
        finally:
            self.pool.terminate()
            self.pool = None
            gc.unfreeze()  # (a long-lived caller, jifen desk, collects again)

    def _record(self, name: str, out: Out, old: Entry | None) -> None:
        done = self.done
        done.rebuilt += 1
        done.written += out.written
        done.files += len(out.entry.docs) + len(out.entry.static)
        done.pages.update(out.pages)
        if not self.twins_in_docs:
            self.manifest.unpublished.update(out.twins)
        self.manifest.groups[name] = out.entry
        if old is not None:
            self._remove(old, keep=out.entry)

    def _remove(self, old: Entry, keep: Entry | None = None) -> None:
        """Delete the files of a group's last build that it no longer has; a page gone
        takes its built HTML with it."""
        done = self.done
        for name in old.docs:
            if keep is None or name not in keep.docs:
                remove_file(self.docs, name)
                done.removed += 1
                if name.endswith(".md"):
                    done.pages.add(name)
                    html = html_of(name)
                    if html in self.manifest.site:
                        remove_file(self.work / SITE, html)
                        self.manifest.site.discard(html)
                        self.manifest.unpublished.add(html)
        for name in old.static:
            if keep is None or name not in keep.static:
                remove_file(self.twins, name)
                self.manifest.unpublished.add(name)
                done.removed += 1

    def extra(self, files: Mapping[str, bytes]) -> None:
        """The docs files that no page makes (assets, the web forms): written when they
        changed; those no longer wanted are removed, with what MkDocs copied of them."""
        done = self.done
        for name, content in sorted(files.items()):
            key = hashlib.blake2b(content, digest_size=16).hexdigest()
            self.manifest.extra[name] = key
            done.files += 1
            if (self.previous.extra.get(name) != key or not (self.docs / name).is_file()) \
                    and self.files.put(self.docs / name, content, replace=False):
                done.written += 1
                done.docs_changed = True
        for name in sorted(self.previous.extra.keys() - files.keys()):
            remove_file(self.docs, name)
            done.removed += 1
            done.docs_changed = True
            if name in self.manifest.site:
                remove_file(self.work / SITE, name)
                self.manifest.site.discard(name)
                self.manifest.unpublished.add(name)

    def finish(self, internal: bool, committee: str) -> Written:
        """Remove the groups no longer planned and write the configuration."""
        self._drain()
        for name in sorted(self.previous.groups.keys() - self.manifest.groups.keys()):
            self._remove(self.previous.groups[name])
        titles = {name: entry.title for name, entry in self.manifest.groups.items()
                  if name.endswith(".md")}
        self.done.config_changed = write_config(self.work, titles, internal, committee)
        return self.done


def begin(work: Path, *, twins_in_docs: bool, progress: Progress | None = None,
          workers: int = 0, parallel_from: int = Writer.PARALLEL_FROM) -> Writer:
    """A writer for ``work``: from its manifest, which is deleted until the folder is
    complete again, or (no usable manifest) from an empty folder."""
    previous = load_manifest(work, fingerprint())
    (work / MANIFEST).unlink(missing_ok=True)
    if previous is None:
        for folder in (DOCS, STATIC, SITE, "fragments"):  # (fragments/: of older versions)
            shutil.rmtree(work / folder, ignore_errors=True)
        (work / "rendered.pickle").unlink(missing_ok=True)  # an older version's index
        for shard in work.glob(f"{SITE}.*"):  # what MkDocs shards of a killed build left
            if shard.is_dir():
                shutil.rmtree(shard, ignore_errors=True)
    for folder in (DOCS, STATIC, SITE):
        (work / folder).mkdir(parents=True, exist_ok=True)
    return Writer(work, previous, twins_in_docs=twins_in_docs, progress=progress,
                  workers=workers, parallel_from=parallel_from)


def write_work(work: Path, groups: Iterable[Group] | Callable[[Writer], Iterable[Group]],
               internal: bool, committee: str,
               extra: Mapping[str, bytes] | None = None, *, twins_in_docs: bool = True,
               progress: Progress | None = None, workers: int = 0,
               parallel_from: int = Writer.PARALLEL_FROM) -> tuple[Writer, Written]:
    """Write the work folder for ``groups`` (see ``Writer``; or a function of the writer
    that gives them: ``parts.Parts.groups`` asks it what the folder holds); the manifest
    is left to the caller, to save once the folder is complete (``save_manifest``)."""
    writer = begin(work, twins_in_docs=twins_in_docs, progress=progress, workers=workers,
                   parallel_from=parallel_from)
    try:
        for group in groups(writer) if callable(groups) else groups:
            writer.add(group)
        writer.extra(assets() | dict(extra or {}))
        return writer, writer.finish(internal, committee)
    finally:
        if writer.pool is not None:  # (an error: the workers are stopped)
            writer.pool.terminate()
            gc.unfreeze()


# --- the MkDocs configuration --------------------------------------------------------------------

def nav(titles: Mapping[str, str], internal: bool) -> list[object]:
    """The navigation: home, each year with its quarter reports and results, the
    branches, the rules. Member, month and branch-quarter pages stay out of it (they
    are linked from tables), which keeps every page small."""
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
                                     not p.startswith(("internal/cases/",
                                                       "internal/handbooks/"))
                                     or p == "internal/cases/index.md")]})
    return entries


def write_config(work: Path, titles: Mapping[str, str], internal: bool, committee: str
                 ) -> bool:
    """Write ``mkdocs.yml``; whether it changed. What every page's HTML depends on besides
    its Markdown (the navigation, the base configuration, the theme, the templates, our
    code) is in it, so when it changes every page is built again."""
    config = {
        "INHERIT": str(BASE_CONFIG),
        "site_name": title_text(f"{committee}党务公开栏" + ("（内部）" if internal else "")),
        "docs_dir": DOCS,
        "site_dir": SITE,
        "nav": nav(titles, internal),
        # the theme's overrides: our search worker, a 404 page in Chinese
        "theme": {"name": "material", "custom_dir": str(TEMPLATES / "theme")},
        "hooks": [str(Path(__file__).resolve().parent / "mkdocs_hooks.py")],
    }
    path = work / "mkdocs.yml"
    text = f"# jifen {fingerprint()}\n" + yaml.safe_dump(config, allow_unicode=True,
                                                         sort_keys=False)
    if _same(path, text.encode("utf-8")):
        return False
    write_file(path, text.encode("utf-8"))
    return True
