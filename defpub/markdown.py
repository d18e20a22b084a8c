"""Markdown for disclosure descriptions, one renderer for the preview, the page and the PDF.

CommonMark with tables and strikethrough; raw HTML is escaped by the parser and nh3 cleans
the result. Images never load: a description must not make a reader's browser (or the PDF
renderer) fetch from elsewhere, so an image shows as its alt text and address, and figures
are uploaded as attachments instead.
"""

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

_TAGS = nh3.ALLOWED_TAGS - {"img", "map", "area"}


def _image_as_text(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = escapeHtml(self.renderInlineAsText(token.children or [], options, env))
    src = escapeHtml(str(token.attrGet("src") or ""))
    return f"<em>[image: {alt} — {src}]</em>"


_parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_parser.add_render_rule("image", _image_as_text)


def render_markdown(text: str) -> str:
    """Safe HTML for `text`; the caller may mark it safe."""
    return nh3.clean(
        _parser.render(text or ""),
        tags=_TAGS,
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        link_rel="nofollow noopener noreferrer",
    )
