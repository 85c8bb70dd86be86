"""Provider error bodies and transport failures become clear messages (and never leak the key)."""

from __future__ import annotations

import socket

import httpx
import pytest
from test_client import KEY, Server, make_client, only_error, run

from tensorx_tui.core.endpoint import APIError, Endpoint, RetryPolicy
from tensorx_tui.core.errors import (
    clean_text,
    describe_transport_error,
    display_url,
    parse_error_body,
    status_line,
)
from tensorx_tui.core.reply import ReplyState
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.secret import Secret

ONCE = RetryPolicy(max_attempts=1)


async def error_for(response: httpx.Response, **kwargs: object) -> tuple[str, int | None]:
    client, _ = make_client(Server(response), retry=ONCE, **kwargs)  # type: ignore[arg-type]
    events, reply = await run(client)
    error = only_error(events)
    assert reply.state is ReplyState.ERROR
    assert reply.error is not None and reply.error.message == error.message
    return error.message, error.status


# ------------------------------------------------------------------------- bodies via the client


async def test_openai_style_json_error() -> None:
    body = {
        "error": {
            "message": "This model's maximum context length is 8192 tokens.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
    client, _ = make_client(Server(httpx.Response(400, json=body)))
    events, reply = await run(client)
    error = only_error(events)
    assert error.message == "This model's maximum context length is 8192 tokens."
    assert (error.status, error.type, error.code) == (
        400,
        "invalid_request_error",
        "context_length_exceeded",
    )
    assert reply.error is not None and reply.error.type == "invalid_request_error"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": "overloaded"}, "overloaded"),
        ({"message": "Model not found: foo", "type": "NotFoundError"}, "Model not found: foo"),
        ({"detail": "Not authenticated"}, "Not authenticated"),
        (
            {"detail": [{"loc": ["body", "messages"], "msg": "field required", "type": "missing"}]},
            "body.messages: field required",
        ),
        (
            [{"error": {"code": 400, "message": "Gemini says no", "status": "INVALID_ARGUMENT"}}],
            "Gemini says no",
        ),
        (
            {
                "error": {
                    "message": "Provider returned error",
                    "code": 400,
                    "metadata": {"raw": "bad tool schema", "provider_name": "Fireworks"},
                }
            },
            "Provider returned error (Fireworks): bad tool schema",
        ),
        (
            {"object": "error", "message": "vLLM: prompt too long", "code": 400},
            "vLLM: prompt too long",
        ),
    ],
)
async def test_json_error_shapes(body: object, message: str) -> None:
    got, status = await error_for(httpx.Response(422, json=body))
    assert got == message
    assert status == 422


async def test_json_without_a_message_shows_the_status_and_the_json() -> None:
    got, _ = await error_for(httpx.Response(500, json={"ok": False}))
    assert got == 'HTTP 500 Internal Server Error: {"ok":false}'


async def test_plain_text_body_is_cleaned_and_truncated() -> None:
    text = "Internal error\x1b[31m in \x07worker\r\n" + "x" * 5000
    got, status = await error_for(httpx.Response(500, text=text))
    assert status == 500
    assert got.startswith("Internal error in worker x")
    assert "\x1b" not in got and "\x07" not in got and "\r" not in got
    assert len(got) <= 300 and got.endswith("…")


async def test_json_error_sent_as_an_event_stream_without_data_lines_is_shown() -> None:
    # Some proxies label a plain JSON error body text/event-stream: no `data:` line, no event.
    # It used to read "only keep-alives and no data", losing the provider's message.
    body = b'{"error": {"message": "model is overloaded", "code": 503}}\n'
    headers = {"content-type": "text/event-stream"}
    message, status = await error_for(httpx.Response(200, headers=headers, content=body))
    assert message == "model is overloaded" and status == 503


async def test_html_error_page_is_summarised_with_its_title() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>example.com | 524: A timeout occurred</title></head>"
        "<body><h1>A timeout occurred</h1>" + "<p>lots of markup</p>" * 200 + "</body></html>"
    )
    got, _ = await error_for(httpx.Response(524, headers={"content-type": "text/html"}, text=page))
    assert got == "HTTP 524 Error: example.com | 524: A timeout occurred"


async def test_html_page_whose_title_repeats_the_status() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    got, _ = await error_for(httpx.Response(502, headers={"content-type": "text/html"}, text=page))
    assert got == "HTTP 502 Bad Gateway (an HTML error page)"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (502, "HTTP 502 Bad Gateway"),
        (500, "HTTP 500 Internal Server Error"),
        (418, "HTTP 418 I'm a Teapot"),
    ],
)
async def test_empty_body_is_the_status_line(status: int, message: str) -> None:
    got, got_status = await error_for(httpx.Response(status))
    assert got == message and got_status == status


async def test_401_without_a_key_says_so() -> None:
    got, _ = await error_for(httpx.Response(401), key=None)
    assert got == "HTTP 401 Unauthorized (no API key is set)"


async def test_empty_404_names_the_url() -> None:
    got, _ = await error_for(httpx.Response(404), base_url="http://api.test")
    assert got == "HTTP 404 Not Found at http://api.test/chat/completions"


async def test_redirect_says_where_it_points() -> None:
    response = httpx.Response(301, headers={"location": "https://api.test/v1/chat/completions"})
    got, status = await error_for(response)
    assert status == 301
    assert got == (
        "HTTP 301 Moved Permanently "
        "(redirected to https://api.test/v1/chat/completions: check the base URL)"
    )


