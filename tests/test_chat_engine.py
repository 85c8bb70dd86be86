"""The conversation engine, headless, against the demo server on loopback and a real store:
what each request carries, what is saved, and the one rule for continuing a conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from recording import RecordingTransport

from tensorx_tui.chat import ChatEngine, ReplyFinished, TurnSettings, TurnStarted
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.chat.settings import Overrides
from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.events import ContentDelta
from tensorx_tui.core.reply import ReplyState
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.transcripts import conversation_from_json, render


@pytest.fixture
async def endpoint(demo_server: DemoServer) -> AsyncIterator[tuple[Endpoint, RecordingTransport]]:
    recorder = RecordingTransport()
    async with httpx.AsyncClient(transport=recorder) as http:
        yield Endpoint(http, base_url=demo_server.base_url, api_key=None), recorder


def make_engine(
    client: Endpoint, store: Store | None, base_url: str, **defaults: Any
) -> ChatEngine:
    return ChatEngine(
        client,
        ConversationLog(store, on_error=lambda message: None),
        TurnSettings(defaults.pop("model", "demo"), **defaults),
        profile=None,
        base_url=base_url,
    )


async def run_turn(engine: ChatEngine) -> list[object]:
    async with engine.turn() as turn:
        return [event async for event in turn]


async def test_a_turn_reports_start_events_and_a_saved_finish(
    endpoint: tuple[Endpoint, RecordingTransport], demo_server: DemoServer, tmp_path: Path
) -> None:
    client, recorder = endpoint
    with Store.open(tmp_path) as store:
        engine = make_engine(client, store, demo_server.base_url, temperature=0.5)
        engine.add_user("hello")
        events = await run_turn(engine)
        assert isinstance(events[0], TurnStarted) and events[0].model == "demo"
        assert any(isinstance(e, ContentDelta) for e in events)
        finished = events[-1]
        assert isinstance(finished, ReplyFinished) and finished.saved
        assert finished.reply.state is ReplyState.COMPLETE
        assert recorder.bodies[0]["messages"] == [{"role": "user", "content": "hello"}]
        assert recorder.bodies[0]["temperature"] == 0.5
        assert engine.conv_id is not None
        saved = store.load_conversation(engine.conv_id)
        assert [m.role for m in saved.messages] == ["user", "assistant"]
        assert saved.messages[1].content == finished.reply.content


async def test_edit_and_resend_sends_only_the_new_question_and_keeps_the_old_as_a_branch(
    endpoint: tuple[Endpoint, RecordingTransport], demo_server: DemoServer, tmp_path: Path
) -> None:
    client, recorder = endpoint
    with Store.open(tmp_path) as store:
        engine = make_engine(client, store, demo_server.base_url)
        engine.add_user("first question")
        await run_turn(engine)
        assert engine.edit_last("better question")
        await run_turn(engine)
        assert recorder.bodies[-1]["messages"] == [{"role": "user", "content": "better question"}]
        assert engine.conv_id is not None
        saved = store.load_conversation(engine.conv_id)
        assert [m.role for m in saved.messages] == ["user", "assistant", "user", "assistant"]
        assert saved.path()[0].content == "better question"
        first, better = saved.messages[0], saved.messages[2]
        assert first.parent_id is None and better.parent_id is None  # two alternatives
        assert first.id is not None
        assert saved.tree().position(first.id) == (1, 2)
        assert [m["content"] for m in saved.to_openai_messages() if m["role"] == "user"] == [
            "better question"
        ]
        # Markdown is the active branch; JSON keeps the whole tree and imports back the same.
        markdown = render(saved, "md")
        assert (
            "## User\n\n*Alternative 2 of 2 (the JSON export has them all).*\n\nbetter" in markdown
        )
        assert "first question\n" not in markdown.split("## User", 1)[1]
        again = conversation_from_json(render(saved, "json"))
        assert again.path()[0].content == "better question"
        assert len(again.messages) == 4


async def test_an_earlier_question_edited_branches_there_and_sends_only_that_branch(
    endpoint: tuple[Endpoint, RecordingTransport], demo_server: DemoServer, tmp_path: Path
) -> None:
    client, recorder = endpoint
    with Store.open(tmp_path) as store:
        engine = make_engine(client, store, demo_server.base_url)
        for question in ("q1", "q2", "q3"):
            engine.add_user(question)
            await run_turn(engine)
        q2 = next(m for m in engine.path() if m.content == "q2")
        assert q2.id is not None
        assert engine.edit(q2.id, "q2 again")
        await run_turn(engine)
        sent = [m["content"] for m in recorder.bodies[-1]["messages"] if m["role"] == "user"]
        assert sent == ["q1", "q2 again"]
        # Flipping back follows the old branch to its end, in memory and on disk.
        new_q2 = next(m for m in engine.path() if m.content == "q2 again")
        assert new_q2.id is not None
        assert engine.flip(new_q2.id, -1) == q2.id
        assert [m.content for m in engine.path() if m.role == "user"] == ["q1", "q2", "q3"]
        assert engine.conv_id is not None
        saved = store.load_conversation(engine.conv_id)
        assert [m.content for m in saved.path() if m.role == "user"] == ["q1", "q2", "q3"]
        assert engine.flip(q2.id, -1) is None
        engine.add_user("q4")
        await run_turn(engine)
        sent = [m["content"] for m in recorder.bodies[-1]["messages"] if m["role"] == "user"]
        assert sent == ["q1", "q2", "q3", "q4"]
        # A fork copies the branch up to a message into a new conversation.
        fork = engine.fork(q2.id)
        assert fork is not None and fork != engine.conv_id
        forked = store.load_conversation(fork)
        assert [m.content for m in forked.messages if m.role == "user"] == ["q1", "q2"]
        assert forked.path() == forked.messages
        assert forked.meta.title.endswith("(fork)")


async def test_continuing_uses_the_saved_settings_unless_a_flag_says_otherwise(
    endpoint: tuple[Endpoint, RecordingTransport], demo_server: DemoServer, tmp_path: Path
) -> None:
    client, recorder = endpoint
    with Store.open(tmp_path) as store:
        first = make_engine(client, store, demo_server.base_url, system="Be terse.")
        first.set_params("Be terse.", 0.3, 64)
        first.add_user("q1")
        await run_turn(first)
        assert first.conv_id is not None
        saved = store.load_conversation(first.conv_id)

        later = make_engine(client, store, demo_server.base_url, model="other", temperature=1.0)
        later.open(saved)
        later.add_user("q2")
        await run_turn(later)
        body = recorder.bodies[-1]
        assert (body["model"], body["temperature"], body["max_tokens"]) == ("demo", 0.3, 64)
        assert body["messages"][0] == {"role": "system", "content": "Be terse."}
        assert [m["content"] for m in body["messages"] if m["role"] == "user"] == ["q1", "q2"]

        flagged = make_engine(client, store, demo_server.base_url)
        flagged.open(saved, Overrides(temperature=0.9, given=frozenset({"temperature"})))
        flagged.add_user("q3")
        await run_turn(flagged)
        assert recorder.bodies[-1]["temperature"] == 0.9
        assert recorder.bodies[-1]["max_tokens"] == 64


async def test_regenerate_keeps_the_old_reply_as_an_alternative(
    endpoint: tuple[Endpoint, RecordingTransport], demo_server: DemoServer, tmp_path: Path
) -> None:
    client, recorder = endpoint
    with Store.open(tmp_path) as store:
        engine = make_engine(client, store, demo_server.base_url)
        engine.add_user("hi")
        await run_turn(engine)
        assert engine.regenerate()
        await run_turn(engine)
        assert recorder.bodies[-1]["messages"] == [{"role": "user", "content": "hi"}]
        assert engine.conv_id is not None
        saved = store.load_conversation(engine.conv_id)
        assert [m.role for m in saved.messages] == ["user", "assistant", "assistant"]
        assert [m.role for m in saved.path()] == ["user", "assistant"]
        newest = saved.path()[-1]
        assert newest.id is not None and saved.tree().position(newest.id) == (2, 2)


async def test_a_cancelled_turn_is_saved_as_cancelled_with_its_text(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    slow = DemoServer(host="127.0.0.1", port=0, speed=200).start()
    try:
        async with httpx.AsyncClient() as http:
            client = Endpoint(http, base_url=slow.base_url, api_key=None)
            with Store.open(tmp_path) as store:
                engine = make_engine(client, store, slow.base_url, model="demo-long")
                engine.add_user("write a lot")
                seen = 0
                async with engine.turn() as turn:
                    async for event in turn:
                        if isinstance(event, ContentDelta):
                            seen += 1
                            if seen == 5:
                                break  # the driver walks away, like Esc
                assert turn.finished and turn.reply.state is ReplyState.CANCELLED
                assert engine.conv_id is not None
                reply = store.load_conversation(engine.conv_id).messages[-1]
                assert reply.state is ReplyState.CANCELLED and reply.content
    finally:
        slow.stop()


async def test_a_tool_source_is_asked_at_each_request(
    endpoint: tuple[Endpoint, RecordingTransport], demo_server: DemoServer
) -> None:
    # MCP servers become ready (or are switched off) while a conversation goes on: the tools
    # offered are whatever the source says when the request leaves.
    client, recorder = endpoint
    offered: list[list[dict[str, Any]]] = [[], [{"type": "function", "function": {"name": "f"}}]]
    engine = make_engine(client, None, demo_server.base_url)
    engine.tool_source = lambda: offered.pop(0)
    engine.add_user("hello")
    await run_turn(engine)
    engine.add_user("again")
    await run_turn(engine)
    assert "tools" not in recorder.bodies[0]  # an empty list is no tools at all
    assert [t["function"]["name"] for t in recorder.bodies[1]["tools"]] == ["f"]


async def test_switching_the_endpoint_sends_there_and_saves_where_the_conversation_went(
    endpoint: tuple[Endpoint, RecordingTransport], demo_server: DemoServer, tmp_path: Path
) -> None:
    client, first = endpoint
    second = RecordingTransport()
    async with httpx.AsyncClient(transport=second) as http:
        other = Endpoint(http, base_url=demo_server.base_url + "/", api_key=None)
        with Store.open(tmp_path) as store:
            engine = make_engine(client, store, demo_server.base_url)
            engine.add_user("hello")
            await run_turn(engine)
            engine.switch_endpoint(
                other, profile="two", base_url="http://u:secret@other.example/v1", model="demo-long"
            )
            engine.add_user("and now?")
            await run_turn(engine)
            assert len(first.bodies) == 1 and len(second.bodies) == 1
            assert second.bodies[0]["model"] == "demo-long"
            assert [m["role"] for m in second.bodies[0]["messages"]] == [
                "user",
                "assistant",
                "user",
            ]
            assert engine.conv_id is not None
            meta = store.load_conversation(engine.conv_id).meta
            # Saved so that continuing goes to the same place; the URL's secret is not.
            assert (meta.profile, meta.model) == ("two", "demo-long")
            assert meta.base_url == "http://other.example/v1"
