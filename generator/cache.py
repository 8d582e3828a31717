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


class Cache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_dir()
        self.salt = code_fingerprint()

    def key(self, kind: str, data: bytes) -> str:
        digest = hashlib.blake2b(self.salt, digest_size=20)
        digest.update(kind.encode())
        digest.update(data)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get(self, key: str) -> tuple | None:
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
