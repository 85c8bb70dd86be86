"""Endpoint against httpx.MockTransport: request shape, streaming, cancelling, timeouts, models.

The fakes here (Body, Server, make_client, run) are shared with test_client_errors.py and
test_retry.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import MODEL, chunk, sse

from tensorx_tui.core.endpoint import APIError, Endpoint, RetryPolicy
from tensorx_tui.core.events import (
    ContentDelta,
    Finished,
    KeepAlive,
    ReasoningDelta,
    ResponseStarted,
    Retrying,
    StreamError,
    StreamEvent,
    UsageUpdated,
)
from tensorx_tui.core.ratelimits import rate_limit_headers, summarise
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.secret import Secret

KEY = "sk-tx-0123456789abcdefSECRET"
BASE = "http://api.test/v1"
REQUEST = ChatRequest(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
SSE_HEADERS = {"content-type": "text/event-stream"}
USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def hello_stream(*words: str) -> bytes:
    words = words or ("Hel", "lo")
    payloads: list[Any] = [chunk({"role": "assistant", "content": ""})]
    payloads += [chunk({"content": w}) for w in words]
    payloads += [chunk(finish_reason="stop"), chunk(choices=[], usage=USAGE), "[DONE]"]
    return sse(payloads)


class Body(httpx.AsyncByteStream):
    """A response body delivered as separate network reads.

    Items: bytes are sent; a float pauses that many seconds; an exception is raised (a broken
    connection). `hang=True` then waits forever. `closed` records that the client closed the
    response (what a real transport turns into closing the socket, which the server sees).
    """

    def __init__(self, items: Iterable[bytes | float | Exception], *, hang: bool = False) -> None:
        self.items = list(items)
        self.hang = hang
        self.closed = False
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for item in self.items:
            if isinstance(item, float):
                await asyncio.sleep(item)
            elif isinstance(item, Exception):
                raise item
            else:
                self.sent += 1
                yield item
        if self.hang:
            await asyncio.Event().wait()

    async def aclose(self) -> None:
        self.closed = True


Reply_ = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Server:
    """A MockTransport handler answering from a script: one entry per request, the last repeated.

    A callable entry builds a fresh response each time; an exception is raised as the transport's.
    """

    def __init__(self, *script: Reply_) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        entry = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(entry, Exception):
            raise entry
        if isinstance(entry, httpx.Response):
            return entry
        return entry(request)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def ok(body: bytes | Body, headers: dict[str, str] | None = None) -> httpx.Response:
    stream = body if isinstance(body, Body) else Body([body])
    return httpx.Response(200, headers={**SSE_HEADERS, **(headers or {})}, stream=stream)


class Ticks:
    """A fake monotonic clock: every read is one second later."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def make_client(
    server: Server,
    *,
    key: str | None = KEY,
    base_url: str = BASE,
    retry: RetryPolicy | None = None,
    idle_timeout: float = 5.0,
    wall_clock: float = 1_774_125_000.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Endpoint, list[float]]:
    """A client on the mock server, and the list of waits its fake `sleep` was asked for."""
    waits: list[float] = []

    async def fake_sleep(delay: float) -> None:
        waits.append(delay)

    http = httpx.AsyncClient(transport=transport or httpx.MockTransport(server))
    client = Endpoint(
        http,
        base_url=base_url,
        api_key=Secret(key) if key is not None else None,
        retry=retry,
        idle_timeout=idle_timeout,
        sleep=fake_sleep,
        clock=Ticks(),
        wall_clock=lambda: wall_clock,
        rand=lambda: 0.5,
    )
    return client, waits


async def run(client: Endpoint, request: ChatRequest = REQUEST) -> tuple[list[StreamEvent], Reply]:
    events: list[StreamEvent] = []
    async with client.stream(request) as stream:
        async for event in stream:
            events.append(event)
    return events, stream.reply


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ContentDelta))


def only_error(events: list[StreamEvent]) -> StreamError:
    errors = [e for e in events if isinstance(e, StreamError)]
    assert len(errors) == 1, events
    assert events[-1] is errors[0], "the StreamError must be the last event"
    return errors[0]


# ----------------------------------------------------------------------------- request shape


