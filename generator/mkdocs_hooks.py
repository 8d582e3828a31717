"""MkDocs hook of the bulletin: put each page's large tables in after rendering.

``jifen build`` writes a page's big tables as HTML fragments next to the docs
folder (``<work>/fragments/<page>.<name>.html``) and leaves a marker in the
Markdown (see ``render._fragment``). This hook replaces each marker in the
rendered page with its fragment, so Python-Markdown and the search plugin never
parse those tables. It works the same under ``mkdocs build`` and ``mkdocs serve``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MARKER = re.compile(r'<div class="jf-fragment" data-jf-fragment="([a-z_]+)" '
                    r'data-jf-digest="[0-9a-f]+"></div>')


def on_post_page(output: str, page: Any, config: Any) -> str:
    fragments = Path(config["docs_dir"]).parent / "fragments"
    source = page.file.src_uri

    def insert(match: re.Match[str]) -> str:
        return (fragments / f"{source}.{match.group(1)}.html").read_text("utf-8")

    return MARKER.sub(insert, output)
