"""Load: find the data files, parse them and check each against its schema.

Each file is parsed and schema-checked on its own, so the work is cached per
file content (``cache.py``) and, for large data sets, spread over the cores.
The result is a list of ``Document`` values plus the problems found; nothing
here looks across files (that is ``validate.py``'s job).

The layout of a data directory (which file is which kind) is the registry's,
``kinds.KINDS``; files on disk are walked and read by ``files.py`` (regular files only),
and each text is parsed by ``yamlio.py`` (or the fast reader, ``fastyaml.py``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import multiprocessing
import multiprocessing.pool
import os
import pickle
import signal
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from generator import fastyaml
from generator.cache import Cache, content_key
from generator.errors import Diagnostic, diag, shown_path
from generator.files import NotAFile, data_like, read_regular, walk
from generator.kinds import BY_NAME, WHOLE, Document, Position, arrange, kind_of
from generator.schema import schema_set
from generator.yamlio import EMPTY, LIMITS, Skeleton, parse, read_text, skeleton, too_large

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 64


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Build a large heap without the cyclic garbage collector walking it again and
    again (records hold no cycles; reference counting frees them): automatic collection
    is off inside the block and restored after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle() -> None:
    """After building a large heap that lives to the end of the run: move it out of the
    collector's sight (``gc.freeze``), so that later allocations never make it walk the
    heap again. Frozen objects are still freed by reference counting."""
    gc.freeze()


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def missing_file(kind: str, data_dir: str) -> Diagnostic:
    entry = BY_NAME[kind]
    name = entry.pattern if "/" not in entry.pattern else entry.folder + "/"
    return diag("E104", str(Path(data_dir, name)), line=1, col=1, name=name,
                hint=entry.required)


def split_names(relatives: Iterable[str], data_dir: str) -> tuple[list[str], list[Diagnostic]]:
    """The paths that are text; and an error (E120) for each data file whose name has
    bytes that are not UTF-8 (as Python names such files: ``surrogateescape``)."""
    good: list[str] = []
    bad: list[Diagnostic] = []
    for relative in relatives:
        try:
            relative.encode("utf-8")
        except UnicodeEncodeError:
            if kind_of(relative) is not None:
                shown = shown_path(str(Path(data_dir, relative)))
                bad.append(diag("E120", shown, line=1, col=1, name=shown))
        else:
            good.append(relative)
    return good, bad


def discover(data_dir: Path) -> tuple[list[tuple[str, Path]], list[Diagnostic]]:
    """Every data file with its kind, in loading order; and what is wrong with the
    folder: missing required files (E104), data-like entries that are not regular
    files (E113: symbolic links, named pipes, devices; never followed, never read),
    data-like files that would be ignored (W109: a wrong extension or folder) and names
    that are not UTF-8 (E120). Hidden entries (a leading dot) are skipped."""
    found, problems = _discover(data_dir)
    return [(kind, data_dir / relative) for kind, relative in found], problems


def _discover(data_dir: Path) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """``discover``, with the paths below ``data_dir``."""
    relatives, others, unlisted = walk(data_dir)
    problems = [diag("E100", shown_path(folder), line=1, col=1, reason=reason)
                for folder, reason in unlisted]
    problems += [_not_regular(str(data_dir / relative), what) for relative, what in others]
    relatives, unnamed = split_names(relatives, str(data_dir))
    found, missing = arrange(relatives)
    problems += ignored(relatives, str(data_dir), {relative for _, relative in found})
    return found, problems + [missing_file(kind, str(data_dir)) for kind in missing] + unnamed


def _not_regular(path: str, what: str) -> Diagnostic:
    return diag("E113", shown_path(path), line=1, col=1, what=what)


def ignored(relatives: Iterable[str], data_dir: str, read: set[str] | None = None
            ) -> list[Diagnostic]:
    """W109 for each data-like file the layout does not read (``read``: those it does,
    when known)."""
    found: list[Diagnostic] = []
    for relative in relatives:
        if read is not None and relative in read:
            continue
        name = relative.rsplit("/", 1)[-1]
        if not data_like(name) or kind_of(relative) is not None:
            continue
        path = str(Path(data_dir, relative))
        stem, _, suffix = name.rpartition(".")
        if name.endswith(".yaml") or kind_of(relative.rpartition(".")[0] + ".yaml") is None:
            found.append(diag("W109", path, line=1, col=1,
                              why="它不在数据目录的任何一个数据文件夹中",
                              fix="数据文件夹有：organization.yaml、policy.yaml、rules/、members/、"
                              "meetings/、events/、additions/、closes/、objections/、cases/、"
                              "nominations/；请把它移到对应的文件夹，不是数据就请移出数据目录。"))
        else:
            found.append(diag("W109", path, line=1, col=1,
                              why=f"扩展名是“.{suffix}”，数据文件的扩展名须是小写的“.yaml”",
                              fix=f"请把它改名为 {stem}.yaml。"))
    return found


@dataclass
class Scan:
    """What there is to load: every file, its kind and, where known, a key for its
    content.

    A key is known without reading the file when its size, mtime and inode match
    the cache's stat index; the others are left ``None`` and filled in by
    ``load``, which reads those files anyway (in the worker processes, on a cold
    run). ``""`` marks a file that could not be read."""

    data_dir: Path
    files: list[tuple[str, Path]]
    keys: list[str | None]
    signatures: list[tuple[int, int, int] | None]
    problems: list[Diagnostic]
    relatives: list[str] = field(default_factory=list)  # each file's path below data_dir

    @property
    def complete(self) -> bool:
        return None not in self.keys

    def digest(self) -> str:
        """One hash for the whole data set: equal digests, equal inputs."""
        assert self.complete
        digest = hashlib.blake2b(digest_size=20)
        for (kind, path), key in zip(self.files, self.keys, strict=True):
            digest.update(f"{kind}\0{path}\0{key}\n".encode("utf-8", "surrogateescape"))
        for problem in self.problems:  # e.g. the names of files that cannot be read
            digest.update(f"{problem.code}\0{problem.path}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()


def scan(data_dir: Path, cache: Cache | None = None) -> Scan:
    found, problems = _discover(data_dir)
    files = [(kind, data_dir / relative) for kind, relative in found]
    keys: list[str | None] = []
    signatures: list[tuple[int, int, int] | None] = []
    index = cache.stat_index(data_dir) if cache else {}
    for _kind, path in files:
        name = str(path)
        try:
            st = os.stat(name)
        except OSError as exc:
            problems.append(diag("E100", name, line=1, col=1, reason=exc.strerror))
            keys.append("")
            signatures.append(None)
            continue
        signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        known = index.get(name)
        keys.append(known[1] if known is not None and known[0] == signature else None)
        signatures.append(signature)
    return Scan(data_dir, files, keys, signatures, problems, [r for _, r in found])


Result = tuple[object, list[tuple], frozenset[Position], Skeleton | None]


def _check(kind: str, path: str, data: bytes) -> Result:
    """Parse and schema-check one file: (value, diagnostics, broken records, positions).
    Diagnostics are returned without the path (as tuples) so that a cached result serves
    any file with the same content; positions are where each value is in the text, for
    the diagnostics that later checks make with a pointer only.

    The common case (plain YAML, valid) takes the fast reader; anything else,
    and every file with a problem to report, goes through libyaml, which knows
    where each node is."""
    if len(data) > LIMITS.bytes:
        problem = too_large(path)
        return None, [(problem.code, problem.message, 1, 1, ())], frozenset({WHOLE}), EMPTY
    try:
        fast = fastyaml.load_with_positions(read_text(data))
    except UnicodeDecodeError:
        fast = None
    if fast is not None and schema_set().is_valid(kind, fast[0]):
        return fast[0], [], frozenset(), fast[1]
    value, node, problems = parse(path, data)
    if value is None and node is None and not problems and BY_NAME[kind].empty_ok:
        value = {}  # an empty file (or only comments): every key is optional
    broken: set[Position] = {WHOLE} if node is None and problems else set()
    if not problems or node is not None:
        schema_problems, schema_broken = schema_set().check(kind, path, value, node)
        problems += schema_problems
        broken |= schema_broken
    if any(p.code == "E102" for p in problems):
        broken.add(WHOLE)  # a key written twice: which value was meant is unknown
    flat = [(p.code, p.message, p.line, p.col, p.pointer) for p in problems]
    return value, flat, frozenset(broken), skeleton(node)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _worker_start(parent: int) -> None:
    """In each worker process: die with the parent, however it ends (SIGKILL or a CI
    timeout included: the kernel sends the worker SIGKILL when its parent exits), and
    leave Ctrl-C to the parent, which stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pool still stops
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class Entry(NamedTuple):
    """One file parsed and checked, as the cache keeps it (by content key): its
    diagnostics (without the path), its broken records, its links (``link_hashes``) and,
    pickled apart so that it is unpickled only when needed, its value and positions."""

    flat: list[tuple]
    broken: frozenset[Position]
    links: bytes | None
    body: bytes  # pickle of (value, positions)

    def opened(self) -> tuple[object, Skeleton | None]:
        """(value, positions): a body that does not unpickle to that shape reads as an
        unusable file (the cache is checked, never trusted; a sealed blob that unpickles
        is ours, so this is belt and braces)."""
        try:
            value, positions = pickle.loads(self.body)
        except Exception:
            return None, None
        return value, positions


