"""One tool call as it is assembled from stream fragments: its text kept as parts, joined only
when read (the accumulator's hot path appends)."""

from __future__ import annotations

import json
from typing import Any

from tensorx_tui.core.reply import ToolCall

_loads = json.loads


class CallParts:
    """One tool call being assembled."""

    __slots__ = ("id", "length", "name", "obj", "parts")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name: str | None = None
        self.parts: list[str] = []
        self.length = 0
        self.obj: dict[str, Any] | list[Any] | None = None

    def text(self) -> str:
        return joined(self.parts)

    def is_complete_json(self) -> bool:
        if self.obj is not None:
            return True
        # Cheap test first: tool arguments are objects, so complete ones end with a bracket.
        last = next((part for part in reversed(self.parts) if part.strip()), "")
        if last.rstrip()[-1:] not in ("}", "]"):
            return False
        try:
            _loads(self.text())
        except (ValueError, RecursionError):
            return False
        return True

    def to_tool_call(self) -> ToolCall:
        arguments = self.obj if self.obj is not None else self.text()
        return ToolCall(id=self.id, name=self.name or "", arguments=arguments)


def joined(parts: list[str]) -> str:
    if len(parts) > 1:
        parts[:] = ["".join(parts)]  # in place: the accumulator appends to this very list
    return parts[0] if parts else ""
