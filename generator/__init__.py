"""jifen: the Git-native points scheme (党员积分制) and its public bulletin (党务公开栏).

The pipeline, one module a stage, each returning values (errors are values too)::

    load      load.py      find the data files, parse each (bounded, hazard-free YAML)
                           and check it against its kind's JSON Schema, per file, cached
    build     kinds.py     turn documents into immutable records (the registry of kinds)
    derive    derive.py    what the records imply, computed once: rule versions, closed
                           quarters, late approvals, corrections, transfers, each
                           member's membership (in scope, branch and category by date)
    validate  validate.py  cross-record checks, a tuple of small functions (CHECKS)
    score     score.py     each member's ledger, score and flags for a year, as of a date
    render    site.py      the bulletin's pages as data, then render.py (Jinja2, escaped)
    write     workdir.py   stream the pages into the work folder, keyed by their inputs
    build     build.py     mkdocs build (the changed pages), publish in one atomic swap

``pipeline.check`` runs load → build → derive → validate and returns the data set with
every diagnostic; nothing after it runs on data with errors, and nothing is written
until everything has validated. The commands (``cli.py``) are thin layers over these.
Below them all: ``periods.py`` (years, quarters, months, windows), ``model.py``
(records), ``errors.py`` (diagnostics), ``tables.py`` (tables shared by the site, the
exports and the diff).
"""

__version__ = "0.1.0"
