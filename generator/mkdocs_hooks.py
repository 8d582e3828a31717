"""MkDocs hook of the bulletin.

1. Large tables: ``jifen build`` writes a page's big tables as HTML fragments at the
   end of its Markdown file, after ``FRAGMENTS`` (one file, not one per table), and
   leaves a marker where each goes (see ``render._fragment``). ``on_page_markdown``
   cuts them off before Python-Markdown sees the page; ``on_post_page`` reads them
   again and replaces each marker with its fragment, so Python-Markdown and the search
   plugin never parse those tables (they are excluded from search anyway).
2. Search index: ``jifen build`` always runs ``mkdocs build --dirty`` (into an empty
   folder when everything is to be built), so only changed pages are rebuilt, and the
   search plugin would write an index of those pages alone. ``on_post_build`` keeps the
   previous entries of every page that was not rebuilt and still exists. The index is
   always written sorted by location, so a dirty build and a full build of the same
   data give the same bytes.
3. Names: a page may list what people type to find it (front matter ``jf_terms``:
   a member's full and given name). They go into the index entry of the page as
   its ``names`` field (mkdocs.yml declares it to the search), so 丽萍 finds
   周丽萍 although the text segmentation keeps 周丽萍 one word. A page with
   ``jf_index: names`` (a member's page: ``search: exclude`` keeps the search plugin
   from parsing it) gets one entry made here: its location, its title (cut into words
   as the plugin cuts one) and its names, and no text, which keeps the index small (a
   member's ledger is not searched).
4. New files, never files rewritten in place: ``jifen build`` publishes hard links to
   the files MkDocs built (``build.publish``), so MkDocs must never write into a file
   that may be published. Its two writers (``mkdocs.utils.write_file`` and
   ``copy_file``) are wrapped to delete the old file first; ``on_post_build`` lists
   what was written (``<work>/mkdocs-report.json``), so that the build knows what
   changed without walking the site.
5. Progress: with ``JIFEN_PROGRESS_FD`` set (``jifen build`` on a terminal), a line
   every few seconds says how many pages are built.
6. Shards: with ``JIFEN_SHARD=k/n`` (``jifen build`` building everything on a machine
   with several cores), this process builds only every n-th page (k, k+n, … in the
   order of their paths), into a site folder of its own (``-d``); the first also
   copies the static files. The others' pages count as unmodified, which is how
   ``mkdocs build --dirty`` skips a page; ``build.py`` moves their pages into the first
   one's folder and merges the search indexes (``merge_indexes``).

Works the same under ``mkdocs build`` and ``mkdocs serve`` (where jieba's English log
lines are silenced).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

MARKER = re.compile(r'<div class="jf-fragment" data-jf-fragment="([a-z_]+)" '
                    r'data-jf-digest="[0-9a-f]+"></div>')
FRAGMENTS = "\n<!-- jifen:fragments -->\n"  # after it, the page's fragments
FRAGMENT = re.compile(r"<!-- jifen:fragment ([a-z_]+) -->\n")  # before each
INDEX = Path("search") / "search_index.json"
REPORT = "mkdocs-report.json"
PROGRESS_EVERY = 2.0  # seconds

_state: dict[str, Any] = {"dirty": False, "previous": None, "rebuilt": set(), "terms": {},
                          "entries": {}, "urls": None, "written": set(), "built": 0,
                          "total": 0, "said": 0.0, "who": "MkDocs"}


def _unlink(path: str) -> None:
    with suppress(FileNotFoundError, IsADirectoryError):
        os.unlink(path)


def _new_files_only() -> None:
    """Make MkDocs' writers write new files (see the module docstring, 4)."""
    from mkdocs import utils

    if getattr(utils.write_file, "jifen", False):
        return
    write, copy = utils.write_file, utils.copy_file

    def write_file(content: bytes, output_path: str) -> None:
        _unlink(output_path)
        write(content, output_path)
        _state["written"].add(output_path)

    def copy_file(source_path: str, output_path: str) -> None:
        if os.path.isdir(output_path):
            output_path = os.path.join(output_path, os.path.basename(source_path))
        _unlink(output_path)
        copy(source_path, output_path)
        _state["written"].add(output_path)

    setattr(write_file, "jifen", True)  # noqa: B010 (marks the wrapper as ours)
    utils.write_file = write_file
    utils.copy_file = copy_file


def _say(message: str) -> None:
    fd = os.environ.get("JIFEN_PROGRESS_FD", "")
    if fd.isdigit():
        with suppress(OSError):
            os.write(int(fd), f"INFO    -  {message}\n".encode())
        _state["said"] = time.monotonic()


def on_startup(command: str, dirty: bool) -> None:
    _state["dirty"] = dirty
    # jieba (the search's Chinese segmentation) reports its dictionary loading in English
    # on every start; `jifen serve` shows the MkDocs child's output, which is in Chinese.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    _new_files_only()


def on_pre_build(config: Any) -> None:
    _state.update(rebuilt=set(), terms={}, entries={}, previous=None, urls=None,
                  written=set(), built=0, total=0, said=time.monotonic())
    site = Path(config["site_dir"])
    if _state["dirty"] and (site / INDEX).is_file():
        _state["previous"] = json.loads((site / INDEX).read_text("utf-8"))
    # MkDocs writes this one itself, into the old file: make it a new one (see 4.)
    _unlink(str(site / "sitemap.xml.gz"))


