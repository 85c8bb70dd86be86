"""The demo's tokenizer and scripted replies, as pure functions (no server)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tensorx_tui.demo.longdoc import long_document
from tensorx_tui.demo.scripts import (
    SLOW_MIN_TOKENS,
    Script,
    ScriptedToolCall,
    cities_in,
    plan,
    script_for,
    topic_of,
)
from tensorx_tui.demo.tokenizer import count_tokens, message_text, prompt_tokens, tokenize


def ask(text: str, model: str = "demo", **extra: Any) -> Script:
    return script_for(model, {"messages": [{"role": "user", "content": text}], **extra})


@settings(deadline=None)
@given(st.text())
def test_tokens_join_back_to_the_text(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)
    assert count_tokens(text) == len(tokens)


def test_token_rule() -> None:
    assert tokenize("Hello, world!\n\n  x") == ["Hello", ",", " world", "!", "\n\n  ", "x"]
    assert tokenize("get_weather") == ["get_weather"]


def test_prompt_tokens_count_every_text_a_message_carries() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Hi there"}, {"type": "image"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}],
        },
        {"role": "tool", "tool_call_id": "a", "content": "5 degrees"},
        "not a message",
    ]
    assert message_text(messages[2]) == 'get_weather\n{"city":"Oslo"}'
    expected = (
        count_tokens("Be brief.")
        + count_tokens("Hi there")
        + count_tokens('get_weather\n{"city":"Oslo"}')
        + count_tokens("5 degrees")
    )
    assert prompt_tokens(messages) == expected


def test_cities() -> None:
    assert cities_in("What's the weather in Paris and Tokyo today?") == ["Paris", "Tokyo"]
    assert cities_in("weather for new york, london and rome") == ["New York", "London"]
    assert cities_in("how is the weather?") == ["Paris"]


def test_topic_is_one_clean_line() -> None:
    topic = topic_of("  **Bold** `code` [link](x)\x1b[31m red\nsecond line")
    assert "\n" not in topic and "\x1b" not in topic
    # Markdown syntax is escaped (shown literally), never left live nor silently dropped.
    assert re.fullmatch(r"(?:[^`*_\[\]<>#|\\~]|\\[`*_\[\]<>#|\\~])*…?", topic), topic
    assert topic_of("temp_c: 18") == "temp\\_c: 18"
    assert topic_of("x" * 300).endswith("…") and len(topic_of("x" * 300)) == 80
    assert topic_of("") == "your message"


def test_replies_respond_to_the_prompt() -> None:
    assert "```python" in ask("Write a Python function for fibonacci").content
    assert "def fibonacci" in ask("Write a Python function for fibonacci").content
    assert "```rust" in ask("Show me code in Rust").content
    assert "| Tea | Coffee |" in ask("Compare tea and coffee").content
    assert "1. " in ask("Give me tips for sleeping better").content
    assert "demo-fault-429" in ask("What can you do in this demo?").content
    general = ask("Why is the sky blue?").content
    assert "Why is the sky blue" in general
    assert ask("Why is the sky blue?").content == general  # deterministic


def test_tool_calls_and_tool_choice() -> None:
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    search = {
        "type": "function",
        "function": {
            "name": "search_docs",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
                "required": ["query", "limit"],
            },
        },
    }
    named = ask("Please use search_docs to find the config format", tools=[weather, search])
    assert named.finish_reason == "tool_calls"
    assert [c.name for c in named.tool_calls] == ["search_docs"]
    assert json.loads(named.tool_calls[0].arguments) == {
        "query": "Please use search_docs to find the config format",
        "limit": 3,
    }
    forced = ask("hello", tools=[weather, search], tool_choice="required")
    assert [c.name for c in forced.tool_calls] == ["get_weather"]
    refused = ask("weather in Oslo", tools=[weather], tool_choice="none")
    assert not refused.tool_calls and refused.finish_reason == "stop"
    ids = [c.id for c in ask("weather in Oslo and Rome", tools=[weather]).tool_calls]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)


def test_plan_budget_counts_every_piece() -> None:
    script = Script(
        content="Hi there",
        tool_calls=[ScriptedToolCall("call_1", "get_weather", '{"city": "Oslo"}')],
        finish_reason="tool_calls",
    )
    full = plan(script)
    assert full.finish_reason == "tool_calls"
    assert full.completion_tokens == 2 + 1 + count_tokens('{"city": "Oslo"}')
    cut = plan(script, max_tokens=4)
    assert cut.finish_reason == "length" and cut.completion_tokens == 4
    assert cut.content == "Hi there" and cut.tool_calls()[0].arguments == "{"
    stopped = plan(script, stop=["there"])
    assert stopped.content == "Hi " and stopped.finish_reason == "stop"
    assert not stopped.tool_calls()


def test_reasoner_and_slow_and_filter() -> None:
    reasoner = ask("hello", model="demo-reasoner")
    assert reasoner.reasoning and reasoner.content == ask("hello").content
    assert plan(reasoner).reasoning_tokens == count_tokens(reasoner.reasoning)
    assert count_tokens(ask("hello", model="demo-fault-slow").content) >= SLOW_MIN_TOKENS
    assert ask("so forbidden", model="demo-reasoner").finish_reason == "content_filter"


def test_long_document_shape() -> None:
    doc = long_document()
    assert 20_000 <= count_tokens(doc) <= 20_500
    assert doc.count("```") == 2


def test_demo_package_imports_no_ui_toolkit() -> None:
    code = (
        "import sys, tensorx_tui.demo.server\n"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["role", "content", "tool_calls", "function", "name", "arguments", "id"]
            )
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(deadline=None)
@given(
    messages=st.lists(_json, min_size=1, max_size=4),
    tools=_json,
    tool_choice=_json,
    model=st.sampled_from(["demo", "demo-reasoner", "demo-fault-slow", "demo-fault-filter"]),
)
def test_odd_requests_never_crash_the_scripts(
    messages: list[Any], tools: Any, tool_choice: Any, model: str
) -> None:
    body = {"messages": messages, "tools": tools, "tool_choice": tool_choice}
    result = plan(script_for(model, body))
    assert result.finish_reason in ("stop", "tool_calls", "content_filter")
    assert result.completion_tokens == len(result.steps) or result.tool_calls()


@settings(deadline=None)
@given(calls=_json, results=st.lists(_json, max_size=3), schema=_json, choice=_json)
def test_odd_tool_conversations_never_crash_the_scripts(
    calls: Any, results: list[Any], schema: Any, choice: Any
) -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": schema}}
    messages: list[Any] = [
        {"role": "user", "content": "weather in Oslo and Rome"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        *({"role": "tool", "tool_call_id": "x", "content": r} for r in results),
    ]
    result = plan(
        script_for("demo", {"messages": messages, "tools": [tool], "tool_choice": choice})
    )
    if results:
        assert result.finish_reason == "stop" and "the tools returned" in result.content
    for call in result.tool_calls():
        json.loads(call.arguments)
