"""Build: the bulletin site, from validated data to a published folder.

    check → plan (site.py; parts.py) → render (render.py) → write the work folder
          (workdir.py) → mkdocs build → publish

The public build is checked by the incremental engine and planned part by part
(``parts.py``): after an edit only the components it touched are planned again.

Nothing is written unless the data validated. Output is deterministic: the as-of
date, not the clock, dates the build (``SOURCE_DATE_EPOCH``).

Pages stream: the planner yields one group (a page and its twins) at a time, and each
is rendered and written before the next is planned, unless its inputs are unchanged
since the last build (``workdir.py``: the work folder's manifest keys each group by a
digest of what it depends on), in which case it is neither built nor rendered. MkDocs
always runs as ``mkdocs build --dirty``: into an empty ``site/`` when everything is to
be built (no manifest, or a new configuration: navigation, theme, code), otherwise
rebuilding only the pages whose Markdown changed; when no page and no asset changed, it
does not run at all. A dirty build equals a full one byte for byte (the hook keeps the
search index whole). ``JIFEN_TIMINGS=1`` prints each stage's seconds.

The work folder belongs to the output. For ``--out site`` it is the hidden sibling
``.site.jifen-work/``, holding ``lock``, ``staging`` and ``published`` (see below) and
one work folder per variant (``public/``, ``internal/``, see ``workdir.py``). Builds of
different outputs therefore share nothing, wherever they are started from; and it sits
on the output's file system, which the atomic swap and the hard links below need.

The lock is ``flock`` on ``lock``: the kernel releases it however its holder dies, so
a killed build never leaves a stale lock. A second build of the same output *waits*,
after saying so, rather than failing: a build is short, and what the user asked for
last (the second build's data) is what ends up published, with no retry. The MkDocs
child inherits the lock, so an orphan of a killed build still holds it while it
writes.

Publishing is one atomic step, and it copies no bytes. The published files are hard
links to the work folder's (``site/`` and ``static/``), which are never written in
place: MkDocs (through the hook) and the writer of the twins always make new files.
At rest, ``staging`` mirrors the output (the same links). A build applies what changed
since the last publish (the manifest's ``unpublished``) to ``staging``, swaps it with the
output by ``renameat2(RENAME_EXCHANGE)``, and applies the same changes to the old site,
now in ``staging``: a few links for a small change, whatever the size of the site.
``published`` names the work folder and the publish that ``staging`` and the output
hold; without it (a killed build, another variant published to the same output),
``staging`` is made afresh from every file. At any instant the output is wholly the old
site or wholly the new one; a failure before the swap removes the staging tree and
leaves the output byte-identical. The output stays a real directory, not a symlink to a
generation: GitLab Pages archives ``public/`` as it finds it (a symlink would be
published as a symlink), and ``upload-pages-artifact``, ``python -m http.server -d
site`` and anyone reading ``site/index.html`` see no difference. (Its files are the
build's: edit the data, not the output.) Where RENAME_EXCHANGE is missing (another
kernel or file system), the swap is two renames, with the output briefly absent but
never mixed. A full disk, or any other failure to write, is a ``BuildError`` with a
Chinese message.
"""

from __future__ import annotations

import calendar
import ctypes
import datetime as dt
import errno
import fcntl
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from generator.mkdocs_hooks import INDEX, REPORT, merge_indexes
from generator.model import Dataset
from generator.parts import Parts
from generator.provenance import Provenance
from generator.site import Group, groups
from generator.workdir import (
    SITE,
    STATIC,
    Manifest,
    Progress,
    Writer,
    Written,
    fingerprint,
    load_manifest,
    save_manifest,
    write_file,
    write_work,
)

# The folder that holds the program (the source tree, or site-packages): never an output.
REPO = Path(__file__).resolve().parent.parent


class BuildError(Exception):
    """MkDocs could not build the site; the message says why, in Chinese."""


@dataclass(frozen=True)
class Result:
    pages: int  # files of the work folder (pages, twins, assets)
    written: int
    removed: int
    out: Path
    seconds: dict[str, float]  # per stage, for benchmarks
    groups: int = 0  # pages planned (each with its twins)
    rebuilt: int = 0  # of which built and rendered: the others had not changed


SHARD_MIN_PAGES = 1500  # below this one MkDocs process builds every page


def _forced() -> int | None:
    """``JIFEN_PROCESSES`` (tests, benchmarks): how many processes a large build uses."""
    forced = os.environ.get("JIFEN_PROCESSES", "")
    return min(int(forced), 8) if forced.isdigit() and int(forced) >= 1 else None


def _cores() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def processes(pages: int) -> int:
    """How many MkDocs processes build ``pages`` pages: one per core, for many pages."""
    forced = _forced()
    if forced is not None:
        return forced
    return 1 if pages < SHARD_MIN_PAGES else _cores()


