"""A scripted model for the tool-loop tests and benchmark: every request is answered with one
tool call (through the real accumulator), until `stop_after` requests, then with text."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from tensorx_tui.core.accumulator import Accumulator
from tensorx_tui.core.events import Finished, StreamEvent
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.request import ChatRequest


class ScriptedStream:
    """A reply stream from chunk dicts (through the real accumulator)."""

    def __init__(self, chunks: list[dict[str, Any]], model: ToolCallingModel | None = None) -> None:
        self.acc = Accumulator()
        self.chunks = chunks
        self.model = model

    @property
    def reply(self) -> Reply:
        return self.acc.reply

    async def __aenter__(self) -> ScriptedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.acc.finish(ReplyState.CANCELLED)

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        for chunk in self.chunks:
            for event in self.acc.feed(chunk):
                if isinstance(event, Finished) and self.model is not None:
                    self.model.finished_at.append(time.perf_counter())
                yield event
        self.acc.finish()


def tool_call_chunks(name: str, arguments: dict[str, Any], call_id: str) -> list[dict[str, Any]]:
    call = {"index": 0, "id": call_id, "type": "function"}
    call["function"] = {"name": name, "arguments": json.dumps(arguments)}
    return [
        {"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]


class ToolCallingModel:
    """A model that calls `name` with `arguments` on every request (until `stop_after`)."""

    def __init__(self, name: str, arguments: dict[str, Any], stop_after: int = 10**6) -> None:
        self.name, self.arguments, self.stop_after = name, arguments, stop_after
        self.requests: list[ChatRequest] = []
        self.sent_at: list[float] = []  # time.perf_counter() of each request
        self.finished_at: list[float] = []  # ... of each reply's finish_reason

    def stream(self, request: ChatRequest) -> ScriptedStream:
        self.requests.append(request)
        self.sent_at.append(time.perf_counter())
        n = len(self.requests)
        if n > self.stop_after:
            done = {
                "choices": [{"index": 0, "delta": {"content": "done"}, "finish_reason": "stop"}]
            }
            return ScriptedStream([done], self)
        return ScriptedStream(tool_call_chunks(self.name, self.arguments, f"call_{n}"), self)
