"""The shape of the package: one home per concept, and an import graph without cycles.

Imports are read from the source (``ast``), every one of them: at the top, inside
functions and under ``TYPE_CHECKING``. A cycle held together by an import inside a
function is still a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from generator.kinds import KINDS
from generator.schema import SCHEMA_DIR

PACKAGE = Path(__file__).resolve().parent.parent / "generator"


def imports() -> dict[str, set[str]]:
    """module -> the package modules it imports (``generator.x`` as ``x``)."""
    graph: dict[str, set[str]] = {}
    names = {p.stem for p in PACKAGE.glob("*.py")}
    for path in sorted(PACKAGE.glob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "generator":
                    found |= {a.name for a in node.names if a.name in names}
                elif node.module.startswith("generator."):
                    found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names
                          if a.name.startswith("generator.")}
        graph[path.stem] = found - {path.stem}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_import_graph_has_no_cycles() -> None:
    assert cycles(imports()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_exports_and_diffs_do_not_depend_on_the_website() -> None:
    """Shared tables live below the site (``tables.py``): the office's spreadsheets and
    the pull-request comment never import the planner, the renderer or the build."""
    graph = imports()
    website = {"site", "render", "build", "serve", "mkdocs_hooks"}
    for module in ("export", "diff", "form", "tables"):
        assert reachable(graph, module) & website == set(), module


def test_scoring_depends_only_on_the_records_and_the_calendar() -> None:
    """Scoring receives what closes and cases decide as plain inputs (``ds.derived``)."""
    assert reachable(imports(), "score") <= {"model", "errors", "periods"}


def test_every_kind_of_file_has_its_schema_and_builder() -> None:
    assert len({k.name for k in KINDS}) == len(KINDS)
    for kind in KINDS:
        assert (SCHEMA_DIR / f"{kind.schema}.schema.json").is_file(), kind.name
        assert kind.owner in ("branch", "office"), kind.name
        assert kind.matches(kind.pattern.replace("**/", "b-a/").replace("*", "x")), kind.name
