"""Build: the bulletin site, from validated data to a published folder.

    check → plan (site.py) → render (render.py) → write docs → mkdocs build → publish

Nothing is written unless the data validated. Output is deterministic: the as-of
date, not the clock, dates the build (``SOURCE_DATE_EPOCH``).

The work folder belongs to the output. For ``--out site`` it is the hidden sibling
``.site.jifen-work/``, holding ``lock``, ``staging`` (see below) and one work folder
per variant (``public/``, ``internal/``: docs, fragments, the MkDocs
output ``site/``, the incremental index ``rendered.pickle``). Builds of different
outputs therefore share nothing, wherever they are started from; and it sits on the
output's file system, which the atomic swap below needs. Generated Markdown persists
between builds, and only files whose bytes changed are written, so their mtimes tell
MkDocs (``--dirty``) what changed.

The lock is ``flock`` on ``lock``: the kernel releases it however its holder dies, so
a killed build never leaves a stale lock. A second build of the same output *waits*,
after saying so, rather than failing: a build is short, and what the user asked for
last (the second build's data) is what ends up published, with no retry. The MkDocs
child inherits the lock, so an orphan of a killed build still holds it while it
writes.

Publishing is one atomic step. The next site is assembled in ``staging`` next to the
output, from hard links to the published files that did not change and copies of
those that did (never links into the work folder's ``site/``, which MkDocs rewrites in
place), then swapped with the output by ``renameat2(RENAME_EXCHANGE)``. Of the old
site, now in ``staging``, only the folders and the hard links to files the new site
shares are kept (no bytes of their own): the next build starts its staging from them,
which makes publishing an incremental build a walk plus a few links (thousands of
``mkdir``/``link``/``unlink`` calls cost seconds on a large site). At any instant the
output is wholly the old site or wholly the new one; a failure before the swap removes
the staging tree and leaves the output byte-identical; whatever a killed build left in
``staging`` is checked file by file (size and mtime) by the next one. The output stays a
real directory, not a symlink to a generation: GitLab Pages archives ``public/`` as
it finds it (a symlink would be published as a symlink), and ``upload-pages-artifact``,
``python -m http.server -d site`` and anyone reading ``site/index.html`` see no
difference. Where RENAME_EXCHANGE is missing (another kernel or file system), the swap
is two renames, with the output briefly absent but never mixed. A full disk, or any
other failure to write, is a ``BuildError`` with a Chinese message.
"""

from __future__ import annotations

import calendar
import ctypes
import datetime as dt
import errno
import fcntl
import hashlib
import os
import pickle
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Set
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from generator.cache import code_fingerprint
from generator.model import Dataset
from generator.provenance import Provenance
from generator.render import TEMPLATES, render, title_text
from generator.resources import BASE_CONFIG
from generator.site import Page, plan

# The folder that holds the program (the source tree, or site-packages): never an output.
REPO = Path(__file__).resolve().parent.parent


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


def write_docs(docs: Path, files: dict[str, bytes], keep: Set[str] = frozenset()
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
        write_file(target, content)
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


def write_file(path: Path, content: bytes) -> None:
    """Write a file; an error names it (a failed ``write`` alone names no file)."""
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


@cache
def _templates_fingerprint() -> bytes:
    digest = hashlib.blake2b(code_fingerprint(), digest_size=16)
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.digest()


@cache
def _site_fingerprint() -> str:
    return hashlib.blake2b(_templates_fingerprint() + BASE_CONFIG.read_bytes(),
                           digest_size=8).hexdigest()


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
        # the theme's overrides: our search worker, a 404 page in Chinese
        "theme": {"name": "material", "custom_dir": str(TEMPLATES / "theme")},
        "hooks": [str(Path(__file__).resolve().parent / "mkdocs_hooks.py")],
    }
    path = work / "mkdocs.yml"
    # What every page's HTML depends on besides its Markdown (the base configuration, the
    # theme, the templates, our code): when it changes, so does this file, and the next
    # build rebuilds every page instead of only the changed ones (--dirty).
    text = f"# jifen {_site_fingerprint()}\n" + yaml.safe_dump(config, allow_unicode=True,
                                                              sort_keys=False)
    if not path.exists() or path.read_text("utf-8") != text:
        write_file(path, text.encode("utf-8"))
    return path


