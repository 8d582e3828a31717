"""Office documents written deterministically: the same data, the same bytes.

.xlsx and .docx files are zip archives whose entries carry the time they were
written; ``stable_zip`` rewrites them with a given date, and ``write_file``
puts a file in place in one rename.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from generator.writing import write_atomic


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
    failure leaves what was there (``writing.write_atomic``)."""
    write_atomic(path, data)
