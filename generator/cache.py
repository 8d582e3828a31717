"""A cache of parsed and schema-checked files, keyed by content.

The key hashes the file's kind and bytes together with the schemas and the
source of this package, so a change to any of them is a clean miss; entries
are never updated in place, only added. Location: ``$JIFEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/jifen``, else ``~/.cache/jifen``. Deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
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


class Cache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_dir()
        self.salt = code_fingerprint()

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

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get(self, key: str) -> object:
        try:
            blob = self._path(key).read_bytes()
            return pickle.loads(blob)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            return None

    def put(self, key: str, blob: bytes) -> None:
        """Store an entry atomically; a cache that cannot be written is no error."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(tmp, target)
        except OSError:
            return