def _mkdocs(config: Path, as_of: str, dirty: bool, lock: int) -> None:
    """Run ``mkdocs build``. The child inherits the lock's descriptor: if this process
    is killed, an orphaned MkDocs still holds the lock until it has finished writing."""
    day = dt.date.fromisoformat(as_of)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(calendar.timegm(day.timetuple())),
               NO_MKDOCS_2_WARNING="1")
    mode = "--dirty" if dirty else "--clean"
    with subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "--strict", mode, "-q",
                           "-f", str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env, pass_fds=(lock,)) as child:
        _pause("mkdocs")
        stdout, stderr = child.communicate()
    if child.returncode != 0:
        text = (stderr or stdout).strip()
        if "No space left on device" in text or "Disk quota exceeded" in text:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(config.parent / "site"))
        raise BuildError("MkDocs 生成网站失败，原网站保持不变。MkDocs 的输出：\n"
                         + "\n".join(text.splitlines()[-20:]))


# --- the work folder of an output and its lock -------------------------------------------------

WORK_SUFFIX = ".jifen-work"
LOCK = "lock"
STAGING = "staging"  # the next site while it is assembled; after the swap, the old one
RETIRED = "retired"  # the old site during a swap without RENAME_EXCHANGE
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class Busy(Exception):
    """Another process holds the lock; ``holder`` is its process id, as far as known."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def aside(path: Path, suffix: str) -> Path:
    """The hidden sibling of ``path`` with this suffix: ``site`` → ``.site.jifen-work``."""
    return path.parent / f".{path.name}{suffix}"


def work_root(out: Path) -> Path:
    """The folder that belongs to the output ``out``: its lock, the staging tree, and
    the work folders of the public and the internal build (``public/``, ``internal/``)."""
    return aside(out.resolve(), WORK_SUFFIX)


@contextmanager
def locked(folder: Path, waiting: str | None) -> Iterator[int]:
    """Hold the lock of ``folder`` (``flock`` on ``folder/lock``, released by the kernel
    when the holder dies, however it dies); yields the lock's file descriptor.

    When another process holds it: with ``waiting`` (a message with ``{holder}``), print
    the message and wait; without, raise ``Busy``. The lock file stays: deleting it
    would let two processes lock two different files of the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "？"
            if waiting is None:
                raise Busy(holder) from None
            print(waiting.replace("{holder}", holder), file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        with suppress(OSError):  # who holds it is only for messages; a full disk may refuse
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)


def _pause(point: str) -> None:
    """Test hook, used by tests/test_publish.py only: with ``JIFEN_TEST_PAUSE`` set to
    ``<point>:<file>``, on reaching ``<point>`` write ``<file>`` and wait until the test
    deletes it (or kills this process). Does nothing otherwise."""
    spec = os.environ.get("JIFEN_TEST_PAUSE", "")
    name, _, flag = spec.partition(":")
    if name != point or not flag:
        return
    Path(flag).write_text(str(os.getpid()), "ascii")
    deadline = time.monotonic() + 600
    while os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.02)


# --- publishing: one atomic swap -----------------------------------------------------------------

AT_FDCWD = -100
RENAME_EXCHANGE = 2


@cache
def _renameat2() -> Any:
    """libc's ``renameat2`` (Linux 3.15+, glibc 2.28+), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step; False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # kernel or file system
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap(staging: Path, out: Path, retired: Path, exchange: bool = True) -> None:
    """Put ``staging`` in the place of ``out``; the old site ends up at ``staging``.

    With ``renameat2(RENAME_EXCHANGE)`` this is one atomic step. Without it (another
    kernel or file system; ``exchange=False`` forces it), two renames: ``out`` is
    briefly absent (never mixed), and if the process dies in between, ``tidy`` puts
    the old site back."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    if exchange and _exchange(staging, out):
        return
    os.rename(out, retired)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(retired, out)
        raise
    os.rename(retired, staging)


def tidy(out: Path, root: Path) -> None:
    """Put back an old site that a swap without RENAME_EXCHANGE had moved aside when
    its build was killed. (A staging tree left by a killed build needs nothing: the
    next ``_sync`` checks every file of it.)"""
    retired = root / RETIRED
    if os.path.lexists(retired):
        if not os.path.lexists(out):
            os.rename(retired, out)
        else:
            shutil.rmtree(retired, ignore_errors=True)


