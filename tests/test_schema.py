"""The JSON Schemas: documented, valid, and agreeing with the fast path."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator

from generator.kinds import KINDS
from generator.load import load
from generator.schema import SCHEMA_DIR
from tests.support import REPO

SCHEMAS = {kind.name: json.loads((SCHEMA_DIR / f"{kind.schema}.schema.json").read_text("utf-8"))
           for kind in KINDS}


def properties(schema: object, where: str = "") -> Iterator[tuple[str, dict]]:
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{where}.{name}", sub
        for key, sub in schema.items():
            yield from properties(sub, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from properties(sub, f"{where}[{i}]")


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_property_has_a_description(kind: str) -> None:
    schema = SCHEMAS[kind]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    missing = [where for where, sub in properties(schema) if not sub.get("description")]
    assert missing == []


def test_fast_and_full_validators_agree() -> None:
    """jsonschema-rs decides the common case; jsonschema must agree on every document."""
    loaded = load(REPO / "data")
    samples = [(d.kind, d.value) for d in loaded.documents]
    samples += [("member", {"id": "m1", "name": "x", "branch": "b", "category": "x"}),
                ("member", {"id": "M1", "name": "x", "branch": "b", "category": "full"}),
                ("member", {"id": "m1", "name": "", "branch": "b", "category": "full"}),
                ("member", {"id": "m1", "name": "x", "branch": "b", "category": "full", "x": 1}),
                ("events", {"events": [{"id": "e", "member": "m", "rule": "J3",
                                        "date": "2025-1-1"}]}),
                ("events", {"events": None}),
                ("rules", {"catalogue": "c", "title": "t", "applies_to": ["village"],
                           "rules": [{"code": "K1", "name": "n", "category": "政治素质",
                                      "kind": "deduction", "range": [1, 2, 3]}]}),
                ("policy", {"base": -1})]
    for kind, value in samples:
        fast_ok = jsonschema_rs.validator_for(SCHEMAS[kind]).is_valid(value)
        assert fast_ok == Draft202012Validator(SCHEMAS[kind]).is_valid(value), (kind, value)


def test_editor_settings_associate_every_schema_with_its_files() -> None:
    settings = json.loads((REPO / ".vscode/settings.json").read_text("utf-8"))
    mapping = settings["yaml.schemas"]
    assert settings["yaml.yamlVersion"] == "1.1"  # the editor reads `no` and `007` as we do
    assert sorted(Path(p).name for p in mapping) == sorted(
        {f"{k.schema}.schema.json" for k in KINDS})
    for kind in KINDS:
        globs = mapping[f"./schema/{kind.schema}.schema.json"]
        assert f"data/{kind.pattern}" in globs
    assert sum(len(globs) for globs in mapping.values()) == len(KINDS)
    # and the globs match the example data the way the loader finds it
    example = REPO / "data" / "events" / "b-a" / "2025-03.yaml"
    assert fnmatch.fnmatch(str(example.relative_to(REPO)),
                           mapping["./schema/events.schema.json"][0].replace("**/", "*/"))
