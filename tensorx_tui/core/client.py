"""The HTTP client for OpenAI-compatible endpoints.

Usage (the only pattern callers use):

    client = ChatClient(http, base_url=..., api_key=Secret("...") or None)
    async with client.stream(request) as stream:
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
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import httpx

from tensorx_tui import __version__
from tensorx_tui.core.accumulator import Accumulator
from tensorx_tui.core.errors import (
    MAX_TEXT,
    ProviderError,
    clean_text,
    describe_transport_error,
    display_url,
    from_json,
    host_not_found,
    parse_error_body,
    redact,
    status_line,
)
from tensorx_tui.core.events import (
    ContentDelta,
    ReasoningDelta,
    ResponseStarted,
    Retrying,
    StreamError,
    StreamEvent,
    ToolCallDelta,
)
from tensorx_tui.core.ratelimits import rate_limit_headers
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.retry import (
    backoff_delay,
    is_retryable_status,
    requested_wait,
    server_now,
)
from tensorx_tui.core.secret import Secret, redact_url_secrets
from tensorx_tui.core.sse import SSEDecoder
from tensorx_tui.core.urls import join_path, url_problem

USER_AGENT = f"tensorx-chat/{__version__}"
_MAX_ERROR_BODY = 64 * 1024  # an error page bigger than this says nothing more useful
_MAX_JSON_BODY = 32 * 1024 * 1024  # a non-streamed completion; bigger is not a chat reply
_TOKEN_EVENTS = (ContentDelta, ReasoningDelta, ToolCallDelta)
# Transport failures after which the request most likely never reached the model.
_RETRYABLE_TRANSPORT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


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


class _BadKey(ValueError):
    """The configured key cannot be sent in an HTTP header."""


@dataclass(slots=True)
class _Failure:
    """Why one try ended without a reply."""

    error: StreamError
    retryable: bool
    state: ReplyState = ReplyState.ERROR


def _seconds(value: float) -> str:
    return f"{value:g}"


class ReplyStream:
    """One streamed reply: an async context manager and an async iterator of StreamEvent."""

    def __init__(self, client: ChatClient, request: ChatRequest) -> None:
        self._client = client
        self._request = request
        self._acc = Accumulator(clock=client._clock)
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
        client = self._client
        policy = client._retry
        try:
            attempt = 0
            while True:
                attempt += 1
                self.attempts = attempt
                if attempt > 1:
                    self._acc = Accumulator(clock=client._clock)
                failure: _Failure | None = None
                try:
                    async with contextlib.aclosing(self._attempt()) as events:
                        async for event in events:
                            if isinstance(event, _Failure):
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
                                rand=client._rand,
                            )
                        )
                        yield Retrying(attempt + 1, delay, self._safe(_reason(error)))
                        await client._sleep(delay)
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

    async def _attempt(self) -> AsyncGenerator[StreamEvent | _Failure, None]:
        """One try: yields events, then possibly one _Failure (always last)."""
        client = self._client
        acc = self._acc
        timings = acc.reply.timings
        url = client._url("chat/completions")
        timings.request_sent = client._clock()
        problem = url_problem(client._base_url)
        if problem:
            yield _Failure(
                StreamError(
                    f"Invalid base URL {display_url(client._base_url)}: {problem}",
                    type="invalid_url",
                ),
                retryable=False,
            )
            return
        try:
            request = client._http.build_request(
                "POST",
                url,
                json=self._request.payload(stream=True),
                headers=client._headers("text/event-stream"),
            )
            async with asyncio.timeout(client._idle_timeout):
                response = self._response = await client._http.send(request, stream=True)
        except TimeoutError:
            yield _Failure(
                StreamError(
                    f"No response from {display_url(url)} within "
                    f"{_seconds(client._idle_timeout)} s",
                    type="timeout",
                ),
                retryable=False,
            )
            return
        except httpx.InvalidURL as exc:
            yield _Failure(
                StreamError(
                    f"Invalid base URL {display_url(client._base_url)}: {exc}", type="invalid_url"
                ),
                retryable=False,
            )
            return
        except _BadKey as exc:
            yield _Failure(StreamError(str(exc), type="invalid_api_key"), retryable=False)
            return
        except httpx.HTTPError as exc:
            yield self._transport_failure(exc)
            return

        acc.reply.rate_limits = rate_limit_headers(response.headers.multi_items())
        self._chunks = response.aiter_bytes().__aiter__()
        status = response.status_code
        try:
            if not 200 <= status < 300:
                try:
                    body = await self._read_body(_MAX_ERROR_BODY)
                except (TimeoutError, httpx.HTTPError):
                    body = b""  # the status alone still says what went wrong
                yield self._status_failure(response, body)
                return
            yield ResponseStarted(status, dict(acc.reply.rate_limits))
            content_type = response.headers.get("content-type", "").lower()
            self._headers_at = asyncio.get_running_loop().time()
            first = await self._next_chunk(self._headers_at + client._idle_timeout)
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
                yield _Failure(
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
                yield _Failure(
                    StreamError(self._idle_message(), type="timeout"),
                    retryable=False,
                )
        except httpx.HTTPError as exc:
            if acc.reply.finish_reason is None:
                yield self._transport_failure(exc)

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
            timings.first_byte = self._client._clock()
        return chunk

    async def _read_body(self, limit: int, first: bytes = b"") -> bytes:
        """The whole body (up to `limit` bytes, `first` already read); any bytes restart the idle
        timer."""
        loop = asyncio.get_running_loop()
        idle = self._client._idle_timeout
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
        idle = _seconds(self._client._idle_timeout)
        if self._keepalive_only:
            return f"No data from the server for {idle} s (only keep-alives)"
        return f"No data from the server for {idle} s"

    async def _sse_reply(self, first: bytes | None) -> AsyncGenerator[StreamEvent | _Failure, None]:
        """The event stream; `first` is its first read, already made (None: the body was empty)."""
        acc = self._acc
        decoder = SSEDecoder()
        loop = asyncio.get_running_loop()
        idle = self._client._idle_timeout
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
                yield self._transport_failure(exc)
                return
            yield _Failure(
                StreamError(
                    f"Connection dropped before the reply finished: {_detail(exc)}",
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
            found = _bare_json_error(bytes(head))
            if found is not None:
                # An error body labelled text/event-stream (no `data:` line): show its message.
                yield _Failure(
                    StreamError(
                        self._safe(found.message),
                        status=_status_from_code(found.code) or 200,
                        type=found.type,
                        code=found.code,
                    ),
                    retryable=False,
                )
                return
            what = "an empty body" if not received else "only keep-alives and no data"
            yield _Failure(
                StreamError(
                    f"The server accepted the request but sent {what} and closed the connection",
                    status=200,
                    type="empty_response",
                ),
                retryable=False,
            )
            return
        yield _Failure(
            StreamError(
                "Connection dropped: the server ended the stream before the reply finished",
                type="interrupted",
            ),
            retryable=False,
            state=ReplyState.INTERRUPTED,
        )

    async def _json_reply(self, body: bytes) -> AsyncGenerator[StreamEvent | _Failure, None]:
        """A 200 with a JSON body: a non-streamed completion, or an error in disguise."""
        text = body.decode("utf-8", "replace").strip()
        if not text:
            yield _Failure(
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
            yield _Failure(
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
            found = from_json(value)
            if found is not None:
                status = _status_from_code(found.code)
                yield _Failure(
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
            yield _Failure(
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
        return self._client._scrub(message)

    def _stream_error(self, event: StreamError) -> StreamError | _Failure:
        """An error the provider sent inside a 200 stream. Before any token, one with a retryable
        status (OpenRouter sends 429/502 this way) is retried like the HTTP status would be."""
        cleaned = replace(event, message=self._safe(clean_text(event.message)))
        reply = self._acc.reply
        if reply.error is not None:
            reply.error.message = cleaned.message
        if not self._tokens and cleaned.status is not None and is_retryable_status(cleaned.status):
            return _Failure(cleaned, retryable=True)
        return cleaned

    def _status_failure(self, response: httpx.Response, body: bytes) -> _Failure:
        client = self._client
        status = response.status_code
        found = parse_error_body(status, response.headers.get("content-type", ""), body)
        message = self._safe(found.message)
        if message == status_line(status):
            if status in (401, 403) and not client._api_key:
                message += " (no API key is set)"
            elif status in (404, 405):
                message += f" at {display_url(str(response.request.url))}"
            elif 300 <= status < 400 and response.headers.get("location"):
                # Redirects are not followed (the POST body would be lost): say where it points,
                # usually http -> https or a missing /v1.
                location = display_url(str(response.request.url.join(response.headers["location"])))
                message += f" (redirected to {location}: check the base URL)"
        now = server_now(response.headers, client._wall_clock())
        wait = requested_wait(response.headers, found.message, now=now)
        return _Failure(
            StreamError(message, status=status, type=found.type, code=found.code, retry_after=wait),
            retryable=is_retryable_status(status),
        )

    def _transport_failure(self, exc: httpx.HTTPError) -> _Failure:
        """Named by the base URL: the host and path the user configured, easiest to check."""
        # A host name that does not exist will not exist on the next try either.
        retryable = isinstance(exc, _RETRYABLE_TRANSPORT) and not host_not_found(exc)
        message = describe_transport_error(exc, self._client._base_url)
        return _Failure(
            StreamError(self._safe(message), type="connection"),
            retryable=retryable,
        )

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


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return clean_text(text, 200) if text else type(exc).__name__


def _reason(error: StreamError) -> str:
    message = error.message
    if error.status is not None and not message.startswith("HTTP "):
        message = f"{status_line(error.status)}: {message}"
    return clean_text(message, 200)


_HEAD_LIMIT = 64 * 1024


def _bare_json_error(head: bytes) -> ProviderError | None:
    """The provider's error when an event stream's body is a plain JSON error object."""
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        return None
    found = parse_error_body(200, "application/json", head)
    return None if found.message.startswith(status_line(200)) else found


def _status_from_code(code: str | None) -> int | None:
    if code is not None and len(code) == 3 and code.isdigit() and 100 <= int(code) <= 599:
        return int(code)
    return None


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
        wall_clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._http = http
        self._base_url = base_url.strip().rstrip("/")
        self._api_key = api_key if api_key else None
        self._retry = retry or RetryPolicy()
        self._idle_timeout = idle_timeout
        self._sleep = sleep
        self._clock = clock
        # Wall-clock epoch seconds: for reset times given as dates (Retry-After, TensorX's text).
        self._wall_clock = wall_clock
        self._rand = rand  # backoff jitter in [0, 1)

    def __repr__(self) -> str:
        key = self._api_key.masked() if self._api_key else None
        return f"ChatClient(base_url={display_url(self._base_url)!r}, api_key={key!r})"

    @property
    def base_url(self) -> str:
        return self._base_url

    def _scrub(self, message: str) -> str:
        """`message` without the API key or the base URL's credentials (error texts quote both)."""
        key = self._api_key
        return redact_url_secrets(redact(message, key.reveal() if key else None), self._base_url)

    def _url(self, path: str) -> str:
        return join_path(self._base_url, path)

    def _headers(self, accept: str) -> dict[str, str]:
        """Request headers. Raises _BadKey (with a message that does not quote the key) when the
        key cannot go in a header: the HTTP layer's own error would print the header value."""
        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        if self._api_key:
            key = self._api_key.reveal()
            if not (key.isascii() and key.isprintable()) or key != key.strip():
                raise _BadKey(
                    "The API key has surrounding spaces, line breaks or non-ASCII characters, "
                    "so it cannot be sent: check for a stray character from copying it"
                )
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def stream(self, request: ChatRequest) -> ReplyStream:
        return ReplyStream(self, request)

    async def list_models(self) -> list[str]:
        """GET /models ids, sorted. Raises APIError (its message without credentials)."""
        try:
            return await self._list_models()
        except APIError as exc:
            raise APIError(self._scrub(exc.message), exc.status, exc.type) from None

    async def _list_models(self) -> list[str]:
        url = self._url("models")
        problem = url_problem(self._base_url)
        if problem:
            raise APIError(
                f"Invalid base URL {display_url(self._base_url)}: {problem}", type="invalid_url"
            )
        secret = self._api_key.reveal() if self._api_key else None
        try:
            async with asyncio.timeout(self._idle_timeout):
                response = await self._http.get(url, headers=self._headers("application/json"))
        except TimeoutError:
            raise APIError(
                f"No response from {display_url(url)} within {_seconds(self._idle_timeout)} s",
                type="timeout",
            ) from None
        except httpx.InvalidURL as exc:
            raise APIError(
                f"Invalid base URL {display_url(self._base_url)}: {exc}", type="invalid_url"
            ) from None
        except _BadKey as exc:
            raise APIError(str(exc), type="invalid_api_key") from None
        except httpx.HTTPError as exc:
            raise APIError(
                redact(describe_transport_error(exc, self._base_url), secret), type="connection"
            ) from None
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        if not 200 <= status < 300:
            found = parse_error_body(status, content_type, response.content[:_MAX_ERROR_BODY])
            message = redact(found.message, secret)
            if message == status_line(status) and status in (404, 405):
                message += f" at {display_url(url)} (this server may not list models)"
            raise APIError(message, status=status, type=found.type)
        try:
            value: Any = json.loads(response.content)
        except (ValueError, RecursionError):
            raise APIError(
                f"{display_url(url)} did not answer with JSON: "
                + clean_text(response.text, MAX_TEXT),
                status=status,
                type="invalid_response",
            ) from None
        ids = _model_ids(value)
        if ids is None:
            error = from_json(value)
            if error is not None:
                raise APIError(redact(error.message, secret), status=status, type=error.type)
            raise APIError(
                f"{display_url(url)} answered with JSON that is not a model list",
                status=status,
                type="invalid_response",
            )
        return sorted(set(ids))


def _model_ids(value: Any) -> list[str] | None:
    """Ids from `{"data": [...]}`, a bare list, or Ollama's `{"models": [...]}`; None if neither."""
    items: Any
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict) and isinstance(value.get("data"), list):
        items = value["data"]
    elif isinstance(value, dict) and isinstance(value.get("models"), list):
        items = value["models"]
    else:
        return None
    ids: list[str] = []
    for item in items:
        if isinstance(item, str) and item:
            ids.append(item)
        elif isinstance(item, dict):
            for key in ("id", "model", "name"):
                found = item.get(key)
                if isinstance(found, str) and found:
                    ids.append(clean_text(found, 300))
                    break
    return ids