async def test_request_url_headers_and_payload() -> None:
    server = Server(ok(hello_stream()))
    client, _ = make_client(server, base_url="http://api.test/v1/")
    await run(client)
    (request,) = server.requests
    assert request.method == "POST"
    assert str(request.url) == "http://api.test/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["user-agent"].startswith("tensorx-chat/")
    body = server.bodies()[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["model"] == MODEL
    assert body["messages"] == REQUEST.messages


@pytest.mark.parametrize("key", [None, ""])
async def test_no_authorization_header_without_a_key(key: str | None) -> None:
    server = Server(ok(hello_stream()))
    client, _ = make_client(server, key=key)
    _, reply = await run(client)
    assert "authorization" not in server.requests[0].headers
    assert reply.state is ReplyState.COMPLETE


def test_repr_never_shows_the_key() -> None:
    client, _ = make_client(Server(ok(b"")))
    assert KEY not in repr(client)
    assert "SECRET" not in repr(client)


# ----------------------------------------------------------------------------- success


async def test_streamed_reply_events_and_final_reply() -> None:
    limits = {
        "x-ratelimit-api_key-limit-requests": "60",
        "x-ratelimit-api_key-remaining-requests": "59",
        "x-ratelimit-api_key-limit-tokens": "2000000",
        "x-ratelimit-api_key-remaining-tokens": "1999000",
        "X-Request-Id": "abc",
    }
    server = Server(ok(hello_stream("Hel", "lo", "!"), headers=limits))
    client, waits = make_client(server)
    events, reply = await run(client)

    first = events[0]
    assert isinstance(first, ResponseStarted)
    assert first.status == 200
    assert first.rate_limits["x-ratelimit-api_key-remaining-requests"] == "59"
    assert "x-request-id" not in first.rate_limits
    assert text_of(events) == "Hello!"
    assert Finished("stop") in events
    assert UsageUpdated(USAGE) in events
    assert not any(isinstance(e, StreamError | Retrying) for e in events)
    assert waits == []

    assert reply.state is ReplyState.COMPLETE
    assert reply.content == "Hello!"
    assert reply.model == MODEL
    assert reply.usage == USAGE
    assert reply.error is None
    assert reply.rate_limits == first.rate_limits
    summary = summarise(reply.rate_limits)
    assert (summary.limit_requests, summary.remaining_requests) == (60, 59)
    assert (summary.limit_tokens, summary.remaining_tokens) == (2_000_000, 1_999_000)

    t = reply.timings
    assert t.request_sent is not None and t.first_byte is not None
    assert t.first_token is not None and t.last_token is not None and t.finished is not None
    assert t.request_sent < t.first_byte <= t.first_token <= t.last_token <= t.finished
    assert t.ttft_s is not None and t.ttft_s > 0


async def test_reasoning_stream_and_transformers_style_end_without_done() -> None:
    # No [DONE] (transformers serve): a finish_reason already seen makes the reply complete.
    body = sse(
        [
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            chunk({"reasoning_content": "think"}),
            chunk({"content": "answer"}, finish_reason="stop"),
        ]
    )
    client, _ = make_client(Server(ok(body)))
    events, reply = await run(client)
    assert ReasoningDelta("think") in events
    assert reply.reasoning == "think" and reply.content == "answer"
    assert reply.state is ReplyState.COMPLETE
    assert not any(isinstance(e, StreamError) for e in events)


async def test_stream_in_many_tiny_reads_with_keepalives() -> None:
    data = b": keep-alive\n\n" + hello_stream("a", "b", "c")
    pieces: list[bytes | float | Exception] = [data[i : i + 3] for i in range(0, len(data), 3)]
    client, _ = make_client(Server(ok(Body(pieces))))
    _, reply = await run(client)
    assert reply.content == "abc"
    assert reply.state is ReplyState.COMPLETE


async def test_keepalive_comments_are_reported_before_and_between_tokens() -> None:
    # A read holding only an SSE comment is a KeepAlive (progress displays count the silence);
    # a comment inside a read that also carries data is not, and none reaches the reply.
    events_bytes = hello_stream("a", "b").split(b"\n\n")
    first, rest = b"\n\n".join(events_bytes[:2]) + b"\n\n", b"\n\n".join(events_bytes[2:])
    comments = [b": OPENROUTER PROCESSING\n\n", b": keep-alive\n\n"]
    body = Body([*comments, first, b": ping\n\n", b": mixed\n\n" + rest])
    client, _ = make_client(Server(ok(body)))
    events, reply = await run(client)
    kinds = [type(e).__name__ for e in events if not isinstance(e, UsageUpdated)]
    assert kinds[:3] == ["ResponseStarted", "KeepAlive", "KeepAlive"]
    assert kinds.count("KeepAlive") == 3  # the ping between the tokens too; not ": mixed"
    assert kinds.index("ContentDelta") < len(kinds) - 1 - kinds[::-1].index("KeepAlive")
    assert reply.content == "ab" and reply.state is ReplyState.COMPLETE
    assert KeepAlive() in events


async def test_stops_reading_after_done_even_if_the_server_keeps_the_connection_open() -> None:
    body = Body([hello_stream()], hang=True)
    # A client that waited for more would sit until the idle timeout, far past the bound below.
    client, _ = make_client(Server(ok(body)), idle_timeout=600.0)
    _, reply = await asyncio.wait_for(run(client), 60)
    assert reply.state is ReplyState.COMPLETE
    assert body.closed


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=12))
def test_any_read_boundaries_give_the_same_reply(cuts: list[int]) -> None:
    data = b"\xef\xbb\xbf: hello\r\n\r\n" + hello_stream("Grü", "ße", " 👋")
    points = sorted({c for c in cuts if c < len(data)})
    pieces: list[bytes | float | Exception] = [
        data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)
    ]

    async def go() -> tuple[list[StreamEvent], Reply]:
        client, _ = make_client(Server(ok(Body(pieces))))
        return await run(client)

    events, reply = asyncio.run(go())
    assert reply.content == "Grüße 👋"
    assert reply.state is ReplyState.COMPLETE and reply.usage == USAGE
    assert text_of(events) == reply.content