async def test_the_key_is_redacted_from_echoed_errors() -> None:
    body = {"error": {"message": f"Incorrect API key provided: {KEY}."}}
    got, _ = await error_for(httpx.Response(401, json=body))
    assert KEY not in got
    assert got == "Incorrect API key provided: ****."


@pytest.mark.parametrize(
    "bad_key", ["sk-abc123456789\n", " sk-abc123456789", "sk-abc123456789é", "sk-abc123456789\x00"]
)
async def test_a_key_that_cannot_be_a_header_is_reported_without_quoting_it(bad_key: str) -> None:
    server = Server(httpx.Response(200))
    client, waits = make_client(server, key=bad_key)
    events, reply = await run(client)
    error = only_error(events)
    assert error.type == "invalid_api_key"
    assert "abc123" not in error.message and "API key" in error.message
    assert server.requests == [] and waits == []
    assert reply.state is ReplyState.ERROR
    with pytest.raises(APIError) as info:
        await client.list_models()
    assert "abc123" not in info.value.message


async def test_rate_limit_headers_kept_on_an_error_reply() -> None:
    response = httpx.Response(400, headers={"x-ratelimit-remaining-tokens": "10"})
    client, _ = make_client(Server(response), retry=ONCE)
    _, reply = await run(client)
    assert reply.rate_limits == {"x-ratelimit-remaining-tokens": "10"}
    assert reply.timings.request_sent is not None and reply.timings.finished is not None


# ----------------------------------------------------------------------------- transport failures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_real_connection_refused_on_loopback() -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"
    async with httpx.AsyncClient() as http:
        waits: list[float] = []

        async def fake_sleep(delay: float) -> None:
            waits.append(delay)

        client = Endpoint(
            http,
            base_url=base,
            api_key=Secret(KEY),
            retry=RetryPolicy(max_attempts=2),
            sleep=fake_sleep,
        )
        request = ChatRequest(model="m", messages=[{"role": "user", "content": "hi"}])
        events, reply = await run(client, request)
    error = only_error(events)
    assert (
        error.message == f"Could not connect to {base}: connection refused (gave up after 2 tries)"
    )
    assert error.type == "connection"
    assert len(waits) == 1
    assert reply.state is ReplyState.ERROR


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            "Could not connect to {u}: connection refused",
        ),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "Could not connect to {u}: host name not found (DNS)",
        ),
        (
            httpx.ConnectError("[Errno 8] nodename nor servname provided, or not known"),
            "Could not connect to {u}: host name not found (DNS)",
        ),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "TLS error connecting to {u}: "
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
        ),
        (httpx.ConnectTimeout("timed out"), "Timed out connecting to {u}"),
        (httpx.ReadTimeout("timed out"), "Timed out waiting for {u}"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "Connection dropped by {u}: Server disconnected without sending a response.",
        ),
        (
            httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."),
            "Invalid base URL {u}: Request URL has an unsupported protocol 'ftp://'.",
        ),
    ],
)
def test_transport_error_messages(exc: httpx.HTTPError, message: str) -> None:
    url = "https://api.tensorx.ai/v1"
    assert describe_transport_error(exc, url) == message.format(u=url)


def test_connect_error_classified_by_its_cause() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed")
        except OSError as inner:
            raise httpx.ConnectError("All connection attempts failed") from inner
    except httpx.ConnectError as exc:
        message = describe_transport_error(exc, "http://localhost:8080/v1")
    assert message == "Could not connect to http://localhost:8080/v1: connection refused"


async def test_unsupported_scheme_is_not_retried() -> None:
    client, waits = make_client(Server(httpx.Response(200)), base_url="ftp://example/v1")
    # MockTransport accepts any scheme, so use a real transport for this one.
    client = Endpoint(
        httpx.AsyncClient(), base_url="ftp://example/v1", api_key=None, sleep=client.sleep
    )
    events, reply = await run(client)
    assert only_error(events).message.startswith("Invalid base URL ftp://example/v1")
    assert waits == []
    assert reply.state is ReplyState.ERROR


# ----------------------------------------------------------------------------- pure helpers


def test_display_url_hides_credentials_and_query() -> None:
    assert display_url("https://user:pw@host.example/v1?key=abc") == "https://host.example/v1"
    assert display_url("https://h/v1?api-version=2&token=t#x") == "https://h/v1?api-version=2"
    assert display_url("http://127.0.0.1:9/v1") == "http://127.0.0.1:9/v1"


def test_clean_text() -> None:
    assert clean_text("a\x1b]0;title\x07b\x1b[2Jc\x9bd\te\nf") == "abcd\te\nf"
    assert clean_text("  x  ") == "x"
    assert clean_text("abcdef", 4) == "abc…"


def test_status_line_unknown_status() -> None:
    assert status_line(599) == "HTTP 599 Error"
    assert status_line(429) == "HTTP 429 Too Many Requests"


def test_parse_error_body_bom_and_invalid_utf8() -> None:
    found = parse_error_body(
        400, "application/json", b'\xef\xbb\xbf{"error":{"message":"bad \xff"}}'
    )
    assert found.message == "bad \ufffd"
    assert parse_error_body(400, "", b"   \n").message == "HTTP 400 Bad Request"
    assert parse_error_body(500, "application/json", b"{broken").message == "{broken"
