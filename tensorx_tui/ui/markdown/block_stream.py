"""Cutting a growing Markdown text into closed blocks, frozen drafts and a small open tail.

Pure logic, no widgets. Why it exists: Textual's `Markdown.append` re-parses (and re-renders) the
whole last top-level block on every append, so a 400-line code fence, a 200-item list or a 24 kB
paragraph that is still streaming costs more with every token. Here the work per flush is bounded:

- a top-level block is *closed* once a later block has started; closed text is rendered once;
- the *open* (last) block is parsed again on each flush, but once it grows past a limit its complete
  part is *frozen* into draft pieces shown as plain text, and only a bounded window (the block's
  opening lines for context + the unfrozen rest) is parsed to notice when the block closes;
- when the block closes, its drafts are replaced by one formatted render (a fence is highlighted
  once, at that moment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from tensorx_tui.ui.markdown.render import chat_parser

# Past these sizes the open block stops being re-rendered as a whole.
FREEZE_CHARS = 1500
FREEZE_LINES = 24

_LIST_TOKENS = ("bullet_list_open", "ordered_list_open")
_ITEM_START = re.compile(r" {0,3}(?:[-+*]|\d{1,9}[.)])(?: |\t|$)")
_QUOTE_START = re.compile(r" {0,3}>")

_KIND_BY_TOKEN = {
    "fence": "fence",
    "code_block": "code",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "paragraph_open": "paragraph",
    "blockquote_open": "quote",
    "heading_open": "heading",
}


def new_parser() -> MarkdownIt:
    """The same dialect the renderer uses (CommonMark + tables + strikethrough, no raw HTML)."""
    return chat_parser()


@dataclass(slots=True)
class Flush:
    """What changed since the previous flush.

    `closed`: newly closed text to render formatted (replacing all draft pieces when `drop_drafts`).
    `drafts`: newly frozen pieces of the open block, shown plain. `tail`: the open block's rest.
    `tail_kind`: the open block's kind ("fence", "list", "table", "paragraph", ...).
    `drafting`: the open block is in draft mode (its tail is shown plain too).
    """

    closed: list[str] = field(default_factory=list)
    drop_drafts: bool = False
    drafts: list[str] = field(default_factory=list)
    tail: str = ""
    tail_kind: str = ""
    drafting: bool = False


def _line_offset(text: str, line: int) -> int:
    """Char offset where 0-based `line` starts (len(text) if the text has fewer lines)."""
    pos = 0
    for _ in range(line):
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    return pos


class MarkdownBlockStream:
    """Feed text with `feed`, call `flush` at most ~20 times a second, `finish` at the end."""

    def __init__(self) -> None:
        self._parser = new_parser()
        self._pending: list[str] = []
        self.text = ""
        self._committed = 0  # text[:committed] is closed and rendered
        self._frozen = 0  # text[committed:frozen] is drafted (plain pieces)
        self._kind = ""
        self._context = ""  # opening lines of a drafted block, prepended to the window it parses

    def feed(self, chunk: str) -> None:
        self._pending.append(chunk)

    @property
    def full_text(self) -> str:
        """Everything fed so far, flushed or not."""
        return self.text + "".join(self._pending)

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def _take_pending(self) -> None:
        if self._pending:
            self.text += "".join(self._pending)
            self._pending.clear()

    def flush(self) -> Flush:
        self._take_pending()
        out = Flush()
        drafting = self._frozen > self._committed
        base = self._frozen if drafting else self._committed
        window = self._context + self.text[base:] if drafting else self.text[base:]
        starts = [
            (t.map[0], t.type)
            for t in self._parser.parse(window)
            if t.level == 0 and t.map is not None and t.nesting >= 0
        ]
        # A list is closed by the start of another block on a complete line only: after a blank
        # line, an incomplete "1" or "-" may yet become an item that continues the list.
        closing = starts
        if len(starts) >= 2 and starts[-2][1] in _LIST_TOKENS:
            complete = window.count("\n")
            closing = [start for start in starts if start[0] < complete]
        if len(closing) >= 2:
            last_line = closing[-1][0]
            cut = base + _line_offset(window, last_line) - (len(self._context) if drafting else 0)
            if cut > self._committed:
                out.closed.append(self.text[self._committed : cut])
                out.drop_drafts = drafting
                self._committed = self._frozen = cut
                self._context = ""
                drafting = False
        if not drafting:
            self._kind = _KIND_BY_TOKEN.get(starts[-1][1], "other") if starts else ""
        self._freeze_if_long(out, drafting)
        out.drafting = self._frozen > self._committed
        out.tail = self.text[max(self._frozen, self._committed) :]
        out.tail_kind = self._kind
        return out

    def _freeze_if_long(self, out: Flush, drafting: bool) -> None:
        start = self._frozen if drafting else self._committed
        rest = self.text[start:]
        if len(rest) < FREEZE_CHARS and rest.count("\n") < FREEZE_LINES:
            return
        cut = self._freeze_point(rest, first=not drafting)
        if cut <= 0:
            return
        if not drafting:
            self._context = self._opening_lines(rest)
        out.drafts.append(rest[:cut])
        self._frozen = start + cut

    def _opening_lines(self, block: str) -> str:
        """Lines that make the rest of a drafted block parse as the same kind of block."""
        lines = block.splitlines(keepends=True)
        if self._kind == "fence":
            return lines[0]
        if self._kind == "table":
            return "".join(lines[:2])
        return ""

    def _freeze_point(self, rest: str, *, first: bool) -> int:
        """The last offset in `rest` where the block may be cut so its remainder parses the same."""
        kind = self._kind
        header = len(self._opening_lines(rest)) if first else 0
        pos = rest.rfind("\n")
        while pos >= 0:
            cut = pos + 1
            nxt = rest[cut : rest.find("\n", cut) if rest.find("\n", cut) >= 0 else len(rest)]
            if cut > header and cut < len(rest) and self._can_start_window(kind, nxt):
                return cut
            pos = rest.rfind("\n", 0, pos)
        if kind == "paragraph":
            # One very long line: cut after a space before a letter, so the rest stays a paragraph.
            for m in re.finditer(r" (?=[^\W\d_])", rest[len(rest) // 2 :]):
                return len(rest) // 2 + m.end()
        return 0

    @staticmethod
    def _can_start_window(kind: str, line: str) -> bool:
        if kind == "list":
            return _ITEM_START.match(line) is not None
        if kind == "quote":
            return _QUOTE_START.match(line) is not None
        if kind == "paragraph":
            return bool(line) and line[0].isalpha()
        return kind in ("fence", "table", "code", "other")

    def finish(self) -> Flush:
        """Everything left is closed."""
        self._take_pending()
        out = Flush()
        rest = self.text[self._committed :]
        if rest:
            out.closed.append(rest)
        out.drop_drafts = self._frozen > self._committed
        self._committed = self._frozen = len(self.text)
        self._context = ""
        return out