async def test_non_streamed_json_completion_is_a_reply() -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Whole"},
                "finish_reason": None,
            }
        ],
        "usage": USAGE,
    }
    response = httpx.Response(200, json=completion)
    client, _ = make_client(Server(response))
    events, reply = await run(client)
    assert isinstance(events[0], ResponseStarted)
    assert text_of(events) == "Whole"
    assert reply.content == "Whole"
    assert reply.usage == USAGE
    # A whole completion is complete even when the server left finish_reason out.
    assert reply.state is ReplyState.COMPLETE
    assert not any(isinstance(e, StreamError) for e in events)


async def test_mislabelled_bodies_are_sniffed() -> None:
    completion = {"model": MODEL, "choices": [{"message": {"content": "plain"}}]}
    as_text = httpx.Response(
        200, headers={"content-type": "text/plain"}, content=json.dumps(completion).encode()
    )
    as_json = httpx.Response(
        200, headers={"content-type": "application/json"}, stream=Body([hello_stream("sse")])
    )
    client, _ = make_client(Server(as_text, as_json))
    _, reply = await run(client)
    assert (reply.content, reply.state) == ("plain", ReplyState.COMPLETE)
    _, reply = await run(client)
    assert (reply.content, reply.state) == ("sse", ReplyState.COMPLETE)


async def test_error_status_whose_body_breaks_still_reports_the_status() -> None:
    body = Body([b'{"error": {"mess', httpx.ReadError("reset")])
    client, _ = make_client(
        Server(httpx.Response(400, stream=body)), retry=RetryPolicy(max_attempts=1)
    )
    events, _ = await run(client)
    assert only_error(events).message == "HTTP 400 Bad Request"
    assert body.closed


# ----------------------------------------------------------------------------- bad 200s


async def test_200_json_error_body_is_an_error() -> None:
    response = httpx.Response(
        200, json={"error": {"message": "Model is overloaded", "type": "server_error"}}
    )
    client, waits = make_client(Server(response))
    events, reply = await run(client)
    error = only_error(events)
    assert error.message == "Model is overloaded"
    assert error.type == "server_error"
    assert reply.state is ReplyState.ERROR
    assert reply.error is not None and reply.error.message == "Model is overloaded"
    assert waits == []


