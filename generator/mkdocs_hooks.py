"""MkDocs hook of the bulletin.

1. Large tables: ``jifen build`` writes a page's big tables as HTML fragments next
   to the docs folder (``<work>/fragments/<page>.<name>.html``) and leaves a marker
   in the Markdown (see ``render._fragment``). ``on_post_page`` replaces each marker
   with its fragment, so Python-Markdown and the search plugin never parse those
   tables (they are excluded from search anyway).
2. Search index: with ``mkdocs build --dirty`` only changed pages are rebuilt, and
   the search plugin would write an index of those pages alone. ``on_post_build``
   keeps the previous entries of every page that was not rebuilt. The index is
   always written sorted by location, so a dirty build and a full build of the
   same data give the same bytes.
3. Names: a page may list what people type to find it (front matter ``jf_terms``:
   a member's full and given name). They go into the index entry of the page as
   its ``names`` field (mkdocs.yml declares it to the search), so 丽萍 finds
   周丽萍 although the text segmentation keeps 周丽萍 one word.

Works the same under ``mkdocs build`` and ``mkdocs serve`` (where jieba's English log
lines are silenced).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

MARKER = re.compile(r'<div class="jf-fragment" data-jf-fragment="([a-z_]+)" '
                    r'data-jf-digest="[0-9a-f]+"></div>')
INDEX = Path("search") / "search_index.json"

_state: dict[str, Any] = {"dirty": False, "previous": None, "rebuilt": set(), "terms": {}}


def on_startup(command: str, dirty: bool) -> None:
    _state["dirty"] = dirty
    # jieba (the search's Chinese segmentation) reports its dictionary loading in English
    # on every start; `jifen serve` shows the MkDocs child's output, which is in Chinese.
    logging.getLogger("jieba").setLevel(logging.WARNING)


def on_pre_build(config: Any) -> None:
    _state["rebuilt"] = set()
    _state["terms"] = {}
    _state["previous"] = None
    index = Path(config["site_dir"]) / INDEX
    if _state["dirty"] and index.is_file():
        _state["previous"] = json.loads(index.read_text("utf-8"))


def on_post_page(output: str, page: Any, config: Any) -> str:
    _state["rebuilt"].add(page.url)
    terms = page.meta.get("jf_terms")
    if isinstance(terms, list) and all(isinstance(t, str) for t in terms):
        _state["terms"][page.url] = " ".join(t.strip() for t in terms if t.strip())
    fragments = Path(config["docs_dir"]).parent / "fragments"
    source = page.file.src_uri

    def insert(match: re.Match[str]) -> str:
        return (fragments / f"{source}.{match.group(1)}.html").read_text("utf-8")

    return MARKER.sub(insert, output)


def on_post_build(config: Any) -> None:
    index = Path(config["site_dir"]) / INDEX
    if not index.is_file():
        return
    current = json.loads(index.read_text("utf-8"))
    docs = current["docs"]
    terms = _state["terms"]
    for doc in docs:  # the page's own entry, not its sections ("page/#section")
        if doc["location"] in terms:
            doc["names"] = terms[doc["location"]]
    previous = _state["previous"]
    if previous is not None:
        rebuilt = _state["rebuilt"]
        docs += [d for d in previous["docs"] if d["location"].split("#")[0] not in rebuilt]
    docs.sort(key=lambda d: d["location"])
    text = json.dumps(current, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    index.write_text(text, "utf-8")
