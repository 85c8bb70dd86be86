"""Rich renderables for message bodies: formatted Markdown, and plain text for still-open blocks.

Why rich's Markdown inside one `Static` instead of Textual's `Markdown` widget: Textual builds a
widget per block, four per list item and one per table cell, so one long reply is ~1,000 widgets and
every relayout walks them all. A `Static` per rendered piece keeps a streaming reply at a handful of
widgets and a finished one at exactly one. The text is parsed as Markdown, never as console markup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, ClassVar

from markdown_it import MarkdownIt
from pygments.token import Text as PygmentsText  # type: ignore[import-untyped]
from rich.markdown import Heading, Markdown
from rich.padding import Padding
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text

_FENCE_LINE = re.compile(r" {0,3}(?:`{3,}|~{3,})")


class _LeftHeading(Heading):
    """Headings aligned left: a centred h1 looks lost in a chat column."""

    LEVEL_ALIGN: ClassVar = dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), "left")


def chat_parser() -> MarkdownIt:
    """CommonMark + tables + strikethrough, with raw HTML off: rich drops HTML tokens, so with it on
    "Vec<String>" showed as "Vec" and a <div> block vanished. Off, tags are plain text."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


_PARSER = chat_parser()  # parsing keeps no state in the parser: one serves every render


class ChatMarkdown(Markdown):
    # Links show their target as text ("label (url)"), not clickable: nothing opens by itself.
    elements: ClassVar = {**Markdown.elements, "heading_open": _LeftHeading}

    def __init__(self, markup: str, code_theme: str = "monokai", **kwargs: Any) -> None:
        # Not rich's __init__: it builds a MarkdownIt parser (HTML on) on every call, and a
        # streaming reply is rendered ~15 times a second. These are the attributes it sets
        # (pinned by a test, so a rich upgrade that adds one fails loudly).
        self.markup = markup
        self.parsed = _PARSER.parse(markup)
        self.code_theme = code_theme
        self.justify = kwargs.get("justify")
        self.style = kwargs.get("style", "none")
        self.hyperlinks = kwargs.get("hyperlinks", True)
        self.inline_code_lexer = kwargs.get("inline_code_lexer")
        self.inline_code_theme = kwargs.get("inline_code_theme") or code_theme


def code_theme(*, dark: bool) -> str:
    return "monokai" if dark else "default"


def formatted(text: str, *, dark: bool) -> ChatMarkdown:
    return ChatMarkdown(text, code_theme=code_theme(dark=dark), hyperlinks=False)


def plain_code(text: str, *, dark: bool, top: bool = True, bottom: bool = True) -> Padding:
    """A fence still streaming: code on its final background, unhighlighted (that happens once,
    when it closes). The same box as rich's code block (a Syntax with padding 1) so that closing
    it changes colours, not the layout; `top`/`bottom` leave out the padding between pieces of
    one fence. Plain Text, not a Syntax with a "text" lexer: that cost 2.4x as much per flush."""
    lines = [line for line in text.splitlines() if not _FENCE_LINE.match(line)]
    base, background = _code_styles(code_theme(dark=dark))
    code = Text("\n".join(lines).rstrip(), style=base + background, end="")
    return Padding(code, (int(top), 1, int(bottom), 1), style=background)


@lru_cache(maxsize=4)
def _code_styles(theme: str) -> tuple[Style, Style]:
    """(text style, background style) of rich's code blocks in `theme`."""
    syntax_theme = Syntax.get_theme(theme)
    return syntax_theme.get_style_for_token(PygmentsText), syntax_theme.get_background_style()


def plain(text: str) -> Text:
    """Markdown source of a very long open block, shown as it is until the block closes."""
    return Text(text.rstrip("\n"), end="")
