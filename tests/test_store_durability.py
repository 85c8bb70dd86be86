"""Nothing is lost: migrations from older schemas, concurrent instances, SIGKILL mid-stream."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState
from tensorx_tui.store import db
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.schema import MIGRATIONS, SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def make_v1_database(path: Path) -> None:
    """A database exactly as the first release wrote it, with some data in it."""
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, model, params)"
        " VALUES ('0123abcd', 'Old talk', '2025-01-02T03:04:05.000000Z',"
        " '2025-01-02T03:05:00.000000Z', 'old-model', '{\"temperature\": 0.7}')"
    )
    conn.execute(
        "INSERT INTO messages (conversation_pk, seq, role, content, state, created_at)"
        " VALUES (1, 1, 'user', 'remember the platypus', 'complete',"
        " '2025-01-02T03:04:05.000000Z')"
    )
    conn.execute(
        "INSERT INTO messages (conversation_pk, seq, role, content, state, error, created_at)"
        " VALUES (1, 2, 'assistant', 'half an ans', 'error', 'Rate limit exceeded',"
        " '2025-01-02T03:05:00.000000Z')"
    )
    conn.commit()
    conn.close()


def test_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1_database(path)
    conn = sqlite3.connect(path)
    assert "error_status" not in columns(conn, "messages")
    conn.close()

    with Store(path) as store:
        assert db.schema_version(store._conn) == SCHEMA_VERSION == 7
        added = {"error_status", "error_type", "superseded", "tool_meta", "refusal", "cost"}
        assert added | {"parent_id"} <= columns(store._conn, "messages")
        assert {"sha256", "data"} <= columns(store._conn, "attachments")
        assert {"message_id", "position", "name"} <= columns(store._conn, "message_attachments")
        conv = store.load_conversation("0123abcd")
        assert not any(m.tool_meta for m in conv.messages)
        assert conv.path() == conv.messages  # one line: the second follows the first
        assert conv.meta.title == "Old talk" and conv.meta.params == {"temperature": 0.7}
        old_reply = conv.messages[1]
        assert old_reply.state is ReplyState.ERROR
        assert old_reply.error == ErrorInfo("Rate limit exceeded", None, None)
        assert old_reply.refusal == "" and not old_reply.to_reply().refused
        # The old rows are searchable, and new rows use the new columns.
        assert [h.conversation.id for h in store.search("platypus")] == ["0123abcd"]
        mid = store.start_reply("0123abcd")
        store.finish_reply(
            mid, Reply(state=ReplyState.ERROR, error=ErrorInfo("slow down", 429, "rate_limit"))
        )
        assert store.load_conversation("0123abcd").messages[2].error == ErrorInfo(
            "slow down", 429, "rate_limit"
        )
        refused = store.start_reply("0123abcd")
        store.finish_reply(
            refused, Reply(refusal="I can't help with that.", state=ReplyState.COMPLETE)
        )
        assert store.load_conversation("0123abcd").messages[3].refusal == "I can't help with that."
    # Opening again changes nothing.
    with Store(path) as store:
        assert db.schema_version(store._conn) == SCHEMA_VERSION
        assert len(store.load_conversation("0123abcd").messages) == 4


def test_a_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.db"
    Store(path).close()
    broken = (
        *MIGRATIONS,
        ("ALTER TABLE messages ADD COLUMN pinned INTEGER", "THIS IS NOT SQL"),
    )
    monkeypatch.setattr(db, "MIGRATIONS", broken)
    with pytest.raises(StoreError, match="cannot use the conversation database"):
        Store(path)
    conn = sqlite3.connect(path)
    assert db.schema_version(conn) == SCHEMA_VERSION
    assert "pinned" not in columns(conn, "messages")  # the first statement was rolled back
    conn.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not SQLite at all" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store(path)


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tensorx_tui.core.reply import Reply, ReplyState
    from tensorx_tui.store.conversations import Store

    path, shared, name, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = Store(path)
    own = store.create_conversation(model=name)
    print("ready", flush=True)
    sys.stdin.readline()  # all writers start together
    for i in range(count):
        store.add_user_message(shared, f"{name} message {i}")
        mid = store.start_reply(own)
        store.checkpoint_reply(mid, Reply(content=f"{name} partial {i}"))
        store.finish_reply(mid, Reply(content=f"{name} reply {i}", state=ReplyState.COMPLETE))
    store.close()
    print(own, flush=True)
    """
)


