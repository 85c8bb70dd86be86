"""What one chat-completion request carries, and its JSON payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ChatRequest:
    model: str
    # OpenAI-format messages: {"role": ..., "content": ...}, assistant tool_calls, tool results.
    messages: list[dict[str, Any]]
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    # Anything else the endpoint understands (presence_penalty, response_format, ...).
    extra: dict[str, Any] = field(default_factory=dict)

    def payload(self, *, stream: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": self.messages}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        optional: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "stop": self.stop,
            "tools": self.tools or None,
            "tool_choice": self.tool_choice if self.tools else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        body.update(self.extra)
        return body


def with_system(system: str | None, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with the system prompt first (when there is one)."""
    if not system:
        return list(messages)
    return [{"role": "system", "content": system}, *messages]
