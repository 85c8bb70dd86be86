"""MCP tools in the chat UI, driven by real keys against the demo server and real MCP servers
(the demo's, and the tests' SDK server on stdio): approval, denial, always-allow, Esc while
calls run, the Tools screen, a failed server, saved runs, and no MCP SDK without servers."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_servers import stdio_config, wait_for_path, write_server
from recording import RecordingTransport
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Button, Collapsible, OptionList
from ui_app_support import SIZE, chat, client_factory, reply_done, screen_text, wait_for

from tensorx_tui.chat.tool_loop import CANCELLED_RESULT, ApprovalRequest, StepLimitReached
from tensorx_tui.core.reply import Reply, ReplyState, ToolCall
from tensorx_tui.demo.mcp_server import demo_server_config
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.tools import ServerConfig, ServerState
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.modals.tool_approval import ToolApprovalModal
from tensorx_tui.ui.modals.tools_screen import ToolsScreen
from tensorx_tui.ui.reply_relay import ReplyRelay, save_problem
from tensorx_tui.ui.transcript.tool_run import SHOWN_LINES, ToolRunMessage, cut_for_screen


class Recorder(RecordingTransport):
    """The real network, remembering each request body; with what the tool tests read of it."""

    def tool_names(self, index: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.bodies[index].get("tools", [])]

    def tool_messages(self, index: int = -1) -> list[str]:
        return [m["content"] for m in self.bodies[index]["messages"] if m["role"] == "tool"]


def tools_app(
    server: DemoServer,
    servers: list[ServerConfig],
    recorder: Recorder | None = None,
    *,
    saving: bool = False,
    **settings: Any,
) -> ChatApp:
    config = Settings(
        base_url=server.base_url, model="demo", demo=True, mcp_servers=servers, **settings
    )
    opener = Store.open if saving else None
    return ChatApp(config, client_factory=client_factory(recorder), open_store=opener)


class Notes(list[str]):
    """A message hook keeping the notifications' text."""

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.append(message.notification.message)


class StateLog(list[tuple[str, str]]):
    """Every status line state set, in order (the line only shows the latest)."""

    def watch(self, app: ChatApp) -> None:
        status = chat(app).status
        set_state = status.set_state

        def recording(state: str, detail: str = "") -> None:
            self.append((state, detail))
            set_state(state, detail)

        status.set_state = recording  # type: ignore[method-assign]