def workers() -> tuple[int, int]:
    """How many processes render the pages when many are to be rendered, and from how
    many on (``workdir.Writer``): one per core, none on one core. ``JIFEN_PROCESSES``
    sets the number and makes them start at once (1: none)."""
    forced = _forced()
    if forced is not None:
        return (forced if forced > 1 else 0), 0
    cores = _cores()
    return (cores if cores > 1 else 0), Writer.PARALLEL_FROM


def _mkdocs(work: Path, as_of: str, lock: int, progress: Progress, shards: int = 1) -> None:
    """Run ``mkdocs build --dirty`` (in ``shards`` processes, each building its share of
    the pages into a folder of its own: see the hook, 6). The children inherit the lock's
    descriptor: if this process is killed, an orphaned MkDocs still holds the lock until
    it has finished writing. On a terminal the hook says how far it got
    (``JIFEN_PROGRESS_FD``)."""
    day = dt.date.fromisoformat(as_of)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(calendar.timegm(day.timetuple())),
               NO_MKDOCS_2_WARNING="1")
    env.pop("JIFEN_PROGRESS_FD", None)
    env.pop("JIFEN_SHARD", None)
    keep = [lock]
    if progress:  # the terminal, under another number (the children's stderr is a pipe)
        keep.append(os.dup(sys.stderr.fileno()))
        env["JIFEN_PROGRESS_FD"] = str(keep[-1])
    children = []
    try:
        for k in range(shards):
            args = [sys.executable, "-m", "mkdocs", "build", "--strict", "--dirty", "-q", "-f",
                    str(work / "mkdocs.yml")]
            if k:
                shutil.rmtree(work / f"{SITE}.{k}", ignore_errors=True)
                args += ["-d", str(work / f"{SITE}.{k}")]
            children.append(subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=dict(env, JIFEN_SHARD=f"{k}/{shards}") if shards > 1 else env,
                pass_fds=tuple(keep)))
        _pause("mkdocs")
        said = [child.communicate() for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.wait()
        for fd in keep[1:]:
            os.close(fd)
    for child, (stdout, stderr) in zip(children, said, strict=True):
        if child.returncode != 0:
            text = (stderr or stdout).strip()
            if "No space left on device" in text or "Disk quota exceeded" in text:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(work / SITE))
            raise BuildError("MkDocs 生成网站失败，原网站保持不变。MkDocs 的输出：\n"
                             + "\n".join(text.splitlines()[-20:]))
    if shards > 1:
        _merge_shards(work, shards)


# What every shard writes, of which the first's are kept (the index merged).
SHARED_FILES = frozenset({"404.html", "sitemap.xml", "sitemap.xml.gz", INDEX.as_posix()})


def _merge_shards(work: Path, shards: int) -> None:
    """Move the pages the other shards built into the first one's site folder, and
    their search index entries into its index."""
    site = work / SITE
    folders: set[str] = set()
    for k in range(1, shards):
        other = work / f"{SITE}.{k}"
        for relative in sorted(_walk(other) - SHARED_FILES):
            folder = os.path.dirname(relative)
            if folder and folder not in folders:
                os.makedirs(site / folder, exist_ok=True)
                folders.add(folder)
            os.replace(other / relative, site / relative)
    merge_indexes(site / INDEX, [work / f"{SITE}.{k}" / INDEX for k in range(1, shards)])
    for k in range(1, shards):
        shutil.rmtree(work / f"{SITE}.{k}")
        (work / f"{REPORT}.{k}").unlink(missing_ok=True)
    with suppress(OSError):
        os.replace(work / f"{REPORT}.0", work / REPORT)


def _walk(root: Path) -> set[str]:
    """Every file under ``root``, by relative path (only where no list says it)."""
    found: set[str] = set()
    for folder, _dirs, names in os.walk(root):
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.update(prefix + name for name in names)
    return found


def run_mkdocs(work: Path, manifest: Manifest, written: Written, as_of: str, lock: int,
               progress: Progress) -> str:
    """Bring ``site/`` up to date with the docs, as cheaply as it can be: not at all when
    no page and no docs file changed; every page when there is nothing to build on or
    the configuration changed; else the changed pages. Keeps the manifest's list of
    the site's files, and of those changed since the last publish. The stage's name."""
    site = work / SITE
    full = written.full or written.config_changed or not manifest.site
    if not full and not written.pages and not written.docs_changed and manifest.epoch == as_of:
        return "mkdocs skipped"  # (another as-of date: the sitemap's gzip header changes)
    report = work / REPORT
    report.unlink(missing_ok=True)
    if full:
        shutil.rmtree(site, ignore_errors=True)
        site.mkdir()
        manifest.unpublished |= manifest.site
        manifest.site = set()
    shards = processes(written.groups) if full else 1
    progress.say("MkDocs 正在生成网页……" if shards == 1 else
                 f"MkDocs 正在生成网页（{shards} 个进程）……")
    _mkdocs(work, as_of, lock, progress, shards)
    try:
        changed = json.loads(report.read_text("utf-8"))
        assert isinstance(changed, list) and all(isinstance(x, str) for x in changed)
    except (OSError, ValueError, AssertionError):
        full = True  # no report of what MkDocs wrote: take everything as changed
    if full:
        manifest.site = _walk(site)
        manifest.unpublished |= manifest.site
    else:
        manifest.site |= set(changed)
        manifest.unpublished |= set(changed)
    manifest.epoch = as_of
    return "mkdocs" if full else "mkdocs --dirty"
