"""Reading YAML the way registrars write it, keeping positions for messages.

We compose the node graph with libyaml's C parser where present
(``yaml.CSafeLoader``; the pure-Python loader otherwise) and convert it to plain
values ourselves, which is faster than PyYAML's constructor and lets us:

* keep dates as ``YYYY-MM-DD`` strings (the timestamp resolver is removed, so
  ``2025-02-30`` is reported as a non-existent date instead of crashing);
* report duplicate keys, which PyYAML silently overwrites;
* keep the node graph so that any JSON path can be turned into line/column.

Mapping keys are always the literal text of the key, so ``no:`` stays "no".

Every text is checked for hazards before it is composed (``hazards``): a data
file comes from a pull request, so nothing in it may make the checker do
unbounded work or read as something other than plain data. Aliases and anchors
(the "billion laughs" bomb, recursive ``&a [*a]``), explicit tags (``!!binary``,
``!!int abc``, ``!foo``), nesting beyond ``LIMITS.depth``, more than
``LIMITS.nodes`` values, a value longer than ``LIMITS.chars``, integers longer
than ``LIMITS.digits`` digits and invisible or direction-changing characters are
each refused with their own code, at their line and column. The scan walks
libyaml's event stream, which is iterative (no recursion, no expansion of
aliases), and stops at the first structural hazard.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.errors import Diagnostic, Pointer, diag

if TYPE_CHECKING:  # libyaml's loader where present; the same interface as the pure one
    _BASE_LOADER = yaml.SafeLoader
else:
    _BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"


class Loader(_BASE_LOADER):
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

class Mark(Protocol):
    """A position in a text, as libyaml's and PyYAML's marks give it (0-based)."""

    line: int
    column: int


_resolver = Loader.__new__(Loader)  # only its (memoised) tag resolution is used
_INT = "tag:yaml.org,2002:int"


@dataclass(frozen=True, slots=True)
class Limits:
    """What one data file may hold. Far above any real file (a branch's events of a
    whole year are a few hundred KB and a few thousand values), far below what would
    slow the checker down: a refused file costs well under a second."""

    bytes: int = 2 * 1024 * 1024   # file size
    nodes: int = 200_000           # values (scalars, lists and mappings) in one file
    depth: int = 32                # lists and mappings inside each other
    chars: int = 20_000            # characters in one value
    digits: int = 18               # digits of an integer


LIMITS = Limits()

# Characters that change how text is displayed without being seen: C0/C1 controls
# (tab and line feed are allowed), zero-width characters, bidirectional embeddings,
# overrides and isolates, the BOM inside text, interlinear annotations. A name or an
# id holding one can look like another, or reorder a line of the bulletin.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]")


class Hazard(yaml.YAMLError):
    """A text that is refused before composing (see ``hazards``)."""

    def __init__(self, problems: list[Diagnostic]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


def too_large(path: str) -> Diagnostic:
    return diag("E105", path, line=1, col=1, limit=LIMITS.bytes // 1024 // 1024)


def _invisible_name(char: str) -> str:
    code = f"U+{ord(char):04X}"
    names = {"\u200b": "零宽空格", "\u200c": "零宽不连字", "\u200d": "零宽连字",
             "\u200e": "从左至右标记", "\u200f": "从右至左标记", "\u202e": "从右至左覆盖",
             "\u202d": "从左至右覆盖", "\ufeff": "零宽不换行空格"}
    return f"{code} {names.get(char, '不可见的控制字符')}"


def hazards(path: str, text: str, limit: int = 20) -> list[Diagnostic]:
    """Why ``text`` must not be composed, at most ``limit`` reasons (empty: it is safe).

    Structural hazards (aliases, anchors, depth, size) stop the scan at once; the
    others are collected. A syntax error is reported as E101, like ``parse`` does."""
    problems: list[Diagnostic] = []
    depth = nodes = 0

    def add(code: str, mark: Mark | None, **fields: object) -> None:
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problems.append(diag(code, path, line=line, col=col, **fields))

    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, AliasEvent):
                add("E106", event.start_mark, what=f"别名“*{event.anchor}”")
                return problems
            if isinstance(event, ScalarEvent | CollectionStartEvent):
                nodes += 1
                mark = event.start_mark
                if event.anchor is not None:
                    add("E106", mark, what=f"锚点“&{event.anchor}”")
                    return problems
                if nodes > LIMITS.nodes:
                    add("E112", mark, limit=LIMITS.nodes)
                    return problems
                if event.tag is not None:
                    add("E109", mark, tag=event.tag.replace("tag:yaml.org,2002:", "!!"))
                if isinstance(event, ScalarEvent):
                    value = event.value
                    if len(value) > LIMITS.chars:
                        add("E108", mark, length=len(value), limit=LIMITS.chars)
                    elif (found := INVISIBLE.search(value)) is not None:
                        add("E111", mark, char=_invisible_name(found.group()))
                    elif (event.implicit[0] and event.tag is None
                          and len(value) > LIMITS.digits
                          and _resolver.resolve(ScalarNode, value, (True, False)) == _INT):
                        add("E110", mark, digits=LIMITS.digits)
                else:
                    depth += 1
                    if depth > LIMITS.depth:
                        add("E107", mark, limit=LIMITS.depth)
                        return problems
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                depth -= 1
            if len(problems) >= limit:
                return problems
    except yaml.YAMLError as exc:
        problems.append(syntax_error(path, exc))
    return problems


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
    "exceeded maximum nesting depth": "列表和映射嵌套太深，请检查方括号和花括号",
}


def read_text(data: bytes) -> str:
    """Decode a data file; a UTF-8 byte-order mark is tolerated."""
    return data.decode("utf-8-sig")


def compose(text: str, path: str = "") -> Node | None:
    """The node graph of a text that passed ``hazards``; ``Hazard`` (a YAMLError)
    otherwise."""
    found = hazards(path, text, limit=1)
    if found and found[0].code != "E101":
        raise Hazard(found)
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
    if isinstance(node, ScalarNode):
        if node.tag == _STR:
            # Interned: ids, codes, dates and statuses repeat across thousands of records.
            value = node.value
            return _STRINGS.setdefault(value, value) if len(value) <= 32 else value
        construct = _SCALARS.get(node.tag)
        if construct is None:
            return node.value
        try:
            return construct(node)
        except (ValueError, TypeError, OverflowError):  # guarded by ``hazards``; belt and braces
            mark = node.start_mark
            problems.append(diag("E110", path, line=mark.line + 1, col=mark.column + 1,
                                 digits=LIMITS.digits))
            return node.value
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
    """Parse one file: (value, node graph, problems). Never raises for bad data; a
    file over ``LIMITS.bytes`` or with ``hazards`` is not composed (node None)."""
    if len(data) > LIMITS.bytes:
        return None, None, [too_large(path)]
    try:
        text = read_text(data)
    except UnicodeDecodeError as exc:
        reason = f"第 {exc.start + 1} 个字节不是 UTF-8 编码"
        return None, None, [diag("E100", path, line=1, col=1, reason=reason)]
    found = hazards(path, text)
    if found:
        return None, None, found
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as exc:
        return None, None, [syntax_error(path, exc)]
    problems: list[Diagnostic] = []
    return convert(node, path, problems), node, problems


# --- positions -------------------------------------------------------------------------------
#
# Where each value of a document is, kept from its first parse so that a diagnostic made
# with a JSON pointer gets its line and column without reading the file again. A
# ``Skeleton`` is (marks, keys): the marks are three unsigned 32-bit numbers per value
# (an ``array("I")``'s bytes: compressing them would cost more time than they take room)
# in document order (a mapping, then its values; a list, then its
# items): the line and column (from 1) where libyaml's node starts, and its shape:
# ``size << SIZE_SHIFT | kind << KIND_SHIFT | key``, where size counts the values of
# its subtree (itself included), kind is SCALAR, MAPPING or SEQUENCE and key, for a
# mapping's value, is 1 + the index of its key in ``keys`` (0 otherwise).

Skeleton = tuple[bytes, tuple[str, ...]]
SCALAR, MAPPING, SEQUENCE = 0, 1, 2
KIND_SHIFT = 8
SIZE_SHIFT = 10
MAX_KEYS = 255  # distinct keys a skeleton can name (data files have a few dozen)
_KEY_MASK = (1 << KIND_SHIFT) - 1
EMPTY: Skeleton = (b"", ())


def pack(marks: list[int], keys: dict[str, int]) -> Skeleton:
    """A skeleton from its marks (line, column, shape, ...) and its keys (key -> 1 + index)."""
    return array("I", marks).tobytes(), tuple(keys)


def skeleton(node: Node | None) -> Skeleton | None:
    """The skeleton of a composed node graph (None: more keys than a skeleton can name).
    The graph passed ``hazards``: it is at most ``LIMITS.depth`` deep."""
    if node is None:
        return EMPTY
    marks: list[int] = []
    keys: dict[str, int] = {}
    _walk(node, 0, marks, keys)
    if len(keys) > MAX_KEYS:
        return None
    return pack(marks, keys)


def _walk(node: Node, ref: int, marks: list[int], keys: dict[str, int]) -> None:
    start = len(marks)
    mark = node.start_mark
    cls = node.__class__
    if cls is MappingNode:
        marks += (mark.line + 1, mark.column + 1, MAPPING << KIND_SHIFT | ref)
        for key_node, value_node in node.value:
            index = 0
            if key_node.__class__ is ScalarNode:
                index = keys.setdefault(key_node.value, len(keys) + 1)
            _walk(value_node, index if index <= MAX_KEYS else 0, marks, keys)
    elif cls is SequenceNode:
        marks += (mark.line + 1, mark.column + 1, SEQUENCE << KIND_SHIFT | ref)
        for item in node.value:
            _walk(item, 0, marks, keys)
    else:
        marks += (mark.line + 1, mark.column + 1, SCALAR << KIND_SHIFT | ref)
    marks[start + 2] |= (len(marks) - start) // 3 << SIZE_SHIFT


def locate_in(found: Skeleton, pointer: Pointer) -> tuple[int, int]:
    """Line and column (from 1) of the value at ``pointer``, or of the deepest one that
    exists on the way (as ``locate`` on the node graph)."""
    data, keys = found
    marks = array("I")
    marks.frombytes(data)
    if not marks:
        return 1, 1
    i = 0
    for step in pointer:
        shape = marks[3 * i + 2]
        kind = shape >> KIND_SHIFT & 3
        end = i + (shape >> SIZE_SHIFT)
        j = i + 1
        if kind == MAPPING:
            while j < end:
                ref = marks[3 * j + 2] & _KEY_MASK
                if ref and keys[ref - 1] == step:
                    break
                j += marks[3 * j + 2] >> SIZE_SHIFT
        elif kind == SEQUENCE and isinstance(step, int) and step >= 0:
            for _ in range(step):
                if j >= end:
                    break
                j += marks[3 * j + 2] >> SIZE_SHIFT
        else:
            break
        if j >= end:
            break
        i = j
    return marks[3 * i], marks[3 * i + 1]


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
            read: Callable[[str], bytes] = lambda path: Path(path).read_bytes(),
            positions: Mapping[str, Skeleton | None] | None = None) -> list[Diagnostic]:
    """Fill in line and column for diagnostics created with a pointer only.

    From the file's ``positions`` (kept from its first parse) where there are some; any
    other file is read (by ``read``: from disk, or from a Git revision) and composed once.
    """
    pending: dict[str, list[int]] = {}
    for i, d in enumerate(diagnostics):
        if d.line == 0:
            pending.setdefault(d.path, []).append(i)
    result = list(diagnostics)
    for path, indexes in pending.items():
        kept = positions.get(path) if positions is not None else None
        if kept is not None:
            try:
                placed = [locate_in(kept, result[i].pointer) for i in indexes]
            except (ValueError, IndexError):  # not a skeleton: read the file instead
                placed = []
            if placed:
                for i, (line, col) in zip(indexes, placed, strict=True):
                    result[i] = replace(result[i], line=line, col=col)
                continue
        try:
            data = read(path)
            node = None if len(data) > LIMITS.bytes else compose(read_text(data))
        except (OSError, KeyError, UnicodeDecodeError, yaml.YAMLError):
            node = None
        for i in indexes:
            d = result[i]
            line, col = locate(node, d.pointer)
            result[i] = replace(d, line=line, col=col)
    return result