@pytest.fixture
def script(tmp_path: Path) -> Path:
    return write_server(tmp_path)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: the demo model passes the whole prompt as a tool argument,
    and cuts it at 80 characters."""
    with tempfile.TemporaryDirectory(prefix="tx") as folder:
        yield Path(folder)


async def ready(app: ChatApp) -> None:
    servers = app.tool_servers
    assert servers is not None
    # The app starts them once its first frame is drawn.
    await wait_for(lambda: all(s.state is not ServerState.STOPPED for s in servers.statuses()))
    await servers.wait_ready()


async def approval(app: ChatApp, other_than: object = None) -> ToolApprovalModal:
    await wait_for(
        lambda: isinstance(app.screen, ToolApprovalModal) and app.screen is not other_than
    )
    assert isinstance(app.screen, ToolApprovalModal)
    return app.screen


def runs(app: ChatApp) -> list[ToolRunMessage]:
    return list(app.screen.query(ToolRunMessage))


def titles(app: ChatApp) -> list[str]:
    return [" ".join(str(r.query_one("CollapsibleTitle").render()).split()) for r in runs(app)]


async def test_the_whole_loop_runs_approved_calls_together_and_answers(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    recorder = Recorder()
    app = tools_app(demo_server, [demo_server_config()], recorder, saving=True, data_dir=tmp_path)
    states = StateLog()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        states.watch(app)
        await pilot.press(*"weather in Paris and Tokyo", "enter")
        first = await approval(app)
        text = screen_text(app)
        assert "demo" in text and "weather" in text and '"city": "Paris"' in text
        await pilot.press("enter")  # Allow once is the focused default
        await approval(app, other_than=first)
        assert '"city": "Tokyo"' in screen_text(app)
        await pilot.press("enter")
        await reply_done(app)
        await pilot.pause()
        assert ("waiting", "for approval") in states
        assert ("running tools", "(2)") in states  # both ran at once
        paris, tokyo = titles(app)
        assert paris.startswith("▶ ✓ demo/weather city=Paris · ") and "allowed once" in paris
        assert tokyo.startswith("▶ ✓ demo/weather city=Tokyo · ") and "allowed once" in tokyo
        assert [r.result and json.loads(r.result)["city"] for r in runs(app)] == ["Paris", "Tokyo"]
        assert recorder.tool_names(0) == ["demo__weather", "demo__calculate", "demo__clock"]
        answer = chat(app).last_reply
        assert answer is not None and "18" in answer.content and "24" in answer.content
        assert chat(app).status.state == "idle"
        conv_id = chat(app).engine.conv_id
    assert conv_id is not None
    with Store.open(tmp_path) as store:
        saved = store.load_conversation(conv_id).messages
    metas = [m.tool_meta for m in saved if m.role == "tool"]
    assert [(m or {}).get("approval") for m in metas] == ["once", "once"]
    # The app stopped its server on the way out.
    assert app.tool_servers is not None
    assert app.tool_servers.status("demo").state is ServerState.STOPPED


async def test_a_denial_sends_its_reason_to_the_model(demo_server: DemoServer) -> None:
    recorder = Recorder()
    app = tools_app(demo_server, [demo_server_config()], recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app)
        await pilot.press(*"what is 17*23", "enter")
        await approval(app)
        await pilot.press("shift+tab")  # from Allow once back to the reason
        await pilot.press(*"no calculators today", "enter")
        await reply_done(app)
        await pilot.pause()
        [sent] = recorder.tool_messages()
        assert "denied" in sent and "no calculators today" in sent
        [title] = titles(app)
        assert title.startswith("▶ ✗ demo/calculate expression=17*23") and "denied" in title


async def test_escape_in_the_approval_modal_denies(demo_server: DemoServer) -> None:
    recorder = Recorder()
    app = tools_app(demo_server, [demo_server_config()], recorder)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press(*"what time is it", "enter")
        await approval(app)
        await pilot.press("escape")
        await reply_done(app)
        [sent] = recorder.tool_messages()
        assert sent == "The user denied this tool call."


async def test_always_this_session_asks_once(demo_server: DemoServer) -> None:
    app = tools_app(demo_server, [demo_server_config()])
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press(*"weather in Paris and Tokyo", "enter")
        await approval(app)
        await pilot.press("tab", "enter")  # Always this session
        await reply_done(app)
        await pilot.pause()
        assert not isinstance(app.screen, ToolApprovalModal)
        first, second = titles(app)
        assert "allowed this session" in first and "allowed by config" in second
        # And in the next reply too.
        await pilot.press(*"weather in Oslo", "enter")
        await reply_done(app)
        await pilot.pause()
        assert len(runs(app)) == 3 and "Oslo" in titles(app)[-1]


async def test_always_saves_the_tool_to_the_config_file(
    demo_server: DemoServer, script: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# mine\n[mcp.servers.t]\ncommand = "python"  # kept\n')
    app = tools_app(demo_server, [stdio_config(script)], config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press(*"t__echo", "enter")
        await approval(app)
        await pilot.click("#allow-saved")
        await reply_done(app)
        await pilot.pause()
        [title] = titles(app)
        assert "always allowed" in title
    assert config.read_text() == (
        '# mine\n[mcp.servers.t]\ncommand = "python"  # kept\nallow = ["echo"]\n'
    )


async def test_always_is_not_offered_when_the_config_cannot_take_it(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("model = 'demo'\n")  # the demo server is not in it
    app = tools_app(demo_server, [demo_server_config()], config_path=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app)
        await pilot.press(*"what time is it", "enter")
        modal = await approval(app)
        await pilot.pause()
        assert modal.query_one("#allow-saved", Button).disabled
        assert "has no [mcp.servers.demo] table" in " ".join(screen_text(app).split())
        await pilot.press("enter")
        await reply_done(app)
    assert config.read_text() == "model = 'demo'\n"


async def test_a_config_that_changed_under_the_modal_is_said_not_saved(
    demo_server: DemoServer, script: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[mcp.servers.t]\ncommand = "python"\n')
    app = tools_app(demo_server, [stdio_config(script)], config_path=config)
    notes = Notes()
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await ready(app)
        await pilot.press(*"t__echo", "enter")
        await approval(app)
        config.write_text("model = 'demo'\n")  # edited by hand meanwhile
        await pilot.click("#allow-saved")
        await reply_done(app)
        [title] = titles(app)
        assert title.startswith("▶ ✓ t/echo") and "always allowed" in title  # it ran
    assert any("this session only; not saved" in note for note in notes)
    assert config.read_text() == "model = 'demo'\n"
    assert save_problem(None, "t", "echo") == "no config file is in use"


def wait_for_cancel_server(script: Path) -> ServerConfig:
    """The tests' stdio server, its wait_for_cancel tool allowed without asking."""
    return ServerConfig(
        name="t",
        transport="stdio",
        command=sys.executable,
        args=(str(script), "serve"),
        allow=frozenset({"wait_for_cancel"}),
    )


