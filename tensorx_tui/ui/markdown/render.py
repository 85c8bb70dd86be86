"""Rich renderables for message bodies: formatted Markdown, and plain text for still-open blocks.

Why rich's Markdown inside one `Static` instead of Textual's `Markdown` widget: Textual builds a
widget per block, four per list item and one per table cell, so one long reply is ~1,000 widgets and
every relayout walks them all. A `Static` per rendered piece keeps a streaming reply at a handful of
widgets and a finished one at exactly one. The text is parsed as Markdown, never as console markup.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from markdown_it import MarkdownIt
from rich.markdown import Heading, Markdown
from rich.text import Text

_FENCE_LINE = re.compile(r" {0,3}(?:`{3,}|~{3,})")


class _LeftHeading(Heading):
    """Headings aligned left: a centred h1 looks lost in a chat column."""

    LEVEL_ALIGN: ClassVar = dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), "left")


def chat_parser() -> MarkdownIt:
    """CommonMark + tables + strikethrough, with raw HTML off: rich drops HTML tokens, so with it on
    "Vec<String>" showed as "Vec" and a <div> block vanished. Off, tags are plain text."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


class ChatMarkdown(Markdown):
    # Links show their target as text ("label (url)"), not clickable: nothing opens by itself.
    elements: ClassVar = {**Markdown.elements, "heading_open": _LeftHeading}

    def __init__(self, markup: str, **kwargs: Any) -> None:
        # rich builds its own (HTML-on) parser; parse "" there, then the real text with ours.
        super().__init__("", **kwargs)
        self.markup = markup
        self.parsed = chat_parser().parse(markup)


def formatted(text: str, *, dark: bool) -> ChatMarkdown:
    return ChatMarkdown(
        text,
        code_theme="monokai" if dark else "default",
        hyperlinks=False,
    )


def plain_code(text: str, *, dark: bool) -> Text:
    """A fence still streaming: code on a code background, unhighlighted (that happens once)."""
    lines = [line for line in text.splitlines() if not _FENCE_LINE.match(line)]
    style = "#f8f8f2 on #272822" if dark else "#202020 on #f0f0f0"
    return Text("\n".join(lines), style=style, end="")


def plain(text: str) -> Text:
    """Markdown source of a very long open block, shown as it is until the block closes."""
    return Text(text.rstrip("\n"), end="")
