"""End to end: the project's own Endpoint against the demo server, for every model and fault."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tensorx_tui.core.endpoint import Endpoint, RetryPolicy
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.demo.faults import FaultTimings
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.demo.tokenizer import count_tokens

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
        },
    },
}


@pytest.fixture(scope="module")
def srv() -> Iterator[DemoServer]:
    timings = FaultTimings(keepalive_interval_s=0.05)
    with DemoServer(speed=0, faults=timings) as server:
        yield server


@pytest.fixture
async def client(srv: DemoServer) -> AsyncIterator[tuple[Endpoint, list[float]]]:
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)  # retries are the client's business: never really wait here

    async with httpx.AsyncClient(timeout=10) as http:
        yield (
            Endpoint(
                http,
                base_url=srv.base_url,
                api_key=None,
                retry=RetryPolicy(max_attempts=3),
                idle_timeout=1.0,
                sleep=no_sleep,
            ),
            waits,
        )


async def run(client: Endpoint, model: str, text: str, **extra: Any) -> Reply:
    messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
    request = ChatRequest(model=model, messages=messages, **extra)
    async with client.stream(request) as stream:
        async for _ in stream:
            pass
    return stream.reply


async def test_demo_reply_is_complete_with_honest_usage(
    client: tuple[Endpoint, list[float]],
) -> None:
    reply = await run(client[0], "demo", "Hello")
    assert reply.state is ReplyState.COMPLETE and reply.finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage["completion_tokens"] == count_tokens(reply.content)
    assert reply.usage["prompt_tokens"] == count_tokens("Hello")
    assert reply.model == "demo"
    assert reply.rate_limits  # the x-ratelimit-* headers reached the client


async def test_reasoner_and_tools(client: tuple[Endpoint, list[float]]) -> None:
    reasoned = await run(client[0], "demo-reasoner", "Compare tea and coffee")
    assert reasoned.reasoning and "| Tea | Coffee |" in reasoned.content
    tools = await run(client[0], "demo", "weather in Paris and Tokyo", tools=[WEATHER_TOOL])
    assert tools.finish_reason == "tool_calls"
    assert [json.loads(str(c.arguments))["city"] for c in tools.tool_calls] == ["Paris", "Tokyo"]


async def test_length_and_content_filter(client: tuple[Endpoint, list[float]]) -> None:
    cut = await run(client[0], "demo", "Hello", max_tokens=4)
    assert cut.finish_reason == "length" and count_tokens(cut.content) == 4
    filtered = await run(client[0], "demo-fault-filter", "Hello")
    assert filtered.finish_reason == "content_filter"


async def test_429_is_retried_after_retry_after(client: tuple[Endpoint, list[float]]) -> None:
    chat, waits = client
    reply = await run(chat, "demo-fault-429", "retry me please")
    assert reply.state is ReplyState.COMPLETE and reply.content
    assert waits and waits[0] >= 1.0  # the server's Retry-After: 1 was honoured


async def test_500_ends_in_an_error(client: tuple[Endpoint, list[float]]) -> None:
    reply = await run(client[0], "demo-fault-500", "Hello")
    assert reply.state is ReplyState.ERROR
    assert reply.error is not None and "demo-fault-500" in reply.error.message


async def test_drop_keeps_the_partial_text(client: tuple[Endpoint, list[float]]) -> None:
    reply = await run(client[0], "demo-fault-drop", "Hello")
    assert reply.state in (ReplyState.INTERRUPTED, ReplyState.ERROR)
    assert count_tokens(reply.content) == FaultTimings().tokens_before_fault


async def test_error_event_is_shown(client: tuple[Endpoint, list[float]]) -> None:
    reply = await run(client[0], "demo-fault-error-event", "Hello")
    assert reply.state is ReplyState.ERROR
    assert reply.error is not None and "mid-stream" in reply.error.message
    assert reply.content


async def test_keepalive_only_ends_by_the_client_idle_timeout(
    client: tuple[Endpoint, list[float]],
) -> None:
    reply = await run(client[0], "demo-fault-keepalive", "Hello")
    assert reply.state is not ReplyState.COMPLETE
    assert reply.content == "" and reply.error is not None
