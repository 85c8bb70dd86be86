"""One streamed reply from an endpoint (endpoint.py): retries, decoding, and the reply so far.

Usage (the only pattern callers use):

    async with endpoint.stream(request) as stream:
        async for event in stream:  # StreamEvent values; errors arrive as StreamError, never raised
            ...
    reply = stream.reply  # final Reply (state complete/interrupted/error/cancelled)

Leaving the `async with` early (break, CancelledError) closes the connection at once and marks the
reply CANCELLED, partial content kept. `stream.reply` is readable at any moment (a live snapshot).

What a caller sees, in order:
- `ResponseStarted(status, rate_limits)` when a 2xx answer arrives (again after each retry);
- the accumulator's events (ContentDelta, ReasoningDelta, ToolCallDelta, Finished, UsageUpdated);
- `Retrying(attempt, delay, reason)` before each wait, where `attempt` is the number of the try
  about to be made (2 for the first retry). Retries happen only before the first token was yielded;
- at most one `StreamError`, always last. Its `type` tells the kind of ending:
  the provider's own type for provider errors; "timeout" (no data for `idle_timeout` s, the reply is
  ERROR); "connection" (could not connect / send, ERROR); "interrupted" (the connection dropped or
  the server ended the stream before a finish_reason or [DONE]: the reply is INTERRUPTED, partial
  content kept, and `reply.error` holds the same message so it can be shown and saved);
  "empty_response" (a 2xx answer with nothing in it), "not_an_api" (a web page), "invalid_response"
  (JSON that is no completion), "internal" (a bug of ours): all ERROR.

Use it inside `async with`: a bare `async for` left with `break` closes the connection only when
the generator is garbage-collected.

Timings: `request_sent` is when the try that produced the reply was sent (so TTFT measures the
server, not our retry waits); `first_byte` the first body bytes; first/last token from the
accumulator; `finished` when the reply was closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import replace
from types import TracebackType
from typing import Any

import httpx

from tensorx_tui.core.accumulator import Accumulator
from tensorx_tui.core.endpoint import MAX_ERROR_BODY, BadKey, Endpoint, seconds
from tensorx_tui.core.errors import MAX_TEXT, clean_text, display_url, error_from_json
from tensorx_tui.core.events import (
    ContentDelta,
    KeepAlive,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    Retrying,
    StreamError,
    StreamEvent,
    ToolCallDelta,
)
from tensorx_tui.core.failures import (
    Failure,
    bare_json_error,
    detail,
    retry_reason,
    status_failure,
    status_from_code,
    transport_failure,
)
from tensorx_tui.core.ratelimits import rate_limit_headers
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.request_body import encode_body
from tensorx_tui.core.retry import backoff_delay, is_retryable_status
from tensorx_tui.core.sse import SSEDecoder

_MAX_JSON_BODY = 32 * 1024 * 1024  # a non-streamed completion; bigger is not a chat reply
_TOKEN_EVENTS = (ContentDelta, ReasoningDelta, RefusalDelta, ToolCallDelta)
_HEAD_LIMIT = 64 * 1024  # the start of an event-less body kept, in case it is a JSON error


class ReplyStream:
    """One streamed reply: an async context manager and an async iterator of StreamEvent."""

    def __init__(self, endpoint: Endpoint, request: ChatRequest) -> None:
        self._endpoint = endpoint
        self._request = request
        self._acc = Accumulator(clock=endpoint.clock, think_tags=endpoint.think_tags)
        self._gen: AsyncGenerator[StreamEvent, None] | None = None
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._tokens = False  # a content/reasoning/tool event was yielded: no more retries
        # Since the last event, only comment lines arrived (for the idle-timeout message).
        self._keepalive_only = False
        self._headers_at = 0.0  # loop time when the response headers arrived
        self.attempts = 0

    @property
    def reply(self) -> Reply:
        """The reply so far; final once the iteration ended."""
        return self._acc.reply

    async def __aenter__(self) -> ReplyStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._gen is not None:
            # Suspended mid-stream (break, early exit): GeneratorExit runs its cleanup now.
            await self._gen.aclose()
        await self._close_response()
        # Exited before the end (or before starting): cancelled. No-op if the reply was closed.
        self._acc.finish(ReplyState.CANCELLED)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    # ----------------------------------------------------------------------------- the stream

    async def _run(self) -> AsyncGenerator[StreamEvent, None]:
        endpoint = self._endpoint
        policy = endpoint.retry
        try:
            attempt = 0
            while True:
                attempt += 1
                self.attempts = attempt
                if attempt > 1:
                    self._acc = Accumulator(clock=endpoint.clock, think_tags=endpoint.think_tags)
                failure: Failure | None = None
                try:
                    async with contextlib.aclosing(self._attempt()) as events:
                        async for event in events:
                            if isinstance(event, Failure):
                                failure = event
                            else:
                                yield event
                finally:
                    await self._close_response()
                if failure is None:
                    self._acc.finish()
                    return
                error = failure.error
                if failure.retryable and not self._tokens and attempt < policy.max_attempts:
                    wait = error.retry_after
                    if wait is not None and wait > policy.max_delay:
                        # Longer than we are willing to wait: show it, the user decides.
                        if "reset" not in error.message.lower():
                            message = f"{error.message} (the server asks to retry in {wait:.0f} s)"
                            error = replace(error, message=message)
                    else:
                        # A wait of 0 (a reset time already past, by the server's clock or ours)
                        # would retry at once, again and again: back off instead.
                        delay = (
                            wait
                            if wait
                            else backoff_delay(
                                attempt,
                                base=policy.base_delay,
                                cap=policy.max_delay,
                                rand=endpoint.rand,
                            )
                        )
                        yield Retrying(attempt + 1, delay, self._safe(retry_reason(error)))
                        await endpoint.sleep(delay)
                        continue
                elif failure.retryable and not self._tokens and attempt > 1:
                    message = f"{error.message} (gave up after {attempt} tries)"
                    error = replace(error, message=message)
                yield self._end_with(error, failure.state)
                return
        except (asyncio.CancelledError, GeneratorExit):
            self._acc.finish(ReplyState.CANCELLED)
            raise
        except Exception as exc:  # a bug of ours must still end as a value, not a traceback
            message = f"Internal error while streaming: {type(exc).__name__}: {exc}"
            error = StreamError(self._safe(clean_text(message)), type="internal")
            yield self._end_with(error, ReplyState.ERROR)

    def _end_with(self, error: StreamError, state: ReplyState) -> StreamError:
        """Record `error` on the reply, close it in `state`, and return the event to yield."""
        # Every error passes here: the last chance to take the key and URL credentials out.
        error = replace(error, message=self._safe(error.message))
        reply = self._acc.reply
        reply.error = ErrorInfo(message=error.message, status=error.status, type=error.type)
        self._acc.finish(state)
        return error

    async def _attempt(self) -> AsyncGenerator[StreamEvent | Failure, None]:
        """One try: yields events, then possibly one Failure (always last)."""
        endpoint = self._endpoint
        acc = self._acc
        timings = acc.reply.timings
        url = endpoint.url("chat/completions")
        timings.request_sent = endpoint.clock()
        problem = endpoint.url_problem()
        if problem:
            yield Failure(StreamError(problem, type="invalid_url"), retryable=False)
            return
        try:
            sent = encode_body(self._request.payload(stream=True))
            # With an image attached the body is streamed (its base64 written as it is sent).
            request = endpoint.http.build_request(
                "POST",
                url,
                content=sent.stream() if sent.streams else sent.whole(),
                headers={
                    **endpoint.headers("text/event-stream"),
                    "Content-Type": "application/json",
                    "Content-Length": str(sent.length),
                },
            )
            async with asyncio.timeout(endpoint.idle_timeout):
                response = self._response = await endpoint.http.send(request, stream=True)
        except TimeoutError:
            yield Failure(
                StreamError(
                    f"No response from {display_url(url)} within "
                    f"{seconds(endpoint.idle_timeout)} s",
                    type="timeout",
                ),
                retryable=False,
            )
            return
        except httpx.InvalidURL as exc:
            yield Failure(
                StreamError(
                    f"Invalid base URL {display_url(endpoint.base_url)}: {exc}", type="invalid_url"
                ),
                retryable=False,
            )
            return
        except BadKey as exc:
            yield Failure(StreamError(str(exc), type="invalid_api_key"), retryable=False)
            return
        except httpx.HTTPError as exc:
            yield transport_failure(self._endpoint, exc)
            return

        acc.reply.rate_limits = rate_limit_headers(response.headers.multi_items())
        self._chunks = response.aiter_bytes().__aiter__()
        status = response.status_code
        try:
            if not 200 <= status < 300:
                try:
                    body = await self._read_body(MAX_ERROR_BODY)
                except (TimeoutError, httpx.HTTPError):
                    body = b""  # the status alone still says what went wrong
                yield status_failure(self._endpoint, response, body)
                return
            yield ResponseStarted(status, dict(acc.reply.rate_limits))
            content_type = response.headers.get("content-type", "").lower()
            self._headers_at = asyncio.get_running_loop().time()
            first = await self._next_chunk(self._headers_at + endpoint.idle_timeout)
            # The first bytes decide when the Content-Type is not an event stream: servers label
            # a JSON completion text/plain, or an event stream application/json.
            head = (first or b"").lstrip()[:1]
            if "event-stream" in content_type:
                kind = "sse"
            elif head in (b"{", b"[") or (not head and "json" in content_type):
                kind = "json"
            elif head == b"<" or "text/html" in content_type:
                kind = "html"
            else:
                kind = "sse"
            if kind == "json":
                body = await self._read_body(_MAX_JSON_BODY, first or b"")
                async with contextlib.aclosing(self._json_reply(body)) as items:
                    async for item in items:
                        yield item
            elif kind == "html":
                yield Failure(
                    StreamError(
                        f"{display_url(url)} answered with a web page, not an API response: "
                        "is the base URL right (it usually ends in /v1)?",
                        status=status,
                        type="not_an_api",
                    ),
                    retryable=False,
                )
            else:
                async with contextlib.aclosing(self._sse_reply(first)) as items:
                    async for item in items:
                        yield item
        except TimeoutError:
            # After a finish_reason only the usage chunk or [DONE] is missing: the reply stands.
            if acc.reply.finish_reason is None:
                yield Failure(
                    StreamError(self._idle_message(), type="timeout"),
                    retryable=False,
                )
        except httpx.HTTPError as exc:
            if acc.reply.finish_reason is None:
                yield transport_failure(self._endpoint, exc)

    # ----------------------------------------------------------------------------- bodies

    async def _next_chunk(self, deadline: float) -> bytes | None:
        """The next body bytes, None at the end; TimeoutError when `deadline` (loop time) passes."""
        assert self._chunks is not None
        async with asyncio.timeout_at(deadline):
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                return None
        timings = self._acc.reply.timings
        if timings.first_byte is None:
            timings.first_byte = self._endpoint.clock()
        return chunk

    async def _read_body(self, limit: int, first: bytes = b"") -> bytes:
        """The whole body (up to `limit` bytes, `first` already read); any bytes restart the idle
        timer."""
        loop = asyncio.get_running_loop()
        idle = self._endpoint.idle_timeout
        parts: list[bytes] = [first]
        size = len(first)
        self._keepalive_only = False
        while size < limit:
            chunk = await self._next_chunk(loop.time() + idle)
            if chunk is None:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)[:limit]

    def _idle_message(self) -> str:
        idle = seconds(self._endpoint.idle_timeout)
        if self._keepalive_only:
            return f"No data from the server for {idle} s (only keep-alives)"
        return f"No data from the server for {idle} s"

    async def _sse_reply(self, first: bytes | None) -> AsyncGenerator[StreamEvent | Failure, None]:
        """The event stream; `first` is its first read, already made (None: the body was empty)."""
        acc = self._acc
        decoder = SSEDecoder()
        loop = asyncio.get_running_loop()
        idle = self._endpoint.idle_timeout
        deadline = self._headers_at + idle  # the first read, made by the caller, counts
        received = False  # any body bytes at all
        data_events = 0
        head = bytearray()  # the body's start while no event came: it may be a bare JSON error
        self._keepalive_only = False
        pending: list[bytes | None] = [first]
        try:
            while not acc.done:
                chunk = pending.pop() if pending else await self._next_chunk(deadline)
                if chunk is None:
                    events = decoder.close()
                else:
                    received = True
                    events = decoder.feed(chunk)
                    if not data_events and len(head) < _HEAD_LIMIT:
                        head += chunk[: _HEAD_LIMIT - len(head)]
                if events:
                    self._keepalive_only = False
                elif chunk:
                    # Bytes but no event: a keep-alive comment, or a piece of a long event.
                    self._keepalive_only = chunk.lstrip(b"\r\n").startswith(b":")
                    if self._keepalive_only:
                        yield KeepAlive()
                for sse in events:
                    data_events += 1
                    for event in acc.feed_data(sse.data, sse.event):
                        if isinstance(event, StreamError):
                            yield self._stream_error(event)
                            return
                        if isinstance(event, _TOKEN_EVENTS):
                            self._tokens = True
                        yield event
                if events:
                    # Restarted after the consumer had the events: its own slowness is not the
                    # server's silence.
                    deadline = loop.time() + idle
                if chunk is None:
                    break
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if acc.reply.finish_reason is not None:
                return  # the reply had finished; only the end of the body ([DONE]) was lost
            if not self._tokens:
                yield transport_failure(self._endpoint, exc)
                return
            yield Failure(
                StreamError(
                    f"Connection dropped before the reply finished: {detail(exc)}",
                    type="interrupted",
                ),
                retryable=False,
                state=ReplyState.INTERRUPTED,
            )
            return
        reply = acc.reply
        if acc.done or reply.finish_reason is not None:
            return  # complete (or an in-stream error, already reported)
        if data_events == 0:
            found = bare_json_error(bytes(head))
            if found is not None:
                # An error body labelled text/event-stream (no `data:` line): show its message.
                yield Failure(
                    StreamError(
                        self._safe(found.message),
                        status=status_from_code(found.code) or 200,
                        type=found.type,
                        code=found.code,
                    ),
                    retryable=False,
                )
                return
            what = "an empty body" if not received else "only keep-alives and no data"
            yield Failure(
                StreamError(
                    f"The server accepted the request but sent {what} and closed the connection",
                    status=200,
                    type="empty_response",
                ),
                retryable=False,
            )
            return
        yield Failure(
            StreamError(
                "Connection dropped: the server ended the stream before the reply finished",
                type="interrupted",
            ),
            retryable=False,
            state=ReplyState.INTERRUPTED,
        )

    async def _json_reply(self, body: bytes) -> AsyncGenerator[StreamEvent | Failure, None]:
        """A 200 with a JSON body: a non-streamed completion, or an error in disguise."""
        text = body.decode("utf-8", "replace").strip()
        if not text:
            yield Failure(
                StreamError(
                    "The server accepted the request but sent an empty body",
                    status=200,
                    type="empty_response",
                ),
                retryable=False,
            )
            return
        try:
            value: Any = json.loads(text)
        except (ValueError, RecursionError):
            yield Failure(
                StreamError(
                    "The server accepted the request but sent invalid JSON: "
                    + clean_text(text, MAX_TEXT),
                    status=200,
                    type="invalid_response",
                ),
                retryable=False,
            )
            return
        if not (isinstance(value, dict) and isinstance(value.get("choices"), list)):
            found = error_from_json(value)
            if found is not None:
                status = status_from_code(found.code)
                yield Failure(
                    StreamError(
                        self._safe(found.message),
                        status=status or 200,
                        type=found.type,
                        code=found.code,
                    ),
                    retryable=status is not None and is_retryable_status(status),
                )
                return
        acc = self._acc
        for event in acc.feed(value):
            if isinstance(event, StreamError):
                yield self._stream_error(event)
                return
            if isinstance(event, _TOKEN_EVENTS):
                self._tokens = True
            yield event
        if not self._tokens and acc.reply.finish_reason is None:
            yield Failure(
                StreamError(
                    "The server accepted the request but sent JSON that is not a chat completion: "
                    + clean_text(text, MAX_TEXT),
                    status=200,
                    type="invalid_response",
                ),
                retryable=False,
            )
            return
        # A whole completion arrived: complete even when a server left out finish_reason.
        acc.finish(ReplyState.COMPLETE)

    # ----------------------------------------------------------------------------- failures

    def _safe(self, message: str) -> str:
        return self._endpoint.redact(message)

    def _stream_error(self, event: StreamError) -> StreamError | Failure:
        """An error the provider sent inside a 200 stream. Before any token, one with a retryable
        status (OpenRouter sends 429/502 this way) is retried like the HTTP status would be."""
        cleaned = replace(event, message=self._safe(clean_text(event.message)))
        reply = self._acc.reply
        if reply.error is not None:
            reply.error.message = cleaned.message
        if not self._tokens and cleaned.status is not None and is_retryable_status(cleaned.status):
            return Failure(cleaned, retryable=True)
        return cleaned

    async def _close_response(self) -> None:
        chunks, self._chunks = self._chunks, None
        response, self._response = self._response, None
        if chunks is not None:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(httpx.HTTPError, RuntimeError):
                    await aclose()
        if response is not None:
            # Closing a response that was not read to the end drops its connection: the server
            # sees the disconnect and stops generating.
            with contextlib.suppress(httpx.HTTPError):
                await response.aclose()
