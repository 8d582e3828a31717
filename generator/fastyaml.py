"""A fast reader for the plain subset of YAML that data files are written in.

libyaml spends most of its time handing nodes to Python; on a year of a large
committee (hundreds of thousands of records) that dominates a cold run. Data
files, whether typed by registrars or written by tools, almost always use a
small subset: block mappings and sequences indented with spaces, plain or
simply quoted one-line scalars, and one-line flow sequences such as
``absent: [m01, m02]``.

``load`` parses exactly that subset and returns ``None`` for anything else
(tabs, anchors, tags, flow mappings, multi-line scalars, escapes, duplicate
keys, odd indentation...), in which case the caller uses libyaml. Whatever it
accepts it must read exactly as libyaml with ``yamlio.Loader`` does, scalar
types included: ``tests/test_fastyaml.py`` checks that differentially.
"""

from __future__ import annotations

import re

from yaml.nodes import ScalarNode

from generator.yamlio import (
    _SCALARS,
    _STR,
    _STRINGS,
    KIND_SHIFT,
    LIMITS,
    MAPPING,
    MAX_KEYS,
    SCALAR,
    SEQUENCE,
    SIZE_SHIFT,
    Loader,
    Skeleton,
    _resolver,
    pack,
)

# Characters that, anywhere in a file, mean "not the simple subset".
# Anywhere in a file: control characters, the other line breaks YAML 1.1 knows
# (NEL, LS, PS) and non-characters, on which libyaml has its own opinion; and the
# invisible characters ``yamlio.hazards`` refuses (it reports them).
_UNSUPPORTED_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\t\r"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufff9-\ufffb]")
# Indicators of the features we leave out (even in a comment: then libyaml reads the file).
_UNSUPPORTED = re.compile(r"[\\{}&*!|>%`]")
# Every line at once: indentation, then a comment, or an optional "- ", an optional
# "key:" and the rest (trailing blanks dropped). Blank and comment lines come out
# with nothing but their indentation.
_LINES = re.compile(
    r"^( *)(?:#.*|(- +|-$)?(?:([A-Za-z_][A-Za-z0-9_]*):( +|$))?((?:.*[^ \n])?)) *$", re.M)
_PLAIN_START_BAD = set("?:,[]{}#&*!|>'\"%@`")
_FLOW_ITEM_BAD = re.compile(r"[#:\[\]{},'\"]")
_CACHE_MAX = 100_000
# Each level of nesting indents by at least one column every two levels ("key:" then
# "- item" may share a column; the item's keys cannot), so lines indented at most this
# far nest less deeply than ``LIMITS.depth``; deeper files go to libyaml and ``hazards``.
_MAX_INDENT = LIMITS.depth // 2 - 2
_FLOAT = "tag:yaml.org,2002:float"
_INT = "tag:yaml.org,2002:int"

class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


_scalars: dict[str, object] = {}  # the text after "key: " -> its value, for scalars
_NOT_YET = object()
# The first characters of plain scalars that an implicit resolver may read as something
# other than a string (numbers, booleans, null, ...), with the other characters a plain
# scalar cannot start with, and quotes and brackets: any other start is plain text.
# (A resolver for any first character, which PyYAML's safe loader does not have, would
# leave no plain text: every start is then listed.)
_RESOLVERS = Loader.yaml_implicit_resolvers
_NOT_PLAIN_TEXT: frozenset[str] | _Everything = _Everything() if _RESOLVERS.get(None) else \
    frozenset({first for first, found in _RESOLVERS.items() if first and found}
              | _PLAIN_START_BAD | {"-", "'", '"', "["})


class _Unsupported(Exception):
    """The text is outside the subset: the caller falls back to libyaml."""


# A parsed line: (indent, has "- ", key or None, rest, column where the key starts,
# column where the rest starts, line number from 1)
_Line = tuple[int, bool, str | None, str, int, int, int]
_SCALAR_SHAPE = 1 << SIZE_SHIFT | SCALAR << KIND_SHIFT
_MAPPING_SHAPE = MAPPING << KIND_SHIFT
_SEQUENCE_SHAPE = SEQUENCE << KIND_SHIFT


def load(text: str) -> object | None:
    """The document's value, or ``None`` when the text is outside the subset."""
    found = load_with_positions(text)
    return None if found is None else found[0]


