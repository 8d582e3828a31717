"""Schema checks: one JSON Schema (Draft 2020-12) per kind of file, under ``schema/``.

The common path is all-valid, so every document is first checked by the compiled
validator of jsonschema-rs (Rust; about fifteen times faster than generated
Python here); only a document that fails is handed to ``jsonschema`` to list
every error, each translated into a Chinese diagnostic positioned on the
offending YAML node. (jsonschema-rs counts ``2.0`` as an integer, as JSON Schema
does; a document with a float always takes the strict path, see ``StrictValidator``.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError, validators
from yaml.nodes import Node, ScalarNode

from generator.errors import Diagnostic, diag
from generator.kinds import KINDS, WHOLE, Position
from generator.resources import SCHEMA_DIR
from generator.yamlio import locate, node_at

MAX_REPORTED = 100  # schema problems listed per file

_TYPE_NAMES = {
    "string": "文字", "integer": "整数", "number": "数字", "object": "“键: 值”的映射",
    "array": "列表", "boolean": "true 或 false", "null": "空值（null）",
}
_PATTERN_HINTS = {
    "^[a-z0-9][a-z0-9._-]{0,63}$": "编号只能用小写英文字母、数字、点、下划线和连字符，"
    "以字母或数字开头，最多 64 个字符，例如 m01、b-a。",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "日期请写成 YYYY-MM-DD，例如 2025-03-05。",
    "^[0-9]{4}-(0[1-9]|1[0-2])$": "入党年月请写成 YYYY-MM，例如 2015-07。",
    "^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$": "规则编号由字母、数字、点、下划线和连字符组成，"
    "最多 16 个字符，例如 K1.1、K7、J3，见 data/rules/。",
    "^[0-9]{4}-Q[1-4]$": "季度请写成 YYYY-Qn，例如 2026-Q3。",
    "^@[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$":
    "账号以 @ 开头，例如 @zhangsan；团队写成 @组织/团队，例如 @jiedao/office。",
    "^[0-9a-f]{16}$": "摘要由 jifen close 计算，请不要手改；重新运行 jifen close 生成。",
    "^[0-9a-f]{8}$": "摘要由 jifen close 计算，请不要手改；重新运行 jifen close 生成。",
    "^0[0-9]{2,3}-[0-9]{7,8}(转[0-9]{1,6})?$": "请填写办公室的固定电话，写成“区号-号码”，"
    "例如 0579-86001234 或 0579-86001234转8012；不得填写手机号码。",
    "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$": "请填写电子邮箱，例如 dangwei@example.org。",
    "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)+/?$":
    "请填写仓库的 https 网址，例如 https://github.com/shifan-jiedao/jifen。",
}
_YAML_TRAP = ("YAML 会把 no、yes、on、off 读成真假值，把 007 读成数字 7："
              "请给它加上英文引号，例如 \"007\"。")


def _actual_name(value: object) -> str:
    if isinstance(value, bool):
        return "真假值"
    if isinstance(value, int | float):
        return "数字"
    if isinstance(value, str):
        return "文字"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "映射"
    return "空值"


@cache
def _whole(pattern: str) -> re.Pattern[str]:
    """A schema pattern as ECMA-262 reads it: ``$`` is the end of the text. (Python's
    ``$`` also matches before a final line break, so ``"m01\\n"`` would pass.)"""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: object, pattern: str, instance: object, schema: dict
             ) -> Iterator[ValidationError]:
    if isinstance(instance, str) and _whole(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


# Draft 2020-12 as the data needs it: an "integer" is written as one (JSON Schema
# counts 2.0 as an integer; points, years and counts must not be floats), and
# patterns match the whole text, as in jsonschema-rs.
StrictValidator = validators.extend(
    Draft202012Validator, validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _integer))


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


class SchemaSet:
    """The schemas of every kind of file, each compiled once.

    ``echo`` says whether messages may repeat the offending value (not for the
    private store: its values are phone and ID numbers)."""

    echo = True

    def __init__(self, schema_dir: Path = SCHEMA_DIR) -> None:
        self.schemas: dict[str, dict] = {
            kind.name: json.loads((schema_dir / f"{kind.schema}.schema.json").read_text("utf-8"))
            for kind in KINDS
        }
        # Lists of records: an error inside one record excludes only that record.
        self.lists: dict[str, tuple[str, ...]] = {kind.name: kind.lists for kind in KINDS}
        self._full = {kind: StrictValidator(schema) for kind, schema in self.schemas.items()}
        self._fast: dict[str, Callable[[object], bool]] = {
            kind: jsonschema_rs.validator_for(schema).is_valid
            for kind, schema in self.schemas.items()
        }

    def is_valid(self, kind: str, value: object) -> bool:
        """For values without floats (the fast reader gives none): jsonschema-rs, which
        would count 2.0 as an integer, agrees with the strict validator on them."""
        return self._fast[kind](value)

    def check(self, kind: str, path: str, value: object, node: Node | None
              ) -> tuple[list[Diagnostic], set[Position]]:
        """Diagnostics for one document, and the positions of the records that failed
        (``WHOLE``: the document itself is unusable)."""
        if self.is_valid(kind, value) and not _has_float(value):
            return [], set()
        found: list[Diagnostic] = []
        broken: set[Position] = set()
        lists = self.lists.get(kind, ())
        for count, error in enumerate(self._full[kind].iter_errors(value)):
            if count == MAX_REPORTED:  # a file of garbage records: enough to act on
                found.append(diag("E114", path, line=1, col=1, limit=MAX_REPORTED))
                broken.add(WHOLE)
                break
            where = tuple(error.absolute_path)
            if len(where) >= 2 and where[0] in lists and isinstance(where[1], int):
                broken.add((str(where[0]), where[1]))
            else:
                broken.add(WHOLE)
            found.append(self._translate(error, path, node))
        return sorted(set(found), key=Diagnostic.sort_key), broken

    def _translate(self, error: ValidationError, path: str, node: Node | None) -> Diagnostic:
        where = tuple(error.absolute_path)
        field = next((str(p) for p in reversed(where) if isinstance(p, str)), "文件内容")
        line, col = locate(node, where)
        kind = error.validator
        if kind == "required":
            missing = next(k for k in error.validator_value if k not in error.instance)
            description = error.schema["properties"][missing].get("description", "")
            return diag("E201", path, (*where, missing), line=line, col=col,
                        field=missing, description=description.rstrip("。"))
        if kind == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            extra = sorted(k for k in error.instance if k not in allowed)[0]
            line, col = locate(node, (*where, extra), key=True)
            return diag("E202", path, (*where, extra), line=line, col=col,
                        field=extra, allowed="、".join(allowed))
        raw = self._raw(node, where, error.instance) if self.echo else "（为保护隐私，不显示内容）"
        if kind == "type":
            expected = error.validator_value
            names = [expected] if isinstance(expected, str) else expected
            hint = ""
            if "string" in names and isinstance(error.instance, bool | int | float):
                hint = _YAML_TRAP
            elif "integer" in names and isinstance(error.instance, str | float):
                hint = "分值请只写整数，例如 -5 或 2。"
            return diag("E203", path, where, line=line, col=col, field=field,
                        expected="或".join(_TYPE_NAMES.get(n, n) for n in names),
                        actual=_actual_name(error.instance), value=raw, hint=hint)
        if kind == "enum":
            return diag("E204", path, where, line=line, col=col, field=field, value=raw,
                        allowed="、".join(str(v) for v in error.validator_value))
        if kind == "pattern":
            hint = _PATTERN_HINTS.get(error.validator_value, "")
            return diag("E205", path, where, line=line, col=col, field=field, value=raw,
                        hint=hint)
        if kind in ("minLength", "minItems") and not error.instance:
            return diag("E207", path, where, line=line, col=col, field=field)
        return diag("E208", path, where, line=line, col=col, field=field,
                    detail=self._detail(error))

    @staticmethod
    def _raw(node: Node | None, where: tuple, value: object) -> str:
        """The value as the registrar typed it (``no``, not ``False``)."""
        target = node_at(node, where)
        if isinstance(target, ScalarNode) and target.start_mark is not None:
            return f"“{target.value}”"
        return f"“{json.dumps(value, ensure_ascii=False)}”"

    @staticmethod
    def _detail(error: ValidationError) -> str:
        kind, limit = error.validator, error.validator_value
        if kind == "minItems":
            return f"至少要有 {limit} 项"
        if kind == "minimum":
            return f"不能小于 {limit}"
        if kind in ("items", "prefixItems", "maxItems"):
            return "项数不对，应写成 [较小值, 较大值]"
        return f"不符合“{kind}”要求"


@cache
def schema_set() -> SchemaSet:
    """One compiled schema set per process (worker processes build their own)."""
    return SchemaSet()
