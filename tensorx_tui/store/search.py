"""Turning what a user types into a safe FTS5 query, and FTS5 snippets into plain text + offsets.

The user's text never reaches FTS5 as syntax. Every term becomes a quoted FTS5 string, so `AND`,
`NEAR(`, `col:`, `^`, `-`, parentheses and stray quotes are just words (or separators). Supported:

- words, all required (implicit AND): `sqlite wal`
- "quoted phrases": `"write ahead log"` (an unclosed quote runs to the end)
- prefixes: a trailing `*` on a word or a phrase: `migrat*`, `"write ahead"*`

All the terms must match within one message (or within the title). Matching ignores case in every
script and Latin diacritics ("cafe" finds "café"); a run of CJK characters is one word, so a part of
it is found as a prefix (`東京*`).
"""

from __future__ import annotations

import re
from typing import Final

from tensorx_tui.core.sanitize import blank_unsafe, line_in_place

# Private-use characters mark the matched terms in snippet() output; they are taken out again
# and turned into offsets, so the UI never sees or parses any markup.
MARK_START: Final = "\ue000"
MARK_END: Final = "\ue001"
_TERM = re.compile(r'"([^"]*)"?(\*?)|([^\s"]+)')
# A term must hold at least one character the unicode61 tokenizer keeps (letters, digits),
# otherwise it is an empty FTS5 string, which matches nothing in an AND.
_TOKEN_CHAR = re.compile(r"[^\W_]")


def match_query(text: str) -> str | None:
    """The FTS5 MATCH expression for `text`, or None when it holds nothing searchable."""
    terms: list[str] = []
    # NUL ends an FTS5 string early ("unterminated string"); no unsafe character is searchable.
    text = blank_unsafe(text)
    for m in _TERM.finditer(text):
        phrase, phrase_star, word = m.group(1), m.group(2), m.group(3)
        if word is not None:
            prefix = word.endswith("*")
            body = word.rstrip("*")
        else:
            prefix = bool(phrase_star)
            body = phrase
        if not _TOKEN_CHAR.search(body):
            continue
        quoted = '"' + body.replace('"', '""') + '"'
        terms.append(quoted + "*" if prefix else quoted)
    return " ".join(terms) if terms else None


# A backslash escape (CommonMark: before any ASCII punctuation), and runs of backticks (code spans,
# where a backslash is literal).
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_TICKS = re.compile(r"(`+)")


def unescape_markdown(text: str) -> str:
    """`temp\\_c` as the reader sees it rendered: `temp_c`. Replies are Markdown, snippets are
    plain text, so a model's escapes showed as stray backslashes. Inside a code span (as far as
    a snippet shows one) backslashes are literal and stay."""
    if "\\" not in text:
        return text
    out: list[str] = []
    code: str | None = None  # the backtick run that opened the code span we are in
    for piece in _TICKS.split(text):
        if piece.startswith("`"):
            if code is None:
                code = piece
            elif piece == code:
                code = None
            out.append(piece)
        else:
            out.append(piece if code is not None else _ESCAPE.sub(r"\1", piece))
    return "".join(out)


def split_marks(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Snippet text with MARK_START/MARK_END into (plain text, highlight spans); Markdown escapes
    read as the text they stand for, unsafe characters neutralised one for one."""
    marked = unescape_markdown(marked)
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in re.split(f"([{MARK_START}{MARK_END}])", marked):
        if piece == MARK_START:
            start = length
        elif piece == MARK_END:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        else:
            # Shown on one line, neutralised one character for one: the offsets stay right.
            piece = line_in_place(piece)
            plain.append(piece)
            length += len(piece)
    return "".join(plain), tuple(spans)