@pytest.mark.parametrize("content_type", ["text/event-stream", "application/json"])
async def test_200_with_an_empty_body_is_an_error(content_type: str) -> None:
    # llama-cpp-python answers like this when generation fails.
    response = httpx.Response(200, headers={"content-type": content_type}, content=b"")
    client, _ = make_client(Server(response))
    events, reply = await run(client)
    error = only_error(events)
    # A 2xx status is no error to show: the message says what was wrong with the answer.
    assert "HTTP 200" not in error.message and "empty body" in error.message
    assert error.type == "empty_response"
    assert reply.state is ReplyState.ERROR


async def test_200_html_page_means_a_wrong_base_url() -> None:
    page = b"<html><head><title>Welcome</title></head><body>Hi</body></html>"
    response = httpx.Response(200, headers={"content-type": "text/html"}, content=page)
    client, _ = make_client(Server(response), base_url="http://api.test")
    events, reply = await run(client)
    error = only_error(events)
    assert "web page" in error.message and "/v1" in error.message
    assert reply.state is ReplyState.ERROR


async def test_in_stream_error_after_content_keeps_the_content() -> None:
    body = sse(
        [
            chunk({"content": "partial"}),
            {"error": {"message": "upstream \x1b[31mfailed", "code": 502}},
        ]
    )
    client, waits = make_client(Server(ok(body)))
    events, reply = await run(client)
    error = only_error(events)
    assert error.message == "upstream failed"  # escape sequence neutralised
    assert reply.state is ReplyState.ERROR
    assert reply.content == "partial"
    assert reply.error is not None and reply.error.message == "upstream failed"
    assert waits == []  # content had started: never retried


# ----------------------------------------------------------------------------- broken streams


async def test_stream_cut_mid_event_is_interrupted_with_partial_content() -> None:
    whole = sse([chunk({"content": "Hello"}), chunk({"content": " wor"})])
    cut = whole + b'data: {"choices":[{"index":0,"delta":{"content":"ld'
    client, waits = make_client(Server(ok(cut)))
    events, reply = await run(client)
    error = only_error(events)
    assert error.type == "interrupted"
    assert "Connection dropped" in error.message
    assert reply.state is ReplyState.INTERRUPTED
    assert reply.content == "Hello wor"
    assert reply.error is not None and reply.error.type == "interrupted"
    assert waits == []


async def test_peer_closing_mid_stream_after_tokens_is_interrupted_not_retried() -> None:
    body = Body(
        [sse([chunk({"content": "Hi"})]), httpx.RemoteProtocolError("peer closed connection")]
    )
    server = Server(ok(body), ok(hello_stream()))
    client, waits = make_client(server)
    events, reply = await run(client)
    error = only_error(events)
    assert error.type == "interrupted"
    assert "peer closed connection" in error.message
    assert reply.state is ReplyState.INTERRUPTED
    assert reply.content == "Hi"
    assert len(server.requests) == 1 and waits == []


async def test_connection_reset_after_the_finish_reason_is_still_complete() -> None:
    # Some proxies reset the connection instead of ending the chunked body after the last event.
    body = Body(
        [
            sse([chunk({"content": "Done."}, finish_reason="stop")]),
            httpx.ReadError("connection reset by peer"),
        ]
    )
    server = Server(ok(body))
    client, waits = make_client(server)
    events, reply = await run(client)
    assert reply.state is ReplyState.COMPLETE and reply.content == "Done."
    assert not any(isinstance(e, StreamError) for e in events)
    assert waits == [] and len(server.requests) == 1


# ----------------------------------------------------------------------------- cancelling


async def test_break_out_of_the_stream_closes_the_connection_and_cancels() -> None:
    body = Body([sse([chunk({"content": "one "})]), sse([chunk({"content": "two"})])], hang=True)
    client, _ = make_client(Server(ok(body)))
    async with client.stream(REQUEST) as stream:
        async for event in stream:
            if isinstance(event, ContentDelta):
                break
    assert body.closed
    reply = stream.reply
    assert reply.state is ReplyState.CANCELLED
    assert reply.content == "one "
    assert reply.timings.finished is not None


