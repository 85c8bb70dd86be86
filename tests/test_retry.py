"""When the client sends a request again, and how long it waits (no real waiting: a fake sleep)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from streams import chunk, sse
from test_client import (
    REQUEST,
    Body,
    Server,
    hello_stream,
    make_client,
    ok,
    only_error,
    run,
    text_of,
)

from tensorx_tui.core.endpoint import RetryPolicy
from tensorx_tui.core.events import ResponseStarted, Retrying, StreamError
from tensorx_tui.core.reply import ReplyState
from tensorx_tui.core.retry import (
    backoff_delay,
    is_retryable_status,
    parse_reset_text,
    parse_retry_after,
    requested_wait,
    server_now,
)

NOW = datetime(2026, 3, 21, 20, 37, 0, tzinfo=UTC).timestamp()
HTTP_NOW = "Sat, 21 Mar 2026 20:37:00 GMT"


def tensorx_429(reset: str = "2026-03-21 20:37:07") -> httpx.Response:
    message = f"Rate limit exceeded: 60 requests per minute. Limit resets at: {reset} UTC"
    return httpx.Response(
        429,
        headers={"date": HTTP_NOW, "x-ratelimit-api_key-remaining-requests": "0"},
        json={"error": {"message": message, "type": "rate_limit_error", "code": "429"}},
    )


# ----------------------------------------------------------------------------- pure parsing


def test_retry_after_seconds_and_ms() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "7"}), now=NOW) == 7.0
    assert parse_retry_after(httpx.Headers({"retry-after": " 1.5 "}), now=NOW) == 1.5
    # retry-after-ms is the more precise of the two, so it wins.
    both = httpx.Headers({"Retry-After": "2", "retry-after-ms": "1250"})
    assert parse_retry_after(both, now=NOW) == 1.25
    bad_ms = httpx.Headers({"Retry-After": "2", "retry-after-ms": "soon"})
    assert parse_retry_after(bad_ms, now=NOW) == 2.0


def test_retry_after_http_date() -> None:
    later = format_datetime(datetime(2026, 3, 21, 20, 37, 12, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": later}), now=NOW) == 12.0
    past = "Sat, 21 Mar 2026 20:00:00 GMT"
    assert parse_retry_after(httpx.Headers({"Retry-After": past}), now=NOW) == 0.0


@pytest.mark.parametrize("value", ["", "soon", "-3", "nan", "inf", "Mon, 99 Foo"])
def test_retry_after_unusable(value: str) -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": value}), now=NOW) is None


def test_no_retry_after() -> None:
    assert parse_retry_after(httpx.Headers({}), now=NOW) is None


def test_tensorx_reset_text() -> None:
    text = "Rate limit exceeded … Limit resets at: 2026-03-21 20:38:07 UTC"
    assert parse_reset_text(text, now=NOW) == 67.0
    assert parse_reset_text("limit resets at 2026-03-21T20:37:30Z", now=NOW) == 30.0
    assert parse_reset_text("Limit resets at: 2026-03-21 20:00:00 UTC", now=NOW) == 0.0
    assert parse_reset_text("Limit resets at: 2026-13-45 99:00:00 UTC", now=NOW) is None
    assert parse_reset_text("Rate limit exceeded", now=NOW) is None


def test_server_date_is_the_reference_for_reset_times() -> None:
    # Our clock is an hour off; the server's Date header is what the reset time is relative to.
    headers = httpx.Headers({"date": HTTP_NOW})
    assert server_now(headers, NOW + 3600) == NOW
    assert server_now(httpx.Headers({"date": "garbage"}), 5.0) == 5.0
    text = "Limit resets at: 2026-03-21 20:37:07 UTC"
    assert requested_wait(headers, text, now=server_now(headers, NOW + 3600)) == 7.0
    # A header beats the body text.
    with_header = httpx.Headers({"date": HTTP_NOW, "retry-after": "3"})
    assert requested_wait(with_header, text, now=NOW) == 3.0


def test_backoff_grows_is_capped_and_jittered() -> None:
    low = [backoff_delay(a, base=0.5, cap=20, rand=lambda: 0.0) for a in range(1, 9)]
    high = [backoff_delay(a, base=0.5, cap=20, rand=lambda: 0.999999) for a in range(1, 9)]
    assert low[:4] == [0.25, 0.5, 1.0, 2.0]
    assert all(h == pytest.approx(2 * lo, rel=1e-5) for lo, h in zip(low, high, strict=True))
    assert max(high) <= 20 and high[-1] == pytest.approx(20, rel=1e-5)
    assert backoff_delay(10_000, base=0.5, cap=20, rand=lambda: 0.5) <= 20  # no overflow


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (529, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
        (501, False),
        (505, False),
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


# ----------------------------------------------------------------------------- through the client


async def test_429_retry_after_seconds_then_success() -> None:
    server = Server(
        httpx.Response(429, headers={"retry-after": "2"}, json={"error": {"message": "slow down"}}),
        ok(hello_stream()),
    )
    client, waits = make_client(server)
    events, reply = await run(client)
    retrying = [e for e in events if isinstance(e, Retrying)]
    assert retrying == [Retrying(2, 2.0, "HTTP 429 Too Many Requests: slow down")]
    assert waits == [2.0]
    assert len(server.requests) == 2
    assert server.bodies()[0] == server.bodies()[1]  # the same request sent again
    assert reply.state is ReplyState.COMPLETE and reply.content == "Hello"
    assert reply.error is None
    assert not any(isinstance(e, StreamError) for e in events)


async def test_429_retry_after_http_date() -> None:
    later = "Sat, 21 Mar 2026 20:37:04 GMT"
    server = Server(
        httpx.Response(429, headers={"retry-after": later, "date": HTTP_NOW}),
        ok(hello_stream()),
    )
    client, waits = make_client(server, wall_clock=NOW + 100)
    _, reply = await run(client)
    assert waits == [4.0]
    assert reply.state is ReplyState.COMPLETE


async def test_429_retry_after_ms() -> None:
    server = Server(httpx.Response(429, headers={"retry-after-ms": "1500"}), ok(hello_stream()))
    client, waits = make_client(server)
    _, reply = await run(client)
    assert waits == [1.5]
    assert reply.content == "Hello"


async def test_a_zero_wait_backs_off_instead_of_hammering() -> None:
    server = Server(
        httpx.Response(429, headers={"retry-after": "0"}),
        tensorx_429("2026-03-21 20:00:00"),  # already past
        ok(hello_stream()),
    )
    client, waits = make_client(server, retry=RetryPolicy(base_delay=1.0), wall_clock=NOW)
    _, reply = await run(client)
    assert waits == [0.75, 1.5]
    assert reply.state is ReplyState.COMPLETE


async def test_tensorx_429_reset_text_is_honoured() -> None:
    server = Server(tensorx_429("2026-03-21 20:37:07"), ok(hello_stream()))
    client, waits = make_client(server, wall_clock=NOW)
    events, reply = await run(client)
    assert waits == [7.0]
    (retrying,) = [e for e in events if isinstance(e, Retrying)]
    assert retrying.attempt == 2 and "Limit resets at" in retrying.reason
    assert reply.state is ReplyState.COMPLETE


async def test_wait_longer_than_max_delay_is_not_retried_but_reported() -> None:
    server = Server(tensorx_429("2026-03-21 20:38:07"), ok(hello_stream()))
    client, waits = make_client(server, retry=RetryPolicy(max_delay=20), wall_clock=NOW)
    events, reply = await run(client)
    error = only_error(events)
    assert error.status == 429
    assert error.retry_after == 67.0
    assert error.type == "rate_limit_error" and error.code == "429"
    assert "Limit resets at: 2026-03-21 20:38:07 UTC" in error.message
    assert waits == [] and len(server.requests) == 1
    assert reply.state is ReplyState.ERROR
    assert reply.rate_limits == {"x-ratelimit-api_key-remaining-requests": "0"}


async def test_long_retry_after_header_is_reported_in_the_message() -> None:
    server = Server(httpx.Response(503, headers={"retry-after": "120"}))
    client, waits = make_client(server)
    events, _ = await run(client)
    error = only_error(events)
    assert error.retry_after == 120.0
    assert error.message == "HTTP 503 Service Unavailable (the server asks to retry in 120 s)"
    assert waits == []


async def test_5xx_then_success_with_backoff() -> None:
    server = Server(
        httpx.Response(503, text="overloaded"),
        httpx.Response(502),
        ok(hello_stream()),
    )
    client, waits = make_client(server, retry=RetryPolicy(base_delay=1.0, max_delay=20))
    events, reply = await run(client)
    # rand() is 0.5 in these tests: equal jitter gives 3/4 of each exponential step.
    assert waits == [0.75, 1.5]
    retrying = [e for e in events if isinstance(e, Retrying)]
    assert [r.attempt for r in retrying] == [2, 3]
    assert retrying[0].reason == "HTTP 503 Service Unavailable: overloaded"
    assert retrying[1].reason == "HTTP 502 Bad Gateway"
    assert reply.state is ReplyState.COMPLETE
    assert len(server.requests) == 3


async def test_backoff_waits_are_capped() -> None:
    server = Server(lambda r: httpx.Response(500))
    client, waits = make_client(
        server, retry=RetryPolicy(max_attempts=6, base_delay=4, max_delay=5)
    )
    await run(client)
    assert len(waits) == 5
    assert max(waits) <= 5


async def test_max_attempts_exhausted() -> None:
    server = Server(lambda r: httpx.Response(503, json={"error": {"message": "busy"}}))
    client, waits = make_client(server, retry=RetryPolicy(max_attempts=4))
    events, reply = await run(client)
    assert len(server.requests) == 4
    assert len(waits) == 3
    assert sum(isinstance(e, Retrying) for e in events) == 3
    error = only_error(events)
    assert error.message == "busy (gave up after 4 tries)"
    assert error.status == 503
    assert reply.state is ReplyState.ERROR
    assert reply.error is not None and reply.error.status == 503


async def test_single_attempt_policy_never_retries() -> None:
    server = Server(httpx.Response(503), ok(hello_stream()))
    client, waits = make_client(server, retry=RetryPolicy(max_attempts=1))
    events, _ = await run(client)
    assert only_error(events).message == "HTTP 503 Service Unavailable"
    assert waits == [] and len(server.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 422, 501])
async def test_client_errors_are_not_retried(status: int) -> None:
    server = Server(httpx.Response(status, json={"error": {"message": "no"}}), ok(hello_stream()))
    client, waits = make_client(server)
    events, reply = await run(client)
    assert only_error(events).status == status
    assert waits == [] and len(server.requests) == 1
    assert reply.state is ReplyState.ERROR


async def test_no_retry_once_content_started() -> None:
    body = Body([sse([chunk({"content": "Half"})]), httpx.ReadError("connection reset")])
    server = Server(ok(body), ok(hello_stream()))
    client, waits = make_client(server)
    events, reply = await run(client)
    assert waits == [] and len(server.requests) == 1
    assert only_error(events).type == "interrupted"
    assert reply.state is ReplyState.INTERRUPTED and reply.content == "Half"


async def test_drop_after_200_before_any_token_is_retried() -> None:
    first = Body(
        [
            sse([chunk({"role": "assistant", "content": ""})]),
            httpx.RemoteProtocolError("peer closed"),
        ]
    )
    server = Server(
        ok(first, headers={"x-ratelimit-remaining-requests": "9"}),
        ok(hello_stream(), headers={"x-ratelimit-remaining-requests": "8"}),
    )
    client, waits = make_client(server)
    events, reply = await run(client)
    kinds = [type(e).__name__ for e in events[:3]]
    assert kinds == ["ResponseStarted", "Retrying", "ResponseStarted"]
    assert len(waits) == 1 and len(server.requests) == 2
    assert first.closed
    assert text_of(events) == "Hello"
    assert reply.state is ReplyState.COMPLETE
    assert reply.rate_limits == {"x-ratelimit-remaining-requests": "8"}
    started = [e for e in events if isinstance(e, ResponseStarted)]
    assert started[-1].rate_limits == {"x-ratelimit-remaining-requests": "8"}


async def test_connect_error_is_retried() -> None:
    server = Server(httpx.ConnectError("[Errno 111] Connection refused"), ok(hello_stream()))
    client, waits = make_client(server)
    events, reply = await run(client)
    (retrying,) = [e for e in events if isinstance(e, Retrying)]
    assert retrying.reason == "Could not connect to http://api.test/v1: connection refused"
    assert len(waits) == 1
    assert reply.state is ReplyState.COMPLETE and reply.content == "Hello"


async def test_connect_error_every_time_gives_up_with_a_clear_message() -> None:
    server = Server(httpx.ConnectError("[Errno 111] Connection refused"))
    client, waits = make_client(server, retry=RetryPolicy(max_attempts=3))
    events, reply = await run(client)
    error = only_error(events)
    assert error.message == (
        "Could not connect to http://api.test/v1: connection refused (gave up after 3 tries)"
    )
    assert error.type == "connection"
    assert len(waits) == 2
    assert reply.state is ReplyState.ERROR


async def test_read_timeout_waiting_for_headers_is_not_retried() -> None:
    server = Server(httpx.ReadTimeout("timed out"), ok(hello_stream()))
    client, waits = make_client(server)
    events, _ = await run(client)
    assert only_error(events).message == "Timed out waiting for http://api.test/v1"
    assert waits == [] and len(server.requests) == 1


async def test_in_stream_rate_limit_before_any_token_is_retried() -> None:
    # OpenRouter reports upstream 429s inside a 200 stream.
    err = sse([{"error": {"message": "Rate limited upstream", "code": 429}}])
    server = Server(ok(err), ok(hello_stream()))
    client, waits = make_client(server)
    events, reply = await run(client)
    assert len(waits) == 1 and len(server.requests) == 2
    assert reply.state is ReplyState.COMPLETE and reply.error is None
    assert not any(isinstance(e, StreamError) for e in events)


async def test_200_json_error_with_retryable_code_is_retried() -> None:
    body = {"error": {"message": "overloaded", "code": "503"}}
    server = Server(httpx.Response(200, json=body), ok(hello_stream()))
    client, waits = make_client(server)
    _, reply = await run(client)
    assert len(waits) == 1
    assert reply.content == "Hello"


async def test_retry_wait_is_cancellable() -> None:
    async def real_sleep(delay: float) -> None:
        await asyncio.sleep(30)

    server = Server(httpx.Response(503), ok(hello_stream()))
    client, _ = make_client(server)
    client.sleep = real_sleep
    seen: list[object] = []
    waiting = asyncio.Event()

    async def consume() -> None:
        async with client.stream(REQUEST) as stream:
            seen.append(stream)
            async for event in stream:
                seen.append(event)
                if isinstance(event, Retrying):
                    waiting.set()  # the next step is the 30 s wait

    task = asyncio.create_task(consume())
    await asyncio.wait_for(waiting.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen[0].reply.state is ReplyState.CANCELLED  # type: ignore[attr-defined]
    assert len(server.requests) == 1