async def test_escape_cancels_a_running_call_and_the_model_is_told(
    demo_server: DemoServer, script: Path, short_dir: Path
) -> None:
    # wait_for_cancel writes `started` in the folder it is given, then waits until cancelled
    # (and writes `cancelled`): no timing to guess. The demo model passes the prompt as that
    # folder, and calls the tool because the prompt names it.
    folder = short_dir / "t__wait_for_cancel"
    folder.mkdir()
    server = wait_for_cancel_server(script)
    recorder = Recorder()
    app = tools_app(demo_server, [server], recorder)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press(*str(folder), "enter")
        await wait_for_path(folder / "started")
        await wait_for(lambda: chat(app).tools_running)
        assert chat(app).check_action("cancel", ())
        assert "⟳ t/wait_for_cancel folder=" in screen_text(app)
        await pilot.press("escape")
        await wait_for_path(folder / "cancelled")  # the server was told
        await reply_done(app)
        await pilot.pause()
        [title] = titles(app)
        assert title.startswith("▶ ✗ t/wait_for_cancel") and "cancelled after" in title
        assert recorder.tool_messages() == [CANCELLED_RESULT]
        assert chat(app).last_reply is not None
        assert chat(app).last_reply.state is ReplyState.COMPLETE  # the reply went on


async def test_ctrl_n_while_a_tool_runs_asks_first(
    demo_server: DemoServer, script: Path, short_dir: Path
) -> None:
    folder = short_dir / "t__wait_for_cancel"
    folder.mkdir()
    server = wait_for_cancel_server(script)
    app = tools_app(demo_server, [server], Recorder())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press(*str(folder), "enter")
        await wait_for(lambda: chat(app).tools_running)
        await pilot.press("ctrl+n")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        assert "Tools are still running. Stop them and start a new conversation?" in screen_text(
            app
        )
        await pilot.press("escape")  # no: the call keeps running
        await wait_for(lambda: not isinstance(app.screen, ConfirmModal))
        assert chat(app).tools_running
        assert not (folder / "cancelled").exists()
        await pilot.press("escape")  # cancel it the usual way
        await wait_for_path(folder / "cancelled")
        await reply_done(app)


