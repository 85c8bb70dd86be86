"""A user message with attachments, as sent: OpenAI content parts.

    user_content("what is this?", [png, notes])
    -> [{"type": "text", "text": "what is this?\n\nAttached file: notes.py (812 bytes)\n…"},
        {"type": "image_url", "image_url": {"url": DataURL("image/png", b"…")}}]

Text files go inside the text part as named, fenced blocks (a fence longer than any backtick run in
the file, the language from the extension), so every model reads them; images go as image parts.
An image's URL is a `DataURL`: the bytes, base64-encoded only while the request body is written
(core/request_body.py), never held as one big string.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from typing import Any, Final

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.markdown_quoting import fence_for

FILE_HEADER: Final = "Attached file: {name} ({size} bytes)"
# Raw bytes per base64 piece: a multiple of 3, so pieces join without padding in between.
_PIECE: Final = 3 * 64 * 1024

LANGUAGES: Final = {
    "py": "python", "pyi": "python", "js": "javascript", "mjs": "javascript", "ts": "typescript",
    "tsx": "tsx", "jsx": "jsx", "rs": "rust", "go": "go", "c": "c", "h": "c", "cc": "cpp",
    "cpp": "cpp", "hpp": "cpp", "java": "java", "kt": "kotlin", "rb": "ruby", "php": "php",
    "sh": "bash", "bash": "bash", "zsh": "zsh", "fish": "fish", "ps1": "powershell",
    "sql": "sql", "html": "html", "htm": "html", "css": "css", "scss": "scss", "xml": "xml",
    "svg": "xml", "json": "json", "jsonl": "json", "yaml": "yaml", "yml": "yaml",
    "toml": "toml", "ini": "ini", "cfg": "ini", "md": "markdown", "markdown": "markdown",
    "rst": "rst", "tex": "latex", "lua": "lua", "swift": "swift", "cs": "csharp",
    "scala": "scala", "hs": "haskell", "ex": "elixir", "exs": "elixir", "erl": "erlang",
    "clj": "clojure", "r": "r", "pl": "perl", "dart": "dart", "vue": "vue", "diff": "diff",
    "patch": "diff", "csv": "csv", "log": "text", "txt": "text", "dockerfile": "dockerfile",
    "makefile": "makefile", "tf": "hcl", "nix": "nix", "zig": "zig",
}  # fmt: skip


class DataURL:
    """`data:<mime>;base64,<the bytes>` without building the string: `length` and `pieces()`."""

    __slots__ = ("data", "mime")

    def __init__(self, mime: str, data: bytes) -> None:
        self.mime = mime
        self.data = data

    @property
    def prefix(self) -> str:
        return f"data:{self.mime};base64,"

    @property
    def length(self) -> int:
        """Characters (and bytes: it is ASCII) of the whole URL."""
        return len(self.prefix) + 4 * ((len(self.data) + 2) // 3)

    def pieces(self) -> Iterator[bytes]:
        """The URL as ASCII bytes, a few hundred kB at a time."""
        yield self.prefix.encode("ascii")
        view = memoryview(self.data)
        for start in range(0, len(view), _PIECE):
            yield base64.b64encode(view[start : start + _PIECE])

    def __str__(self) -> str:
        return b"".join(self.pieces()).decode("ascii")

    def __repr__(self) -> str:
        return f"DataURL({self.mime!r}, <{len(self.data)} bytes>)"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DataURL):
            return self.mime == other.mime and self.data == other.data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def language_for(name: str) -> str:
    lower = name.lower()
    if lower in LANGUAGES:  # Dockerfile, Makefile
        return LANGUAGES[lower]
    _, dot, ext = lower.rpartition(".")
    return LANGUAGES.get(ext, "") if dot else ""


def fenced_file(attachment: Attachment) -> str:
    text = attachment.text()
    fence = fence_for(text)
    header = FILE_HEADER.format(name=attachment.name, size=attachment.size)
    newline = "" if text.endswith("\n") or not text else "\n"
    return f"{header}\n{fence}{language_for(attachment.name)}\n{text}{newline}{fence}"


def user_text(text: str, attachments: Sequence[Attachment]) -> str:
    """The text part: the message, then each text file as a named, fenced block."""
    files = [fenced_file(a) for a in attachments if a.kind == "text"]
    return "\n\n".join([text, *files] if text else files)


def user_content(text: str, attachments: Sequence[Attachment]) -> str | list[dict[str, Any]]:
    """A user message's `content`: the plain text, or parts when something is attached."""
    if not attachments:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": user_text(text, attachments)}]
    parts.extend(
        {"type": "image_url", "image_url": {"url": DataURL(a.mime, a.data)}}
        for a in attachments
        if a.kind == "image"
    )
    return parts
