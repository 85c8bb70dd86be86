"""Make untrusted text (model output, error bodies, tool arguments) safe to write to a terminal.

A model or a hostile server can send escape sequences that move the cursor, rewrite the screen, set
the window title or (on some terminals) write to the clipboard. We neutralise every C0 control
except newline and tab, DEL, and every C1 control. Each is one code point, so the function is
stateless and can be applied delta by delta on a stream.
"""

from __future__ import annotations

import re

# C0 controls but \t and \n; DEL; C1 controls (0x80-0x9F: U+009B alone is a CSI).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\r":
        # Dropping CR turns CRLF into LF, and a lone CR can no longer overwrite the line before it.
        return ""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control picture": ESC shows as ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def safe_terminal_text(text: str) -> str:
    """`text` with control characters made visible and harmless (\\n and \\t kept, \\r dropped)."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_visible, text)


def one_line(text: str, limit: int = 300) -> str:
    """Safe text squeezed onto one line (newlines and tabs become spaces), cut at `limit` chars."""
    flat = " ".join(safe_terminal_text(text).split())
    if len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat
