"""The fast reader must read whatever it accepts exactly as libyaml does, and place each
value where libyaml's nodes start (the positions diagnostics are given from)."""

from __future__ import annotations

import random

import pytest
import yaml

from generator import fastyaml
from generator.yamlio import compose, convert, locate, locate_in, skeleton
from tests.support import REPO


def slow(text: str) -> tuple[bool, object]:
    """(parsed cleanly, value) through libyaml and our converter."""
    try:
        node = compose(text)
    except yaml.YAMLError:
        return False, None
    problems: list = []
    value = convert(node, "x.yaml", problems)
    return not problems, value


def agree(text: str) -> bool:
    """True when the fast reader accepted the text (and then it must agree, positions
    included: the same skeleton as libyaml's node graph gives)."""
    found = fastyaml.load_with_positions(text)
    if found is None:
        assert fastyaml.load(text) is None
        return False
    fast, positions = found
    ok, value = slow(text)
    assert ok, f"fast reader accepted what libyaml rejects:\n{text}"
    assert fast == value, f"fast reader disagrees:\n{text}\nfast={fast!r}\nslow={value!r}"
    assert [type(v) for v in _leaves(fast)] == [type(v) for v in _leaves(value)], text
    assert positions == skeleton(compose(text)), f"positions disagree:\n{text}"
    return True


def pointers(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every pointer into ``value``, and some that lead nowhere."""
    found = [prefix, (*prefix, "nowhere"), (*prefix, 99)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += pointers(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += pointers(item, (*prefix, i))
    return found


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for k in value for x in (k, *_leaves(value[k]))]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def test_reads_the_example_data_itself() -> None:
    files = sorted((REPO / "data").rglob("*.yaml"))
    assert files
    for path in files:
        assert agree(path.read_text("utf-8")), path


def test_positions_point_where_libyaml_does() -> None:
    """Every pointer into every example file (and pointers past its values) resolves
    from the fast reader's positions to libyaml's line and column."""
    for path in sorted((REPO / "data").rglob("*.yaml")):
        text = path.read_text("utf-8")
        found = fastyaml.load_with_positions(text)
        assert found is not None, path
        value, positions = found
        node = compose(text)
        for pointer in pointers(value):
            assert locate_in(positions, pointer) == locate(node, pointer), (path, pointer)


ACCEPTED = [
    "a: 1\n",
    "a: b c  # comment\nd: 'it''s'\ne: \"x: y\"\n",
    "events:\n  - id: e1\n    points: -5\n  -   id: e2\n      note: 见[附件], 第2条\n",
    "events:\n- id: e1\n- id: e2\n",
    "absent: [m01, m02]\nleave: []\nrange: [-20, -10]\n",
    "posts: [\"书记\", '组织委员', a b]\nx: [ \"a, b\" ,c ]\n",
    "a:\n  b:\n    c: 007\n  d: no\n",
    "a: 2025-02-30\nb: 10:30\nc: ~\nf: 0x1F\ng: 1_000\n",
    "# only a comment first\n\na: 1\n   # indented comment\nb: 2\n",
    "a: #comment\nb:\n",
    "list:\n  -\n  - x\n",
    "a: x#y\nb: 张三's\n",
    "a:   #c\nl:\n-   #c\n-   \n- [张, 李四 , 'x']\nm:\n\n  # c\n  n:\n", # empty values, wide text
]
FALLBACK = [
    "a: 1\na: 2\n",                     # duplicate key: libyaml reports it
    "a: |\n  text\n",                   # block scalar
    "a: &x 1\nb: *x\n",                 # anchors
    "a: {b: 1}\n",                      # flow mapping
    "a: b\n  c\n",                      # multi-line plain scalar
    "a: \"x\\ty\"\n",                   # escapes
    "a:\tb\n",                          # tab
    "---\na: 1\n",                      # document marker
    "a: b: c\n",                        # libyaml error
    "  a: 1\n",                         # indented top level
    "a: [b, [c]]\n",                    # nested flow
    "a: [b, c,]\n",                     # trailing comma
    "\"a\": 1\n",                       # quoted key
    "a: 1\r\nb: 2\r\n",                 # CRLF
    "a: x\u2028y\n",                    # YAML 1.1 line separator
    "d: 1.5\n",                         # floats: the strict schema check is the slow one
    "e: .inf\n",
    "a: [1, 2.5]\n",
    "a: 1234567890123456789\n",         # longer than an integer may be (E110)
    "a: m\u202e01\n",                   # invisible characters (E111)
    "a: \"x\u200by\"\n",
    "a: " + "x" * 20_001 + "\n",        # longer than a value may be (E108)
    "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 20)),  # may nest too deep
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepts_and_agrees(text: str) -> None:
    assert agree(text)


@pytest.mark.parametrize("text", FALLBACK)
def test_falls_back_outside_the_subset(text: str) -> None:
    assert fastyaml.load(text) is None


KEYS = ["id", "name", "note", "a", "b_c", "x1", "2a", "a b", "\"q\""]
VALUES = ["m01", "张一", "-5", "5", "007", "no", "yes", "on", "~", "null", "", "2025-03-05",
          "1.5", "'quoted'", "\"dq\"", "'it''s'", "a # c", "a#b", "a: b", "[m01, m02]", "[]",
          "[a,b]", "[ a , b ]", "[\"a\", 'b']", "[\"a, b\"]", "['a''b']", "[a] #c", "[a]x", "- x", "-x", "?", ":", "#", "x:", "10:30", "0o17", "0b101",
          "+1", ".nan", "a  b", "见[附件]", "[x", "'open", "\"open", "a, b", "@x", "%x", "a@b", "\"@x\"", "[\"@x/y\", \"@z\"]", "[@x]", "[a@b]", "'@x'",
          "True", "FALSE", "Off", "0x1f", "1e3", "1.0e+3", "=", "<<", "x'y", "[a, 'b']", "[#]"]


def random_document(rng: random.Random, depth: int = 0, indent: int = 0) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    if rng.random() < 0.3 and depth < 3:
        for _ in range(rng.randint(1, 3)):
            gap = " " * rng.choice([1, 1, 1, 2, 3])
            if rng.random() < 0.5:
                key = rng.choice(KEYS)
                lines.append(f"{pad}-{gap}{key}: {rng.choice(VALUES)}".rstrip())
                for _ in range(rng.randint(0, 2)):
                    inner = indent + 1 + len(gap) + rng.choice([0, 0, 0, 1, -1])
                    lines.append(f"{' ' * inner}{rng.choice(KEYS)}: {rng.choice(VALUES)}".rstrip())
            else:
                lines.append(f"{pad}-{gap}{rng.choice(VALUES)}".rstrip())
        return lines
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(KEYS)
        roll = rng.random()
        if roll < 0.2 and depth < 3:
            lines.append(f"{pad}{key}:")
            lines += random_document(rng, depth + 1, indent + rng.choice([0, 2, 2, 4]))
        elif roll < 0.25:
            lines.append(f"{pad}# {rng.choice(VALUES)}")
        else:
            lines.append(f"{pad}{key}: {rng.choice(VALUES)}".rstrip())
    return lines


def test_random_documents_agree() -> None:
    rng = random.Random(20251125)
    accepted = 0
    for _ in range(4000):
        text = "\n".join(random_document(rng)) + "\n"
        accepted += agree(text)
    assert accepted > 600  # the fast path was exercised, not just skipped