def test_concurrent_instances_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with Store(path) as store:
        shared = store.create_conversation()
    writers, count = 4, 120
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), shared, f"w{n}", str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for n in range(writers)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    own_ids = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        own_ids.append(out.strip())

    with Store(path) as store:
        messages = store.load_conversation(shared).messages
        assert len(messages) == writers * count
        for n in range(writers):
            mine = [m.content for m in messages if m.content.startswith(f"w{n} ")]
            assert mine == [f"w{n} message {i}" for i in range(count)]  # each writer's order kept
        seqs = store._conn.execute(
            "SELECT seq FROM messages JOIN conversations c ON c.pk = conversation_pk"
            " WHERE c.id = ? ORDER BY seq",
            (shared,),
        ).fetchall()
        assert [r[0] for r in seqs] == list(range(1, writers * count + 1))
        for n, own in enumerate(own_ids):
            replies = store.load_conversation(own).messages
            assert [m.content for m in replies] == [f"w{n} reply {i}" for i in range(count)]
            assert all(m.state is ReplyState.COMPLETE for m in replies)
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store._conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
        assert len(store.search("w3 message")) == 1


def test_two_stores_in_one_process_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    with Store(path) as a, Store(path) as b:
        conv = a.create_conversation()
        b.add_user_message(conv, "from b")
        a.add_user_message(conv, "from a")
        assert [m.content for m in b.load_conversation(conv).messages] == ["from b", "from a"]


STREAMER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    import httpx
    from tensorx_tui.core.endpoint import Endpoint
    from tensorx_tui.core.request import ChatRequest
    from tensorx_tui.store.conversations import Store
    from tensorx_tui.store.recorder import ReplyRecorder

    async def main(path, base_url):
        store = Store(Path(path))
        conv = store.create_conversation(model="demo-fault-slow", base_url=base_url)
        store.add_user_message(conv, "tell me something, slowly")
        recorder = ReplyRecorder.start(store, conv, model="demo-fault-slow")
        request = ChatRequest(
            model="demo-fault-slow",
            messages=[{"role": "user", "content": "tell me something, slowly"}],
        )
        async with httpx.AsyncClient() as http:
            client = Endpoint(http, base_url=base_url, api_key=None)
            async with client.stream(request) as stream:
                async for _event in stream:
                    if recorder.update(stream.reply):
                        print("saved", len(stream.reply.content), flush=True)
        recorder.finish(stream.reply)
        print("finished", flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def test_sigkill_mid_stream_keeps_the_partial_reply(tmp_path: Path) -> None:
    from tensorx_tui.demo.server import DemoServer

    path = tmp_path / "t.db"
    with DemoServer(port=0, speed=20) as server:
        proc = subprocess.Popen(
            [sys.executable, "-c", STREAMER, str(path), server.base_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        assert proc.stdout is not None
        saved: list[int] = []
        started = time.monotonic()
        try:
            # Two checkpoints at about 1 s and 2 s, then the kill at about 2.5 s.
            while len(saved) < 2:
                line = proc.stdout.readline()
                assert line.startswith("saved"), line + proc.stderr.read()
                saved.append(int(line.split()[1]))
            time.sleep(max(0.0, 2.5 - (time.monotonic() - started)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL

    with Store(path) as store:
        conv = store.load_conversation(store.latest_conversation_id() or "")
        user, reply = conv.messages
        assert user.content == "tell me something, slowly"
        assert reply.role == "assistant"
        # Honestly marked: the stream never finished.
        assert reply.state is ReplyState.INTERRUPTED
        assert reply.model == "demo-fault-slow"
        assert saved[0] < saved[-1] <= len(reply.content)
        assert reply.content.strip()
