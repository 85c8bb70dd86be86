"""Saved conversations in the chat app: saving as it happens, the sidebar, export.

Real keys through Pilot, the demo server on 127.0.0.1, a store in a temporary data dir.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.message import Message
from ui_app_support import (
    SIZE,
    chat,
    client_factory,
    notes,
    reply_done,
    screen_text,
    wait_for,
)

from tensorx_tui.core.reply import Reply, ReplyState, ToolCall
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.records import Conversation
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.modals.rename import RenameModal
from tensorx_tui.ui.modals.tool_result import ToolResultModal
from tensorx_tui.ui.sidebar import ConversationSidebar
from tensorx_tui.ui.sidebar_rows import relative_time, snippet_window
from tensorx_tui.ui.transcript import AssistantMessage

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The real HTTP transport (to the demo server), noting each request body and what the
    store held at the moment the request left."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.bodies: list[dict[str, Any]] = []
        self.saved_at_send: list[list[tuple[str, str]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/chat/completions"):
            self.bodies.append(json.loads(request.content))
            with Store.open(self.data_dir) as store:
                latest = store.latest_conversation_id()
                messages = store.load_conversation(latest).messages if latest else []
            self.saved_at_send.append([(m.role, m.content) for m in messages])
        return await super().handle_async_request(request)


def saving_app(
    server: DemoServer,
    data_dir: Path,
    *,
    model: str = "demo",
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> ChatApp:
    config = Settings(
        base_url=server.base_url, model=model, demo=True, data_dir=data_dir, **settings
    )
    return ChatApp(config, client_factory=client_factory(transport), open_store=Store.open)


def load_only(data_dir: Path) -> Conversation:
    with Store.open(data_dir) as store:
        (summary,) = store.list_conversations()
        return store.load_conversation(summary.id)


def sidebar(app: ChatApp) -> ConversationSidebar:
    return chat(app).sidebar


def listed_ids(app: ChatApp) -> list[str | None]:
    listing = sidebar(app).option_list
    return [listing.get_option_at_index(i).id for i in range(listing.option_count)]


def seed(
    data_dir: Path, *exchanges: tuple[str, str], model: str = "demo", base_url: str = ""
) -> str:
    with Store.open(data_dir) as store:
        conv = store.create_conversation(model=model, base_url=base_url or None)
        for question, answer in exchanges:
            store.add_user_message(conv, question)
            store.add_reply(conv, Reply(content=answer, state=ReplyState.COMPLETE, model=model))
        return conv


# -- saving as it happens ----------------------------------------------------------------------


async def test_a_chat_is_saved_with_the_user_message_first(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    transport = RecordingTransport(tmp_path)
    app = saving_app(demo_server, tmp_path, transport=transport, temperature=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
    # The user's message was on disk when the request left.
    assert transport.saved_at_send[0][0] == ("user", "hello")
    saved = load_only(tmp_path)
    assert saved.meta.title == "hello" and saved.meta.model == "demo"
    assert saved.meta.base_url == demo_server.base_url
    assert saved.meta.params == {"temperature": 0.5}
    user, reply = saved.messages
    assert (user.role, user.content) == ("user", "hello")
    assert reply.role == "assistant" and reply.state == ReplyState.COMPLETE
    assert "offline demo" in reply.content
    assert reply.finish_reason == "stop"
    assert reply.usage and reply.usage["total_tokens"] > 0
    assert reply.timings and "first_token_s" in reply.timings


async def test_cancel_saves_the_partial_reply_as_cancelled_and_checkpoints_while_streaming(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path, model="demo-fault-slow")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"story", "enter")
        await wait_for(lambda: chat(app).streaming)

        # Checkpointed while streaming: the reply (5 tokens/s) streams for over 30 s, so text
        # saved before the bound below was saved mid-stream, whatever the machine's load.
        def checkpointed() -> bool:
            reply = load_only(tmp_path).messages[-1]
            return reply.state == ReplyState.INTERRUPTED and bool(reply.content)

        await wait_for(checkpointed, limit_s=25)
        assert chat(app).streaming
        await pilot.press("escape")
        await reply_done(app)
        shown = chat(app).last_reply
        assert shown is not None and shown.state == ReplyState.CANCELLED
    reply = load_only(tmp_path).messages[-1]
    assert reply.state == ReplyState.CANCELLED
    assert reply.content and reply.content == shown.content


async def test_quit_anyway_while_streaming_saves_the_reply_as_cancelled(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path, model="demo-fault-slow")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"story", "enter")
        await wait_for(lambda: chat(app).streaming and bool(chat(app).saving.recorder))
        await pilot.press("ctrl+q")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("left", "enter")  # from Cancel (focused) to Quit
        await wait_for(lambda: not app.is_running)
    assert app.return_code == 0
    assert load_only(tmp_path).messages[-1].state == ReplyState.CANCELLED


async def test_new_conversation_while_streaming_saves_the_reply_and_starts_over(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path, model="demo-fault-slow")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"story", "enter")
        await wait_for(lambda: chat(app).streaming)
        first = chat(app).saving.conv_id
        await pilot.press("ctrl+n")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))  # it asks first
        await pilot.press("left", "enter")
        await wait_for(lambda: not chat(app).busy)
        assert chat(app).saving.conv_id is None and chat(app).state.messages == []
        with Store.open(tmp_path) as store:
            assert first is not None
            reply = store.load_conversation(first).messages[-1]
        assert reply.state == ReplyState.CANCELLED


async def test_regenerate_and_tool_results_are_saved(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path, tools=[WEATHER_TOOL])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"weather in Paris", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press(*"sunny, 21 C", "enter")
        await reply_done(app)
        saved = load_only(tmp_path)
        roles = [m.role for m in saved.messages]
        assert roles == ["user", "assistant", "tool", "assistant"]
        call = saved.messages[1].tool_calls[0]
        assert call.name == "get_weather" and "Paris" in call.arguments
        assert (
            saved.messages[2].tool_call_id == call.id and saved.messages[2].content == "sunny, 21 C"
        )
        await pilot.press("ctrl+r")  # regenerate: the old answers stay, as an alternative
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press("escape")
        await reply_done(app)
    saved = load_only(tmp_path)
    assert [m.role for m in saved.path()] == ["user", "assistant"]
    assert [m.role for m in saved.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "assistant",
    ]


async def test_parameter_changes_are_saved_to_the_conversation(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.press("ctrl+g")
        await pilot.press(*"Be brief.", "tab", *"0.3", "ctrl+s")
        await pilot.pause()
    meta = load_only(tmp_path).meta
    assert meta.system == "Be brief." and meta.params == {"temperature": 0.3}


async def test_a_store_that_cannot_be_opened_is_said_and_the_chat_goes_on(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    app = saving_app(demo_server, blocker / "data")
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        assert chat(app).state.messages[-1]["role"] == "assistant"
        assert any("Conversations will not be saved" in note for note in notes(seen))
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert "not being saved" in screen_text(app)


async def test_no_store_given_saves_nothing(demo_server: DemoServer, tmp_path: Path) -> None:
    config = Settings(base_url=demo_server.base_url, model="demo", demo=True, data_dir=tmp_path)
    app = ChatApp(config, client_factory=client_factory())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
    assert files_in(tmp_path) == []


def files_in(directory: Path) -> list[Path]:
    return list(directory.iterdir())


# -- the sidebar -------------------------------------------------------------------------------


async def test_sidebar_lists_newest_first_and_the_filter_finds_reply_words(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    old = seed(tmp_path, ("first question", "an answer about the platypus"))
    middle = seed(tmp_path, ("second question", "nothing special"))
    new = seed(tmp_path, ("third question", "also nothing"))
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert listed_ids(app) == [new, middle, old]
        text = screen_text(app)
        assert text.index("third question") < text.index("second question")
        assert "now · demo · 2 msgs" in text and "3 conversations" in text
        await pilot.press(*"platyp*")
        await wait_for(lambda: listed_ids(app) == [old])
        await pilot.pause()
        text = screen_text(app)
        assert "the platypus" in text and "1 matching" in text
        # The matched word is highlighted (a span over exactly its offsets).
        prompt = sidebar(app).option_list.get_option_at_index(0).prompt
        plain = prompt.plain
        start = plain.index("platypus")
        assert any(s.start == start and s.end == start + len("platypus") for s in prompt.spans)
        await pilot.press("backspace", *" nonsense")
        await wait_for(lambda: listed_ids(app) == [])
        assert "0 matching" in screen_text(app)


async def test_open_a_conversation_and_continue_it(demo_server: DemoServer, tmp_path: Path) -> None:
    conv = seed(
        tmp_path,
        ("what is a zebra", "a striped horse"),
        model="demo-reasoner",
        base_url=demo_server.base_url,
    )
    transport = RecordingTransport(tmp_path)
    app = saving_app(demo_server, tmp_path, transport=transport)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        await pilot.press("down", "enter")  # into the list, open the highlighted one
        await pilot.pause()
        screen = chat(app)
        assert screen.saving.conv_id == conv
        assert screen.state.model == "demo-reasoner"  # the conversation's model, same endpoint
        text = screen_text(app)
        assert "what is a zebra" in text and "a striped horse" in text
        assert app.focused is screen.prompt
        await pilot.press(*"tell me more", "enter")
        await reply_done(app)
    sent = transport.bodies[-1]["messages"]
    assert [m["content"] for m in sent[:3]] == [
        "what is a zebra",
        "a striped horse",
        "tell me more",
    ]
    assert transport.bodies[-1]["model"] == "demo-reasoner"
    with Store.open(tmp_path) as store:
        assert store.count_conversations() == 1
        messages = store.load_conversation(conv).messages
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2].content == "tell me more" and messages[3].state == ReplyState.COMPLETE


async def test_the_app_can_start_on_a_saved_conversation(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """`chat -c` / `--conversation ID`: the history is shown and the next prompt continues it."""
    conv = seed(tmp_path, ("what is a zebra", "a striped horse"), base_url=demo_server.base_url)
    config = Settings(base_url=demo_server.base_url, model="demo", demo=True, data_dir=tmp_path)
    transport = RecordingTransport(tmp_path)
    app = ChatApp(
        config,
        client_factory=client_factory(transport),
        open_store=Store.open,
        conversation=conv,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: "a striped horse" in screen_text(app))
        assert chat(app).saving.conv_id == conv
        await pilot.press(*"and a lion", "enter")
        await reply_done(app)
    sent = transport.bodies[-1]["messages"]
    assert [m["content"] for m in sent[:3]] == ["what is a zebra", "a striped horse", "and a lion"]


async def test_opened_history_shows_tool_results_and_new_starts_over(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        store.add_user_message(conv, "weather?")
        call = ToolCall("call_9", "get_weather", '{"city": "Oslo"}')
        store.add_reply(
            conv, Reply(tool_calls=[call], finish_reason="tool_calls", state=ReplyState.COMPLETE)
        )
        store.add_tool_result(conv, "call_9", "snow, -3 C")
        store.add_reply(conv, Reply(content="It snows in Oslo.", state=ReplyState.COMPLETE))
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "enter")  # enter in the filter opens the highlighted one
        await pilot.pause()
        screen = chat(app)
        assert [m["role"] for m in screen.state.messages] == [
            "user",
            "assistant",
            "tool",
            "assistant",
        ]
        text = screen_text(app)
        assert "get_weather" in text and "It snows in Oslo." in text
        await pilot.press("ctrl+n")
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        assert screen.saving.conv_id not in (None, conv)
        with Store.open(tmp_path) as store:
            assert store.count_conversations() == 2


async def test_rename_and_delete_from_the_sidebar(demo_server: DemoServer, tmp_path: Path) -> None:
    keep = seed(tmp_path, ("keep me", "ok"))
    doomed = seed(tmp_path, ("delete me", "ok"))
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "down")
        await pilot.pause()
        assert listed_ids(app)[0] == doomed
        await pilot.press("down", "f2")  # the second one: "keep me"
        await wait_for(lambda: isinstance(app.screen, RenameModal))
        await pilot.press("ctrl+u", *"Renamed [b]title[/b]", "enter")
        await pilot.pause()
        assert "Renamed [b]title[/b]" in screen_text(app)
        await pilot.press("up", "delete")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")  # Cancel has the focus: nothing happens
        await pilot.pause()
        assert listed_ids(app) == [doomed, keep]
        await pilot.press("delete")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        assert "delete me" in screen_text(app)
        await pilot.press("left", "enter")
        await pilot.pause()
        assert listed_ids(app) == [keep]
        assert "1 conversation" in screen_text(app)
    with Store.open(tmp_path) as store:
        (summary,) = store.list_conversations()
    assert summary.id == keep and summary.title == "Renamed [b]title[/b]"


async def test_deleting_the_open_conversation_starts_a_new_one(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        screen = chat(app)
        assert screen.saving.conv_id is not None
        await pilot.press("ctrl+b", "down", "delete")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("left", "enter")
        await pilot.pause()
        assert screen.saving.conv_id is None and screen.state.messages == []
        assert "hello" not in screen_text(app)


async def test_hostile_titles_and_snippets_render_literally(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    markup = "[red]x[/red] [/nope] [@click=app.quit]q"
    conv = seed(tmp_path, ("hi", f"pwned {markup} \x1b[31mred\x1b]0;t\x07 end"))
    with Store.open(tmp_path) as store:
        # Written around the store's own cleaning: the sidebar must cope with any database.
        store._conn.execute(
            "UPDATE conversations SET title = ? WHERE id = ?", (f"\x1b[2J\x9b1m{markup}", conv)
        )
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        text = screen_text(app)
        assert "[red]x[/red] [/nope]" in text and "\x1b" not in text and "\x9b" not in text
        title = sidebar(app).option_list.get_option_at_index(0).prompt
        assert "[red]x[/red]" in title.plain
        assert not any(c in title.plain for c in "\x1b\x07\x9b")
        await pilot.press(*"pwned")
        await wait_for(lambda: "1 matching" in screen_text(app))
        text = screen_text(app)
        assert "pwned [red]x[/red]" in text and "\x1b" not in text
        prompt = sidebar(app).option_list.get_option_at_index(0).prompt
        assert not any(c in prompt.plain for c in "\x1b\x07\x9b")
        assert app.is_running


async def test_sidebar_with_10000_conversations_stays_fast(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    fill(tmp_path, 10_000)
    app = saving_app(demo_server, tmp_path)
    # Fast by construction, not by a stopwatch (a loaded machine made timings fail): one page
    # of 200 rows is listed, the filter is a search, and paging loads the next page only.
    # bench/bench_store.py measures the speed.
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert "200 of 10,000 shown" in screen_text(app)
        assert sidebar(app).option_list.option_count == 200
        await pilot.press(*"needle7")
        await wait_for(lambda: "1 matching" in screen_text(app))
        assert listed_ids(app) == [f"{7:08x}"]
        # Paging: going down the list loads the next page instead of everything at once.
        await pilot.press("ctrl+u")
        await wait_for(lambda: "of 10,000 shown" in screen_text(app))
        await pilot.press("down", "end")
        await wait_for(lambda: sidebar(app).option_list.option_count >= 400)
        assert sidebar(app).option_list.option_count < 10_000


def fill(data_dir: Path, count: int) -> None:
    """`count` conversations of two messages each, written in one transaction."""
    with Store.open(data_dir) as store:
        conn = store._conn
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO conversations (pk, id, title, created_at, updated_at, model)"
            " VALUES (?, ?, ?, ?, ?, 'bench')",
            [
                (
                    pk,
                    f"{pk:08x}",
                    f"conversation {pk}",
                    f"2025-01-01T00:00:{pk % 60:02d}.000000Z",
                    f"2025-01-{1 + pk % 28:02d}T00:00:00.{pk:06d}Z",
                )
                for pk in range(1, count + 1)
            ],
        )
        conn.executemany(
            "INSERT INTO messages (conversation_pk, seq, role, content, state, created_at)"
            " VALUES (?, ?, ?, ?, 'complete', '2025-01-01T00:00:00.000000Z')",
            [
                row
                for pk in range(1, count + 1)
                for row in (
                    (pk, 1, "user", f"question {pk} about things"),
                    (pk, 2, "assistant", f"answer needle{pk} with some words"),
                )
            ],
        )
        conn.execute("COMMIT")


# -- export ------------------------------------------------------------------------------------


async def test_export_writes_markdown_and_json_and_says_where(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path)
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        screen = chat(app)
        assert not screen.check_action("export", ())  # nothing saved yet
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        (md,) = (tmp_path / "exports").glob("*.md")
        assert md.read_text().count("hello") >= 1 and "offline demo" in md.read_text()
        assert any(str(md) in note for note in notes(seen))
        await screen.run_action("export('json')")
        (js,) = (tmp_path / "exports").glob("*.json")
        data = json.loads(js.read_text())
        assert [m["role"] for m in data["messages"]] == ["user", "assistant"]


# -- pure helpers ------------------------------------------------------------------------------


def test_snippet_window_keeps_the_match_visible() -> None:
    snippet = "x" * 100 + " needle " + "y" * 60
    text, spans = snippet_window(snippet, ((101, 107),), 40)
    assert text.startswith("…") and text.endswith("…")
    ((start, end),) = spans
    assert text[start:end] == "needle"


@pytest.mark.parametrize(
    ("seconds", "expected"), [(5, "now"), (300, "5m"), (3 * 3600, "3h"), (40 * 86400, None)]
)
def test_relative_time(seconds: int, expected: str | None) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    got = relative_time(now - timedelta(seconds=seconds), now)
    assert got == expected if expected else got.startswith("2026-05")


async def test_a_long_conversation_shows_its_latest_messages_and_sends_all(
    demo_server: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorx_tui.ui.saved_conversations as chat_screen

    monkeypatch.setattr(chat_screen, "HISTORY_SHOWN", 4)
    seed(tmp_path, *[(f"question {i}", f"answer {i}") for i in range(5)])
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "enter")
        await pilot.pause()
        assert len(chat(app).state.messages) == 10
        text = screen_text(app)
        assert "6 earlier messages are not shown" in text
        assert "answer 4" in text and "question 3" in text and "answer 2" not in text


async def test_an_opened_conversation_counts_the_tokens_of_all_its_replies(
    demo_server: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorx_tui.ui.saved_conversations as chat_screen

    monkeypatch.setattr(chat_screen, "HISTORY_SHOWN", 2)  # the first reply is not shown
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        for tokens in (10, 20, 30):
            store.add_user_message(conv, f"question {tokens}")
            usage = {"prompt_tokens": tokens - 1, "completion_tokens": 1, "total_tokens": tokens}
            store.add_reply(conv, Reply(content="ok", state=ReplyState.COMPLETE, usage=usage))
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hi", "enter")
        await reply_done(app)
        await pilot.press("ctrl+b", "down", "down", "enter")  # the seeded one, below the new one
        await pilot.pause()
        screen = chat(app)
        assert screen.saving.conv_id == conv
        assert screen.conversation.total_tokens == 60
        assert "total 30 · conversation 60" in screen_text(app)


async def test_esc_while_the_reply_is_being_mounted_ends_it_cancelled_and_saved(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        view = screen.conversation
        add_assistant = view.add_assistant
        mounted = asyncio.Event()
        release = asyncio.Event()

        async def slow_add_assistant(model: str | None, *rest: Any) -> AssistantMessage:
            message = await add_assistant(model, *rest)
            mounted.set()
            await release.wait()  # the mount's last await: the Esc lands here
            return message

        view.add_assistant = slow_add_assistant  # type: ignore[method-assign]
        await pilot.press(*"hello", "enter")
        await wait_for(mounted.is_set)
        assert screen.streaming
        await pilot.press("escape", "escape")  # a second Esc changes nothing
        release.set()
        await reply_done(app)
        await pilot.pause()
        (message,) = app.screen.query(AssistantMessage)
        assert "cancelled" in str(message.footer.render()).lower()
        assert screen.status.state == "cancelled"
        assert not screen.busy and screen.check_action("regenerate", ())
    saved = load_only(tmp_path)
    assert [m.role for m in saved.messages] == ["user", "assistant"]
    assert saved.messages[1].state == ReplyState.CANCELLED


async def test_a_long_title_fits_on_one_row_with_the_open_marker_and_a_scrollbar(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    long_title = "Rank each customer's orders by date in SQL, then keep the latest"
    for i in range(20):  # more than the list shows: it scrolls
        seed(tmp_path, (f"filler {i}", "ok"))
    seed(tmp_path, (long_title, "use a window function"))
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await wait_for(lambda: len(listed_ids(app)) == 21)
        await pilot.press("down", "enter")  # open the newest: it gets the ▸ marker
        await wait_for(lambda: chat(app).saving.conv_id is not None)
        await pilot.pause()
        assert sidebar(app).option_list.max_scroll_y > 0
        (row,) = [line for line in screen_text(app).splitlines() if "▸" in line]
        assert "▸ Rank each customer's orders" in row and "…" in row  # cut, not wrapped
        assert "filler 19" in screen_text(app)
