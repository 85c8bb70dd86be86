"""Snapshot tests: the whole screen as text, with deterministic content, against golden files.

Regenerate the goldens after an intended change with `TENSORX_UPDATE_SNAPSHOTS=1 pytest ...`,
then read the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import httpx
from streams import chunk, sse
from ui_app_support import (
    SIZE,
    client_factory,
    normalised_screen_text,
    reply_done,
    screen_text,
    wait_for,
)

from tensorx_tui.settings import Settings
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.tool_result import ToolResultModal

SNAPSHOTS = Path(__file__).with_name("snapshots")
REPLY = (
    "Here is a **small** example:\n\n"
    "```python\ndef greet(name):\n    return f'hello {name}'\n```\n\n"
    "- one\n- two\n"
)
USAGE = {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}
LIMITS = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-limit-tokens": "100000",
    "x-ratelimit-remaining-tokens": "99000",
}


def check(name: str, text: str) -> None:
    golden = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("TENSORX_UPDATE_SNAPSHOTS") or not golden.exists():
        golden.write_text(text + "\n", encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if text + "\n" != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), text.splitlines(), "golden", "screen", lineterm=""
        )
        raise AssertionError(
            f"{golden.name} differs (TENSORX_UPDATE_SNAPSHOTS=1 regenerates it):\n"
            + "\n".join(diff)
        )


def scripted(handler_body: list[httpx.Response]) -> httpx.MockTransport:
    responses = iter(handler_body)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the model catalog, asked at start: this server has none
            return httpx.Response(404, json={"error": {"message": "no such path"}})
        return next(responses)

    return httpx.MockTransport(handle)


def stream(*payloads: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"content-type": "text/event-stream", **(headers or {})},
        content=sse([*payloads, "[DONE]"]),  # type: ignore[list-item]
    )


def app_for(transport: httpx.MockTransport, **settings: object) -> ChatApp:
    config = Settings(base_url="http://snapshot/v1", model="m", **settings)  # type: ignore[arg-type]
    return ChatApp(config, client_factory=client_factory(transport, attempts=1))


async def test_snapshot_finished_reply() -> None:
    pieces = [REPLY[i : i + 7] for i in range(0, len(REPLY), 7)]
    transport = scripted(
        [
            stream(
                *(chunk({"content": piece}, model="m") for piece in pieces),
                chunk(finish_reason="stop", model="m"),
                chunk(choices=[], usage=USAGE, model="m"),
                headers=LIMITS,
            )
        ]
    )
    app = app_for(transport)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"show me an example", "enter")
        await reply_done(app)
        await pilot.pause()
        check("finished_reply", normalised_screen_text(app))


async def test_snapshot_rate_limited_error() -> None:
    error = {"error": {"message": "Rate limit reached for requests", "type": "rate_limit"}}
    headers = {"retry-after": "20", **LIMITS, "x-ratelimit-remaining-requests": "0"}
    transport = scripted([httpx.Response(429, json=error, headers=headers)])
    app = app_for(transport)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.pause()
        text = normalised_screen_text(app)
        assert "Rate limit reached for requests" in text
        check("rate_limited", text)


async def test_snapshot_tool_call_modal() -> None:
    from streams import tool_delta

    transport = scripted(
        [
            stream(
                chunk(tool_delta(0, id="call_1", name="get_weather", args='{"city": "Paris"}')),
                chunk(finish_reason="tool_calls"),
            )
        ]
    )
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    app = app_for(transport, tools=tools)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"weather in Paris?", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        # The conversation behind the modal repaints on its own time: wait for the finished
        # tool call's title (a single pause sometimes caught "get_weather …").
        await wait_for(lambda: "▶ get_weather city=Paris" in screen_text(app))
        await pilot.pause()
        check("tool_call_modal", normalised_screen_text(app))
