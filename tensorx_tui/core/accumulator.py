"""Turns decoded chat-completion chunks into typed events and one final Reply. INTERFACE STUB."""

from __future__ import annotations

from typing import Any

from tensorx_tui.core.events import StreamEvent
from tensorx_tui.core.reply import Reply, ReplyState


class Accumulator:
    def __init__(self) -> None:
        self.reply = Reply()

    def feed_data(self, data: str) -> list[StreamEvent]:
        """One SSE `data` payload (JSON text or `[DONE]`). Never raises on bad input."""
        raise NotImplementedError

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """One parsed JSON chunk (any JSON value). Never raises on bad input."""
        raise NotImplementedError

    @property
    def done(self) -> bool:
        """True once `[DONE]` was seen or an error ended the stream."""
        raise NotImplementedError

    def finish(self, state: ReplyState | None = None) -> Reply:
        """Close the reply: `state` forces cancelled/error; otherwise complete if a finish_reason or
        [DONE] was seen, else interrupted. Idempotent."""
        raise NotImplementedError