async def test_task_cancellation_closes_the_connection_keeps_partial_and_reraises() -> None:
    body = Body([sse([chunk({"content": "partial"})])], hang=True)
    client, _ = make_client(Server(ok(body)), idle_timeout=30.0)
    got_token = asyncio.Event()
    holder: dict[str, Any] = {}

    async def consume() -> None:
        async with client.stream(REQUEST) as stream:
            holder["stream"] = stream
            async for event in stream:
                if isinstance(event, ContentDelta):
                    got_token.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_token.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert body.closed
    reply = holder["stream"].reply
    assert reply.state is ReplyState.CANCELLED
    assert reply.content == "partial"


async def test_cancel_while_waiting_for_headers() -> None:
    entered = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.sleep(30)
        return ok(hello_stream())

    http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    client = Endpoint(http, base_url=BASE, api_key=None)
    holder: dict[str, Any] = {}

    async def consume() -> None:
        async with client.stream(REQUEST) as stream:
            holder["stream"] = stream
            async for _ in stream:
                pass

    task = asyncio.create_task(consume())
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert holder["stream"].reply.state is ReplyState.CANCELLED


async def test_leaving_without_iterating_sends_nothing_and_cancels() -> None:
    server = Server(ok(hello_stream()))
    client, _ = make_client(server)
    async with client.stream(REQUEST) as stream:
        pass
    assert server.requests == []
    assert stream.reply.state is ReplyState.CANCELLED


# ----------------------------------------------------------------------------- idle timeout


async def test_idle_timeout_with_only_keepalives() -> None:
    items: list[bytes | float | Exception] = []
    for _ in range(200):
        items += [0.05, b": keep-alive\n\n"]
    body = Body(items)
    client, waits = make_client(Server(ok(body)), idle_timeout=0.2)
    started = time.monotonic()
    # Without the timer the body would end after 10 s as an interrupted reply, not this error.
    events, reply = await asyncio.wait_for(run(client), 60)
    elapsed = time.monotonic() - started
    error = only_error(events)
    assert error.message == "No data from the server for 0.2 s (only keep-alives)"
    assert error.type == "timeout"
    assert elapsed >= 0.2  # not before the timeout (a loaded machine only makes it later)
    assert body.sent >= 2  # keep-alives did arrive, and did not count as data
    assert body.closed
    assert reply.state is ReplyState.ERROR
    assert waits == []  # a stalled server is not retried


async def test_idle_timeout_after_content_keeps_it() -> None:
    body = Body([sse([chunk({"content": "so far"})])], hang=True)
    client, _ = make_client(Server(ok(body)), idle_timeout=0.1)
    events, reply = await asyncio.wait_for(run(client), 5)
    error = only_error(events)
    assert error.message == "No data from the server for 0.1 s"
    assert reply.content == "so far"
    assert reply.state is ReplyState.ERROR
    assert body.closed


async def test_silence_after_the_finish_reason_ends_the_reply_complete() -> None:
    body = Body([sse([chunk({"content": "ok"}, finish_reason="stop")])], hang=True)
    client, _ = make_client(Server(ok(body)), idle_timeout=0.1)
    events, reply = await asyncio.wait_for(run(client), 5)
    assert reply.state is ReplyState.COMPLETE and reply.content == "ok"
    assert not any(isinstance(e, StreamError) for e in events)
    assert body.closed


async def test_steady_data_slower_in_total_than_the_idle_timeout_is_fine() -> None:
    items: list[bytes | float | Exception] = []
    for word in ["a", "b", "c", "d", "e", "f"]:
        items += [0.04, sse([chunk({"content": word})])]
    items.append(sse([chunk(finish_reason="stop"), "[DONE]"]))
    client, _ = make_client(Server(ok(Body(items))), idle_timeout=0.15)
    _, reply = await asyncio.wait_for(run(client), 5)
    assert reply.content == "abcdef"
    assert reply.state is ReplyState.COMPLETE


