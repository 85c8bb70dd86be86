"""ConversationLog: the saving calls shared by `ask` and the chat UI."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from tensorx_tui.chat.saving import ConversationLog, NewConversation
from tensorx_tui.chat.settings import request_params
from tensorx_tui.core.reply import Reply, ReplyState, ToolCall
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.recorder import FINAL_SAVE_PATIENCE_S

NEW = NewConversation(profile="p", base_url="http://h/v1", model="m", system="S", params={})


def test_a_turn_with_a_tool_round_trip_and_regenerate(tmp_path: Path) -> None:
    errors: list[str] = []
    with Store.open(tmp_path) as store:
        log = ConversationLog(store, on_error=errors.append)
        log.add_user("q", NEW)
        assert log.conv_id is not None
        log.start_reply("m")
        call = ToolCall("c1", "f", "{}")
        log.finish(Reply(tool_calls=[call], finish_reason="tool_calls", state=ReplyState.COMPLETE))
        log.add_tool_result("c1", "result")
        log.start_reply("m")
        log.finish(Reply(content="done", state=ReplyState.COMPLETE))
        log.update_settings(model="m2", params=request_params(0.2, None))
        saved = store.load_conversation(log.conv_id)
        assert [(m.role, m.tool_call_id) for m in saved.messages] == [
            ("user", None),
            ("assistant", None),
            ("tool", "c1"),
            ("assistant", None),
        ]
        assert saved.meta.model == "m2" and saved.meta.params == {"temperature": 0.2}
        assert saved.meta.system == "S" and saved.meta.title == "q"
        # Another branch: a second answer beside the first reply.
        question = saved.messages[0].id
        assert question is not None
        log.start_reply("m", question)
        log.finish(Reply(content="again", state=ReplyState.COMPLETE))
        again = store.load_conversation(log.conv_id)
        assert [m.content for m in again.path()] == ["q", "again"]
        first_reply = again.messages[1].id
        assert first_reply is not None
        log.set_active_leaf(first_reply)
        assert [m.role for m in store.load_conversation(log.conv_id).path()] == [
            "user",
            "assistant",
        ]
        fork = log.fork(first_reply)
        assert fork is not None and len(store.load_conversation(fork).messages) == 2
    assert errors == []


def test_an_error_is_said_once_and_saving_stops_until_switch(tmp_path: Path) -> None:
    errors: list[str] = []
    store = Store.open(tmp_path)
    log = ConversationLog(store, on_error=errors.append)
    log.add_user("q", NEW)
    first = log.conv_id
    store.close()  # every call now fails
    log.start_reply("m")
    log.finish(Reply(content="x"))
    log.add_tool_result("c", "r")
    assert len(errors) == 1 and errors[0].startswith("the reply is not saved")
    assert not log.saving and log.conv_id == first
    log.switch(None)
    assert log.saving and log.conv_id is None


def test_without_a_store_everything_is_a_no_op() -> None:
    log = ConversationLog(None, on_error=lambda message: (_ for _ in ()).throw(AssertionError))
    log.add_user("q", NEW)
    log.start_reply("m")
    log.update(Reply(content="x"))
    log.finish(Reply(content="x"))
    assert log.conv_id is None and not log.saving


# -- a reply saved while another process holds the database --------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _OtherProcess:
    """A second, real SQLite connection to the same file holding the write lock until released."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


def _locked_turn(tmp_path: Path, clock: _Clock, **log_options: Any) -> tuple[Any, ...]:
    """A conversation whose reply row exists, then the database locked by another connection.
    busy_timeout 0: a locked write fails at once instead of after SQLite's own wait."""
    store = Store(tmp_path / "c.db", busy_timeout_ms=0)
    errors: list[str] = []
    log = ConversationLog(store, on_error=errors.append, clock=clock, **log_options)
    log.add_user("q", NEW)
    log.start_reply("m")
    other = _OtherProcess(tmp_path / "c.db")
    return store, log, errors, other


def _saved_reply(store: Store, conv_id: str) -> Any:
    return store.load_conversation(conv_id).messages[-1]


def test_a_final_save_refused_by_a_lock_is_written_once_the_lock_clears(tmp_path: Path) -> None:
    clock = _Clock()
    store, log, errors, other = _locked_turn(tmp_path, clock)
    log.finish(Reply(content="the answer", state=ReplyState.COMPLETE))
    assert errors == []  # not told yet: it may still be saved
    assert _saved_reply(store, log.conv_id).state is ReplyState.INTERRUPTED  # readers still read
    assert log.retry_unsaved() is False  # still locked
    clock.now = 10.0
    other.release()
    naps: list[float] = []
    log.settle(sleep=naps.append)  # the exit path of `ask`
    saved = _saved_reply(store, log.conv_id)
    assert (saved.state, saved.content) == (ReplyState.COMPLETE, "the answer")
    assert errors == [] and log.unsaved == [] and naps == []
    store.close()


def test_the_user_is_told_only_when_it_finally_cannot_be_saved(tmp_path: Path) -> None:
    clock = _Clock()
    store, log, errors, other = _locked_turn(tmp_path, clock)
    log.finish(Reply(content="lost", state=ReplyState.COMPLETE))
    naps: list[float] = []

    def wait(seconds: float) -> None:  # `settle`'s pause between tries: time passes
        naps.append(seconds)
        clock.now += seconds

    log.settle(sleep=wait)
    assert len(errors) == 1 and "not saved" in errors[0] and "busy" in errors[0]
    assert sum(naps) >= FINAL_SAVE_PATIENCE_S and log.unsaved == []
    other.release()
    assert _saved_reply(store, log.conv_id).state is ReplyState.INTERRUPTED
    store.close()


async def test_in_the_ui_the_retry_runs_in_the_background(tmp_path: Path) -> None:
    clock = _Clock()
    gate = asyncio.Event()

    async def next_interval(seconds: float) -> None:  # the retry loop's timer, driven by the test
        await gate.wait()
        gate.clear()

    store, log, errors, other = _locked_turn(tmp_path, clock, sleep=next_interval)
    log.finish(Reply(content="later", state=ReplyState.COMPLETE))  # inside a running loop
    assert log.retrying is not None and log.unsaved
    other.release()
    gate.set()
    await asyncio.wait_for(log.retrying, 10)
    saved = _saved_reply(store, log.conv_id)
    assert (saved.state, saved.content, errors) == (ReplyState.COMPLETE, "later", [])
    store.close()


def test_other_store_errors_at_the_final_save_are_still_said_at_once(tmp_path: Path) -> None:
    errors: list[str] = []
    store = Store.open(tmp_path)
    log = ConversationLog(store, on_error=errors.append)
    log.add_user("q", NEW)
    log.start_reply("m")
    assert log.conv_id is not None
    store.delete(log.conv_id)  # the reply's row is gone: no retry can help
    log.finish(Reply(content="x", state=ReplyState.COMPLETE))
    assert len(errors) == 1 and errors[0].startswith("the reply was not saved")
    assert log.unsaved == []
    store.close()