# --- the work folder of an output and its lock -------------------------------------------------

WORK_SUFFIX = ".jifen-work"
LOCK = "lock"
STAGING = "staging"  # a mirror of the output; the next site while it is assembled
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



PUBLISHED = "published"  # which work folder's site (and which publish) staging mirrors
NO_LINK = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP)


def _place(source: Path, target: Path) -> None:
    """Make ``target`` the file ``source`` (a hard link; a copy where the file system
    cannot link)."""
    try:
        os.link(source, target)
    except FileNotFoundError:
        if not source.exists():
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        _place(source, target)
    except OSError as exc:
        if exc.errno not in NO_LINK:
            raise
        shutil.copy2(source, target)


def _linked_copy(trees: list[Path], staging: Path) -> bool:
    """Make ``staging`` afresh from whole trees, by ``cp -al`` (GNU coreutils: folders
    made, files hard-linked, several times quicker than doing it file by file here);
    False where it cannot (no such ``cp``, a file system without hard links, a full
    disk), which leaves nothing behind."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for number, tree in enumerate(trees):
        if number:
            _pause("staging")
        try:
            done = subprocess.run(["cp", "-al", "--", f"{tree}/.", str(staging)],
                                  capture_output=True, check=False)
        except OSError:
            done = None
        if done is None or done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            return False
    return True


def _mirror(staging: Path, files: list[str], source: Callable[[str], Path]) -> None:
    """Make ``staging`` afresh: every file of the site, as a hard link."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    folders = sorted({os.path.dirname(f) for f in files} - {""})
    made: set[str] = set()
    for folder in folders:
        parts = folder.split("/")
        for i in range(1, len(parts) + 1):
            step = "/".join(parts[:i])
            if step not in made:
                made.add(step)
                with suppress(FileExistsError):
                    os.mkdir(staging / step)
    for number, relative in enumerate(files):
        if number == len(files) // 2:
            _pause("staging")
        _place(source(relative), staging / relative)


def _apply(staging: Path, changed: list[str], files: set[str],
           source: Callable[[str], Path]) -> None:
    """Bring a mirror of the last published site up to date: each changed file linked
    anew (or removed, with the folders it leaves empty)."""
    if not changed:
        _pause("staging")
    for number, relative in enumerate(changed):
        if number == len(changed) // 2:
            _pause("staging")
        target = staging / relative
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            shutil.rmtree(target)
        if relative in files:
            _place(source(relative), target)
        else:
            folder = target.parent
            while folder != staging:
                try:
                    os.rmdir(folder)
                except OSError:
                    break
                folder = folder.parent


def _exactly(work: Path, manifest: Manifest) -> bool:
    """Do ``site/`` and ``static/`` hold the manifest's files and nothing else, so that
    they can be linked as whole trees? (A walk of each: only when staging is made
    afresh, which links every file anyway.)"""
    return manifest.site == _walk(work / SITE) and manifest.static() == _walk(work / STATIC)


def _published(root: Path) -> tuple[str, str] | None:
    try:
        work, token = (root / PUBLISHED).read_text("utf-8").split("\n")[:2]
    except (OSError, ValueError):
        return None
    return work, token


def publish(work: Path, manifest: Manifest, out: Path, root: Path) -> None:
    """Make ``out`` hold exactly the work folder's site (``site/`` and ``static/``), in one
    atomic step; called only after a successful build (see the module docstring).
    Saves the manifest, with the changes now published."""
    staging = root / STAGING
    static = manifest.static()
    files = manifest.site | static

    def source(relative: str) -> Path:
        return work / (STATIC if relative in static else SITE) / relative

    fast = (bool(manifest.published) and staging.is_dir() and not staging.is_symlink()
            and out.is_dir() and _published(root) == (str(work), manifest.published))
    (root / PUBLISHED).unlink(missing_ok=True)
    changed = sorted(manifest.unpublished)
    try:
        if fast:
            _apply(staging, changed, files, source)
        elif not (_exactly(work, manifest) and _linked_copy([work / SITE, work / STATIC],
                                                            staging)):
            _mirror(staging, sorted(files), source)
        if out.is_dir():
            os.chmod(staging, stat.S_IMODE(os.stat(out).st_mode))
        _pause("staged")
        swap(staging, out, root / RETIRED)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _pause("swapped")
    # staging now holds the old site: bring it up to date too, so that it mirrors the
    # output until the next build (a failure only means the next build starts afresh)
    manifest.published = secrets.token_hex(8)
    manifest.unpublished = set()
    try:
        save_manifest(work, manifest)
        if fast and staging.is_dir():
            _apply(staging, changed, files, source)
        elif not _linked_copy([out], staging):
            _mirror(staging, sorted(files), source)
        write_file(root / PUBLISHED, f"{work}\n{manifest.published}\n".encode())
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




