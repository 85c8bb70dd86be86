"""The HTTP client for OpenAI-compatible endpoints. INTERFACE STUB: to be implemented.

Usage (the only pattern callers use):

    client = ChatClient(http, base_url=..., api_key=Secret("...") or None)
    async with client.stream(request) as stream:
        async for event in stream:      # StreamEvent values; errors arrive as StreamError, never raised
            ...
    reply = stream.reply                # final Reply (state complete/interrupted/error/cancelled)

Leaving the `async with` early (break, CancelledError) closes the connection at once and marks the
reply CANCELLED, partial content kept. `stream.reply` is readable at any moment (a live snapshot).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

import httpx

from tensorx_tui.core.events import StreamEvent
from tensorx_tui.core.reply import Reply
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.secret import Secret


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4  # total tries, first included
    base_delay: float = 0.5  # backoff: base * 2**(attempt-1), plus jitter
    max_delay: float = 20.0  # cap on any single wait, Retry-After included


class APIError(Exception):
    """A failed non-streaming call (GET /models). Carries the provider's own message."""

    def __init__(self, message: str, status: int | None = None, type: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type


class ReplyStream:
    reply: Reply

    async def __aenter__(self) -> ReplyStream:
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raise NotImplementedError

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        raise NotImplementedError


class ChatClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: Secret | None,
        retry: RetryPolicy | None = None,
        idle_timeout: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        raise NotImplementedError

    def stream(self, request: ChatRequest) -> ReplyStream:
        raise NotImplementedError

    async def list_models(self) -> list[str]:
        """GET /models ids, sorted. Raises APIError."""
        raise NotImplementedError
