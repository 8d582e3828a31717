"""Text from the data, made safe for where it is shown: Markdown (the bulletin's pages
and the pull-request comment). Every value passes through here; nothing in a name, a
note or an id can become markup, a link or a table cell."""

from __future__ import annotations

from markupsafe import Markup

# Characters with a meaning in Markdown (or in the extensions we enable, or in HTML),
# written as character references so that they can only ever be text.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~<>\"':$^="}
_MD_SPECIAL["&"] = "&amp;"
_MD_TABLE = str.maketrans(_MD_SPECIAL | {"\n": " ", "\r": " ", "\t": " "})


def md_escape(value: object) -> str:
    """Data as Markdown text: nothing in it can become markup, a link or a table cell."""
    if isinstance(value, str) and value.__class__ is str and value.isalnum():
        return value  # the common case: a name, an id
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
