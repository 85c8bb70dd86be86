"""The final shape of one assistant reply, whatever happened to the stream."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ReplyState(StrEnum):
    COMPLETE = "complete"
    # The stream ended (connection closed, no [DONE]) before any finish_reason was seen.
    INTERRUPTED = "interrupted"
    ERROR = "error"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class ToolCall:
    id: str | None
    name: str
    # Exactly what the model sent: the concatenated string, or the object if it sent an object.
    arguments: str | dict[str, Any] | list[Any]

    @property
    def arguments_text(self) -> str:
        """The arguments as text (objects are serialised), for display and for sending back."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)

    def parsed_arguments(self) -> tuple[Any, str | None]:
        """(value, None) when the arguments are valid JSON, else (None, the parse error)."""
        if not isinstance(self.arguments, str):
            return self.arguments, None
        try:
            return json.loads(self.arguments), None
        except ValueError as exc:
            return None, str(exc)
        except RecursionError:
            # Thousands of nested "[" (a runaway model or a hostile server) exhaust json's stack.
            return None, "nested too deeply to parse"

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id or "",
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_text},
        }


@dataclass(slots=True)
class Timings:
    """Monotonic-clock seconds; None when the moment never came."""

    request_sent: float | None = None
    first_byte: float | None = None
    first_token: float | None = None
    last_token: float | None = None
    finished: float | None = None

    @property
    def ttft_s(self) -> float | None:
        if self.request_sent is None or self.first_token is None:
            return None
        return self.first_token - self.request_sent

    @property
    def total_s(self) -> float | None:
        end = self.finished if self.finished is not None else self.last_token
        if self.request_sent is None or end is None:
            return None
        return end - self.request_sent

    @property
    def generation_s(self) -> float | None:
        if self.first_token is None or self.last_token is None:
            return None
        return self.last_token - self.first_token


@dataclass(slots=True)
class ErrorInfo:
    message: str
    status: int | None = None
    type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "status": self.status, "type": self.type}


@dataclass(slots=True)
class Reply:
    content: str = ""
    reasoning: str = ""
    # The model declined (`refusal` instead of `content`, OpenAI structured outputs and safety).
    refusal: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    state: ReplyState = ReplyState.INTERRUPTED
    error: ErrorInfo | None = None
    timings: Timings = field(default_factory=Timings)
    rate_limits: dict[str, str] = field(default_factory=dict)
    # Dollars, when the model's prices were known at the time of the reply (see core/cost.py):
    # set by whoever drives the stream, saved with the reply, never recomputed later.
    cost: float | None = None

    @property
    def refused(self) -> bool:
        """True when the model sent a refusal: the reply is not an (empty) answer."""
        return bool(self.refusal)

    def to_json(self) -> dict[str, Any]:
        """The `tensorx-chat ask --json` object (exactly these keys)."""
        return {
            "content": self.content,
            "reasoning": self.reasoning,
            "refusal": self.refusal or None,
            "tool_calls": [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls
            ],
            "finish_reason": self.finish_reason,
            "usage": self.usage,
            "model": self.model,
            "state": str(self.state),
            "error": self.error.to_json() if self.error else None,
            "timings": {"ttft_s": self.timings.ttft_s, "total_s": self.timings.total_s},
            "cost": self.cost,
        }

    def to_openai_message(self, *, reasoning_with_tool_calls: bool = True) -> dict[str, Any]:
        """The reply as an assistant message to send back in the next request."""
        # A refusal goes back as the text the model said: not every server knows `refusal`.
        text = self.content or self.refusal
        msg: dict[str, Any] = {"role": "assistant", "content": text or None}
        if self.tool_calls:
            msg["tool_calls"] = [c.to_openai() for c in self.tool_calls]
            if self.reasoning and reasoning_with_tool_calls:
                # DeepSeek in thinking mode answers 400 when tool calls come back without it;
                # elsewhere reasoning is not sent back (some servers reject unknown fields).
                msg["reasoning_content"] = self.reasoning
        return msg
