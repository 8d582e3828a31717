"""Office documents written deterministically: the same data, the same bytes.

.xlsx and .docx files are zip archives whose entries carry the time they were
written; ``stable_zip`` rewrites them with a given date, and ``write_file``
puts a file in place in one rename.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from pathlib import Path


def stable_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """The zip archive ``data`` with every entry dated ``stamp`` and plain permissions."""
    out = io.BytesIO()
    when = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dest.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` in one rename: a reader never sees half a file, and a
    failure leaves what was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file (mkstemp gives 0600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