def load_with_positions(text: str) -> tuple[object, Skeleton] | None:
    """The document's value and where each of its values is (as ``yamlio.skeleton``
    gives it from libyaml's nodes: the same marks), or ``None`` when the text is
    outside the subset."""
    if (_UNSUPPORTED_CHARS.search(text) or _UNSUPPORTED.search(text)
            or text.startswith(("---", "...")) or "\n---" in text or "\n..." in text):
        return None
    lines: list[_Line] = []
    append = lines.append
    chars, deepest = LIMITS.chars, _MAX_INDENT
    for number, (indent, dash, key, blanks, rest) in enumerate(_LINES.findall(text), 1):
        column = len(indent)
        if len(rest) > chars or column > deepest:
            return None  # a value too long, or nesting that may be too deep: ``hazards`` says
        if dash:
            if rest[:1] == "-" and (len(rest) == 1 or rest[1] == " "):
                return None  # "- - x": nested sequences on one line
            start = column + len(dash)
            append((column, True, key or None, rest, start,
                    start + len(key) + 1 + len(blanks) if key else start, number))
        elif key:
            append((column, False, key, rest, column, column + len(key) + 1 + len(blanks),
                    number))
        elif rest:
            return None  # a bare scalar line: a continuation, or a top-level scalar
    if not lines or lines[0][0] != 0:
        return None
    out = _Out([], {})
    try:
        value, end = _block(lines, 0, 0, out)
    except (_Unsupported, RecursionError):  # too deep for us: ``hazards`` reports it
        return None
    if end != len(lines) or len(out.keys) > MAX_KEYS:
        return None
    return value, pack(out.marks, out.keys)


class _Out:
    """Where the parse writes each value's position: ``marks`` (line, column, shape per
    value, in document order, as ``yamlio.pack`` takes them) and the mapping keys seen."""

    __slots__ = ("keys", "marks")

    def __init__(self, marks: list[int], keys: dict[str, int]) -> None:
        self.marks = marks
        self.keys = keys


def _block(lines: list[_Line], i: int, indent: int, out: _Out) -> tuple[object, int]:
    if lines[i][1]:
        return _sequence(lines, i, indent, out)
    return _mapping(lines, i, indent, out)


def _value(lines: list[_Line], i: int, indent: int, line: _Line, out: _Out
           ) -> tuple[object, int]:
    """The value after "key:" on ``line``; ``i`` is the next line."""
    rest = line[3]
    if rest and rest[0] != "#":
        return _scalar_at(rest, line[6], line[5], out.marks), i
    if i < len(lines):
        nxt = lines[i]
        if nxt[0] > indent:
            return _block(lines, i, nxt[0], out)
        if nxt[0] == indent and nxt[1]:
            return _sequence(lines, i, indent, out)
    # empty: libyaml places it just after the colon
    out.marks += (line[6], line[4] + len(line[2] or "") + 2, _SCALAR_SHAPE)
    return None, i


def _mapping(lines: list[_Line], i: int, indent: int, out: _Out
             ) -> tuple[dict[str, object], int]:
    """A block mapping at ``indent`` starting on line ``i`` (which may be a sequence
    item's: its key is the mapping's first)."""
    result: dict[str, object] = {}
    n = len(lines)
    line = lines[i]
    marks, keys = out.marks, out.keys
    start = len(marks)
    marks += (line[6], line[4] + 1, _MAPPING_SHAPE)
    while True:
        key = line[2]
        if key is None or key in result:
            raise _Unsupported  # not a key line; or a duplicate key, for libyaml to report
        ref = keys.get(key)
        if ref is None:
            ref = keys[key] = len(keys) + 1  # (more than MAX_KEYS: the caller gives up)
        rest = line[3]
        i += 1
        if rest and rest[0] not in "#[":  # the common case, inline: "key: scalar"
            marks += (line[6], line[5] + 1, _SCALAR_SHAPE | ref)
            result[key] = _scalar(rest)
        else:
            at = len(marks) + 2
            result[key], i = _value(lines, i, indent, line, out)
            marks[at] |= ref
        if i >= n:
            break
        line = lines[i]
        if line[0] != indent:
            if line[0] < indent:
                break
            raise _Unsupported  # deeper than the keys
        if line[1]:
            raise _Unsupported  # a sequence where keys go on
    marks[start + 2] |= (len(marks) - start) // 3 << SIZE_SHIFT
    return result, i


def _sequence(lines: list[_Line], i: int, indent: int, out: _Out) -> tuple[list[object], int]:
    items: list[object] = []
    item: object
    n = len(lines)
    marks = out.marks
    start = len(marks)
    marks += (lines[i][6], indent + 1, _SEQUENCE_SHAPE)
    while i < n:
        line = lines[i]
        if line[0] != indent or not line[1]:
            break
        rest = line[3]
        if line[2] is not None:
            # "- key: value": a mapping whose keys sit where "key" starts
            item, i = _mapping(lines, i, line[4], out)
        elif not rest or rest[0] == "#":
            i += 1
            if i < n and lines[i][0] > indent:
                item, i = _block(lines, i, lines[i][0], out)
            else:
                item = None  # empty: libyaml places it just after the dash
                marks += (line[6], indent + 2, _SCALAR_SHAPE)
        else:
            item = _scalar_at(rest, line[6], line[5], marks)
            i += 1
        items.append(item)
    if i < n and lines[i][0] > indent:
        raise _Unsupported
    marks[start + 2] |= (len(marks) - start) // 3 << SIZE_SHIFT
    return items, i