def shard() -> tuple[int, int]:
    """(k, n) of ``JIFEN_SHARD``; (0, 1) without it."""
    found = os.environ.get("JIFEN_SHARD", "").split("/")
    if len(found) == 2 and all(x.isdigit() for x in found) and int(found[0]) < int(found[1]):
        return int(found[0]), int(found[1])
    return 0, 1


def _unmodified() -> bool:
    return False


def on_files(files: Any, config: Any) -> Any:
    k, n = shard()
    if n > 1:
        pages = sorted(files.documentation_pages(), key=lambda f: f.src_uri)
        for i, f in enumerate(pages):
            if i % n != k:
                f.is_modified = _unmodified
        if k:
            for f in files.static_pages():
                f.is_modified = _unmodified
    # as ``Page.url`` (and the search index) has them: the home page's is "", not "./"
    _state["urls"] = {"" if f.url in (".", "./") else f.url
                      for f in files.documentation_pages()}
    return files


def on_env(env: Any, config: Any, files: Any) -> Any:
    # the pages read (all of them, or in a dirty build the changed ones) are those built
    _state["total"] = sum(1 for f in files.documentation_pages()
                          if f.page is not None and f.page.content is not None)
    k, n = shard()
    _state["who"] = "MkDocs" if n == 1 else f"MkDocs 进程 {k + 1}/{n}"
    _say(f"{_state['who']}：需要生成 {_state['total']} 个网页")
    return env


def with_fragments(markdown: str, fragments: dict[str, str]) -> str:
    """A page's Markdown with its fragments (by name) after it. Their text cannot hold
    the separators: data in them is escaped (no ``<`` of its own)."""
    if not fragments:
        return markdown
    return markdown + FRAGMENTS + "".join(f"<!-- jifen:fragment {name} -->\n{html}"
                                          for name, html in sorted(fragments.items()))


def fragments_of(source: str) -> dict[str, str]:
    """The fragments after a page's Markdown (``with_fragments``)."""
    _, found, rest = source.partition(FRAGMENTS)
    if not found:
        return {}
    parts = FRAGMENT.split(rest)  # ["", name, html, name, html, ...]
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return markdown.partition(FRAGMENTS)[0]


def _segmented(config: Any, text: str) -> str:
    """``text`` cut into words as the search plugin cuts a title (jieba), so that a word
    of it is found: 积分 in 周丽萍 2025年度积分."""
    plugin = config.plugins.get("material/search") or config.plugins.get("search")
    segment = getattr(getattr(plugin, "search_index", None), "_segment_chinese", None)
    return segment(text) if callable(segment) else text


def on_post_page(output: str, page: Any, config: Any) -> str:
    _state["rebuilt"].add(page.url)
    terms = page.meta.get("jf_terms")
    names = ""
    if isinstance(terms, list) and all(isinstance(t, str) for t in terms):
        names = " ".join(t.strip() for t in terms if t.strip())
        _state["terms"][page.url] = names
    if page.meta.get("jf_index") == "names":
        entry = {"location": page.url, "text": "",
                 "title": _segmented(config, str(page.title or ""))}
        if names:
            entry["names"] = names
        _state["entries"][page.url] = entry
    fragments: dict[str, str] = {}
    if MARKER.search(output):
        fragments = fragments_of(Path(page.file.abs_src_path).read_text("utf-8"))

    def insert(match: re.Match[str]) -> str:
        return fragments[match.group(1)]

    _state["built"] += 1
    if time.monotonic() - _state["said"] >= PROGRESS_EVERY:
        _say(f"{_state['who']}：已生成 {_state['built']}/{_state['total']} 个网页")
    return MARKER.sub(insert, output)


def on_post_build(config: Any) -> None:
    from mkdocs import utils

    site = Path(config["site_dir"])
    index = site / INDEX
    if index.is_file():
        current = json.loads(index.read_text("utf-8"))
        docs = current["docs"]
        terms = _state["terms"]
        for doc in docs:  # the page's own entry, not its sections ("page/#section")
            if doc["location"] in terms:
                doc["names"] = terms[doc["location"]]
        docs += _state["entries"].values()
        previous = _state["previous"]
        if previous is not None:
            rebuilt, urls = _state["rebuilt"], _state["urls"]
            docs += [d for d in previous["docs"] if (page := d["location"].split("#")[0])
                     not in rebuilt and (urls is None or page in urls)]
        utils.write_file(index_text(current), str(index))
    written = {os.path.relpath(p, site).replace(os.sep, "/") for p in _state["written"]}
    if (site / "sitemap.xml.gz").is_file():  # written by MkDocs itself, not its writers
        written.add("sitemap.xml.gz")
    k, n = shard()
    report = Path(config["docs_dir"]).parent / (REPORT if n == 1 else f"{REPORT}.{k}")
    report.write_text(json.dumps(sorted(written), ensure_ascii=False), "utf-8")


def index_text(index: dict[str, Any]) -> bytes:
    """The search index as written: its entries sorted by location (a stable sort: a
    page's sections keep their order), the keys sorted."""
    index["docs"].sort(key=lambda d: d["location"])
    return json.dumps(index, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def merge_indexes(first: Path, others: list[Path]) -> None:
    """Put the entries of the other shards' search indexes into the first's."""
    index = json.loads(first.read_text("utf-8"))
    for other in others:
        index["docs"] += json.loads(other.read_text("utf-8"))["docs"]
    text = index_text(index)
    os.unlink(first)
    first.write_bytes(text)
