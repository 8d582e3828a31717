"""Render: pages (data) through the Jinja2 templates in ``site_templates/`` to bytes.

Escaping is the default, not a habit: every ``{{ value }}`` in a Markdown
template passes through ``md_escape`` unless the template marks it otherwise,
so a name like ``<script>`` or ``*张三* | [x](javascript:...)`` renders as
text, in tables too. Links are built by the ``link`` filter from page paths,
which the generator controls. The charts are SVG drawn into the page (fragments),
their text escaped like any other. JSON twins are written with sorted keys, so
output is byte-identical for the same data.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
)
from jinja2.runtime import Context
from markupsafe import Markup

from generator.mkdocs_hooks import with_fragments
from generator.resources import TEMPLATES_DIR as TEMPLATES
from generator.site import Page
from generator.text import md_escape


def _finalize(value: object) -> object:
    return value if isinstance(value, Markup) else md_escape(value)


def link(target: str, page: str) -> Markup:
    """A relative link from ``page`` to ``target`` (both paths in the docs folder)."""
    relative = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return Markup(relative)


def page_url(path: str) -> str:
    """The URL MkDocs gives a docs file with directory URLs: ``a/b.md`` is served
    at ``a/b/``, ``a/index.md`` at ``a/``; other files keep their path."""
    if not path.endswith(".md"):
        return path
    stem = path[:-3]
    if stem == "index":
        return ""
    return stem[:-5] if stem.endswith("/index") else stem + "/"


def url(target: str, page: str) -> Markup:
    """A relative URL from ``page`` to ``target`` for raw HTML, which MkDocs does not
    rewrite (Markdown links use ``link``, which MkDocs resolves and checks). Page URLs
    are directories, so the walk is: up from the page's folder, down to the target."""
    here = page_url(page).split("/")[:-1]
    there = page_url(target).split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    relative = "../" * (len(here) - common) + "/".join(there[common:])
    return Markup(relative or "./")


_SAFE_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~+-]+)*/?")
_ANCHOR = re.compile(r"[a-z][a-z0-9-]*")


def safe_url(value: str) -> Markup:
    """An https address for a link (the forge's pages): only letters, digits and
    ``. _ ~ + - / :``, so it can end neither a Markdown link nor an HTML attribute;
    anything else becomes no address at all."""
    return Markup(value) if _SAFE_URL.fullmatch(value) else Markup("")


def anchor(value: str) -> Markup:
    """A heading id made by the generator (``r-veto``): lower-case letters, digits, hyphens."""
    return Markup(value) if _ANCHOR.fullmatch(value) else Markup("")


def signed(value: int | None) -> Markup:
    return Markup("—" if value is None else f"{value:+d}" if value else "0")


# MkDocs themes print titles (in <title>, the header, the navigation, the search
# results) escaped in some places and not in others. Titles therefore never carry
# these characters: each is replaced by its full-width form, which reads the same.
_TITLE_SAFE = str.maketrans({"<": "＜", ">": "＞", "&": "＆", '"': "＂", "'": "＇",
                             "\n": " ", "\r": " "})


def title_text(value: str) -> str:
    """Text that is safe as a title in any MkDocs template, escaped or not."""
    return value.translate(_TITLE_SAFE)


def front_title(value: str) -> Markup:
    """A page title for the front matter, quoted as a YAML string."""
    return Markup(json.dumps(title_text(value), ensure_ascii=False))


def environment() -> Environment:
    """The Markdown environment (of the pages and of their HTML fragments)."""
    loader = FileSystemLoader(str(TEMPLATES))
    markdown = Environment(loader=loader, autoescape=False, finalize=_finalize,
                           undefined=StrictUndefined, keep_trailing_newline=True,
                           trim_blocks=True, lstrip_blocks=True)
    markdown.filters["link"] = link
    markdown.filters["url"] = url
    markdown.filters["signed"] = signed
    markdown.filters["md"] = lambda v: Markup(md_escape(v))
    markdown.filters["front_title"] = front_title
    markdown.filters["safe_url"] = safe_url
    markdown.filters["anchor"] = anchor
    return markdown


@dataclass
class Rendered:
    """The docs folder's files, and the HTML fragments that the MkDocs hook puts into
    the built pages (``mkdocs_hooks.py``), keyed ``<page path>.<name>.html``."""

    docs: dict[str, bytes] = field(default_factory=dict)
    fragments: dict[str, bytes] = field(default_factory=dict)


def fragment_marker(name: str, digest: str) -> Markup:
    return Markup(f'<div class="jf-fragment" data-jf-fragment="{name}" '
                  f'data-jf-digest="{digest}"></div>')


@pass_context
def _fragment(context: Context, name: str) -> Markup:
    """Where a large table goes. Python-Markdown and the search plugin would parse its
    HTML for nothing (it is excluded from search), which is most of a large build's
    time; the hook inserts it after MkDocs has rendered the page. The digest makes the
    page's Markdown change whenever its table does, so incremental builds see it."""
    return fragment_marker(name, context["fragments"][name])


class Renderer:
    """Renders one page at a time (the build streams them); the environments and the
    list of each template's fragments are made once."""

    def __init__(self) -> None:
        self.markdown = environment()
        self.markdown.filters["fragment"] = _fragment
        self.fragment_templates: dict[str, list[str]] = {}

    def page(self, page: Page) -> tuple[bytes, dict[str, bytes]]:
        """The page's file content and its fragments (by ``<page path>.<name>.html``)."""
        fragments: dict[str, bytes] = {}
        if not page.template:
            text = json.dumps(page.data, ensure_ascii=False, sort_keys=True,
                              separators=(",", ":")) + "\n"
        else:
            stem = page.template.removesuffix(".md.j2")
            if stem not in self.fragment_templates:
                self.fragment_templates[stem] = sorted(
                    p.name for p in TEMPLATES.glob(f"{stem}.*.html.j2"))
            digests = {}
            for name in self.fragment_templates[stem]:
                part = name.removeprefix(f"{stem}.").removesuffix(".html.j2")
                html_bytes = self.markdown.get_template(name).render(
                    **page.context).encode("utf-8")
                fragments[f"{page.path}.{part}.html"] = html_bytes
                digests[part] = hashlib.blake2b(html_bytes, digest_size=8).hexdigest()
            text = self.markdown.get_template(page.template).render(**page.context,
                                                                    fragments=digests)
        return text.encode("utf-8"), fragments


def embedded(page: Page, content: bytes, fragments: dict[str, bytes]) -> bytes:
    """The page's file as the build writes it: a Markdown page with its fragments after
    it (``mkdocs_hooks.with_fragments``)."""
    if not fragments:
        return content
    prefix = page.path + "."
    return with_fragments(content.decode("utf-8"), {
        name.removeprefix(prefix).removesuffix(".html"): html.decode("utf-8")
        for name, html in fragments.items()}).encode("utf-8")


def render(pages: list[Page]) -> Rendered:
    """Every page's file content by path."""
    renderer = Renderer()
    out = Rendered()
    for page in pages:
        out.docs[page.path], fragments = renderer.page(page)
        out.fragments |= fragments
    return out
