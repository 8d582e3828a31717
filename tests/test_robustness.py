"""Errors are values: no mangling of a data file makes the pipeline raise."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from generator.pipeline import check
from generator.score import standings
from tests.support import REPO

REPLACEMENTS = ["", "[]", "{}", "[a, b]", "{a: 1}", "no", "007", "-5", "999999999999",
                "2025-02-30", "~", "\"\"", "'x'", "b-a", "m-xy-01", "K4.4", "J3", "void",
                "<script>", "- x", ": :", "\"unclosed", "2025-13-45", "1.5", "&a", "*a"]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        op = rng.random()
        if op < 0.5 and ": " in lines[i]:
            key, _, _ = lines[i].partition(": ")
            lines[i] = f"{key}: {rng.choice(REPLACEMENTS)}"
        elif op < 0.65:
            del lines[i]
            if not lines:
                lines = [""]
        elif op < 0.8:
            lines.insert(i, lines[i])
        elif op < 0.9:
            lines[i] = " " * rng.randint(0, 3) + lines[i]
        else:
            lines[i] = rng.choice(REPLACEMENTS)
    return "\n".join(lines)


def test_mangled_files_give_diagnostics_not_exceptions(tmp_path: Path) -> None:
    source = REPO / "data"
    root = tmp_path / "data"
    shutil.copytree(source, root)
    files = [p.relative_to(source) for p in sorted(source.rglob("*.yaml"))]
    rng = random.Random(7)
    reported = 0
    for _ in range(50):
        chosen = rng.sample(files, 3)
        for relative in chosen:
            path = root / relative
            path.write_text(mutate(path.read_text("utf-8"), rng), "utf-8")
        dataset, diagnostics, _ = check(root, today="2026-11-25")
        for d in diagnostics:
            assert d.line >= 1 and d.col >= 1, d
        if any(d.is_error for d in diagnostics):
            reported += 1
        else:
            standings(dataset, 2025)
        for relative in chosen:
            shutil.copy(source / relative, root / relative)
    assert reported > 25  # the mutations did break things