async def test_switching_a_tool_off_leaves_it_out_of_the_next_request(
    demo_server: DemoServer,
) -> None:
    recorder = Recorder()
    app = tools_app(demo_server, [demo_server_config()], recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app)
        await pilot.press("ctrl+f")
        await wait_for(lambda: isinstance(app.screen, ToolsScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "demo  ready · 3 tools" in text and "[✓] weather" in text
        await pilot.press("down", "space")  # the first tool: weather
        assert "[ ] weather" in screen_text(app)
        await pilot.press("escape")
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        assert recorder.tool_names() == ["demo__calculate", "demo__clock"]
        # The whole server off: no tools at all; a new conversation has them all again.
        await pilot.press("ctrl+f", "space", "escape")
        await pilot.press(*"again", "enter")
        await reply_done(app)
        assert "tools" not in recorder.bodies[-1]
        await pilot.press("ctrl+n", *"hi", "enter")
        await reply_done(app)
        assert len(recorder.tool_names()) == 3


async def test_a_failed_server_is_shown_with_its_reason_and_output(
    demo_server: DemoServer, script: Path
) -> None:
    app = tools_app(demo_server, [stdio_config(script, name="broken", mode="crash")])
    notes = Notes()
    async with app.run_test(size=(80, 24), message_hook=notes) as pilot:
        await pilot.press("ctrl+f")  # open while it starts: the screen follows the change
        await wait_for(lambda: isinstance(app.screen, ToolsScreen))
        await ready(app)
        await pilot.pause()
        text = screen_text(app)
        assert "broken  failed" in text
        status = app.tool_servers.status("broken") if app.tool_servers else None
        assert status is not None and status.reason and status.reason[:30] in " ".join(text.split())
        assert "│ fatal: the token is missing" in text
        assert any("MCP server broken failed" in note for note in notes)


async def test_tools_from_a_file_are_listed_as_answered_by_hand(demo_server: DemoServer) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {"properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    app = tools_app(demo_server, [], tools=[tool])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        await wait_for(lambda: isinstance(app.screen, ToolsScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "answered by hand" in text and "[✓] get_weather" in text
        assert "city: string" in text


async def test_a_saved_conversation_shows_how_its_tools_ran(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    long_result = "\n".join(f"line {n}" for n in range(1, 51))
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        store.add_user_message(conv, "weather in Paris")
        call = ToolCall("call_1", "demo__weather", '{"city": "Paris"}')
        store.add_reply(
            conv, Reply(tool_calls=[call], finish_reason="tool_calls", state=ReplyState.COMPLETE)
        )
        meta = {
            "server": "demo",
            "tool": "weather",
            "approval": "session",
            "duration_s": 1.234,
            "is_error": False,
        }
        store.add_tool_result(conv, "call_1", long_result, meta)
        store.add_reply(conv, Reply(content="Mild.", state=ReplyState.COMPLETE))
    app = tools_app(demo_server, [], saving=True, data_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(app).open_conversation(conv)
        await pilot.pause()
        [title] = titles(app)
        assert title == "▶ ✓ demo/weather city=Paris · 1.2 s · allowed this session"
        [run] = runs(app)
        assert run.result == long_result  # whole, though cut on screen
        run.query_one(Collapsible).collapsed = False
        chat(app).conversation.follow_bottom()
        await pilot.pause()
        text = screen_text(app)
        assert f"line {SHOWN_LINES}" in text and f"line {SHOWN_LINES + 1}" not in text
        assert "… 30 more lines (ctrl+s exports all)" in text


async def test_the_step_limit_is_said_in_the_conversation(demo_server: DemoServer) -> None:
    app = tools_app(demo_server, [])
    async with app.run_test(size=SIZE) as pilot:
        await ReplyRelay(chat(app)).show(StepLimitReached(3))
        await pilot.pause()
        assert "Stopped after 3 tool round trips" in screen_text(app)


async def test_untrusted_arguments_are_shown_as_text(demo_server: DemoServer, script: Path) -> None:
    app = tools_app(demo_server, [stdio_config(script)])
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press(*"t__echo [red]x[/red] [/nope]", "enter")
        await approval(app)
        await pilot.pause()
        assert "[red]x[/red] [/nope]" in screen_text(app)
        await pilot.press("enter")
        await reply_done(app)
        await pilot.pause()
        [title] = titles(app)
        assert "[red]x[/red]" in title


def test_long_results_are_cut_on_screen() -> None:
    assert cut_for_screen("a\nb") == ("a\nb", "")
    shown, note = cut_for_screen("\n".join(["x"] * 25))
    assert shown.count("\n") == SHOWN_LINES - 1 and note.startswith("… 5 more lines")
    shown, note = cut_for_screen("y" * 10_000)
    assert len(shown) < 10_000 and "more characters" in note


def test_no_mcp_import_without_servers() -> None:
    code = (
        "import asyncio, sys\n"
        "from tensorx_tui.settings import Settings\n"
        "from tensorx_tui.ui.app import ChatApp\n"
        "app = ChatApp(Settings(base_url='http://127.0.0.1:9/v1', model='m', demo=True))\n"
        "async def run():\n"
        "    async with app.run_test() as pilot:\n"
        "        await pilot.pause()\n"
        "asyncio.run(run())\n"
        "loaded = [m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'mcp_types'))]\n"
        "loaded += [m for m in sys.modules if m.startswith('tensorx_tui.tools.')\n"
        "           and m != 'tensorx_tui.tools.config']\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


async def test_the_approval_modal_fits_80x24_and_long_arguments_scroll(
    demo_server: DemoServer,
) -> None:
    arguments = {"rows": [f"row {n}" for n in range(200)]}
    call = ToolCall("c1", "t__bulk", json.dumps(arguments))
    request = ApprovalRequest(call, "t", "bulk", arguments, None)
    app = tools_app(demo_server, [])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ToolApprovalModal(request, save_problem="no config file is in use"))
        await pilot.pause()
        modal = app.screen
        dialog = modal.query_one("#approval")
        assert dialog.region.y >= 0 and dialog.region.bottom <= 23  # above the footer row
        for button in modal.query(Button):
            assert dialog.region.contains_region(button.region)
        assert modal.query_one("#approval-arguments").max_scroll_y > 0
        assert app.focused is modal.query_one("#allow-once")


async def test_the_tools_screen_fits_80x24_and_scrolls(
    demo_server: DemoServer, script: Path
) -> None:
    servers = [demo_server_config(), stdio_config(script, name="broken", mode="crash")]
    app = tools_app(demo_server, servers)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app)
        await pilot.press("ctrl+f")
        await wait_for(lambda: isinstance(app.screen, ToolsScreen))
        await pilot.pause()
        dialog = app.screen.query_one("#tools-dialog")
        assert dialog.region.y >= 0 and dialog.region.bottom <= 23
        option_list = app.screen.query_one(OptionList)
        assert option_list.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert "fatal: the token is missing" in screen_text(app)
