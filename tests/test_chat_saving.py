"""ConversationLog: the saving calls shared by `ask` and the chat UI."""

from __future__ import annotations

from pathlib import Path

from tensorx_tui.chat.saving import ConversationLog, NewConversation
from tensorx_tui.chat.settings import request_params
from tensorx_tui.core.reply import Reply, ReplyState, ToolCall
from tensorx_tui.store.conversations import Store

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
        log.drop_after_last_user()
        assert [m.role for m in store.load_conversation(log.conv_id).messages] == ["user"]
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
