"""The pipeline, stage by stage: load → build → validate → (score, render).

``check`` is what every command runs first; later stages only ever see data
that passed it.
"""

from __future__ import annotations

from pathlib import Path

from generator.cache import Cache
from generator.errors import Diagnostic
from generator.load import Scan, load
from generator.model import Dataset, build
from generator.validate import Context, validate
from generator.yamlio import resolve


def check(data: Path | Scan, *, today: str, cache: Cache | None = None,
          workers: int | None = None) -> tuple[Dataset, list[Diagnostic], int]:
    """Load and validate a data directory (or a scan of one):
    (dataset, sorted diagnostics, files read)."""
    loaded = load(data, cache=cache, workers=workers)
    files = len(loaded.documents)
    dataset = build(loaded)
    diagnostics = loaded.diagnostics
    del loaded  # the parsed documents are no longer needed: free them before validating
    diagnostics += validate(dataset, Context(today=today))
    diagnostics = resolve(diagnostics)
    diagnostics.sort(key=Diagnostic.sort_key)
    return dataset, diagnostics, files
