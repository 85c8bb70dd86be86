"""The in-memory conversation: what is sent, what regenerate drops, tool calls awaiting results."""

from __future__ import annotations

from tensorx_tui.chat.state import SKIPPED_TOOL_RESULT, ConversationState
from tensorx_tui.core.reply import Reply, ReplyState, ToolCall


def _reply(content: str = "", *calls: ToolCall, state: ReplyState = ReplyState.COMPLETE) -> Reply:
    return Reply(content=content, tool_calls=list(calls), state=state, finish_reason="stop")


def test_request_carries_system_params_and_tools() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    conv = ConversationState(
        model="m", system="be brief", temperature=0.2, max_tokens=9, tools=tools
    )
    conv.add_user("hi")
    payload = conv.build_request().payload()
    assert payload["model"] == "m"
    assert payload["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert payload["temperature"] == 0.2
    assert payload["max_tokens"] == 9
    assert payload["tools"] == tools


def test_empty_reply_is_not_sent_back_but_cancelled_partial_is() -> None:
    conv = ConversationState(model="m")
    conv.add_user("a")
    conv.add_assistant(_reply("", state=ReplyState.ERROR))
    assert conv.messages == [{"role": "user", "content": "a"}]
    conv.add_assistant(_reply("part", state=ReplyState.CANCELLED))
    assert conv.messages[-1] == {"role": "assistant", "content": "part"}


def test_tool_calls_wait_for_results_and_skip_fills_them() -> None:
    conv = ConversationState(model="m")
    conv.add_user("weather?")
    first, second = ToolCall("c1", "get_weather", "{}"), ToolCall("c2", "other", "{}")
    conv.add_assistant(_reply("", first, second))
    assert conv.messages[-1]["tool_calls"][0]["id"] == "c1"
    assert conv.pending_tool_calls == [first, second]
    conv.add_tool_result(first, "sunny")
    assert conv.pending_tool_calls == [second]
    conv.add_user("never mind")  # the unanswered call gets a placeholder result first
    roles = [m["role"] for m in conv.messages]
    assert roles == ["user", "assistant", "tool", "tool", "user"]
    assert conv.messages[3] == {
        "role": "tool",
        "tool_call_id": "c2",
        "content": SKIPPED_TOOL_RESULT,
    }
    assert conv.pending_tool_calls == []


def test_cancelled_reply_tool_calls_are_not_sent_back() -> None:
    conv = ConversationState(model="m")
    conv.add_user("x")
    conv.add_assistant(_reply("so", ToolCall("c1", "f", '{"a'), state=ReplyState.CANCELLED))
    assert conv.messages[-1] == {"role": "assistant", "content": "so"}
    assert conv.pending_tool_calls == []


def test_replacing_the_history_follows_another_branch() -> None:
    conv = ConversationState(model="m")
    conv.add_user("one")
    call = ToolCall("c", "f", "{}")
    conv.add_assistant(_reply("", call))
    assert conv.pending_tool_calls == [call]
    conv.replace_history([{"role": "user", "content": "two"}])
    assert conv.messages == [{"role": "user", "content": "two"}]
    assert conv.pending_tool_calls == []
    assert conv.last_user_text() == "two"


def test_clear() -> None:
    conv = ConversationState(model="m")
    conv.add_user("x")
    conv.clear()
    assert conv.is_empty and conv.last_user_text() is None and not conv.can_regenerate()
