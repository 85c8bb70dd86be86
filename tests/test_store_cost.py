"""A reply's cost is saved with it (schema version 3) and summed per conversation."""

from __future__ import annotations

from pathlib import Path

from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.recorder import ReplyRecorder


def test_cost_is_saved_with_the_reply_and_summed(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="m")
        store.add_user_message(conv, "hi")
        recorder = ReplyRecorder.start(store, conv, model="m")
        reply = Reply(content="one", state=ReplyState.COMPLETE, cost=0.0042)
        recorder.finish(reply)
        store.add_user_message(conv, "again")
        store.add_reply(conv, Reply(content="two", state=ReplyState.COMPLETE, cost=0.0001))
        store.add_user_message(conv, "and")
        store.add_reply(conv, Reply(content="three", state=ReplyState.COMPLETE))  # unknown

        messages = store.load_conversation(conv).messages
        assert [m.cost for m in messages] == [None, 0.0042, None, 0.0001, None, None]
        assert messages[1].to_reply().cost == 0.0042
        (summary,) = store.list_conversations()
        assert summary.cost is not None and round(summary.cost, 10) == 0.0043
        assert summary.to_json()["cost"] == summary.cost
        assert store.search("three")[0].to_json()["cost"] == summary.cost

        empty = store.create_conversation(model="m")
        store.add_user_message(empty, "no replies yet")
        assert store.get_summary(empty).cost is None
