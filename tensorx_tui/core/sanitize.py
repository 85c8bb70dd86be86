"""The one sanitiser for untrusted text: replies, reasoning, tool names and results, error bodies,
titles, search snippets, model ids, JSON printed to a terminal.

A model or a hostile server can send escape sequences that move the cursor, rewrite the screen, set
the window title or (on some terminals) write to the clipboard; bidi controls that make a terminal
show later text reversed ("Trojan Source": "file\\u202etxt.exe" reads "fileexe.txt"); invisible
characters that hide text or make two names look alike. `UNSAFE` below is the one table of those
characters. Every surface is a function here, built from that table; a surface only says which of
them it keeps and what the others become:

    surface                        keeps                  the others become
    safe_terminal_text (prose)     \\n \\t ZWNJ ZWJ LRM RLM  CR dropped, U+2028/9 a newline,
                                                          the rest a visible symbol (␛, �)
    one_line                       nothing                line breaks and tabs a space (runs of
                                                          spaces squeezed), the rest a symbol
    line_in_place (snippets)       nothing                as one_line, one for one (offsets stay)
    blank_unsafe (saved titles,    nothing                a space each
      full-text queries)
    strip_unsafe (error text)      \\n \\t                removed
    terminal_safe_json             \\n \\t (layout: JSON    a \\uXXXX escape
                                   escapes them in strings)

Every replacement depends on one code point only, so a surface can be applied delta by delta on a
stream and gives the same result as on the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

# -- the one table ---------------------------------------------------------------------------------

# C0 controls (ESC starts every escape sequence, CR overwrites a line, BS erases) and DEL.
_C0: Final = frozenset(map(chr, (*range(0x00, 0x20), 0x7F)))
# C1 controls: U+009B alone is a CSI on many terminals, U+009D an OSC, U+0085 a line break (NEL).
_C1: Final = frozenset(map(chr, range(0x80, 0xA0)))
# Bidi embeddings and overrides (U+202A-202E) and isolates (U+2066-2069): they reorder what follows.
_BIDI: Final = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
# Invisible: zero width space, non-joiner, joiner, LRM, RLM, word joiner, BOM (zero width no-break).
_ZERO_WIDTH: Final = frozenset(map(chr, (*range(0x200B, 0x2010), 0x2060, 0xFEFF)))
# Line and paragraph separators: a line break no terminal agrees on.
_SEPARATORS: Final = frozenset(("\u2028", "\u2029"))

UNSAFE: Final[frozenset[str]] = _C0 | _C1 | _BIDI | _ZERO_WIDTH | _SEPARATORS
"""Every character that must not reach a terminal as itself (unless a surface keeps it)."""

# What flows text to the next line or column: a space on a one-line surface.
_LINE_BREAKS: Final = frozenset("\n\r\t\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")

# The prose surface keeps newline and tab, and the joiners and direction marks that real text
# needs and that cannot reorder anything: ZWJ builds emoji sequences (👩‍💻) and Indic conjuncts,
# ZWNJ is part of ordinary Persian spelling, LRM/RLM place punctuation in right-to-left text.
PROSE_KEEPS: Final[frozenset[str]] = frozenset("\n\t\u200c\u200d\u200e\u200f")
ERROR_TEXT_KEEPS: Final[frozenset[str]] = frozenset("\n\t")
# json.dumps writes newline and tab raw only as layout between values (inside a string it escapes
# every C0 control), so escaping them would break the JSON and they are never unsafe there.
JSON_KEEPS: Final[frozenset[str]] = frozenset("\n\t")


def _char_class(chars: Iterable[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


_ANY_UNSAFE: Final = _char_class(UNSAFE)
_JSON_UNSAFE: Final = _char_class(UNSAFE - JSON_KEEPS)


def _visible(char: str) -> str:
    """A visible, inert stand-in of one code point: ESC shows as ␛, DEL as ␡, the rest as �."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures"
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def _surface(
    *,
    keep: Iterable[str] = (),
    special: Mapping[str, str | None] | None = None,
    default: str | None = None,
) -> dict[int, str | None]:
    """A `str.translate` table over UNSAFE: kept characters are left out of it, `special` ones map
    as given (None deletes), the rest to `default` (None: their visible stand-in)."""
    kept, special = frozenset(keep), special or {}
    table: dict[int, str | None] = {}
    for char in UNSAFE - kept:
        if char in special:
            table[ord(char)] = special[char]
        else:
            table[ord(char)] = default if default is not None else _visible(char)
    return table


# Dropping CR turns CRLF into LF, and a lone CR can no longer overwrite the line before it.
_PROSE: Final = _surface(keep=PROSE_KEEPS, special={"\r": None, "\u2028": "\n", "\u2029": "\n"})
_LINE: Final = _surface(special=dict.fromkeys(_LINE_BREAKS, " "))
_BLANK: Final = _surface(default=" ")
_STRIP: Final = _surface(keep=ERROR_TEXT_KEEPS, special=dict.fromkeys(UNSAFE))


def _apply(text: str, table: dict[int, str | None]) -> str:
    if not _ANY_UNSAFE.search(text):
        return text  # the common case: no copy
    return text.translate(table)


# -- the surfaces ----------------------------------------------------------------------------------


def safe_terminal_text(text: str) -> str:
    """Prose (a reply, reasoning, a tool result, an error body) with every unsafe character made
    visible and harmless; newline, tab and the joiners kept, CR dropped."""
    return _apply(text, _PROSE)


def one_line(text: str, limit: int = 300) -> str:
    """Safe text squeezed onto one line (line breaks and tabs become spaces), cut at `limit`."""
    flat = " ".join(_apply(text, _LINE).split())
    if len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat


def line_in_place(text: str) -> str:
    """As `one_line`, but one character for one, nothing squeezed or cut: offsets into `text`
    (a search snippet's highlights) stay right."""
    return _apply(text, _LINE)


def blank_unsafe(text: str) -> str:
    """Every unsafe character a space, one for one: for text that is saved or parsed as plain
    words (a title, a full-text query), where a visible stand-in would be noise."""
    return _apply(text, _BLANK)


def strip_unsafe(text: str) -> str:
    """Every unsafe character removed but newline and tab: for error text, which is saved and
    shown many times (escape *sequences* are removed whole before this, in core.errors)."""
    return _apply(text, _STRIP)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal_safe_json(text: str) -> str:
    """JSON text (from json.dumps) with every unsafe character written as a \\uXXXX escape: the
    same JSON value, inert on a terminal. json.dumps(ensure_ascii=False) escapes only C0
    controls, so DEL, C1 (U+009B is a CSI) and bidi overrides came out raw."""
    if not _JSON_UNSAFE.search(text):
        return text
    return _JSON_UNSAFE.sub(_json_escape, text)
