"""A cache of parsed and schema-checked files, keyed by content.

The key hashes the file's kind and bytes together with the schemas and the
source of this package, so a change to any of them is a clean miss; entries
are never updated in place, only added, and those older than ``KEEP_DAYS`` are
dropped. The same store keeps the stat index (see ``load.scan``) and command
results (see ``cli.execute``). It is one SQLite file in ``$JIFEN_CACHE_DIR``,
else ``$XDG_CACHE_HOME/jifen``, else ``~/.cache/jifen``; deleting it is always
safe, and a cache that cannot be opened or written is simply not used.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import time
from functools import cache
from pathlib import Path

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
    sources = sorted(PACKAGE_DIR.glob("*.py")) + sorted(PACKAGE_DIR.parent.glob("schema/*.json"))
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


class Cache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_dir()
        self.salt = code_fingerprint()
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._pruned = False

    def stat_index(self, data_dir: Path) -> dict[str, tuple[tuple[int, int, int], str]]:
        """path -> ((mtime_ns, size, inode), content key) as seen by the last scan."""
        entry = self.get(self._index_key(data_dir))
        return entry if isinstance(entry, dict) else {}

    def save_stat_index(self, data_dir: Path,
                        index: dict[str, tuple[tuple[int, int, int], str]]) -> None:
        settled = time.time_ns() - RACY_SECONDS * 1_000_000_000
        trusted = {p: v for p, v in index.items() if v[0][0] < settled}
        self.put(self._index_key(data_dir), pickle.dumps(trusted, pickle.HIGHEST_PROTOCOL))

    def _index_key(self, data_dir: Path) -> str:
        digest = hashlib.blake2b(self.salt, digest_size=20)
        digest.update(b"stat-index\0" + str(data_dir.resolve()).encode())
        return digest.hexdigest()

    def memo_key(self, *parts: str) -> str:
        digest = hashlib.blake2b(self.salt, digest_size=20)
        digest.update("\0".join(("memo", *parts)).encode())
        return digest.hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.directory / "cache.sqlite3", timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS entries "
                           "(key TEXT PRIMARY KEY, blob BLOB NOT NULL, created INTEGER NOT NULL)")
                self._db = db
            except (OSError, sqlite3.Error):
                self._broken = True
        return self._db

    def get(self, key: str) -> object:
        found = self.get_many([key])
        return found.get(key)

    def get_many(self, keys: list[str]) -> dict[str, object]:
        """The entries found among ``keys``, unpickled."""
        db = self._connect()
        found: dict[str, object] = {}
        if db is None:
            return found
        try:
            for start in range(0, len(keys), 500):
                batch = keys[start:start + 500]
                marks = ",".join("?" * len(batch))
                for key, blob in db.execute(
                        f"SELECT key, blob FROM entries WHERE key IN ({marks})", batch):
                    found[key] = pickle.loads(blob)
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, ValueError):
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
                               [(k, b, now) for k, b in items])
                if not self._pruned:
                    db.execute("DELETE FROM entries WHERE created < ?",
                               (now - KEEP_DAYS * 86400,))
                    self._pruned = True
        except sqlite3.Error:
            self._broken = True
