"""What one tool call gives back, as text for the model.

Works on the SDK's content blocks by their attributes, so this module (and the outcome type the
engine imports) never loads the MCP SDK.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NO_OUTPUT = "(no output)"


@dataclass(frozen=True)
class ToolOutcome:
    """The result of `ToolServers.call()`: always a value, never an exception or a hang."""

    content: str
    """Text for the model: text parts joined; images, audio and resources named, not inlined.
    Untrusted: sanitise before showing it on a terminal."""
    is_error: bool
    """The tool said so (MCP `isError`), or the call timed out, or the server failed or stopped."""
    duration_s: float
    server: str
    tool: str

    def meta(self, approval: str) -> dict[str, Any]:
        """What the store keeps beside a tool result (`ChatEngine.add_tool_result(meta=...)`);
        `approval` says how the call was allowed, e.g. "allow-list", "session", "asked"."""
        return {
            "server": self.server,
            "tool": self.tool,
            "approval": approval,
            "duration_s": round(self.duration_s, 3),
            "is_error": self.is_error,
        }


def content_text(parts: Sequence[Any], structured: Any = None) -> str:
    """The text the model gets for a call result's content blocks."""
    pieces = [_part_text(part) for part in parts]
    if not pieces and structured is not None:
        # A server that answers only with structured content still has something to say.
        return json.dumps(structured, ensure_ascii=False)
    return "\n".join(pieces) if pieces else NO_OUTPUT


def _part_text(part: Any) -> str:
    kind = getattr(part, "type", None)
    if kind == "text":
        return str(part.text)
    if kind in ("image", "audio"):
        return f"[{kind}: {part.mime_type}, {_size(_base64_length(part.data))}]"
    if kind == "resource_link":
        return f"[resource: {part.uri}]"
    if kind == "resource":
        resource = part.resource
        text = getattr(resource, "text", None)
        if isinstance(text, str):
            # Embedded text is text: the model can read it, so it gets it after the name.
            return f"[resource: {resource.uri}]\n{text}"
        mime = getattr(resource, "mime_type", None) or "binary"
        blob = getattr(resource, "blob", "") or ""
        return f"[resource: {resource.uri}, {mime}, {_size(_base64_length(blob))}]"
    return f"[{kind or 'unknown'} content]"


def _base64_length(data: str) -> int:
    """Bytes encoded by a base64 string, without decoding it."""
    stripped = data.strip()
    return max(0, len(stripped) * 3 // 4 - stripped[-2:].count("="))


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{round(count / 1024)} KB"
    return f"{count / (1024 * 1024):.1f} MB"