def _scalar_at(rest: str, number: int, column: int, marks: list[int]) -> object:
    """The scalar (or one-line flow sequence) ``rest`` starting at ``column`` (0-based)
    of line ``number``, its position noted."""
    if rest[0] == "[":
        starts: list[int] = []
        items = _flow_sequence(rest, starts)
        marks += (number, column + 1, (len(starts) + 1) << SIZE_SHIFT | _SEQUENCE_SHAPE)
        for offset in starts:
            marks += (number, column + offset + 1, _SCALAR_SHAPE)
        return items
    marks += (number, column + 1, _SCALAR_SHAPE)
    return _scalar(rest)


def _after_closing(rest: str, end: int) -> None:
    """Only blanks, or a comment, may follow a closed scalar."""
    tail = rest[end:]
    if tail and not (tail[0] == " " and tail.lstrip(" ").startswith("#")) and tail.strip(" "):
        raise _Unsupported


def _scalar(rest: str) -> object:
    if rest[0] not in _NOT_PLAIN_TEXT and ":" not in rest and " #" not in rest:
        # plain text that no implicit resolver reads otherwise (ids, names, notes): a
        # string, as ``_plain`` would find, without asking (nor keeping it: most are unique)
        return _STRINGS.setdefault(rest, rest) if len(rest) <= 32 else rest
    value = _scalars.get(rest, _NOT_YET)
    if value is not _NOT_YET:
        return value
    value = _parse_scalar(rest)
    if len(_scalars) < _CACHE_MAX:
        _scalars[rest] = value
    return value


def _parse_scalar(rest: str) -> object:
    first = rest[0]
    if first == '"':
        end = rest.find('"', 1)
        if end < 0:
            raise _Unsupported
        _after_closing(rest, end + 1)
        return _string(rest[1:end])
    if first == "'":
        return _single_quoted(rest)
    if first == "[":
        raise _Unsupported  # flow sequences are read by ``_scalar_at``, with positions
    if first in _PLAIN_START_BAD or (first == "-" and (len(rest) == 1 or rest[1] == " ")):
        raise _Unsupported
    comment = rest.find(" #")
    value = (rest[:comment] if comment >= 0 else rest).rstrip(" ")
    if ": " in value or value.endswith(":") or " #" in value:
        raise _Unsupported
    return _plain(value)


def _single_quoted(rest: str) -> str:
    i = 1
    parts: list[str] = []
    while True:
        end = rest.find("'", i)
        if end < 0:
            raise _Unsupported
        parts.append(rest[i:end])
        if rest[end + 1:end + 2] == "'":
            parts.append("'")
            i = end + 2
            continue
        _after_closing(rest, end + 1)
        return _string("".join(parts))


def _flow_sequence(rest: str, starts: list[int]) -> list[object]:
    """A one-line flow sequence of scalars: ``[a, "b", 'c']``; where each item starts
    in ``rest`` goes to ``starts``."""
    items: list[object] = []
    item: object
    i, n = 1, len(rest)
    while True:
        while i < n and rest[i] == " ":
            i += 1
        if i >= n:
            raise _Unsupported
        if rest[i] == "]" and not items:
            i += 1
            break
        starts.append(i)
        if rest[i] in "\"'":
            quote = rest[i]
            end = rest.find(quote, i + 1)
            if end < 0 or (quote == "'" and rest[end + 1:end + 2] == "'"):
                raise _Unsupported
            items.append(_string(rest[i + 1:end]))
            i = end + 1
        else:
            end = i
            while end < n and rest[end] not in ",]":
                end += 1
            item = rest[i:end].rstrip(" ")
            if (not item or _FLOW_ITEM_BAD.search(item) or item[0] in _PLAIN_START_BAD
                    or (item[0] in "-?" and (len(item) == 1 or item[1] == " "))):
                raise _Unsupported
            items.append(_plain(item))
            i = end
        while i < n and rest[i] == " ":
            i += 1
        if i < n and rest[i] == ",":
            i += 1
            continue
        if i < n and rest[i] == "]":
            i += 1
            break
        raise _Unsupported
    _after_closing(rest, i)
    return items


def _string(value: str) -> str:
    return _STRINGS.setdefault(value, value) if len(value) <= 32 else value


def _plain(value: str) -> object:
    tag = _resolver.resolve(ScalarNode, value, (True, False))
    if tag == _STR:
        return _string(value)
    construct = _SCALARS.get(tag)
    if construct is None or tag == _FLOAT or (tag == _INT and len(value) > LIMITS.digits):
        # Floats go the slow way, where the schema check is strict: a JSON Schema
        # "integer" accepts 2.0, and points, years and counts must be written as integers.
        raise _Unsupported
    return construct(ScalarNode(tag, value))
