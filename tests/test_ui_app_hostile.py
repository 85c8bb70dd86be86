"""Untrusted text and failures through the whole app, on an httpx.MockTransport (no network)."""

from __future__ import annotations

import json

import httpx
from streams import chunk, sse, tool_delta
from ui_app_support import SIZE, chat, client_factory, reply_done, screen_text, wait_for

from tensorx_tui.core.secret import Secret
from tensorx_tui.settings import Settings
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.tool_result import ToolResultModal

MARKUP = "[bold]x[/bold] [@click=app.quit]q [/nope]"
ESCAPES = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J\x9b1m end"
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def _stream(*payloads: dict[str, object]) -> httpx.Response:
    body = sse([*payloads, "[DONE]"])
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def hostile_server() -> tuple[httpx.MockTransport, list[dict[str, object]]]:
    """First reply: hostile text + a tool call with hostile name and arguments; then text only."""
    bodies: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        text = [chunk({"content": MARKUP}), chunk({"content": "\n\n" + ESCAPES})]
        if len(bodies) == 1:
            return _stream(
                chunk({"role": "assistant", "reasoning_content": "think [/nope] \x1b[5m"}),
                *text,
                chunk(tool_delta(0, id="call_1", name="look[/b]up", args='{"q": "[red]')),
                chunk(tool_delta(0, args='x[/red]\x1b[2J"}')),
                chunk(finish_reason="tool_calls"),
            )
        return _stream(*text, chunk(finish_reason="stop"))

    return httpx.MockTransport(handle), bodies


async def test_hostile_text_shows_literally_and_the_app_keeps_running() -> None:
    transport, bodies = hostile_server()
    settings = Settings(base_url="http://hostile/v1", model="m", tools=TOOLS)
    app = ChatApp(settings, client_factory=client_factory(transport))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hi", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        modal_text = screen_text(app)
        assert "look[/b]up" in modal_text
        assert "[red]" in modal_text and "[/red]" in modal_text
        assert "\x1b" not in modal_text
        await pilot.press(*"[/oops] result", "enter")
        await reply_done(app)
        await pilot.pause()
        text = screen_text(app)
        assert app.is_running
        assert "[bold]x[/bold]" in text
        assert "[@click=app.quit]q" in text
        assert "[/nope]" in text
        assert "result of look[/b]up" in text  # the tool result (collapsed)
        assert "␛[31mred␛[0m" in text  # ESC made visible, not interpreted
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
        assert "red" in text and "end" in text
        assert len(bodies) == 2
        messages = bodies[1]["messages"]
        assert isinstance(messages, list)
        assert messages[-1] == {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": "[/oops] result",
        }
        # The unsanitised reply is still what goes back to the model.
        assert messages[1]["content"].startswith(MARKUP)
        await pilot.click("#conversation")
        assert app.is_running


async def test_hostile_error_body_is_shown_literally() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        error = {"error": {"message": "bad [/nope] [bold]request\x1b[2J", "type": "invalid"}}
        return httpx.Response(400, json=error)

    settings = Settings(base_url="http://hostile/v1", model="m")
    app = ChatApp(settings, client_factory=client_factory(httpx.MockTransport(handle)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hi", "enter")
        await reply_done(app)
        await pilot.pause()
        text = screen_text(app)
        assert "bad [/nope] [bold]request" in text
        assert "\x1b" not in text
        assert chat(app).status.state == "error"


def unauthorized() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"error": {"message": "Invalid API key provided", "type": "authentication_error"}}
        return httpx.Response(401, json=body)

    return httpx.MockTransport(handle), seen


async def test_401_shows_the_provider_message_and_how_to_set_the_key() -> None:
    transport, seen = unauthorized()
    settings = Settings(api_key=Secret("sk-wrong-key-123456"), config_path=None)
    app = ChatApp(settings, client_factory=client_factory(transport))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hi", "enter")
        await reply_done(app)
        await pilot.pause()
        text = screen_text(app)
        assert "Invalid API key provided" in text
        assert "TENSORX_API_KEY" in text
        assert "sk-wrong-key-123456" not in text
        # A 401 is not retried (the GETs are the model catalog, loaded at start).
        assert [r.method for r in seen].count("POST") == 1


async def test_starts_without_a_key_and_says_how_to_add_one() -> None:
    transport, seen = unauthorized()
    settings = Settings(api_key=None, config_path=None)  # the real TensorX URL, no key
    app = ChatApp(settings, client_factory=client_factory(transport))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "no API key" in text and "TENSORX_API_KEY" in text and "--demo" in text
        assert "no key" in text  # the status line
        await pilot.press(*"hi", "enter")
        await reply_done(app)
        await pilot.pause()
        assert app.is_running
        assert "Invalid API key provided" in screen_text(app)
        assert "authorization" not in {name.lower() for name in seen[0].headers}


async def test_model_picker_shows_a_listing_error_and_accepts_a_typed_id() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": {"message": "models [/nope] unavailable"}})

    settings = Settings(base_url="http://hostile/v1", model="m")
    app = ChatApp(settings, client_factory=client_factory(httpx.MockTransport(handle)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(lambda: "Could not list models" in screen_text(app))
        assert "models [/nope] unavailable" in screen_text(app)
        await pilot.press(*"my-model", "enter")
        await pilot.pause()
        assert chat(app).state.model == "my-model"
