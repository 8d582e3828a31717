"""Office documents written deterministically: the same data, the same bytes.

.xlsx and .docx files are zip archives whose entries carry the time they were
written; ``stable_zip`` rewrites them with a given date, and ``write_file``
puts a file in place in one rename. ``xml_text`` makes text from the data fit
for their XML.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from generator.writing import write_atomic

# What XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF): the
# office libraries refuse such text (openpyxl with IllegalCharacterError, python-docx
# with ValueError), and YAML lets a data file write it as an escape ("\a").
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with every character an office document cannot hold shown as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


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
