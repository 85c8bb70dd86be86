"""Neutralising untrusted text (model output, tool names/arguments, error bodies) for the terminal.

One rule for the whole app, so this defers to `core.sanitize.safe_terminal_text`: control
characters (ESC included, so no escape sequence survives) become visible, harmless symbols;
newline and tab stay.
It works per code point, so the result does not depend on how a stream was cut into chunks.
"""

from __future__ import annotations

from tensorx_tui.core.sanitize import safe_terminal_text


def safe_text(text: str) -> str:
    """`text` with control characters and escape sequences neutralised (newline and tab kept)."""
    return safe_terminal_text(text)