def link_hashes(kind: str, value: object) -> bytes | None:
    """What a file's records refer to across files (``RecordKind.links``), as sorted
    64-bit hashes (CRC-32 and Adler-32 side by side: quick, and two different links
    sharing both is most unlikely; if they did, two parts would only be checked
    together); None for a kind without links."""
    extract = BY_NAME[kind].links
    return None if extract is None else _hashed(extract(value))


def link_hash(link: str) -> bytes:
    """One link as ``link_hashes`` gives it (e.g. ``"b\0b-dc"``: a branch)."""
    return _hashed([link])


def _hashed(links: Iterable[str]) -> bytes:
    crc32, adler32 = zlib.crc32, zlib.adler32
    raws = {link.encode("utf-8", "surrogateescape") for link in links}
    return array("Q", sorted({crc32(raw) << 32 | adler32(raw) for raw in raws})).tobytes()


def _entry(kind: str, path: str, data: bytes) -> Entry:
    value, flat, broken, positions = _check(kind, path, data)
    return Entry(flat, broken, link_hashes(kind, value),
                 pickle.dumps((value, positions), protocol=pickle.HIGHEST_PROTOCOL))


def _entry_shape(entry: object) -> bool:
    """Whether a cached value is an ``Entry`` (the cache may hold anything: what does not
    fit is a miss, parsed again and overwritten)."""
    if type(entry) is not Entry:
        return False
    fields: tuple[object, ...] = tuple(entry)
    flat, broken, links, body = fields
    return (isinstance(body, bytes) and (links is None or isinstance(links, bytes))
            and isinstance(flat, list)
            and all(p.__class__ is tuple and len(p) == 5 and isinstance(p[0], str)
                    and isinstance(p[1], str) and isinstance(p[2], int)
                    and isinstance(p[3], int) and isinstance(p[4], tuple) for p in flat)
            and isinstance(broken, frozenset)
            and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                    and isinstance(p[1], int) for p in broken))


