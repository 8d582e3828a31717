"""The pipeline, stage by stage (see the package docstring for the whole picture).

``check`` is what every command runs first; later stages (scoring, pages, exports,
forms) only ever see a data set that passed it without errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from generator import incremental
from generator.cache import Cache
from generator.derive import derive
from generator.errors import Diagnostic
from generator.files import NotAFile
from generator.kinds import build
from generator.load import Loaded, Scan, collector_paused, load, load_blobs, settle
from generator.model import Dataset
from generator.score import standings
from generator.validate import Context, validate
from generator.yamlio import resolve


def check(data: Path | Scan, *, today: str, cache: Cache | None = None,
          workers: int | None = None) -> tuple[Dataset, list[Diagnostic], int]:
    """Load and validate a data directory (or a scan of one):
    (dataset, sorted diagnostics, files read)."""
    return validated(load(data, cache=cache, workers=workers), today)


def checked(found: Scan, *, today: str, cache: Cache | None,
            scoring: tuple[int, str] | None = None) -> incremental.Outcome:
    """Every diagnostic of a scanned data directory, and with ``scoring`` = (year, as of)
    every member's standing when there is no error: incrementally when there is a cache
    (``incremental.py``), else (or where the engine stands aside) by checking the whole
    data set. Both ways give the same answer."""
    if cache is not None:
        outcome = incremental.run(found, today=today, cache=cache, scoring=scoring)
        if outcome is not None:
            return outcome
    dataset, diagnostics, files = check(found, today=today, cache=cache)
    outcome = incremental.Outcome(diagnostics, files, dataset)
    if scoring is not None and not any(d.is_error for d in diagnostics):
        outcome.standings = standings(dataset, scoring[0], scoring[1], ledgers=False)
    return outcome


def check_blobs(files: Mapping[str, bytes | NotAFile], data_dir: str, *, today: str
                ) -> tuple[Dataset, list[Diagnostic], int]:
    """The same for files given as bytes (a Git revision): nothing is read from disk."""

    def read(path: str) -> bytes:
        blob = files[path]
        if isinstance(blob, NotAFile):
            raise KeyError(path)
        return blob

    return validated(load_blobs(files, data_dir), today, read=read)


def validated(loaded: Loaded, today: str, read: Callable[[str], bytes] | None = None
              ) -> tuple[Dataset, list[Diagnostic], int]:
    """Build, derive and validate documents already loaded (``read`` gives a file's bytes
    for positioning diagnostics, when the files are not on disk as they are)."""
    files = len(loaded.documents)
    with collector_paused():
        dataset = derive(build(loaded.documents))
    settle()
    diagnostics = loaded.diagnostics
    positions = {doc.path: doc.positions for doc in loaded.documents}
    clean = not any(d.is_error for d in diagnostics)
    del loaded  # the parsed documents are no longer needed: free them before validating
    diagnostics += validate(dataset, Context(today=today), clean)
    diagnostics = (resolve(diagnostics, read, positions) if read
                   else resolve(diagnostics, positions=positions))
    diagnostics.sort(key=Diagnostic.sort_key)
    return dataset, diagnostics, files
