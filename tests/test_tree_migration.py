"""Migration 6 (the conversation tree) on a database made by the release before it.

The fixture is an SQL dump of a real schema-5 file (tests/fixtures/make_release_schema5.py says
how it was made): two edits of one question (then marked superseded), a regenerated reply, tool
calls with results, reasoning, a refusal, an error, a cancelled reply, costs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tensorx_tui.core.reply import ReplyState
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.schema import SCHEMA_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "release_schema5.sql"
NEW_COLUMNS = {"parent_id"}


def restore(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()


def rows(path: Path, table: str, order: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    out = [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}")]
    conn.close()
    return out


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "conversations.db"
    restore(path)
    return path


def by_title(store: Store) -> dict[str, str]:
    return {s.title: s.id for s in store.list_conversations()}


def test_the_fixture_is_a_schema_5_database(old_db: Path) -> None:
    conn = sqlite3.connect(old_db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    assert conn.execute("SELECT count(*) FROM messages WHERE superseded = 1").fetchone()[0] == 4
    conn.close()


def test_every_row_and_field_survives(old_db: Path) -> None:
    before_messages = rows(old_db, "messages", "id")
    before_conversations = rows(old_db, "conversations", "pk")
    with Store(old_db) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store._conn.execute("PRAGMA foreign_key_check").fetchall() == []
    after_messages = rows(old_db, "messages", "id")
    after_conversations = rows(old_db, "conversations", "pk")
    assert len(after_messages) == len(before_messages) == 21
    for old, new in zip(before_messages, after_messages, strict=True):
        assert set(new) - set(old) == NEW_COLUMNS
        kept = {k: v for k, v in new.items() if k not in NEW_COLUMNS and k != "superseded"}
        assert kept == {k: v for k, v in old.items() if k != "superseded"}
        assert new["superseded"] == 0  # the tree says it now
    for old_c, new_c in zip(before_conversations, after_conversations, strict=True):
        assert {k: v for k, v in new_c.items() if k != "active_leaf"} == old_c


def test_superseded_exchanges_become_alternative_branches(old_db: Path) -> None:
    with Store(old_db) as store:
        conv = store.load_conversation(by_title(store)["What is a B-tree?"])
        assert len(conv.messages) == 8  # nothing lost
        path = conv.path()
        assert [m.content for m in path] == [
            "What is a B-tree?",
            "A balanced search tree.",
            "Show an example in Python",
            "```python\nclass Node: ...\n```",
        ]
        tree = conv.tree()
        question = path[2]
        assert question.id is not None
        assert [m.content for m in tree.siblings(question.id)] == [
            "Show an example in C",
            "Show an example in Rust",
            "Show an example in Python",
        ]
        assert tree.position(question.id) == (3, 3)
        # Each replaced question keeps its own answer beneath it.
        c_question = tree.siblings(question.id)[0]
        assert c_question.id is not None
        assert [m.content for m in tree.path(tree.newest_leaf(c_question.id))][-1] == (
            "```c\nstruct node;\n```"
        )
        # What is sent is the active branch only; the system prompt is kept.
        sent = conv.to_openai_messages(with_system=True)
        assert [m["content"] for m in sent] == [
            "Be brief.",
            "What is a B-tree?",
            "A balanced search tree.",
            "Show an example in Python",
            "```python\nclass Node: ...\n```",
        ]
        assert path[1].reasoning == "Recall databases."
        assert path[1].usage == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        assert path[1].cost == pytest.approx(0.000125)


def test_linear_conversations_stay_one_branch(old_db: Path) -> None:
    with Store(old_db) as store:
        ids = by_title(store)
        tools = store.load_conversation(ids["Weather in Paris and Rome?"])
        assert tools.path() == tools.messages
        assert [m.role for m in tools.path()] == ["user", "assistant", "tool", "tool", "assistant"]
        call_reply = tools.messages[1]
        assert [c.id for c in call_reply.tool_calls] == ["call_1", "call_2"]
        assert call_reply.reasoning == "Two cities: two calls."
        assert tools.messages[2].tool_meta == {
            "approval": "once",
            "duration_s": 0.25,
            "is_error": False,
            "server": "weather",
            "tool": "get_weather",
        }
        assert [m["role"] for m in tools.to_openai_messages()] == [
            "user",
            "assistant",
            "tool",
            "tool",
            "assistant",
        ]

        refused = store.load_conversation(ids["Refusal & error"])
        assert refused.path() == refused.messages
        assert refused.messages[1].refusal == "I can't help with that."
        error = refused.messages[3]
        assert error.state is ReplyState.ERROR
        assert error.error is not None
        assert (error.error.message, error.error.status, error.error.type) == (
            "Rate limit exceeded",
            429,
            "rate_limit",
        )

        regenerated = store.load_conversation(ids["Name a colour"])
        assert [m.content for m in regenerated.path()] == [
            "Name a colour",
            "Blue.",
            "Another",
            "Gre",
        ]
        assert regenerated.path()[-1].state is ReplyState.CANCELLED


def test_a_migrated_conversation_continues_its_active_branch(old_db: Path) -> None:
    with Store(old_db) as store:
        conv_id = by_title(store)["What is a B-tree?"]
        store.add_user_message(conv_id, "And in Go?")
        conv = store.load_conversation(conv_id)
        assert [m.content for m in conv.path()][-3:] == [
            "Show an example in Python",
            "```python\nclass Node: ...\n```",
            "And in Go?",
        ]
        # Search still finds text on every branch, the replaced ones too.
        hits = store.search("Rust")
        assert [h.conversation.id for h in hits] == [conv_id]
