"""The app shell: theme, client lifetime, retry status, unexpected failures, status line text."""

from __future__ import annotations

from typing import Any

import httpx
from textual.message import Message
from ui_app_support import (
    SIZE,
    chat,
    client_factory,
    demo_app,
    notes,
    reply_done,
    screen_text,
)

from tensorx_tui.core.ratelimits import summarise
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.open_endpoint import EndpointHandle
from tensorx_tui.settings import Settings
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.status_line import endpoint_label, rate_limit_text


async def test_theme_from_settings_and_unknown_theme_warns(demo_server: DemoServer) -> None:
    app = demo_app(demo_server, theme="nord")
    async with app.run_test(size=SIZE):
        assert app.theme == "nord"
    app = demo_app(demo_server, theme="no-such-theme")
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await pilot.pause()
        assert app.is_running
        assert any("no-such-theme" in note for note in notes(seen))


async def test_http_client_is_closed_when_the_app_exits(demo_server: DemoServer) -> None:
    handles: list[EndpointHandle] = []
    build = client_factory()

    def factory(settings: Settings) -> EndpointHandle:
        handles.append(build(settings))
        return handles[-1]

    app = ChatApp(Settings(base_url=demo_server.base_url, model="demo"), client_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h", "i", "enter")
        await reply_done(app)
        assert not handles[0].http.is_closed
    assert handles[0].http.is_closed


async def test_a_429_retry_shows_in_the_status_line(demo_server: DemoServer) -> None:
    app = demo_app(demo_server, model="demo-fault-429")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        shown: list[str] = []  # the states the status line was repainted with, in order
        refresh = screen.status.refresh

        def record(*regions: Any, **options: Any) -> Any:
            if not shown or shown[-1] != screen.status.state:
                shown.append(screen.status.state)
            return refresh(*regions, **options)

        screen.status.refresh = record  # type: ignore[method-assign]
        await pilot.press("h", "i", "enter")
        await reply_done(app)
        phases = [s for s in shown if s in ("connecting", "retrying", "streaming", "idle")]
        assert phases == ["connecting", "retrying", "streaming", "idle"]
        assert screen.state.messages[-1]["role"] == "assistant"


async def test_an_unexpected_failure_is_shown_not_raised() -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("boom [/nope]")

    settings = Settings(base_url="http://local/v1", model="m")
    app = ChatApp(settings, client_factory=client_factory(httpx.MockTransport(explode)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h", "i", "enter")
        await reply_done(app)
        await pilot.pause()
        assert app.is_running
        assert chat(app).status.state == "error"
        text = screen_text(app)
        assert "Internal error" in text and "boom [/nope]" in text
        assert "● streaming" not in text  # the message was closed, not left streaming


def test_status_line_texts() -> None:
    assert endpoint_label("https://user:pw@api.tensorx.ai/v1") == "api.tensorx.ai"
    assert endpoint_label("http://127.0.0.1:8080/v1") == "127.0.0.1:8080"
    headers = {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-limit-tokens": "2000000",
        "x-ratelimit-remaining-tokens": "1500000",
    }
    assert rate_limit_text(summarise(headers)) == "59/60 req · 1.5M/2M tok"
    assert rate_limit_text(summarise({"x-ratelimit-remaining": "7"})) == "7 req"
    assert rate_limit_text(summarise({})) == ""
