"""The conversation store: saving as it happens, reading back, renaming, deleting, settings."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, Timings, ToolCall
from tensorx_tui.core.secret import redact_url
from tensorx_tui.store.conversations import ConversationNotFound, Store
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.recorder import ReplyRecorder
from tensorx_tui.store.records import StoredMessage, clean_title

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "t.db") as s:
        yield s


def full_reply() -> Reply:
    return Reply(
        content="Use `PRAGMA journal_mode=WAL`.",
        reasoning="The user asks about SQLite.",
        tool_calls=[ToolCall("call_1", "lookup", '{"q": "wal"}'), ToolCall(None, "odd", {"a": 1})],
        finish_reason="tool_calls",
        usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        model="deepseek/deepseek-chat-v3.1",
        state=ReplyState.COMPLETE,
        timings=Timings(request_sent=100.0, first_byte=100.2, first_token=100.5, last_token=101.5),
    )


def test_open_creates_a_private_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    with Store.open(data_dir) as s:
        assert s.path == data_dir / "conversations.db"
        assert s.path.exists()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_pragmas(store: Store) -> None:
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_a_conversation_round_trips(store: Store) -> None:
    conv = store.create_conversation(
        profile="tensorx",
        base_url="https://api.tensorx.ai/v1",
        model="deepseek/deepseek-chat-v3.1",
        system="Be brief.",
        params={"temperature": 0.3, "max_tokens": 200},
    )
    assert len(conv) == 8 and int(conv, 16) >= 0
    store.add_user_message(conv, "How do I make SQLite\nsafe for two writers?")
    reply = full_reply()
    mid = store.add_reply(conv, reply)
    store.add_tool_result(conv, "call_1", "WAL: readers never block writers")

    loaded = store.load_conversation(conv)
    meta = loaded.meta
    assert meta.title == "How do I make SQLite safe for two writers?"
    assert (meta.profile, meta.base_url, meta.model) == (
        "tensorx",
        "https://api.tensorx.ai/v1",
        "deepseek/deepseek-chat-v3.1",
    )
    assert meta.system == "Be brief."
    assert meta.params == {"temperature": 0.3, "max_tokens": 200}
    assert [m.role for m in loaded.messages] == ["user", "assistant", "tool"]
    saved = loaded.messages[1]
    assert saved.id == mid
    back = saved.to_reply()
    assert back.content == reply.content
    assert back.reasoning == reply.reasoning
    assert [(c.id, c.name, c.arguments) for c in back.tool_calls] == [
        ("call_1", "lookup", '{"q": "wal"}'),
        (None, "odd", {"a": 1}),
    ]
    assert back.usage == reply.usage
    assert back.finish_reason == "tool_calls"
    assert back.state is ReplyState.COMPLETE
    assert back.model == reply.model
    assert back.timings.ttft_s == pytest.approx(0.5)
    assert back.timings.total_s == pytest.approx(1.5)
    assert loaded.messages[2].tool_call_id == "call_1"
    assert meta.created_at.tzinfo is not None


def test_summary_and_listing_order(store: Store) -> None:
    first = store.create_conversation(model="a")
    second = store.create_conversation(model="b")
    store.add_user_message(second, "second talk")
    store.add_user_message(first, "first talk, but touched last")
    store.add_reply(first, Reply(content="ok", state=ReplyState.COMPLETE))
    listed = store.list_conversations()
    assert [s.id for s in listed] == [first, second]
    assert listed[0].message_count == 2 and listed[1].message_count == 1
    assert listed[0].model == "a"
    assert store.latest_conversation_id() == first
    assert [s.id for s in store.list_conversations(limit=1, offset=1)] == [second]
    assert store.count_conversations() == 2
    assert store.get_summary(second).title == "second talk"
    as_json = listed[0].to_json()
    assert set(as_json) >= {"id", "title", "updated_at", "model", "messages"}
    assert as_json["updated_at"].endswith("+00:00")


def test_empty_store(store: Store) -> None:
    assert store.list_conversations() == []
    assert store.latest_conversation_id() is None
    assert store.search("anything") == []


def test_title_comes_from_the_first_user_message_only(store: Store) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "   \x1b[31mred\x1b[0m  alert " + "x" * 200)
    store.add_user_message(conv, "second message")
    title = store.get_summary(conv).title
    assert "\x1b" not in title and title.startswith("[31mred [0m alert")
    assert len(title) == 80 and title.endswith("…")


def test_rename(store: Store) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "original")
    before = store.get_summary(conv).updated_at
    assert store.rename(conv, "  New\nname\t ") == "New name"
    assert store.get_summary(conv).title == "New name"
    assert store.get_summary(conv).updated_at == before
    with pytest.raises(StoreError):
        store.rename(conv, " \n ")
    with pytest.raises(ConversationNotFound):
        store.rename("00000000", "x")


def test_delete_removes_messages_and_search_entries(store: Store) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "ephemeral zebra")
    keep = store.create_conversation()
    store.add_user_message(keep, "another zebra")
    assert len(store.search("zebra")) == 2
    assert store.delete(conv) is True
    assert store.delete(conv) is False
    assert [h.conversation.id for h in store.search("zebra")] == [keep]
    assert store._conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    with pytest.raises(ConversationNotFound):
        store.load_conversation(conv)


def test_update_conversation_settings(store: Store) -> None:
    conv = store.create_conversation(model="a", system="s", params={"temperature": 1})
    store.update_conversation(conv, model="b", params={"top_p": 0.9})
    meta = store.load_conversation(conv).meta
    assert (meta.model, meta.system, meta.params) == ("b", "s", {"top_p": 0.9})
    store.update_conversation(conv, system="")
    assert store.load_conversation(conv).meta.system == ""
    with pytest.raises(ConversationNotFound):
        store.update_conversation("ffffffff", model="x")


def test_resolve_id_by_prefix(store: Store) -> None:
    conv = store.create_conversation()
    assert store.resolve_id(conv) == conv
    assert store.resolve_id(conv[:4].upper()) == conv
    with pytest.raises(ConversationNotFound):
        store.resolve_id("zz%")
    with pytest.raises(StoreError):
        store.resolve_id("  ")


def test_ambiguous_prefix(store: Store) -> None:
    ids = {store.create_conversation() for _ in range(40)}
    # Among 40 random ids, two share a first hex digit.
    firsts = [i[0] for i in ids]
    shared = next(c for c in firsts if firsts.count(c) > 1)
    with pytest.raises(StoreError, match="several"):
        store.resolve_id(shared)


def test_streaming_reply_is_interrupted_until_finished(store: Store) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "hi")
    mid = store.start_reply(conv, model="m")
    assert store.load_conversation(conv).messages[1].state is ReplyState.INTERRUPTED
    partial = Reply(content="Hel", state=ReplyState.COMPLETE)
    store.checkpoint_reply(mid, partial)
    saved = store.load_conversation(conv).messages[1]
    # A checkpoint never claims the reply is complete, whatever the live object says.
    assert (saved.content, saved.state, saved.model) == ("Hel", ReplyState.INTERRUPTED, "m")
    final = Reply(
        content="Hello",
        state=ReplyState.ERROR,
        error=ErrorInfo("Rate limit exceeded", status=429, type="rate_limit"),
    )
    store.finish_reply(mid, final)
    saved = store.load_conversation(conv).messages[1]
    assert saved.state is ReplyState.ERROR
    assert saved.error == ErrorInfo("Rate limit exceeded", 429, "rate_limit")
    assert saved.content == "Hello"
    with pytest.raises(StoreError):
        store.checkpoint_reply(store.add_user_message(conv, "user rows are not replies"), final)


def test_cancelled_reply_keeps_partial_text(store: Store) -> None:
    conv = store.create_conversation()
    mid = store.start_reply(conv)
    store.finish_reply(mid, Reply(content="partial", state=ReplyState.CANCELLED))
    saved = store.load_conversation(conv).messages[0]
    assert (saved.content, saved.state) == ("partial", ReplyState.CANCELLED)


def test_user_message_is_committed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    writer = Store(path)
    conv = writer.create_conversation()
    writer.add_user_message(conv, "saved before the request")
    # A second connection (another process would be the same) sees it without any close/flush.
    with Store(path) as reader:
        assert reader.load_conversation(conv).messages[0].content == "saved before the request"
    writer.close()


def test_to_openai_messages_for_continuing(store: Store) -> None:
    conv = store.create_conversation(system="sys")
    store.add_user_message(conv, "q1")
    store.add_reply(
        conv,
        Reply(
            content="",
            reasoning="think",
            tool_calls=[ToolCall("c1", "f", "{}"), ToolCall("c2", "g", "{}")],
            state=ReplyState.COMPLETE,
        ),
    )
    store.add_tool_result(conv, "c1", "r1")
    store.add_reply(conv, Reply(content="", state=ReplyState.ERROR, error=ErrorInfo("boom")))
    store.add_reply(conv, Reply(content="part", reasoning="hidden", state=ReplyState.CANCELLED))
    messages = store.load_conversation(conv).to_openai_messages()
    assert messages == [
        {"role": "user", "content": "q1"},
        {
            "role": "assistant",
            "content": None,
            # c2 never got a result (the turn stopped): sending it back would be rejected.
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
            "reasoning_content": "think",
        },
        {"role": "tool", "content": "r1", "tool_call_id": "c1"},
        {"role": "assistant", "content": "part"},
    ]
    with_system = store.load_conversation(conv).to_openai_messages(with_system=True)
    assert with_system[0] == {"role": "system", "content": "sys"}


def test_tool_calls_of_an_unfinished_reply_are_not_sent_back(store: Store) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "q")
    store.add_reply(
        conv,
        Reply(content="x", tool_calls=[ToolCall("c1", "f", '{"a":')], state=ReplyState.CANCELLED),
    )
    store.add_tool_result(conv, "c1", "r")
    assert store.load_conversation(conv).to_openai_messages()[1] == {
        "role": "assistant",
        "content": "x",
    }


def test_branches_siblings_and_the_active_leaf(store: Store) -> None:
    conv = store.create_conversation()
    first = store.add_user_message(conv, "first")
    one = store.add_reply(conv, Reply(content="one", state=ReplyState.COMPLETE))
    second = store.add_user_message(conv, "second")
    store.add_reply(conv, Reply(content="two", state=ReplyState.COMPLETE))
    # Regenerate: a reply beside the one there, under the same question.
    store.add_message(
        conv,
        StoredMessage.from_reply(Reply(content="two again", state=ReplyState.COMPLETE)),
        parent=second,
    )
    assert [m.content for m in store.load_conversation(conv).path()][-2:] == ["second", "two again"]
    again = store.start_reply(conv, parent=second)
    store.finish_reply(again, Reply(content="two, third try", state=ReplyState.COMPLETE))
    loaded = store.load_conversation(conv)
    tree = loaded.tree()
    assert [m.content for m in tree.siblings(again)] == ["two", "two again", "two, third try"]
    assert tree.position(again) == (3, 3)
    assert loaded.active_leaf == again
    # Edit the first question: a new root.
    edited = store.add_user_message(conv, "first, edited", parent=None)
    assert [m.content for m in store.load_conversation(conv).path()] == ["first, edited"]
    store.set_active_leaf(conv, one)
    assert [m.content for m in store.load_conversation(conv).path()] == ["first", "one"]
    assert store.load_conversation(conv).tree().position(edited) == (2, 2)
    # Search finds text on every branch.
    assert [h.message_id for h in store.search("third")] == [again]
    with pytest.raises(StoreError):
        store.set_active_leaf(conv, 10_000)
    other = store.create_conversation()
    with pytest.raises(StoreError):
        store.add_user_message(other, "x", parent=first)  # a message of another conversation


def test_a_fork_copies_the_branch_up_to_a_message(store: Store) -> None:
    conv = store.create_conversation(model="m", system="S")
    store.add_user_message(conv, "q1")
    answer = StoredMessage.from_reply(Reply(content="a1", state=ReplyState.COMPLETE))
    answer.cost = 0.25
    reply = store.add_message(conv, answer)
    store.add_user_message(conv, "q2")
    store.rename(conv, "Talk")
    spent = store.cost_since(datetime(2000, 1, 1, tzinfo=UTC))
    fork = store.fork(conv, reply)
    assert store.cost_since(datetime(2000, 1, 1, tzinfo=UTC)) == spent == 0.25  # not twice
    copied = store.load_conversation(fork)
    assert [m.content for m in copied.messages] == ["q1", "a1"]
    assert copied.path() == copied.messages
    assert (copied.meta.model, copied.meta.system, copied.meta.title) == ("m", "S", "Talk (fork)")
    assert len(store.load_conversation(conv).messages) == 3  # the source is untouched
    with pytest.raises(StoreError):
        store.fork(conv, 10_000)


def test_message_roles_are_checked() -> None:
    with pytest.raises(ValueError):
        StoredMessage(role="bot")


def test_api_key_never_reaches_the_database_file(tmp_path: Path) -> None:
    key = "sk-tensorx-SUPERSECRET-0123456789"
    with Store(tmp_path / "t.db") as s:
        conv = s.create_conversation(
            base_url=f"https://user:{key}@api.example.com/v1?api_key={key}&api-version=2",
            params={"api_key": key, "headers": {"Authorization": f"Bearer {key}"}, "top_p": 1},
        )
        s.update_conversation(conv, base_url=f"https://x.example/v1?token={key}", params={"k": 1})
        s.update_conversation(conv, params={"Authorization": key, "temperature": 0.1})
        s.add_user_message(conv, "hello")
        meta = s.load_conversation(conv).meta
        assert meta.base_url == "https://x.example/v1"
        assert meta.params == {"temperature": 0.1}
        s._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in raw
    assert b"SUPERSECRET" not in raw


def test_redact_url_keeps_harmless_parts() -> None:
    assert redact_url("http://localhost:11434/v1") == "http://localhost:11434/v1"
    assert redact_url("https://a:b@h/v1?api-version=1&key=z") == "https://h/v1?api-version=1"


def test_clean_title_neutralises_bidi_and_controls() -> None:
    assert clean_title("a\u202eb\x00c\r\nd") == "a b c d"


def test_timestamps_are_utc_iso_text(store: Store) -> None:
    conv = store.create_conversation()
    when = datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC)
    store.add_message(conv, StoredMessage(role="user", content="x", created_at=when))
    raw = store._conn.execute("SELECT created_at FROM messages").fetchone()[0]
    assert raw == "2024-02-29T23:59:59.123456Z"
    assert store.load_conversation(conv).messages[0].created_at == when


def test_recorder_checkpoints_at_most_once_per_interval(store: Store) -> None:
    now = [0.0]
    conv = store.create_conversation()
    rec = ReplyRecorder.start(store, conv, model="m", clock=lambda: now[0])
    reply = Reply()
    writes = 0
    for step in range(1, 301):  # 300 tokens over 3 seconds
        now[0] = step * 0.01
        reply.content += "x"
        writes += rec.update(reply)
    assert writes == rec.checkpoints == 3
    assert store.load_conversation(conv).messages[0].content == "x" * 300
    now[0] = 3.5
    reply.content += "y"
    assert rec.update(reply) is False  # not due yet: pending
    assert rec.flush_if_due() is False
    now[0] = 4.0
    assert rec.flush_if_due() is True
    assert store.load_conversation(conv).messages[0].content.endswith("y")
    reply.state = ReplyState.COMPLETE
    rec.finish(reply)
    assert store.load_conversation(conv).messages[0].state is ReplyState.COMPLETE
    assert rec.update(reply) is False


async def test_recorder_autoflush_saves_while_the_stream_is_quiet(store: Store) -> None:
    import asyncio

    conv = store.create_conversation()
    rec = ReplyRecorder.start(store, conv, interval=0.02)
    reply = Reply(content="before a long pause")
    rec.update(reply)  # too early: pending
    task = asyncio.create_task(rec.autoflush())
    async with asyncio.timeout(30):
        while not rec.checkpoints:  # noqa: ASYNC110 - the recorder's timer has no event to await
            await asyncio.sleep(0.01)
    assert store.load_conversation(conv).messages[0].content == "before a long pause"
    rec.finish(reply)
    await asyncio.wait_for(task, 30)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    Store(path).close()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_store_never_imports_textual_or_rich(tmp_path: Path) -> None:
    code = (
        "import sys; import tensorx_tui.store.conversations, tensorx_tui.store.transcripts,"
        " tensorx_tui.store.recorder;"
        " bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')];"
        " print(bad); raise SystemExit(1 if bad else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