def build(dataset: Dataset | Parts, *, as_of: str, out: Path, work: Path | None = None,
          internal: bool = False, provenance: Provenance | None = None,
          extra: Mapping[str, bytes] | None = None,
          progress: Callable[[str], None] | None = None, stamp: str = "") -> Result:
    """Build the site for a data set that validated (``pipeline.check`` without errors),
    planned at once or, given its ``Parts``, part by part (only the parts that changed).
    ``extra``: more files for the docs folder, copied as they are (the internal build's
    ``admin/``, ``decap.admin_files``). ``progress``: where to say how the build goes
    (``jifen build`` on a terminal), as MkDocs-style lines. ``stamp``: a digest of all
    that the site depends on, kept for ``up_to_date``.

    ``work`` defaults to the output's own work folder (see ``work_root``). While one
    build of an output runs, another build of the same output waits for it (and says
    so); builds of different outputs share nothing. Failures to write (a full disk, a
    read-only folder) are BuildErrors in Chinese; the published site is then untouched.
    """
    waiting = f"另一个 jifen build（进程 {{holder}}）正在生成 {out}；等它结束后再继续……"
    try:
        target = _output(out)
        root = work_root(target)
        with locked(root, waiting) as lock:
            tidy(target, root)
            return _build(dataset, as_of, out, target, root,
                          work or root / ("internal" if internal else "public"),
                          internal, provenance, lock, extra or {}, Progress(progress),
                          stamp)
    except OSError as exc:
        raise _write_error(exc, out) from None


def _build(dataset: Dataset | Parts, as_of: str, out: Path, target: Path, root: Path,
           work: Path, internal: bool, provenance: Provenance | None, lock: int,
           extra: Mapping[str, bytes], progress: Progress, stamp: str) -> Result:
    context = dataset.context if isinstance(dataset, Parts) else dataset
    assert context.organization is not None
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 3)
        clock = now

    progress.say("规划并生成页面……")
    count, start = workers()

    def planned(writer: Writer) -> Iterable[Group]:
        if isinstance(dataset, Parts):  # only the parts that changed, or that the folder lacks
            return dataset.groups(writer.known)
        return groups(dataset, as_of, internal, provenance)

    writer, written = write_work(work, planned, internal, context.organization.committee,
                                 extra, twins_in_docs=False, progress=progress, workers=count,
                                 parallel_from=start)
    manifest = writer.manifest
    manifest.stamp = stamp
    progress.say(f"页面：共 {written.groups} 组，{written.rebuilt} 组有变化，"
                 f"写入 {written.written} 个文件，删除 {written.removed} 个")
    lap("pages")
    _pause("rendered")
    lap(run_mkdocs(work, manifest, written, as_of, lock, progress))
    save_manifest(work, manifest)
    _pause("built")
    if manifest.unpublished or not target.is_dir() or _published(root) != (
            str(work), manifest.published):
        progress.say("发布网站……")
        publish(work, manifest, target, root)
        lap("publish")
    else:
        lap("publish skipped")
    return Result(written.files, written.written, written.removed, out, seconds,
                  written.groups, written.rebuilt)


def up_to_date(out: Path, internal: bool, stamp: str) -> Result | None:
    """The last build of ``out``, when it was made from inputs with this ``stamp`` (a
    digest of everything the site depends on: the data, the as-of date and today, the
    variant, the forms' settings, the state of Git, our code) and is what ``out`` holds
    now; else None. Nothing is locked: a build under way has no manifest yet."""
    if not stamp:
        return None
    try:
        target = _output(out)
    except BuildError:
        return None
    root = work_root(target)
    work = root / ("internal" if internal else "public")
    manifest = load_manifest(work, fingerprint())
    if manifest is None or manifest.stamp != stamp or manifest.unpublished \
            or not target.is_dir() or _published(root) != (str(work), manifest.published):
        return None
    return Result(manifest.files(), 0, 0, out, {"up to date": 0.0}, len(manifest.groups), 0)
