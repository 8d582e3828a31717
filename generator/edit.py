"""Editing data files as text, the way a registrar would: nothing else in the file moves.

The commands that write data (``jifen add``, ``approve``, ``verify``, ``void``,
``correct``, ``object``, ``member``) never re-dump YAML, which would lose comments,
blank lines, quoting and flow-style records.
They compose the file with PyYAML to learn where things are (node marks are character
offsets into the text) and then splice text in:

* a new list item goes after the last item's last line, indented like that item (or,
  for an empty or missing list, in the style of the example data: ``  - key: value``);
* an existing key's value is replaced in its span only (``status: declared`` →
  ``status: approved``; an inline comment after it stays);
* a missing key is added as a ``key: value`` line after the record's last key line,
  at the record's key indentation; in a flow-style record (``- {id: e1, ...}``) it is
  added inside the braces;
* the same for the keys of a file that is one mapping (``set_keys``: a member's
  ``category``, an objection's ``outcome``), and a new block mapping (``add_mapping``:
  a member's ``left:``); a list item may be written on one line (``flow``: a member's
  ``- {from: 2026-06-15, category: full}``).

New files are written whole (``new_file``, ``mapping_file``).

Values arrive already rendered (``plain``, ``quoted``, ``flow_list``): this module
knows nothing about events or meetings. Every function is pure (text in, text out)
and raises ``EditError`` (with a Chinese message) when the file cannot be edited safely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.yamlio import compose

Field = tuple[str, str]  # (key, the value as YAML text)

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Characters YAML does not allow raw in a document, or reads as line breaks
# (YAML 1.1: NEL, LS, PS): written as \u escapes inside double quotes.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
BOM = "\ufeff"
DEFAULT_DASH = "  - "  # how the example data and `jifen add` write list items


class EditError(Exception):
    """The file cannot be edited as asked; the message is for the user (Chinese)."""


# --- rendering values -----------------------------------------------------------------------

def quoted(text: str) -> str:
    """Free text as a YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    dumped = json.dumps(text, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def plain(value: str | int) -> str:
    """An id, code, date, status or number: plain when YAML reads it back as the same
    string (``m01``, ``2025-03-05``), quoted when it would not (``no``, ``007``)."""
    if isinstance(value, int):
        return str(value)
    if _PLAIN.fullmatch(value) and _tag(value) == _STR:
        return value
    return quoted(value)


def flow_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(plain(v) for v in values) + "]"


def _tag(value: str) -> str | None:
    try:
        node = compose(value)
    except yaml.YAMLError:
        return None
    return node.tag if isinstance(node, ScalarNode) else None


# --- reading the structure ------------------------------------------------------------------

def _root(text: str, path: str) -> MappingNode | None:
    try:
        node = compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else "文件中"
        raise EditError(f"{path} {where}有 YAML 格式错误，无法自动修改。"
                        "请先用 jifen validate 查看并改正。") from None
    if node is None:
        return None
    if not isinstance(node, MappingNode):
        raise EditError(f"{path} 的最外层不是“键: 值”的形式，无法自动修改。请先改正这个文件。")
    return node


def _value_of(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _content_end(text: str, node: Node) -> int:
    """Where a node's own text ends. Block collections' end marks lie at the next token
    (past comments and blank lines) and block scalars' after their trailing line breaks,
    so look at the last value instead and step back over whitespace."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(text, last[1] if isinstance(last, tuple) else last)
    end = node.end_mark.index
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        header = text[node.start_mark.index:_line_end(text, node.start_mark.index)]
        if "+" in header.split("#", 1)[0]:
            return end  # "keep" chomping: the trailing blank lines are part of the value
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """The index just past the line break of the line holding ``index`` (or the end)."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _after_line(text: str, index: int, lines: list[str]) -> tuple[int, int, str]:
    """An edit that puts ``lines`` after the line holding ``index`` (at ``index`` when it
    is the start of a line)."""
    nl = _newline(text)
    at = index if index > 0 and text[index - 1] == "\n" else _line_end(text, index)
    body = nl.join(lines)
    if at == len(text) and not text.endswith("\n"):
        return at, at, nl + body  # the file had no final newline: it still has none
    return at, at, body + nl


def _dash(text: str, item: Node) -> tuple[int, int] | None:
    """Column of the ``-`` of a block sequence item, and the item's own column when it
    starts on the dash's line (``  - id: e1``: 2 and 4); None if not found."""
    i = item.start_mark.index - 1
    while i >= 0 and text[i] in " \t\r\n":
        i -= 1
    if i < 0 or text[i] != "-":
        return None
    dash_col = i - _line_start(text, i)
    same_line = "\n" not in text[i:item.start_mark.index]
    return dash_col, (item.start_mark.column if same_line else dash_col + 2)


def _block_item(fields: Sequence[Field], dash_col: int, key_col: int) -> list[str]:
    lines = []
    for n, (key, value) in enumerate(fields):
        if n == 0:
            lines.append(" " * dash_col + "-" + " " * (key_col - dash_col - 1) + f"{key}: {value}")
        else:
            lines.append(" " * key_col + f"{key}: {value}")
    return lines


def _flow_item(fields: Sequence[Field]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in fields) + "}"


def _item(fields: Sequence[Field], dash_col: int, key_col: int, flow: bool) -> list[str]:
    if flow:
        return [" " * dash_col + "-" + " " * (key_col - dash_col - 1) + _flow_item(fields)]
    return _block_item(fields, dash_col, key_col)


def _apply(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _split_bom(text: str) -> tuple[str, str]:
    return (BOM, text[1:]) if text.startswith(BOM) else ("", text)


# --- the edits ----------------------------------------------------------------------------

def new_file(branch: str, list_key: str, fields: Sequence[Field],
             empty: Sequence[str] = ()) -> str:
    """A new events or meetings file holding one record (and, for each key of
    ``empty``, an empty list: ``events: []`` in a file of corrections)."""
    lines = [f"branch: {plain(branch)}", f"{list_key}:",
             *_block_item(fields, len(DEFAULT_DASH) - 2, len(DEFAULT_DASH)),
             *(f"{key}: []" for key in empty)]
    return "\n".join(lines) + "\n"


def mapping_file(fields: Sequence[Field], header: Sequence[str] = ()) -> str:
    """A new file holding one mapping (a member, an objection), after ``header``
    comment lines."""
    return "".join(f"# {line}\n" for line in header) + "".join(
        f"{key}: {value}\n" for key, value in fields)


def append_item(text: str, list_key: str, fields: Sequence[Field], *, branch: str,
                path: str = "文件", flow: bool = False) -> str:
    """``text`` with one more record at the end of its top-level ``list_key`` list;
    ``flow``: the record on one line (``- {from: 2026-06-15, category: full}``)."""
    bom, body = _split_bom(text)
    root = _root(body, path)
    if root is None:  # an empty file (or only comments): keep what is there, add the rest
        lines = new_file(branch, list_key, fields).splitlines()
        nl = _newline(body)
        prefix = body if body.endswith("\n") or not body else body + nl
        return bom + prefix + nl.join(lines) + nl
    found = _value_of(root, list_key)
    if root.flow_style:
        raise EditError(f"{path} 整个写成了一行（{{...}}），无法自动修改。请改成逐行书写后重试。")
    nl = _newline(body)
    indent = root.start_mark.column
    item_lines = _item(fields, indent + len(DEFAULT_DASH) - 2, indent + len(DEFAULT_DASH), flow)
    if found is None:  # no list at all: add the key at the end of the mapping
        return bom + _apply(body, [_after_line(body, _content_end(body, root),
                                               [" " * indent + f"{list_key}:", *item_lines])])
    key_node, value = found
    if _is_null(value):  # `events:` or `events: ~`
        start, end = value.start_mark.index, value.end_mark.index
        return bom + _apply(body, [_drop_value(body, start, end),
                                   _after_line(body, key_node.end_mark.index, item_lines)])
    if not isinstance(value, SequenceNode):
        raise EditError(f"{path} 中的“{list_key}”不是列表，无法添加。请先改正这个文件。")
    if value.flow_style:
        if not value.value:  # `events: []`: becomes a block list
            start, end = value.start_mark.index, value.end_mark.index
            return bom + _apply(body, [_drop_value(body, start, end),
                                       _after_line(body, key_node.end_mark.index, item_lines)])
        at = _content_end(body, value.value[-1])
        return bom + _apply(body, [(at, at, ", " + _flow_item(fields))])
    last = value.value[-1]
    where = _dash(body, last)
    if where is None:
        raise EditError(f"{path} 中“{list_key}”列表的写法无法识别，无法自动添加。")
    dash_col, key_col = where
    lines = _item(fields, dash_col, key_col, flow)
    if len(value.value) > 1 and _blank_line_before(body, value.value[-1]):
        lines.insert(0, "")  # the file separates its records by blank lines
    return bom + _apply(body, [_after_line(body, _content_end(body, last), lines)])


def _blank_line_before(text: str, item: Node) -> bool:
    dash = text.rfind("-", 0, item.start_mark.index)
    start = _line_start(text, dash)
    if start == 0:
        return False
    previous = text[_line_start(text, start - 1):start]
    return previous.strip() == ""


def _drop_value(text: str, start: int, end: int) -> tuple[int, int, str]:
    """Remove a value's text (``~``, ``[]``) with the spaces before it: ``events: []  # c``
    becomes ``events:  # c``."""
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return start, end, ""


def find_item(text: str, list_key: str, ident: str, path: str = "文件") -> int | None:
    """The index of the record with ``id: ident`` in the top-level list, or None."""
    root = _root(_split_bom(text)[1], path)
    items = _items(root, list_key)
    for i, item in enumerate(items):
        if isinstance(item, MappingNode):
            found = _value_of(item, "id")
            if found is not None and isinstance(found[1], ScalarNode) \
                    and found[1].value == ident:
                return i
    return None


def _items(root: MappingNode | None, list_key: str) -> list[Node]:
    found = _value_of(root, list_key) if root is not None else None
    if found is None or not isinstance(found[1], SequenceNode):
        return []
    return list(found[1].value)


def update_item(text: str, list_key: str, ident: str, changes: Sequence[Field],
                path: str = "文件") -> str:
    """``text`` with the record ``id: ident`` changed: each key in ``changes`` gets the
    new value in place when present, or is added after the record's last key."""
    bom, body = _split_bom(text)
    root = _root(body, path)
    index = find_item(body, list_key, ident, path)
    if index is None:
        raise EditError(f"{path} 中找不到编号为“{ident}”的记录。")
    record = _items(root, list_key)[index]
    assert isinstance(record, MappingNode)
    if not record.value:
        raise EditError(f"{path} 中编号为“{ident}”的记录是空的，无法修改。")
    return bom + _apply(body, _mapping_edits(body, record, changes))


def set_keys(text: str, changes: Sequence[Field], path: str = "文件") -> str:
    """``text`` with keys of its top-level mapping set (a member's ``category``, an
    objection's ``outcome``): in place when present, else after the last key."""
    bom, body = _split_bom(text)
    root = _root(body, path)
    if root is None or not root.value:
        raise EditError(f"{path} 是空的，无法修改。")
    if root.flow_style:
        raise EditError(f"{path} 整个写成了一行（{{...}}），无法自动修改。请改成逐行书写后重试。")
    return bom + _apply(body, _mapping_edits(body, root, changes))


def add_mapping(text: str, key: str, fields: Sequence[Field], path: str = "文件") -> str:
    """``text`` with a new top-level ``key`` holding a block mapping of ``fields``
    (a member's ``left:``), after the last key."""
    bom, body = _split_bom(text)
    root = _root(body, path)
    if root is None or not root.value or root.flow_style:
        raise EditError(f"{path} 的写法无法识别，无法自动修改。请先改正这个文件。")
    if _value_of(root, key) is not None:
        raise EditError(f"{path} 中已经有“{key}”。")
    col = root.value[0][0].start_mark.column
    lines = [" " * col + f"{key}:", *(" " * (col + 2) + f"{k}: {v}" for k, v in fields)]
    return bom + _apply(body, [_after_line(body, _content_end(body, root.value[-1][1]), lines)])


def _mapping_edits(body: str, record: MappingNode, changes: Sequence[Field]
                   ) -> list[tuple[int, int, str]]:
    """The edits that set ``changes`` in a mapping: values replaced in their span, keys
    it lacks added after its last key (inside the braces of a flow mapping)."""
    edits: list[tuple[int, int, str]] = []
    added: list[Field] = []
    for key, text_value in changes:
        found = _value_of(record, key)
        if found is None:
            added.append((key, text_value))
            continue
        key_node, value = found
        if isinstance(value, ScalarNode):
            start, end = value.start_mark.index, _content_end(body, value)
            if start == end:  # `key:` with nothing after it
                edits.append((key_node.end_mark.index, _after_colon(body, key_node),
                              ": " + text_value))
            else:
                edits.append((start, end, text_value))
        else:
            start = value.start_mark.index
            edits.append((start, _content_end(body, value), text_value))
    if added:
        last_end = _content_end(body, record.value[-1][1])
        if record.flow_style:
            edits.append((last_end, last_end,
                          "".join(f", {key}: {value}" for key, value in added)))
        else:
            key_col = record.value[0][0].start_mark.column
            edits.append(_after_line(body, last_end,
                                     [" " * key_col + f"{key}: {value}" for key, value in added]))
    return edits


def _after_colon(text: str, key_node: Node) -> int:
    """The index just past the ``:`` that follows a key (and any spaces before it)."""
    i = key_node.end_mark.index
    while i < len(text) and text[i] in " \t":
        i += 1
    return i + 1 if i < len(text) and text[i] == ":" else key_node.end_mark.index
