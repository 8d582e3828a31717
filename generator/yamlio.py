"""Reading YAML the way registrars write it, keeping positions for messages.

We compose the node graph with libyaml's C parser where present
(``yaml.CSafeLoader``; the pure-Python loader otherwise) and convert it to plain
values ourselves, which is faster than PyYAML's constructor and lets us:

* keep dates as ``YYYY-MM-DD`` strings (the timestamp resolver is removed, so
  ``2025-02-30`` is reported as a non-existent date instead of crashing);
* report duplicate keys, which PyYAML silently overwrites;
* keep the node graph so that any JSON path can be turned into line/column.

Mapping keys are always the literal text of the key, so ``no:`` stays "no".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.errors import Diagnostic, Pointer, diag

_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"


class Loader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """Safe loader without implicit timestamps: dates stay strings.

    Tag resolution of plain scalars is PyYAML's pure-Python hot spot; it depends
    only on the scalar's text, so it is memoised (data files repeat the same
    keys, ids, codes and dates thousands of times).
    """

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) < _RESOLVED_MAX:
                    _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


_RESOLVED: dict[str, str] = {}
_STRINGS: dict[str, str] = {}
_RESOLVED_MAX = 200_000


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
}

_constructor = SafeConstructor()
_SCALARS = {
    "tag:yaml.org,2002:int": _constructor.construct_yaml_int,
    "tag:yaml.org,2002:bool": _constructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": _constructor.construct_yaml_null,
    "tag:yaml.org,2002:float": _constructor.construct_yaml_float,
}

# libyaml's most common complaints, in words a registrar can act on.
_PROBLEMS = {
    "could not find expected ':'": "缺少冒号“:”，或上一行的引号没有闭合",
    "mapping values are not allowed here": "这里不能出现“键: 值”（常见原因：冒号后缺少空格，或缩进不一致）",
    "mapping values are not allowed in this context": "这里不能出现“键: 值”（常见原因：缩进不一致）",
    "found character that cannot start any token": "出现了不能作为开头的字符（常见原因：用了 Tab 缩进，请改用空格）",
    "found a tab character that violates indentation": "用了 Tab 缩进，请改用空格",
    "did not find expected key": "缩进不一致，或缺少“键: 值”中的键",
    "did not find expected '-' indicator": "列表项的缩进不一致",
    "did not find expected node content": "缺少内容",
    "found unexpected end of stream": "文件意外结束（常见原因：引号没有闭合）",
    "found unknown escape character": "双引号中出现了无法识别的反斜杠转义，请改用单引号",
    "expected a single document in the stream": "一个文件只能有一个文档，请删除多余的“---”",
}


def read_text(data: bytes) -> str:
    """Decode a data file; a UTF-8 byte-order mark is tolerated."""
    return data.decode("utf-8-sig")


def compose(text: str) -> Node | None:
    return yaml.compose(text, Loader=Loader)


def syntax_error(path: str, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    raw = getattr(exc, "problem", None) or str(exc)
    problem = _PROBLEMS.get(raw, raw)
    if mark is None:
        return diag("E101", path, line=1, col=1, problem=problem)
    return diag("E101", path, line=mark.line + 1, col=mark.column + 1, problem=problem)


def convert(node: Node | None, path: str, problems: list[Diagnostic]) -> object:
    """Turn a composed node into plain Python values; duplicate keys go to ``problems``."""
    if node is None:
        return None
    cls = node.__class__
    if cls is ScalarNode:
        if node.tag == _STR:
            # Interned: ids, codes, dates and statuses repeat across thousands of records.
            value = node.value
            return _STRINGS.setdefault(value, value) if len(value) <= 32 else value
        construct = _SCALARS.get(node.tag)
        return construct(node) if construct else node.value
    if cls is MappingNode:
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if key_node.__class__ is ScalarNode else "?"
            if key in result:
                mark = key_node.start_mark
                problems.append(
                    diag("E102", path, line=mark.line + 1, col=mark.column + 1, key=key)
                )
            result[key] = convert(value_node, path, problems)
        return result
    if cls is SequenceNode:
        return [convert(item, path, problems) for item in node.value]
    return None


def parse(path: str, data: bytes) -> tuple[object, Node | None, list[Diagnostic]]:
    """Parse one file: (value, node graph, problems). Never raises for bad data."""
    try:
        text = read_text(data)
    except UnicodeDecodeError as exc:
        reason = f"第 {exc.start + 1} 个字节不是 UTF-8 编码"
        return None, None, [diag("E100", path, line=1, col=1, reason=reason)]
    try:
        node = compose(text)
    except yaml.YAMLError as exc:
        return None, None, [syntax_error(path, exc)]
    problems: list[Diagnostic] = []
    return convert(node, path, problems), node, problems


def node_at(node: Node | None, pointer: Pointer, *, key: bool = False) -> Node | None:
    """The node at ``pointer``, or the deepest one that exists on the way.

    With ``key=True`` and a pointer ending in a mapping key, the key node itself
    (for unknown or misspelt keys).
    """
    target = node
    for depth, step in enumerate(pointer):
        last = depth == len(pointer) - 1
        if isinstance(target, MappingNode):
            for key_node, value_node in target.value:
                if key_node.value == step:
                    target = key_node if (key and last) else value_node
                    break
            else:
                break
        elif isinstance(target, SequenceNode) and isinstance(step, int):
            if 0 <= step < len(target.value):
                target = target.value[step]
            else:
                break
        else:
            break
    return target


def locate(node: Node | None, pointer: Pointer, *, key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the node at ``pointer``."""
    target = node_at(node, pointer, key=key)
    if target is None:
        return 1, 1
    mark = target.start_mark
    return mark.line + 1, mark.column + 1


def resolve(diagnostics: list[Diagnostic],
            read: Callable[[str], bytes] = lambda path: Path(path).read_bytes()
            ) -> list[Diagnostic]:
    """Fill in line and column for diagnostics created with a pointer only.

    Each file concerned is read (by ``read``: from disk, or from a Git revision) and
    composed once; this runs only when there is something to report.
    """
    pending: dict[str, list[int]] = {}
    for i, d in enumerate(diagnostics):
        if d.line == 0:
            pending.setdefault(d.path, []).append(i)
    result = list(diagnostics)
    for path, indexes in pending.items():
        try:
            node = compose(read_text(read(path)))
        except (OSError, KeyError, UnicodeDecodeError, yaml.YAMLError):
            node = None
        for i in indexes:
            d = result[i]
            line, col = locate(node, d.pointer)
            result[i] = replace(d, line=line, col=col)
    return result
