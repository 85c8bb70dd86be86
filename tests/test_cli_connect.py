"""open_endpoint: the settings reach the Endpoint, and the handle closes the connection pool."""

from __future__ import annotations

from pathlib import Path

import httpx

from tensorx_tui.core.events import ContentDelta
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.secret import Secret
from tensorx_tui.open_endpoint import open_endpoint
from tensorx_tui.settings import Settings

SSE = (
    b'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def settings(**changes: object) -> Settings:
    base = Settings(base_url="http://127.0.0.1:1/v1", data_dir=Path("unused"), config_path=None)
    for name, value in changes.items():
        setattr(base, name, value)
    return base


async def test_settings_reach_the_request_and_the_handle_closes() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=SSE)

    handle = open_endpoint(
        settings(api_key=Secret("sk-abcdef0123456789"), model="m"), httpx.MockTransport(handler)
    )
    async with handle as client:
        async with client.stream(ChatRequest(model="m", messages=[])) as stream:
            events = [e async for e in stream]
        assert ContentDelta("hi") in events
        assert stream.reply.content == "hi"
    assert handle.http.is_closed
    [request] = seen
    assert str(request.url) == "http://127.0.0.1:1/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-abcdef0123456789"


async def test_no_key_no_authorization_header_and_timeouts() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": [{"id": "b"}, {"id": "a"}]})

    handle = open_endpoint(
        settings(connect_timeout=3.0, idle_timeout=50.0), httpx.MockTransport(handler)
    )
    timeout = handle.http.timeout
    assert timeout.connect == 3.0
    assert timeout.read is not None and timeout.read > 50.0  # only a backstop to the idle timer
    async with handle as client:
        assert await client.list_models() == ["a", "b"]
    assert "authorization" not in seen[0].headers


async def test_the_think_tags_setting_reaches_the_stream() -> None:
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"<think>r</think>a"}}]}\n\n'
        b"data: [DONE]\n\n"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    for think_tags, expected in ((True, ("r", "a")), (False, ("", "<think>r</think>a"))):
        handle = open_endpoint(settings(think_tags=think_tags), httpx.MockTransport(handler))
        async with handle as client, client.stream(ChatRequest(model="m", messages=[])) as stream:
            async for _ in stream:
                pass
        assert (stream.reply.reasoning, stream.reply.content) == expected
