"""The chat app driven by real key presses against the demo server on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from textual.message import Message
from ui_app_support import SIZE, chat, demo_app, notes, reply_done, screen_text, wait_for

from tensorx_tui.core.reply import ReplyState
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import load_settings
from tensorx_tui.ui.modals.tool_result import ToolResultModal
from tensorx_tui.ui.transcript import AssistantMessage, UserMessage

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


async def test_send_streams_a_reply(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.pause()
        screen = chat(app)
        assert [m["role"] for m in screen.state.messages] == ["user", "assistant"]
        assert "offline demo" in screen.state.messages[-1]["content"]
        text = screen_text(app)
        assert "hello" in text and "tensorx-chat offline demo" in text
        assert "OFFLINE DEMO" in text and "● idle" in text
        # The demo server sends x-ratelimit-* headers: the status line shows what is left.
        assert "req" in text and "tok" in text
        assert screen.prompt.text == ""


async def test_enter_sends_and_ctrl_j_inserts_a_newline(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "ctrl+j", "b", "shift+enter", "c")
        assert chat(app).prompt.text == "a\nb\nc"
        await pilot.press("enter")
        await reply_done(app)
        assert chat(app).state.messages[0] == {"role": "user", "content": "a\nb\nc"}


async def test_ctrl_down_jumps_back_to_the_bottom(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.press(*"python code", "enter")
        await reply_done(app)
        await pilot.pause()
        view = chat(app).conversation
        assert view.max_scroll_y > 0
        view.scroll_home(animate=False)
        await pilot.pause()
        assert view.scroll_y == 0
        await pilot.press("ctrl+down")
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y


async def test_escape_cancels_and_keeps_the_partial_text(demo_server: DemoServer) -> None:
    app = demo_app(demo_server, model="demo-fault-slow")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        assert not screen.check_action("cancel", ())  # no Cancel key in the footer while idle
        await pilot.press(*"story", "enter")
        await wait_for(lambda: screen.status.state == "streaming")
        message = app.screen.query(AssistantMessage).last()
        await wait_for(lambda: len(message.reply_text) > 5)
        assert screen.check_action("cancel", ())
        await pilot.press("escape")
        await reply_done(app)
        await pilot.pause()
        partial = screen.state.messages[-1]
        assert partial["role"] == "assistant" and partial["content"]
        assert screen.status.state == "cancelled"
        assert "cancelled" in screen_text(app).lower()
        assert app.is_running


async def test_ctrl_r_regenerates_the_last_reply(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.press("ctrl+r")
        await reply_done(app)
        await pilot.pause()
        screen = chat(app)
        assert [m["role"] for m in screen.state.messages] == ["user", "assistant"]
        assert len(app.screen.query(AssistantMessage)) == 1


async def test_the_conversation_token_total_counts_only_replies_still_shown(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)

        def last_reply_tokens() -> int:
            usage = screen.last_reply.usage if screen.last_reply else None
            assert usage is not None
            return int(usage["total_tokens"])

        await pilot.press(*"hello", "enter")
        await reply_done(app)
        first = last_reply_tokens()
        assert first > 0 and screen.conversation.total_tokens == first
        await pilot.press("ctrl+r")
        await reply_done(app)
        await pilot.pause()
        # The dropped reply no longer counts: only the regenerated one is in the conversation.
        regenerated = last_reply_tokens()
        assert screen.conversation.total_tokens == regenerated
        # "conversation 147", or "conv 147" where the full line does not fit.
        assert re.search(rf"conv(ersation)? {regenerated:,}\b", screen_text(app))
        await pilot.press(*"more", "enter")
        await reply_done(app)
        assert screen.conversation.total_tokens == regenerated + last_reply_tokens()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.conversation.total_tokens == 0
        await pilot.press(*"again", "enter")
        await reply_done(app)
        assert screen.conversation.total_tokens == last_reply_tokens()


async def test_up_in_an_empty_prompt_recalls_the_last_message(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"first", "enter")
        await reply_done(app)
        await pilot.press("up")
        assert chat(app).prompt.text == "first"
        await pilot.press("!", "enter")
        await reply_done(app)
        # Edit-and-resend replaces the last exchange in what is sent (the store keeps it).
        users = [m["content"] for m in chat(app).state.messages if m["role"] == "user"]
        assert users == ["first!"]
        assert [w.text for w in chat(app).query(UserMessage)] == ["first!"]


async def test_ctrl_n_starts_a_new_conversation(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen = chat(app)
        assert screen.state.is_empty
        assert not app.screen.query(AssistantMessage)
        assert not screen.check_action("regenerate", ())


async def test_tool_round_trip_from_the_keyboard(demo_server: DemoServer, tmp_path: Path) -> None:
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps([WEATHER_TOOL]))
    settings = load_settings({"tools": str(tools_file), "config": "/dev/null"}, env={})
    app = demo_app(demo_server, tools=settings.tools)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"weather in Paris", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        assert "Paris" in screen_text(app)  # the call's arguments are shown in the modal
        await pilot.press(*"sunny, 21 C", "enter")
        await reply_done(app)
        screen = chat(app)
        roles = [m["role"] for m in screen.state.messages]
        assert roles == ["user", "assistant", "tool", "assistant"]
        assert screen.state.messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert screen.state.messages[2]["content"] == "sunny, 21 C"
        assert "21" in screen.state.messages[3]["content"]


async def test_escape_leaves_the_tool_modal_and_ctrl_t_answers_later(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server, tools=[WEATHER_TOOL])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"weather in Oslo", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press("escape")
        await reply_done(app)
        screen = chat(app)
        assert screen.state.pending_tool_calls
        assert screen.check_action("answer_tools", ())
        await pilot.press("ctrl+t")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press(*"snow, -3 C", "enter")
        await reply_done(app)
        assert [m["role"] for m in screen.state.messages][-2:] == ["tool", "assistant"]
        assert not screen.state.pending_tool_calls


async def test_server_error_is_shown_in_the_conversation(demo_server: DemoServer) -> None:
    app = demo_app(demo_server, model="demo-fault-500")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.pause()
        screen = chat(app)
        reply = screen.last_reply
        assert reply is not None and reply.state == ReplyState.ERROR
        assert screen.status.state == "error"
        text = screen_text(app)
        assert "500" in text
        assert app.is_running
        # The app stays usable: the next message gets an answer from another model.
        screen.state.model = "demo"
        await pilot.press(*"hi", "enter")
        await reply_done(app)
        assert screen.state.messages[-1]["role"] == "assistant"


async def test_model_switch_via_picker(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(lambda: "models" in screen_text(app))
        await pilot.press(*"reasoner", "enter")
        await pilot.pause()
        screen = chat(app)
        assert screen.state.model == "demo-reasoner"
        assert "demo-reasoner" in screen_text(app)
        await pilot.press(*"why", "enter")
        await reply_done(app)
        reply = screen.last_reply
        assert reply is not None and reply.reasoning and reply.model == "demo-reasoner"


async def test_ctrl_c_without_a_selection_only_hints(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running
        assert any("ctrl+q" in note for note in notes(seen))


async def test_ctrl_q_while_streaming_asks_first(demo_server: DemoServer) -> None:
    app = demo_app(demo_server, model="demo-fault-slow")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"story", "enter")
        await wait_for(lambda: chat(app).streaming)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and "Quit anyway?" in screen_text(app)
        await pilot.press("enter")  # Cancel has the focus
        await pilot.press("escape")  # cancel the slow reply
        await reply_done(app)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_params_modal_edits_the_conversation(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press(*"Be terse.", "tab", *"abc", "ctrl+s")
        await pilot.pause()
        assert "temperature must be a number" in screen_text(app)
        await pilot.press("backspace", "backspace", "backspace", *"0.3", "tab", *"64", "ctrl+s")
        await pilot.pause()
        state = chat(app).state
        assert (state.system, state.temperature, state.max_tokens) == ("Be terse.", 0.3, 64)
        payload = state.build_request().payload()
        assert payload["messages"][0] == {"role": "system", "content": "Be terse."}


async def test_copy_the_reply_or_a_code_block(
    demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no clipboard program: OSC 52, seen as app.clipboard
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"python code", "enter")
        await reply_done(app)
        await pilot.pause()
        message = app.screen.query(AssistantMessage).last()
        assert message.code_blocks
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("down", "enter")  # the first code block
        await wait_for(lambda: app.clipboard == message.code_blocks[0])


async def test_every_action_is_in_the_command_palette(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in ("New conversation", "Regenerate reply", "Switch model", "Edit parameters"):
            assert title in titles
        assert "Cancel reply" not in titles  # nothing is streaming
        assert any("theme" in t.lower() for t in titles)
        await pilot.press("ctrl+p")
        await pilot.press(*"switch model", "enter")
        await wait_for(lambda: "models" in screen_text(app))
        assert "Model (now demo)" in screen_text(app)