def _check_job(job: tuple[str, str]) -> tuple[str, bytes]:
    """Worker: read, parse and check one file; (content key, pickled ``Entry``).

    The key is computed from the bytes actually parsed, so a file edited during
    the run can never be cached under the key of its earlier content."""
    kind, path = job
    try:
        data = read_regular(path)
    except OSError as exc:
        flat = [("E100", diag("E100", path, reason=exc.strerror).message, 1, 1, ())]
        entry = Entry(flat, frozenset({WHOLE}), None,
                      pickle.dumps((None, EMPTY), protocol=pickle.HIGHEST_PROTOCOL))
        return "", pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    return content_key(kind, data), pickle.dumps(_entry(kind, path, data),
                                                 protocol=pickle.HIGHEST_PROTOCOL)


@contextlib.contextmanager
def workers_for(jobs: int, workers: int | None = None) -> Iterator[multiprocessing.pool.Pool | None]:
    """A pool of worker processes for ``jobs`` pieces of work, or None when starting
    processes would cost more than it saves. Leaving the block terminates the workers,
    also on an exception or Ctrl-C; a parent killed outright takes them with it
    (``_worker_start``)."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if jobs < PARALLEL_MIN_FILES or count <= 1:
        yield None
        return
    with multiprocessing.Pool(count, _worker_start, (os.getpid(),)) as pool:
        yield pool


def read_entries(files: list[tuple[str, Path]], keys: list[str | None], cache: Cache | None,
                 workers: int | None = None, later: list[tuple[str, bytes]] | None = None,
                 arrived: Callable[[int, Entry], None] | None = None
                 ) -> list[tuple[str, Entry] | None]:
    """For each file (kind, path) with its content key if known: (content key, entry),
    from the cache where it holds the key, otherwise read and checked (in worker
    processes when there are many) and stored in the cache — or, with ``later``, added
    to it for the caller to store; None for a key ``""`` (a file that could not even be
    looked at). A file that cannot be read has the key ``""`` and an E100 entry.
    ``arrived`` is told of each entry (by the file's place in ``files``) as soon as it is
    there, so that the caller can use it while the workers read on."""
    known = [key for key in keys if key]
    with collector_paused():
        hits = cache.get_many(known, valid=_entry_shape) if cache and known else {}
    got: list[tuple[str, Entry] | None] = [None] * len(files)
    misses: list[int] = []
    for index, key in enumerate(keys):
        hit = hits.get(key) if key else None
        if isinstance(hit, Entry):
            assert key is not None
            got[index] = (key, hit)
            if arrived is not None:
                arrived(index, hit)
        elif key != "":
            misses.append(index)
    jobs = [(n, files[i][0], str(files[i][1])) for n, i in enumerate(misses)]
    computed: list[tuple[str, bytes]] = []
    with workers_for(len(jobs), workers) as pool, collector_paused():
        done: Iterable[tuple[int, str, bytes]] = (
            pool.imap_unordered(_numbered_check_job, jobs, chunksize=32) if pool
            else map(_numbered_check_job, jobs))
        for n, key, blob in done:
            index = misses[n]
            entry = pickle.loads(blob)
            got[index] = (key, entry)
            if key:
                computed.append((key, blob))
            if arrived is not None:
                arrived(index, entry)
    if cache:
        if later is not None:
            later += computed
        else:
            cache.put_many(computed)
    return got


def _numbered_check_job(job: tuple[int, str, str]) -> tuple[int, str, bytes]:
    n, kind, path = job
    return n, *_check_job((kind, path))


def save_stat_index(found: Scan, cache: Cache | None) -> None:
    """Remember the files' signatures and keys, for the next scan."""
    if cache:
        cache.save_stat_index(found.data_dir, {
            str(path): (signature, key)
            for (_, path), signature, key in zip(found.files, found.signatures, found.keys,
                                                  strict=True)
            if signature is not None and key})


def load(data: Path | Scan, cache: Cache | None = None, workers: int | None = None) -> Loaded:
    """Read, parse and schema-check every file of a data directory (or of a scan,
    whose missing keys this fills in)."""
    found = data if isinstance(data, Scan) else scan(data, cache)
    loaded = Loaded(diagnostics=list(found.problems))
    got = read_entries(found.files, found.keys, cache, workers)
    for index, item in enumerate(got):
        if item is not None:
            found.keys[index] = item[0]
    save_stat_index(found, cache)
    with collector_paused():
        for (kind, path), item in zip(found.files, got, strict=True):
            if item is None:
                continue
            entry = item[1]
            value, positions = entry.opened()
            shown = str(path)
            relative = path.relative_to(found.data_dir).as_posix()
            loaded.documents.append(Document(kind, shown, value, entry.broken, relative,
                                             positions))
            loaded.diagnostics.extend(
                Diagnostic(shown, code, message, line, col, pointer)
                for code, message, line, col, pointer in entry.flat
            )
    return loaded


def load_blobs(files: Mapping[str, bytes | NotAFile], data_dir: str) -> Loaded:
    """Load files given as bytes (from a Git revision, say), keyed by their path; the
    layout is matched below ``data_dir``. An entry that is not a file (a symbolic link
    or a submodule in Git) is reported (E113), never read. No cache, no workers."""
    prefix = data_dir.rstrip("/") + "/"
    below = {r: blob for r, blob in ((p.removeprefix(prefix), blob)
                                     for p, blob in files.items() if p.startswith(prefix))
             if not any(part.startswith(".") for part in r.split("/"))}
    others = [_not_regular(prefix + r, blob.what) for r, blob in below.items()
              if isinstance(blob, NotAFile)]
    relatives, unnamed = split_names((r for r, blob in below.items()
                                      if not isinstance(blob, NotAFile)), data_dir)
    found, missing = arrange(relatives)
    loaded = Loaded(diagnostics=[missing_file(kind, data_dir) for kind in missing]
                    + ignored(relatives, data_dir) + unnamed + others)
    for kind, relative in found:
        path = prefix + relative
        blob = below[relative]
        assert isinstance(blob, bytes)
        value, flat, broken, positions = _check(kind, path, blob)
        loaded.documents.append(Document(kind, path, value, broken, relative, positions))
        loaded.diagnostics.extend(Diagnostic(path, code, message, line, col, pointer)
                                  for code, message, line, col, pointer in flat)
    return loaded
