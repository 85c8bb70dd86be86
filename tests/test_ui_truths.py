"""Small truths the chat must tell: what a tool call was asked, whether a notice still holds, how
long the reasoning is, which theme you picked, and how a copy really went.

Real keys at 80x24 against the demo server on 127.0.0.1; notifications read as `Notify` messages.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import stat
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Collapsible
from textual.widgets.collapsible import CollapsibleTitle
from ui_app_support import (
    chat,
    client_factory,
    demo_app,
    reply_done,
    screen_text,
    wait_for,
)

from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.tool_result import ToolResultModal
from tensorx_tui.ui.transcript import AssistantMessage, Notice
from tensorx_tui.ui.transcript.reasoning_view import ReasoningView
from tensorx_tui.ui.transcript.tool_call_view import ToolCallView, arguments_summary

SMALL = (80, 24)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def notices(messages: list[Message]) -> list[str]:
    return [m.notification.message for m in messages if isinstance(m, Notify)]


def title_text(widget: Collapsible) -> str:
    return str(widget.query_one(CollapsibleTitle).render())


# -- a collapsed tool call shows its arguments ---------------------------------------------------


def test_arguments_summary_is_one_line_of_top_level_pairs() -> None:
    assert arguments_summary('{"city": "Paris"}') == "city=Paris"
    assert arguments_summary(
        '{"n": 3, "ok": true, "x": null, "tags": ["a", "b"], "o": {"k": 1}}'
    ) == ('n=3 ok=true x=null tags=["a","b"] o={"k":1}')
    assert arguments_summary('{"text": "two\\nlines\\u001b[31m red"}') == "text=two lines␛[31m red"
    assert arguments_summary("[1, 2]") == "[1,2]"
    assert arguments_summary("{not json") == ""
    assert arguments_summary("") == ""
    assert len(arguments_summary(json.dumps({"q": "x" * 5000}))) == 300


async def test_a_collapsed_tool_call_shows_name_and_arguments_cut_to_the_width(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server, tools=[WEATHER_TOOL])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*"weather in Paris", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press("escape")
        await reply_done(app)
        # Waited for, not paused once: the view follows the bottom on its own frame.
        await wait_for(lambda: "▶ get_weather city=Paris" in screen_text(app))
        view = app.screen.query_one(ToolCallView)
        hostile = json.dumps({"q": "[red]x[/red] [/nope] " + "long words " * 30})
        view.show_arguments(hostile, final=True)
        await wait_for(lambda: "[/nope] long words" in screen_text(app))
        (row,) = [line for line in screen_text(app).splitlines() if "▶ get_weather" in line]
        assert "q=[red]x[/red] [/nope] long words" in row  # literal, never markup
        assert row.rstrip().endswith("…") and len(row.rstrip()) <= SMALL[0]


# -- the "left unanswered" notice goes once answered ---------------------------------------------


async def test_the_unanswered_notice_goes_away_once_the_call_is_answered(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server, tools=[WEATHER_TOOL])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*"weather in Oslo", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press("escape")
        await reply_done(app)
        await pilot.press("ctrl+t")  # and leave again: still one notice
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press("escape")
        await reply_done(app)
        await pilot.pause()
        assert len(app.screen.query(Notice).filter(".-warning")) == 1
        assert "left unanswered" in screen_text(app)
        await pilot.press("ctrl+t")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press(*"snow, -3 C", "enter")
        await reply_done(app)
        await pilot.pause()
        assert "left unanswered" not in screen_text(app)
        assert not app.screen.query(Notice).filter(".-warning")


# -- the reasoning header says how much -----------------------------------------------------------


async def test_the_reasoning_header_shows_its_length_and_duration(
    demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ticks = itertools.count()
    monkeypatch.setattr(ReasoningView, "clock", lambda: next(ticks) * 0.25)
    settings = Settings(
        base_url=demo_server.base_url, model="demo-reasoner", demo=True, data_dir=tmp_path
    )
    app = ChatApp(settings, client_factory=client_factory(), open_store=Store.open)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*"why", "enter")
        await reply_done(app)
        await pilot.pause()
        reply = chat(app).last_reply
        assert reply is not None and reply.reasoning
        title = title_text(app.screen.query(AssistantMessage).last().reasoning)
        chars = f"{len(reply.reasoning):,}"
        assert re.fullmatch(rf"▶ Reasoning · {chars} chars · \d+\.\d s", title), title
        assert title in screen_text(app)
        conv = chat(app).saving.conv_id
        assert conv is not None
        # A saved reply, opened again: its length is known, its duration is not.
        await pilot.press("ctrl+n")
        await chat(app).open_conversation(conv)
        await pilot.pause()
        title = title_text(app.screen.query(AssistantMessage).last().reasoning)
        assert title == f"▶ Reasoning · {chars} chars"


# -- the theme picked in the palette is remembered ------------------------------------------------


def theme_app(server: DemoServer, preferences: Path, theme: str | None = None) -> ChatApp:
    settings = Settings(base_url=server.base_url, model="demo", demo=True, theme=theme)
    return ChatApp(settings, client_factory=client_factory(), preferences=preferences)


async def pick_theme(app: ChatApp, pilot: object, name: str) -> None:
    await pilot.press("ctrl+p", *"theme", "enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press(*name, "enter")  # type: ignore[attr-defined]
    await wait_for(lambda: app.theme == name)


async def test_a_theme_picked_in_the_palette_is_remembered_across_runs(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    preferences = tmp_path / "data" / "ui.json"
    app = theme_app(demo_server, preferences)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert not preferences.exists()  # starting writes nothing
        await pick_theme(app, pilot, "nord")
        await wait_for(preferences.exists)
    assert json.loads(preferences.read_text()) == {"theme": "nord"}
    app = theme_app(demo_server, preferences)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
    # A configured theme (--theme, config file) wins at start; a pick is still remembered.
    app = theme_app(demo_server, preferences, theme="gruvbox")
    messages: list[Message] = []
    async with app.run_test(size=SMALL, message_hook=messages.append) as pilot:
        await pilot.pause()
        assert app.theme == "gruvbox"
        await pick_theme(app, pilot, "dracula")
        await wait_for(lambda: any("remembered" in n for n in notices(messages)))
    assert json.loads(preferences.read_text()) == {"theme": "dracula"}
    assert any("gruvbox" in n and "used at start" in n for n in notices(messages))


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"theme": 5}', '{"theme": "no-such"}'])
async def test_a_corrupt_preferences_file_is_ignored(
    demo_server: DemoServer, tmp_path: Path, content: str
) -> None:
    preferences = tmp_path / "ui.json"
    preferences.write_text(content)
    app = theme_app(demo_server, preferences)
    messages: list[Message] = []
    async with app.run_test(size=SMALL, message_hook=messages.append) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark" and app.is_running
        assert not notices(messages)
        await pick_theme(app, pilot, "nord")
        await wait_for(lambda: "nord" in preferences.read_text())
    assert json.loads(preferences.read_text())["theme"] == "nord"


# -- copy says how it went ------------------------------------------------------------------------


async def copy_last_reply(app: ChatApp, pilot: object, messages: list[Message]) -> str:
    await pilot.press(*"hello", "enter")  # type: ignore[attr-defined]
    await reply_done(app)
    await pilot.press("ctrl+l")  # type: ignore[attr-defined]
    await wait_for(lambda: any(n.startswith(("Copied", "Sent")) for n in notices(messages)))
    (said,) = [n for n in notices(messages) if n.startswith(("Copied", "Sent"))]
    return said


async def test_copy_inside_tmux_says_it_was_sent_with_osc52(
    demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no clipboard program
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    app = demo_app(demo_server)
    messages: list[Message] = []
    async with app.run_test(size=SMALL, message_hook=messages.append) as pilot:
        said = await copy_last_reply(app, pilot, messages)
        reply = chat(app).last_reply
        assert reply is not None and app.clipboard == reply.content
    assert said == (
        f"Sent the last reply ({len(reply.content):,} characters) to the terminal (OSC 52);"
        " tmux may need set-clipboard on."
    )


async def test_copy_uses_xclip_when_it_is_on_path(
    demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "clipboard.txt"
    xclip = tmp_path / "xclip"
    xclip.write_text(f'#!/bin/sh\nexec "$CAT" > "{out}"\n')
    xclip.chmod(xclip.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CAT", shutil.which("cat") or "cat")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = demo_app(demo_server)
    messages: list[Message] = []
    async with app.run_test(size=SMALL, message_hook=messages.append) as pilot:
        said = await copy_last_reply(app, pilot, messages)
        reply = chat(app).last_reply
        assert reply is not None
    assert out.read_text() == reply.content
    assert said == f"Copied the last reply ({len(reply.content):,} characters) with xclip."