def _sync(site: Path, out: Path, staging: Path) -> None:
    """Make ``staging`` hold exactly the files of ``site``. A file already there with
    the same size and mtime (copies keep mtimes) stays; otherwise it becomes a hard
    link to the published file when that one did not change, or else a fresh copy.
    Never a link into ``site``: MkDocs rewrites its files in place, which would change
    a published file under its readers. ``staging`` is invisible until the swap, so
    files are simply replaced; a kill half-way leaves files that the next sync fixes
    (a partial copy has the wrong mtime)."""
    folders: set[str] = set()
    files: list[str] = []
    for folder, dirs, names in os.walk(site):
        dirs.sort()
        relative = os.path.relpath(folder, site).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        if prefix:
            folders.add(relative)
        files += [prefix + name for name in sorted(names)
                  if not (not prefix and name == BUILT_MARKER)]
    wanted = set(files)
    _keep_only(staging, lambda relative, _entry: relative in wanted, folders.__contains__)
    for relative in sorted(folders):
        if not os.path.isdir(staging / relative):
            os.mkdir(staging / relative)
    published = out if out.is_dir() else None
    for number, relative in enumerate(files):
        if number == len(files) // 2:
            _pause("staging")
        source, target = site / relative, staging / relative
        new = os.stat(source)
        try:
            present = os.lstat(target)
            if stat.S_ISREG(present.st_mode) and _same(present, new):
                continue
            os.unlink(target)
        except FileNotFoundError:
            pass
        if published is not None:
            try:
                if _same(os.lstat(published / relative), new):
                    os.link(published / relative, target)
                    continue
            except OSError as exc:  # absent, or not linkable: copy it
                if exc.errno in NO_SPACE:
                    raise
        shutil.copy2(source, target)


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return stat.S_ISREG(a.st_mode) and (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns)


def _keep_only(root: Path, keep_file: Callable[[str, os.DirEntry[str]], bool],
               keep_folder: Callable[[str], bool]) -> None:
    """Delete, under ``root``, every file (or symlink) that ``keep_file`` rejects and
    every folder that ``keep_folder`` rejects, with its contents."""
    def visit(path: str, prefix: str) -> None:
        with os.scandir(path) as scan:
            entries = list(scan)
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if keep_folder(relative):
                    visit(entry.path, relative + "/")
                else:
                    shutil.rmtree(entry.path)
            elif not keep_file(relative, entry):
                os.unlink(entry.path)
    visit(str(root), "")


def _shared(out: Path) -> Callable[[str, os.DirEntry[str]], bool]:
    """Whether a file of the old site is the same file as in ``out`` (a hard link)."""
    def shared(relative: str, entry: os.DirEntry[str]) -> bool:
        try:
            mine, theirs = entry.stat(follow_symlinks=False), os.lstat(out / relative)
        except OSError:
            return False
        return (mine.st_ino, mine.st_dev) == (theirs.st_ino, theirs.st_dev)
    return shared


def publish(site: Path, out: Path, root: Path) -> None:
    """Make ``out`` hold exactly ``site``, in one atomic step; called only after a
    successful build.

    The next site is assembled in ``root/staging`` (beside ``out``: the same file
    system) and swapped in; ``staging`` then holds the old site. Of that, only the
    folders and the files that are hard links to the new site's files are kept: no
    bytes of their own, and the next build's staging costs a walk and a few links
    rather than thousands of ``mkdir``, ``link`` and ``unlink`` calls (at 7,000 files
    about 0.3 s instead of 4 s). A failure before the swap removes the staging tree
    and leaves ``out`` untouched."""
    staging = root / STAGING
    try:
        if not os.path.isdir(staging) or os.path.islink(staging):
            with suppress(FileNotFoundError):
                os.unlink(staging)
            staging.mkdir()
        if out.is_dir():
            os.chmod(staging, stat.S_IMODE(os.stat(out).st_mode))
        _sync(site, out, staging)
        _pause("staged")
        swap(staging, out, root / RETIRED)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _pause("swapped")
    try:
        _keep_only(staging, _shared(out), lambda relative: os.path.isdir(out / relative))
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


# --- the build -----------------------------------------------------------------------------------

def _output(out: Path) -> Path:
    """The output folder, resolved; BuildError where it cannot be replaced as a whole."""
    resolved = out.resolve()
    if resolved.parent == resolved:
        raise BuildError(f"不能把根目录 {resolved} 作为输出目录；请指定一个单独的目录，例如 --out site。")
    if os.path.lexists(resolved) and not resolved.is_dir():
        raise BuildError(f"输出路径 {out} 已存在，但不是目录；请删除它或用 --out 指定另一个目录。")
    for inside, what in ((Path.cwd().resolve(), "当前目录"), (REPO, "jifen 程序所在的目录")):
        if inside.is_relative_to(resolved):
            raise BuildError(f"输出目录 {out} 包含{what}；每次生成都会整体替换输出目录，"
                             "请指定一个单独的目录，例如 --out site。")
    return resolved