async def test_a_slow_consumer_is_not_the_server_going_silent() -> None:
    items: list[bytes | float | Exception] = [
        sse([chunk({"content": "a"})]),
        0.05,
        sse([chunk({"content": "b"}, finish_reason="stop"), "[DONE]"]),
    ]
    # The consumer is slower than the idle timeout; the server's own gap is a tenth of it, so a
    # loaded machine does not turn the gap into silence.
    client, _ = make_client(Server(ok(Body(items))), idle_timeout=0.5)
    async with client.stream(REQUEST) as stream:
        async for event in stream:
            if event == ContentDelta("a"):
                await asyncio.sleep(0.8)  # e.g. a UI busy rendering
    assert stream.reply.state is ReplyState.COMPLETE
    assert stream.reply.content == "ab"


async def test_no_response_headers_within_the_idle_timeout() -> None:
    async def silent(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return ok(hello_stream())

    client, _ = make_client(
        Server(lambda r: ok(b"")), idle_timeout=0.1, transport=httpx.MockTransport(silent)
    )
    events, reply = await asyncio.wait_for(run(client), 5)
    error = only_error(events)
    assert error.message == "No response from http://api.test/v1/chat/completions within 0.1 s"
    assert reply.state is ReplyState.ERROR


# ----------------------------------------------------------------------------- list_models


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "list", "data": [{"id": "z-ai/glm-5.1"}, {"id": "deepseek/deepseek-r1-0528"}]},
        [{"id": "z-ai/glm-5.1"}, "deepseek/deepseek-r1-0528"],
        {
            "models": [
                {"name": "z-ai/glm-5.1", "model": "z-ai/glm-5.1"},
                {"name": "deepseek/deepseek-r1-0528"},
            ]
        },
    ],
)
async def test_list_models_shapes(payload: Any) -> None:
    server = Server(httpx.Response(200, json=payload))
    client, _ = make_client(server, base_url=BASE + "/")
    assert await client.list_models() == ["deepseek/deepseek-r1-0528", "z-ai/glm-5.1"]
    (request,) = server.requests
    assert request.method == "GET"
    assert str(request.url) == "http://api.test/v1/models"
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_list_models_error_carries_the_provider_message() -> None:
    body = {"error": {"message": f"Invalid API key {KEY}", "type": "invalid_request_error"}}
    client, _ = make_client(Server(httpx.Response(401, json=body)))
    with pytest.raises(APIError) as info:
        await client.list_models()
    assert info.value.status == 401
    assert info.value.type == "invalid_request_error"
    assert info.value.message == "Invalid API key ****"
    assert KEY not in str(info.value)


async def test_list_models_connection_error_is_an_api_error() -> None:
    server = Server(httpx.ConnectError("[Errno 111] Connection refused"))
    client, _ = make_client(server, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(APIError) as info:
        await client.list_models()
    assert info.value.message == "Could not connect to http://127.0.0.1:9/v1: connection refused"


async def test_list_models_not_json() -> None:
    client, _ = make_client(Server(httpx.Response(200, text="hello")))
    with pytest.raises(APIError, match="did not answer with JSON"):
        await client.list_models()


def test_rate_limit_headers_helper() -> None:
    headers = httpx.Headers({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "3", "Date": "x"})
    found = rate_limit_headers(headers.multi_items())
    assert found == {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "3"}
    summary = summarise(found)
    assert (summary.limit_requests, summary.remaining_requests) == (20, 3)
    assert summary.limit_tokens is None
    assert summarise({}).empty


def test_rate_limit_summary_spellings() -> None:
    openai = {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "29500.0",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    s = summarise(openai)
    assert (s.limit_requests, s.remaining_requests) == (500, 499)
    assert (s.limit_tokens, s.remaining_tokens) == (30000, 29500)
    assert (s.reset_requests, s.reset_tokens) == ("120ms", "6m0s")
    tensorx = {
        "x-ratelimit-api_key-limit-requests": "60",
        "x-ratelimit-api_key-remaining-tokens": "lots",  # junk is ignored, not a crash
        "x-ratelimit-api_key-reset-requests": "2026-03-21 20:38:07 UTC",
    }
    s = summarise(tensorx)
    assert s.limit_requests == 60 and s.remaining_tokens is None
    assert s.reset_requests == "2026-03-21 20:38:07 UTC"
    assert not s.empty
