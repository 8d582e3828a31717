"""A cache of parsed and schema-checked files, keyed by content.

The key hashes the file's kind and bytes together with the schemas and the
source of this package, so a change to any of them is a clean miss; entries
are never updated in place, only added, and those older than ``KEEP_DAYS`` are
dropped. The same store keeps the stat index (see ``load.scan``) and command
results (see ``cli.execute``). It is one SQLite file in ``$JIFEN_CACHE_DIR``,
else ``$XDG_CACHE_HOME/jifen``, else ``~/.cache/jifen``; deleting it is always
safe, and a cache that cannot be opened or written is simply not used.

What is read back is checked, never trusted: every blob carries a hash of itself, the
callers say which shape a value must have, and a file that SQLite finds damaged is
deleted and started again. Whatever is wrong is a miss, computed again and overwritten.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

from generator.resources import SCHEMA_DIR

PACKAGE_DIR = Path(__file__).resolve().parent


def default_dir() -> Path:
    if os.environ.get("JIFEN_CACHE_DIR"):
        return Path(os.environ["JIFEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jifen"


@cache
def code_fingerprint() -> bytes:
    """Hash of everything that decides what a file parses to: our code and schemas."""
    digest = hashlib.blake2b(digest_size=16)
    sources = sorted(PACKAGE_DIR.glob("*.py")) + sorted(SCHEMA_DIR.glob("*.json"))
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.digest()


def content_key(kind: str, data: bytes) -> str:
    """The cache key of one file: its kind and bytes, salted with the code fingerprint."""
    digest = hashlib.blake2b(code_fingerprint(), digest_size=20)
    digest.update(kind.encode())
    digest.update(data)
    return digest.hexdigest()


# A file modified this recently may change again within the same mtime tick:
# its stat signature is not trusted (git calls this the "racy" case).
RACY_SECONDS = 2
KEEP_DAYS = 60


# Each stored blob starts with a hash of the rest: bytes damaged on disk are a miss and
# are never unpickled.
CHECK_BYTES = 16
_COLUMNS = ["key", "blob", "created"]


def seal(blob: bytes) -> bytes:
    return hashlib.blake2b(blob, digest_size=CHECK_BYTES).digest() + blob


def unseal(stored: object) -> bytes | None:
    """The blob ``seal`` stored, or None for anything else."""
    if not isinstance(stored, bytes) or len(stored) < CHECK_BYTES:
        return None
    blob = stored[CHECK_BYTES:]
    if hashlib.blake2b(blob, digest_size=CHECK_BYTES).digest() != stored[:CHECK_BYTES]:
        return None
    return blob


def _damaged(exc: sqlite3.Error) -> bool:
    """The database file is not a database, or a damaged one (not: busy, locked, full)."""
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB"


_MISS = object()


def _value(stored: object, valid: Callable[[object], bool] | None) -> object:
    """The value of a stored blob, or ``_MISS``: damaged, not a pickle, or not ``valid``."""
    blob = unseal(stored)
    if blob is None:
        return _MISS
    try:  # whatever the bytes hold, a failure is a miss
        value = pickle.loads(blob)
        fits = valid is None or valid(value)
    except Exception:
        return _MISS
    return value if fits else _MISS


def _stat_entry(entry: object) -> bool:
    return (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str)
            and isinstance(entry[0], tuple) and len(entry[0]) == 3
            and all(isinstance(n, int) for n in entry[0]))


class Cache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_dir()
        self.salt = code_fingerprint()
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._reset = False
        self._pruned = False

    @property
    def path(self) -> Path:
        return self.directory / "cache.sqlite3"

    def stat_index(self, data_dir: Path) -> dict[str, tuple[tuple[int, int, int], str]]:
        """path -> ((mtime_ns, size, inode), content key) as seen by the last scan."""
        entry = self.get(self._index_key(data_dir))
        if not isinstance(entry, dict):
            return {}
        return {path: value for path, value in entry.items()
                if isinstance(path, str) and _stat_entry(value)}

    def save_stat_index(self, data_dir: Path,
                        index: dict[str, tuple[tuple[int, int, int], str]]) -> None:
        settled = time.time_ns() - RACY_SECONDS * 1_000_000_000
        trusted = {p: v for p, v in index.items() if v[0][0] < settled}
        self.put(self._index_key(data_dir), pickle.dumps(trusted, pickle.HIGHEST_PROTOCOL))

    def _index_key(self, data_dir: Path) -> str:
        digest = hashlib.blake2b(self.salt, digest_size=20)
        digest.update(b"stat-index\0" + str(data_dir.resolve()).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def memo_key(self, *parts: str) -> str:
        digest = hashlib.blake2b(self.salt, digest_size=20)
        digest.update("\0".join(("memo", *parts)).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30)
            except (OSError, sqlite3.Error):
                self._broken = True
                return None
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                columns = [row[1] for row in db.execute("PRAGMA table_info(entries)")]
                if columns and columns != _COLUMNS:  # not a table of ours: start again
                    db.execute("DROP TABLE entries")
                db.execute("CREATE TABLE IF NOT EXISTS entries "
                           "(key TEXT PRIMARY KEY, blob BLOB NOT NULL, created INTEGER NOT NULL)")
                # (pruning by age then reads an index, not every row: ``created`` comes
                # after the blob, whose overflow pages a scan would read)
                db.execute("CREATE INDEX IF NOT EXISTS entries_created ON entries (created)")
                self._db = db
            except sqlite3.Error as exc:
                db.close()
                if not self._start_again(exc):
                    self._broken = True
                    return None
                return self._connect()
        return self._db

    def _start_again(self, exc: sqlite3.Error) -> bool:
        """After an error: if the file is damaged (and was not already replaced in this
        run), delete it so that the next connection starts an empty cache. Whether to try
        again."""
        if not _damaged(exc) or self._reset:
            return False
        self._reset = True
        if self._db is not None:
            self._db.close()
            self._db = None
        try:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError:
            return False
        return True

    def get(self, key: str, valid: Callable[[object], bool] | None = None) -> object:
        found = self.get_many([key], valid)
        return found.get(key)

    def get_many(self, keys: list[str], valid: Callable[[object], bool] | None = None
                 ) -> dict[str, object]:
        """The entries found among ``keys``, unpickled; an entry that is damaged, cannot be
        unpickled or fails ``valid`` is a miss (the caller computes it again and ``put``
        overwrites it)."""
        db = self._connect()
        found: dict[str, object] = {}
        if db is None:
            return found
        try:
            for start in range(0, len(keys), 500):
                batch = keys[start:start + 500]
                marks = ",".join("?" * len(batch))
                for key, stored in db.execute(
                        f"SELECT key, blob FROM entries WHERE key IN ({marks})", batch):
                    value = _value(stored, valid)
                    if value is not _MISS:
                        found[key] = value
        except sqlite3.Error as exc:
            if self._start_again(exc):
                return self.get_many(keys, valid)
            return {}
        return found

    def put(self, key: str, blob: bytes) -> None:
        self.put_many([(key, blob)])

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        """Store pickled entries in one transaction; failure to write is no error."""
        db = self._connect()
        if db is None or not items:
            return
        now = int(time.time())
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                               [(k, seal(b), now) for k, b in items])
                if not self._pruned:
                    db.execute("DELETE FROM entries WHERE created < ?",
                               (now - KEEP_DAYS * 86400,))
                    self._pruned = True
        except sqlite3.Error as exc:
            if self._start_again(exc):
                self.put_many(items)
            else:
                self._broken = True
