"""Make untrusted text (model output, error bodies, tool arguments) safe to write to a terminal.

A model or a hostile server can send escape sequences that move the cursor, rewrite the screen, set
the window title or (on some terminals) write to the clipboard. We neutralise every C0 control
except newline and tab, DEL, every C1 control, and the bidi override controls. Each is one code
point, so the function is stateless and can be applied delta by delta on a stream.
"""

from __future__ import annotations

import re

# C0 controls but \t and \n; DEL; C1 controls (0x80-0x9F: U+009B alone is a CSI); the bidi
# embedding/override/isolate controls, which make bidi-aware terminals show later text reversed
# ("Trojan Source": "file\u202etxt.exe" reads "fileexe.txt"). RTL letters and marks are kept.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal_safe_json(text: str) -> str:
    """JSON text (from json.dumps) with the characters `safe_terminal_text` neutralises written as
    \\uXXXX escapes: the same JSON value, inert on a terminal. json.dumps(ensure_ascii=False)
    escapes only C0 controls, so DEL, C1 (U+009B is a CSI) and bidi overrides came out raw."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_json_escape, text)


def one_line(text: str, limit: int = 300) -> str:
    """Safe text squeezed onto one line (newlines and tabs become spaces), cut at `limit` chars."""
    flat = " ".join(safe_terminal_text(text).split())
    if len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat
