"""Render: pages (data) through the Jinja2 templates in ``site_templates/`` to bytes.

Escaping is the default, not a habit: every ``{{ value }}`` in a Markdown
template passes through ``md_escape`` unless the template marks it otherwise,
so a name like ``<script>`` or ``*张三* | [x](javascript:...)`` renders as
text, in tables too. Links are built by the ``link`` filter from page paths,
which the generator controls. SVG templates use XML escaping. JSON twins are
written with sorted keys, so output is byte-identical for the same data.
"""

from __future__ import annotations

import html
import json
import posixpath
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from generator.site import Page

TEMPLATES = Path(__file__).resolve().parent.parent / "site_templates"

# Characters with a meaning in Markdown (or in the extensions we enable, or in HTML),
# written as character references so that they can only ever be text.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~<>\"':$^="}
_MD_SPECIAL["&"] = "&amp;"
_MD_TABLE = str.maketrans(_MD_SPECIAL | {"\n": " ", "\r": " ", "\t": " "})


def md_escape(value: object) -> str:
    """Data as Markdown text: nothing in it can become markup, a link or a table cell."""
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return str(value)
    text = str(value).translate(_MD_TABLE)
    # A leading "-", "." or digit run could start a list; leading spaces a code block.
    return text.strip(" ")


def _finalize(value: object) -> object:
    return value if isinstance(value, Markup) else md_escape(value)


def link(target: str, page: str) -> Markup:
    """A relative link from ``page`` to ``target`` (both paths in the docs folder)."""
    relative = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return Markup(relative)


def signed(value: int | None) -> Markup:
    return Markup("—" if value is None else f"{value:+d}" if value else "0")


def front_title(value: str) -> Markup:
    """A page title for the front matter. MkDocs themes print titles without escaping
    them (in <title>, the navigation, the search index), so the title is HTML-escaped
    here and quoted as a YAML string."""
    return Markup(json.dumps(html.escape(value), ensure_ascii=False))


def environment() -> tuple[Environment, Environment]:
    """(Markdown environment, SVG environment)."""
    loader = FileSystemLoader(str(TEMPLATES))
    markdown = Environment(loader=loader, autoescape=False, finalize=_finalize,
                           undefined=StrictUndefined, keep_trailing_newline=True,
                           trim_blocks=True, lstrip_blocks=True)
    markdown.filters["link"] = link
    markdown.filters["signed"] = signed
    markdown.filters["md"] = lambda v: Markup(md_escape(v))
    markdown.filters["front_title"] = front_title
    svg = Environment(loader=loader, autoescape=select_autoescape(["svg.j2"], default=True),
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True)
    return markdown, svg


def render(pages: list[Page]) -> dict[str, bytes]:
    """Every page's file content by path."""
    markdown, svg = environment()
    out: dict[str, bytes] = {}
    for page in pages:
        if not page.template:
            text = json.dumps(page.data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        else:
            env = svg if page.template.endswith(".svg.j2") else markdown
            text = env.get_template(page.template).render(**page.context)
        out[page.path] = text.encode("utf-8")
    return out