def _write_error(exc: OSError, out: Path) -> BuildError:
    where = exc.filename2 or exc.filename or out  # (source, target) of a copy or link
    if exc.errno in NO_SPACE:
        return BuildError(f"磁盘空间不足：写入 {where} 时磁盘已满。网站没有更新，原网站保持不变；"
                          "请清理磁盘空间后重新运行 jifen build。")
    if exc.errno in (errno.EXDEV, errno.EBUSY):
        return BuildError(f"无法整体替换输出目录 {out}：它是挂载点，或不在其上级目录的文件系统中。"
                          "网站没有更新；请改用其下的子目录作为 --out。")
    reason = {errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限",
              errno.EROFS: "文件系统是只读的"}.get(exc.errno or 0, exc.strerror or str(exc))
    return BuildError(f"无法写入 {where}：{reason}。网站没有更新，原网站保持不变；"
                      "请检查后重新运行 jifen build。")


def build(dataset: Dataset, *, as_of: str, out: Path, work: Path | None = None,
          internal: bool = False, provenance: Provenance | None = None,
          extra: Mapping[str, bytes] | None = None) -> Result:
    """Build the site for a data set that validated (``pipeline.check`` without errors).
    ``extra``: more files for the docs folder, copied as they are (the internal build's
    ``admin/``, ``decap.admin_files``).

    ``work`` defaults to the output's own work folder (see ``work_root``). While one
    build of an output runs, another build of the same output waits for it (and says
    so); builds of different outputs share nothing. Failures to write (a full disk, a
    read-only folder) are BuildErrors in Chinese; the published site is then untouched.
    """
    assert dataset.organization is not None
    waiting = f"另一个 jifen build（进程 {{holder}}）正在生成 {out}；等它结束后再继续……"
    try:
        target = _output(out)
        root = work_root(target)
        with locked(root, waiting) as lock:
            tidy(target, root)
            return _build(dataset, as_of, out, target, root,
                          work or root / ("internal" if internal else "public"),
                          internal, provenance, lock, extra or {})
    except OSError as exc:
        raise _write_error(exc, out) from None


def _build(dataset: Dataset, as_of: str, out: Path, target: Path, root: Path, work: Path,
           internal: bool, provenance: Provenance | None, lock: int,
           extra: Mapping[str, bytes]) -> Result:
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
    written, removed, count = write_work(work, pages, internal, dataset.organization.committee,
                                         extra)
    lap("render+write")
    _pause("rendered")
    # Rebuild only the changed pages when nothing else moved: same config (and so the same
    # navigation), no page removed, and a previous build that completed.
    dirty = built.is_file() and removed == 0 and _read(work / "mkdocs.yml") == config_before
    built.unlink(missing_ok=True)
    _mkdocs(work / "mkdocs.yml", as_of, dirty, lock)
    built.touch()
    lap("mkdocs --dirty" if dirty else "mkdocs")
    _pause("built")
    publish(work / "site", target, root)
    lap("publish")
    return Result(count, written, removed, out, seconds)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def write_work(work: Path, pages: list[Page], internal: bool, committee: str,
               extra: Mapping[str, bytes] | None = None) -> tuple[int, int, int]:
    """Write the docs folder, the table fragments and the config: (written, removed,
    files). A page whose digest matches the last build's is not even rendered: its
    files are already there."""
    index_path = work / "rendered.pickle"
    previous = _load_index(index_path)
    # until the docs are complete again there is no valid index: a build that dies
    # half-way (killed, disk full) leaves none, and the next one renders every page
    index_path.unlink(missing_ok=True)
    docs_dir, fragments_dir = work / "docs", work / "fragments"
    docs_dir.mkdir(parents=True, exist_ok=True)
    fragments_dir.mkdir(parents=True, exist_ok=True)
    index: Index = {}
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
    docs = rendered.docs | assets() | dict(extra or {})
    written, removed = write_docs(docs_dir, docs, keep_docs)
    written_fragments, removed_fragments = write_docs(fragments_dir, rendered.fragments,
                                                      keep_fragments)
    write_file(index_path, pickle.dumps(index, protocol=5))
    write_config(work, pages, internal, committee)
    return (written + written_fragments, removed + removed_fragments,
            len(docs) + len(keep_docs) + len(rendered.fragments) + len(keep_fragments))


Index = dict[str, tuple[str, tuple[str, ...]]]  # page path -> (digest, its fragments)


def _load_index(path: Path) -> Index:
    """The last build's index of rendered pages; empty (render everything) when the
    file is absent, unreadable, garbage or not of the expected shape."""
    try:
        value = pickle.loads(path.read_bytes())
    except Exception:  # unpickling garbage can raise almost anything
        return {}
    if not isinstance(value, dict):
        return {}
    for key, entry in value.items():
        if not (isinstance(key, str) and isinstance(entry, tuple) and len(entry) == 2
                and isinstance(entry[0], str) and isinstance(entry[1], tuple)
                and all(isinstance(f, str) for f in entry[1])):
            return {}
    return value
