"""The ``jifen diff`` comment is public: data in it must not mention people, link,
reference issues or reorder text on the forge (GitHub, Gitea/Forgejo, GitLab). Run
through the real console script on real Git repositories."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from generator.diff import md_text
from tests.support import ORGANIZATION, DataDir, event, events_file
from tests.test_diff import commit, diff, git

# Every character that can reorder or hide text: bidirectional embeddings, overrides and
# isolates, zero-width spaces and joiners, marks, the byte-order mark.
INVISIBLE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
             "\u2069", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufeff"]
# (Invisible characters cannot reach the comment from data: validation refuses them, E111,
# without repeating them; ``test_invisible_characters_are_named`` covers the escaping.)
HOSTILE_NAME = "@octocat 张三 www.evil.example https://evil.example/x 见 #12 和 !3 <b>粗</b>"
HOSTILE_BRANCH = "@all 甲公司 http://phish.example 党支部"


def hostile_repo(tmp_path: Path) -> tuple[Path, DataDir]:
    root = tmp_path / "repo"
    data = DataDir(root / "data")
    data.write("organization.yaml", ORGANIZATION.replace(
        "{id: b-a, name: 甲公司党支部,", '{id: b-a, name: "' + HOSTILE_BRANCH + '",'))
    data.member("m01", name="张一")
    data.member("m02", name=HOSTILE_NAME)
    data.events(events_file(event("e1", "J3", "2025-03-01")))
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    git(root, "checkout", "-qb", "change")
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-3)))
    commit(root, "m02 late")
    return root, data


def shown(markdown: str) -> str:
    """The text the forge works on: it decodes character references before it looks
    for mentions and links, so an escaped "&#64;" would still be a mention."""
    return html.unescape(markdown)


def assert_defused(markdown: str) -> None:
    text = shown(markdown)
    assert not re.search(r"@\w", text), "an @mention survived"
    assert not re.search(r"(?i)www\.", text), "a www. autolink survived"
    assert "://" not in text, "a URL autolink survived"
    assert not re.search(r"[#!]\d", text), "an issue or merge-request reference survived"
    assert not [c for c in INVISIBLE if c in text], "an invisible control character survived"
    assert "<b>" not in markdown


def test_hostile_names_cannot_mention_link_or_reorder(tmp_path: Path) -> None:
    root, _ = hostile_repo(tmp_path)
    result = diff(root, "main", "HEAD")
    assert result.code == 0, result.stderr
    text = result.stdout
    assert_defused(text)
    row = next(line for line in text.splitlines() if "（m02）" in line)
    # Still one table row: nothing in the data ended the cell or the line.
    assert row.count("|") == 7
    name, branch = (shown(cell).strip() for cell in row.split("|")[1:3])
    # Still readable: visible stand-ins, and each invisible character named.
    assert name == ("＠octocat 张三 www．evil.example https：//evil.example/x "
                    "见 ＃12 和 ！3 <b>粗</b>（m02）")
    assert branch == "＠all 甲公司 http：//phish.example 党支部"


def test_invisible_characters_are_named() -> None:
    """Defence in depth: were one to reach the comment, it is shown by its code point."""
    text = md_text("张\u202e三" + "".join(INVISIBLE))
    assert not [c for c in INVISIBLE if c in shown(text)]
    assert shown(text) == "张[U+202E]三" + "".join(f"[U+{ord(c):04X}]" for c in INVISIBLE)


def test_invisible_characters_in_data_are_refused_unrepeated(tmp_path: Path) -> None:
    root, data = hostile_repo(tmp_path)
    data.member("m02", name="张\u202e三")
    commit(root, "a reordered name")
    result = diff(root, "main", "HEAD")
    assert result.code == 1 and "E111" in result.stdout
    assert_defused(result.stdout)


def test_hostile_text_in_an_error_message_is_defused(tmp_path: Path) -> None:
    root, data = hostile_repo(tmp_path)
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "\"@octocat www.x.cn\"", "2025-03-02", member="m02")))
    commit(root, "unknown rule")
    result = diff(root, "main", "HEAD")
    assert result.code == 1
    assert "修改后的数据有错误，不能合并" in result.stdout
    assert "＠octocat" in result.stdout  # the error quotes the rule, defused
    assert_defused(result.stdout)


@pytest.mark.parametrize("name", ["x`@y", "main\";touch${IFS}x;\"", "www.a.cn"])
def test_revision_names_stay_inside_their_code_span(tmp_path: Path, name: str) -> None:
    root, _ = hostile_repo(tmp_path)
    git(root, "branch", name, "main")
    text = diff(root, name, "HEAD").stdout
    header = next(line for line in text.splitlines() if line.startswith("比较："))
    spans = re.findall(r"`[^`]*`", header)
    assert len(spans) == 2 and header.count("`") == 4
    assert "&#" not in spans[0]  # a code span shows references literally: none used
    assert_defused(header)
