"""Paths typed or pasted into the prompt (no Textual here, so the rules are unit-tested).

- `@path` attaches a file: `at_token` finds the one being typed (for completion as you type);
  `attach_tokens` finds, when the message is sent, every `@token` that names an existing file.
  `@someone` that names no file stays text.
- A pasted path to an image (plain, quoted, or a file:// URL, as file managers copy them) is
  offered as an attachment: `pasted_image_path`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tensorx_tui.core.image_info import sniff_image
from tensorx_tui.ui.path_completion import expand

_AT_TYPING = re.compile(r"(?:^|(?<=\s))@(\S*)$")
_AT_ANY = re.compile(r"(?:^|(?<=\s))@(\S+)")


def at_token(before_cursor: str) -> str | None:
    """The path after an `@` that ends at the cursor ("" right after the @), or None."""
    match = _AT_TYPING.search(before_cursor)
    return match.group(1) if match else None


def attach_tokens(text: str, cwd: Path) -> list[tuple[str, Path]]:
    """Every `@token` of `text` naming an existing file: (the token with its @, the path)."""
    found = []
    for match in _AT_ANY.finditer(text):
        path = expand(match.group(1), cwd)
        if path.is_file():
            found.append((match.group(0), path))
    return found


def pasted_image_path(text: str, cwd: Path) -> Path | None:
    """The image file a paste names, or None (any other paste is just text)."""
    text = text.strip()
    if not text or "\n" in text or len(text) > 4096:
        return None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if text.startswith("file://"):
        text = unquote(urlsplit(text).path)
    path = expand(text, cwd)
    try:
        if not path.is_file():
            return None
        with open(path, "rb") as handle:
            head = handle.read(16)
    except (OSError, ValueError):
        return None
    return path if sniff_image(head) else None
