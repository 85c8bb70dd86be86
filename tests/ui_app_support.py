"""Shared pieces for the app's Pilot tests: a demo server, app factories, screen text, waiting."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx
from textual.message import Message
from textual.notifications import Notify

from tensorx_tui.core.endpoint import Endpoint, RetryPolicy
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.open_endpoint import EndpointHandle
from tensorx_tui.settings import Settings
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.chat_screen import ChatScreen

SIZE = (100, 34)


async def _no_sleep(_seconds: float) -> None:
    # Retries happen at once: the tests check what is shown, not the backoff (tested in core).
    await asyncio.sleep(0)


def client_factory(
    transport: httpx.AsyncBaseTransport | None = None, *, attempts: int = 4
) -> Callable[[Settings], EndpointHandle]:
    """Like connect.open_endpoint, with instant retries and an optional MockTransport."""

    def build(settings: Settings) -> EndpointHandle:
        handle = EndpointHandle(settings, transport)
        handle.client = Endpoint(
            handle.http,
            base_url=settings.base_url,
            api_key=settings.api_key,
            retry=RetryPolicy(max_attempts=attempts),
            idle_timeout=settings.idle_timeout,
            sleep=_no_sleep,
        )
        return handle

    return build


def demo_app(server: DemoServer, model: str = "demo", **settings: Any) -> ChatApp:
    config = Settings(base_url=server.base_url, model=model, demo=True, **settings)
    return ChatApp(config, client_factory=client_factory())


def chat(app: ChatApp) -> ChatScreen:
    screen = app.chat
    assert screen is not None
    return screen


def screen_text(app: ChatApp) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


def normalised_screen_text(app: ChatApp) -> str:
    """Screen text without what changes from run to run (timings, ports)."""
    text = screen_text(app)
    text = re.sub(r"TTFT [\d.,]+ ?m?s", "TTFT <t>", text)
    text = re.sub(r"[\d.,]+ tok/s", "<n> tok/s", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", text)
    return text


async def wait_for(condition: Callable[[], object], limit_s: float = 10.0) -> None:
    """Poll `condition` until it is true (a stream's pace is not the test's to guess)."""
    try:
        async with asyncio.timeout(limit_s):
            while not condition():  # noqa: ASYNC110 - the conditions are plain widget state
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {condition}") from None


async def reply_done(app: ChatApp) -> None:
    await chat(app).workers.wait_for_complete()
    await wait_for(lambda: not chat(app).busy)


def notes(messages: list[Message]) -> list[str]:
    """The texts of the notifications among `messages` (from `run_test(message_hook=...)`): read
    through Textual's public Notify message, not the app's private list."""
    return [str(m.notification.message) for m in messages if isinstance(m, Notify)]
