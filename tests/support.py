"""Test builders: a small data directory written from the test's own text.

``DataDir`` starts from a four-branch organisation and the repository's own rule
catalogue and policy; tests add members, meetings and events as YAML text (so
the data sits next to the assertion) or through ``member(**overrides)``.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.cli import main
from generator.errors import Diagnostic
from generator.model import Dataset
from generator.pipeline import check
from generator.score import Standing, standings

REPO = Path(__file__).resolve().parent.parent
TODAY = "2027-01-15"
# Warnings about the committee's routine (督导: months without a meeting, quarters not
# closed in time, branches without registrars) and about village branches scored by the
# enterprise catalogue (the fixtures' one catalogue): every small fixture would raise
# them; tests ask for them by name (``supervision=True``).
SUPERVISION = frozenset({"W110", "W401", "W402", "W403", "W404", "W405"})

ORGANIZATION = """\
committee: 测试党工委
general_branches:
  - {id: gb1, name: 第一党总支}
branches:
  - {id: b-a, name: 甲公司党支部, kind: enterprise, general_branch: gb1}
  - {id: b-b, name: 乙公司党支部, kind: enterprise}
  - {id: b-flow, name: 企业流动党支部, kind: flowing}
  - {id: b-v1, name: 某村党支部, kind: village}
  - {id: b-edu, name: 党性教育党支部, kind: education}
"""


@dataclass(frozen=True)
class Result:
    """What a ``jifen`` run did: its exit status and what it printed."""

    code: int
    stdout: str
    stderr: str


def run(*argv: str, cwd: Path | None = None, stdin: str = "",
        env: Mapping[str, str | None] | None = None) -> Result:
    """``jifen *argv`` in this process (``generator.cli.main``), in ``cwd``, with ``stdin``
    as what is typed at its questions (never a terminal; empty: the input has ended) and
    ``env`` set in the environment for the call (None: unset). The console script itself
    is tested in tests/test_cli.py, and what needs real processes (parallel writers,
    interrupts, a server) starts them."""
    out, err = io.StringIO(), io.StringIO()
    saved = {name: os.environ.get(name) for name in env or {}}
    typed, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        _set_environ(env or {})
        with (contextlib.chdir(cwd or Path.cwd()), contextlib.redirect_stdout(out),
              contextlib.redirect_stderr(err)):
            code = main(list(argv))
    finally:
        sys.stdin = typed
        _set_environ(saved)
    return Result(code, out.getvalue(), err.getvalue())


def _set_environ(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _without_keys(text: str, keys: tuple[str, ...]) -> str:
    """A YAML text without the given top-level keys (each with its indented lines)."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line[:1] not in (" ", "\n", ""):
            skipping = line.split(":", 1)[0] in keys
        if not skipping:
            kept.append(line)
    return "".join(kept)


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "rules").mkdir(parents=True)
        for catalogue in ("enterprise.yaml", "village.yaml"):
            shutil.copy(REPO / "data" / "rules" / catalogue, root / "rules")
        # The repository's policy as written (its comments and layout: tests edit its text),
        # but for the direct deductions, which need the example's catalogues; and a fixture
        # has none of a committee's routine (monthly meetings, closes, registrars): the
        # routine's warnings would drown every test, so the supervision tests turn them on.
        policy = _without_keys((REPO / "data" / "policy.yaml").read_text("utf-8"),
                               ("catalogues", "direct_rules"))
        (root / "policy.yaml").write_text(policy + "routine_warnings: false\n", "utf-8")
        self.write("organization.yaml", ORGANIZATION)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def member(self, id: str = "m01", **overrides: object) -> Path:
        record: dict[str, object] = {"id": id, "name": f"党员{id}", "branch": "b-a",
                                     "category": "full"}
        record.update(overrides)
        text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False)
        return self.write(f"members/{record['branch']}/{id}.yaml", text)

    def events(self, text: str, name: str = "2025-03.yaml") -> Path:
        return self.write(f"events/{name}", text)

    def additions(self, text: str, name: str = "b-a/2025-03.yaml") -> Path:
        return self.write(f"additions/{name}", text)

    def meetings(self, text: str, name: str = "b-a/2025.yaml") -> Path:
        return self.write(f"meetings/{name}", text)

    def close(self, branch: str = "b-a", quarter: str = "2025-Q3", meeting: str = "2025-10-10",
              today: str = TODAY) -> Path:
        """Close a quarter the way a branch does (``jifen close``); the data must be valid."""
        done = run("close", branch, quarter, "--meeting", meeting, "--data", str(self.root),
                   "--today", today, "--no-cache")
        assert done.code == 0, done.stderr
        return self.root / "closes" / branch / f"{quarter}.yaml"

    def check(self, today: str = TODAY, supervision: bool = False
              ) -> tuple[Dataset, list[Diagnostic]]:
        dataset, diagnostics, _ = check(self.root, today=today)
        if not supervision:
            diagnostics = [d for d in diagnostics if d.code not in SUPERVISION]
        return dataset, diagnostics

    def lines(self, today: str = TODAY, supervision: bool = False) -> list[str]:
        """Every diagnostic as printed, with the path relative to the data dir. The
        supervision warnings (W401–W405: months without a meeting, quarters not closed,
        branches without registrars…) would drown every small fixture: asked for only."""
        _, diagnostics = self.check(today, supervision)
        prefix = str(self.root) + "/"
        return [d.format().removeprefix(prefix) for d in diagnostics]

    def standings(self, year: int = 2025, as_of: str | None = None) -> dict[str, Standing]:
        dataset, diagnostics = self.check()
        errors = [d.format() for d in diagnostics if d.is_error]
        assert not errors, errors
        return {s.member.id: s for s in standings(dataset, year, as_of)}

    def score(self, member: str = "m01", year: int = 2025, as_of: str | None = None
              ) -> int | None:
        return self.standings(year, as_of)[member].score

    def flags(self, member: str = "m01", year: int = 2025, as_of: str | None = None
              ) -> tuple[str, ...]:
        return self.standings(year, as_of)[member].flags


def event(id: str, rule: str, date: str, member: str = "m01", points: int | None = None,
          status: str | None = None, **extra: str) -> str:
    """One event as YAML list item text; additions get evidence and approval by default."""
    lines = [f"  - id: {id}", f"    member: {member}", f"    rule: {rule}", f"    date: {date}"]
    if points is not None:
        lines.append(f"    points: {points}")
    if rule.startswith("J"):
        extra.setdefault("evidence", "签到表")
        status = status or "approved"
    if status:
        lines.append(f"    status: {status}")
    if rule.startswith("J") and status == "approved":
        extra.setdefault("approved_by", "党工委")
        extra.setdefault("approved_on", date)
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def events_file(*items: str) -> str:
    return "events:\n" + "".join(items)
