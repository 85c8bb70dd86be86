"""Transcripts: JSON export → import → export is identical; Markdown is readable; bad files fail
clearly."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, Timings, ToolCall
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.records import StoredMessage
from tensorx_tui.store.transcripts import (
    FORMAT,
    TranscriptError,
    conversation_from_json,
    export_to_file,
    suggested_filename,
    to_json,
    to_markdown,
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "a.db") as s:
        yield s


@pytest.fixture
def other(tmp_path: Path) -> Store:
    with Store(tmp_path / "b.db") as s:
        yield s


def rich_conversation(store: Store) -> str:
    conv = store.create_conversation(
        profile="tensorx",
        base_url="https://api.tensorx.ai/v1",
        model="deepseek/deepseek-r1-0528",
        system="You are terse.\nUse SI units.",
        params={"temperature": 0.2, "max_tokens": 512},
    )
    store.add_user_message(conv, "Wie schnell ist ein Gepard? 🐆 Use ``` fences")
    store.add_reply(
        conv,
        Reply(
            content="",
            reasoning="Let me look it up.",
            tool_calls=[
                ToolCall("call_a", "search", '{"q": "cheetah speed", "lang": "de"}'),
                ToolCall("call_b", "broken", '{"q": "cut off'),
                ToolCall("call_c", "objectish", {"already": "an object"}),
            ],
            finish_reason="tool_calls",
            usage={"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29},
            model="deepseek/deepseek-r1-0528",
            state=ReplyState.COMPLETE,
            timings=Timings(request_sent=5.0, first_token=5.25, last_token=6.0, finished=6.5),
        ),
    )
    store.add_tool_result(conv, "call_a", "Bis zu 112 km/h\n```\ncode in a result\n```")
    store.add_tool_result(conv, "call_b", "error: bad arguments")
    store.add_tool_result(conv, "call_c", "ok")
    store.add_reply(
        conv,
        Reply(
            content="Etwa **110 km/h**.\n\n````python\nprint('four ticks')\n````",
            reasoning="Sources agree.",
            finish_reason="stop",
            usage={"prompt_tokens": 60, "completion_tokens": 12, "total_tokens": 72},
            model="deepseek/deepseek-r1-0528",
            state=ReplyState.COMPLETE,
        ),
    )
    store.add_user_message(conv, "And a lion?")
    store.add_reply(
        conv,
        Reply(
            content="Lions reach",
            state=ReplyState.ERROR,
            error=ErrorInfo("Rate limit exceeded\nLimit resets at 20:38", 429, "rate_limit"),
        ),
    )
    store.add_reply(conv, Reply(content="Li", state=ReplyState.CANCELLED))
    return conv


def test_json_round_trip_is_identical(store: Store, other: Store) -> None:
    conv = rich_conversation(store)
    first = to_json(store.load_conversation(conv))
    imported = other.import_conversation(conversation_from_json(first))
    assert imported == conv  # the id is kept when it is free
    second = to_json(other.load_conversation(imported))
    assert second == first
    assert to_markdown(other.load_conversation(imported)) == to_markdown(
        store.load_conversation(conv)
    )


def test_import_into_the_same_store_gets_a_new_id(store: Store) -> None:
    conv = rich_conversation(store)
    text = to_json(store.load_conversation(conv))
    again = store.import_conversation(conversation_from_json(text))
    assert again != conv
    assert store.count_conversations() == 2
    # Everything but the id is the same.
    assert to_json(store.load_conversation(again)) == text.replace(conv, again)


def test_json_shape_is_openai_messages_plus_metadata(store: Store) -> None:
    conv = rich_conversation(store)
    data = json.loads(to_json(store.load_conversation(conv)))
    assert data["format"] == FORMAT == "tensorx-chat/1"
    meta = data["conversation"]
    assert meta["id"] == conv
    assert meta["created_at"].endswith("Z")
    assert meta["params"] == {"max_tokens": 512, "temperature": 0.2}
    messages = data["messages"]
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "tool",
        "tool",
        "tool",
        "assistant",
        "user",
        "assistant",
        "assistant",
    ]
    assert messages[0]["content"] == "You are terse.\nUse SI units."
    assert messages[0]["tensorx"] == {"system_prompt": True}
    call_reply = messages[2]
    assert call_reply["content"] is None
    assert [c["function"]["name"] for c in call_reply["tool_calls"]] == [
        "search",
        "broken",
        "objectish",
    ]
    for call in call_reply["tool_calls"]:
        assert call["type"] == "function"
        assert isinstance(call["function"]["arguments"], str)
    assert call_reply["tensorx"]["reasoning"] == "Let me look it up."
    assert call_reply["tensorx"]["timings"] == {
        "finished_s": 1.5,
        "first_token_s": 0.25,
        "last_token_s": 1.0,
    }
    assert "reasoning_content" not in call_reply  # kept in the metadata, out of the OpenAI part
    assert messages[3]["tool_call_id"] == "call_a"
    error_reply = messages[8]
    assert error_reply["tensorx"]["state"] == "error"
    assert error_reply["tensorx"]["error"] == {
        "message": "Rate limit exceeded\nLimit resets at 20:38",
        "status": 429,
        "type": "rate_limit",
    }
    assert messages[9]["tensorx"]["state"] == "cancelled"


def test_markdown_is_readable(store: Store) -> None:
    conv = rich_conversation(store)
    md = to_markdown(store.load_conversation(conv))
    assert md.startswith("# Wie schnell ist ein Gepard?")
    assert f"- **Conversation:** `{conv}`" in md
    assert "- **Parameters:** max_tokens=512, temperature=0.2" in md
    assert "## System prompt\n\nYou are terse.\nUse SI units." in md
    assert "## User\n\nWie schnell ist ein Gepard? 🐆 Use ``` fences" in md
    assert "## Assistant (deepseek/deepseek-r1-0528)" in md
    assert "<details><summary>Reasoning</summary>\n\nLet me look it up.\n\n</details>" in md
    assert '**Tool call** `search` (id `call_a`):\n\n```json\n{\n  "q": "cheetah speed",' in md
    assert "*arguments are not valid JSON" in md and '{"q": "cut off' in md
    assert (
        "## Tool result (`call_a`)\n\n````\nBis zu 112 km/h\n```\ncode in a result\n```\n````" in md
    )
    assert (
        "*finish: tool_calls · state: complete · tokens: 20 in / 9 out / 29 total · 1.50 s*" in md
    )
    assert "*finish: stop · state: complete · tokens: 60 in / 12 out / 72 total*" in md
    assert "> **Error (HTTP 429):** Rate limit exceeded Limit resets at 20:38" in md
    assert "*state: cancelled*" in md
    # Every fence closes: the count of opening and closing fence lines balances per length.
    fences = re.findall(r"^(`{3,})", md, flags=re.M)
    for length in {len(f) for f in fences}:
        assert sum(1 for f in fences if len(f) == length) % 2 == 0


def test_plain_openai_messages_import(other: Store) -> None:
    text = json.dumps(
        [
            {"role": "system", "content": "Be kind."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}],
            },
            {"role": "assistant", "content": "Hello!", "reasoning_content": "greet"},
        ]
    )
    conv = conversation_from_json(text)
    assert conv.meta.system == "Be kind."
    assert conv.meta.title == "Hi there"
    assert [m.role for m in conv.messages] == ["user", "assistant"]
    assert conv.messages[1].reasoning == "greet"
    conv_id = other.import_conversation(conv)
    assert other.get_summary(conv_id).message_count == 2
    assert other.search("hello")[0].conversation.id == conv_id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "other/9", "messages": []}', "format: this version reads"),
        ('{"messages": {}}', "messages: expected list, got dict"),
        ('{"messages": [1]}', "messages[0]: expected dict, got int"),
        ('{"messages": [{"role": "bot"}]}', "messages[0].role: expected one of"),
        ('{"messages": [{"role": "user", "content": 5}]}', "messages[0].content: expected str"),
        (
            '{"messages": [{"role": "assistant", "tool_calls": [{"function": {}}]}]}',
            "messages[0].tool_calls[0].function.name: expected str, got null",
        ),
        (
            '{"messages": [{"role": "assistant", "tensorx": {"state": "exploded"}}]}',
            "messages[0].tensorx.state: unknown state 'exploded'",
        ),
        (
            '{"messages": [{"role": "user", "tensorx": {"created_at": "yesterday"}}]}',
            "messages[0].tensorx.created_at: not an ISO-8601 time",
        ),
        (
            '{"messages": [{"role": "assistant", "tensorx": {"timings": {"x": "1"}}}]}',
            "messages[0].tensorx.timings.x: expected a number",
        ),
        ('{"conversation": [], "messages": []}', "conversation: expected dict, got list"),
        ('"just a string"', "transcript: expected dict, got str"),
    ],
)
def test_bad_transcripts_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(TranscriptError) as info:
        conversation_from_json(text)
    assert message in str(info.value)


def test_export_to_a_directory_uses_a_safe_name(store: Store, tmp_path: Path) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "../../etc/passwd: how?")
    loaded = store.load_conversation(conv)
    assert suggested_filename(loaded, "md") == f"tensorx-chat-{conv}-etc-passwd-how.md"
    written = export_to_file(loaded, tmp_path, "json")
    assert written.parent == tmp_path and written.suffix == ".json"
    assert conversation_from_json(written.read_text(encoding="utf-8")).meta.id == conv


_texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=_texts,
    user=_texts,
    content=_texts,
    reasoning=_texts,
    refusal=_texts,
    arguments=_texts,
    when=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)
    ),
)
def test_round_trip_holds_for_any_text(
    tmp_path_factory: pytest.TempPathFactory,
    title: str,
    user: str,
    content: str,
    reasoning: str,
    refusal: str,
    arguments: str,
    when: datetime,
) -> None:
    directory = tmp_path_factory.mktemp("rt")
    with Store(directory / "a.db") as a, Store(directory / "b.db") as b:
        conv = a.create_conversation(title=title, system=reasoning)
        a.add_message(conv, StoredMessage(role="user", content=user, created_at=when))
        a.add_reply(
            conv,
            Reply(
                content=content,
                reasoning=reasoning,
                refusal=refusal,
                tool_calls=[ToolCall(user or None, title, arguments)],
                state=ReplyState.INTERRUPTED,
            ),
        )
        first = to_json(a.load_conversation(conv))
        second = to_json(b.load_conversation(b.import_conversation(conversation_from_json(first))))
        assert second == first


def test_a_replys_own_headings_sit_below_the_message_heading(store: Store) -> None:
    conv = store.create_conversation(title="Weather")
    store.add_user_message(conv, "# My question\nis it hot?")
    reply = (
        "# Forecast\n\nSunny.\n\n## Details\n\n```python\n# a comment, not a heading\n```\n\n"
        "Outlook\n-------\n\n###### tiny"
    )
    store.add_reply(conv, Reply(content=reply, state=ReplyState.COMPLETE))
    store.add_reply(conv, Reply(content="", state=ReplyState.ERROR, error=ErrorInfo("boom", 200)))
    md = to_markdown(store.load_conversation(conv))
    assert "## User\n\n### My question\nis it hot?" in md
    assert "## Assistant\n\n### Forecast\n\nSunny.\n\n#### Details" in md
    assert "```python\n# a comment, not a heading\n```" in md  # code is left alone
    assert "#### Outlook" in md and "-------" not in md
    assert "###### tiny" in md  # the deepest level stays the deepest
    outside_code = re.sub(r"^```.*?^```", "", md, flags=re.M | re.S)
    assert re.findall(r"^# .*", outside_code, flags=re.M) == ["# Weather"]
    assert "HTTP 200" not in md and "> **Error:** boom" in md


def test_a_refusal_is_saved_exported_imported_and_sent_back(store: Store, other: Store) -> None:
    conv = store.create_conversation(model="gpt")
    store.add_user_message(conv, "Do the bad thing")
    refused = Reply(
        refusal="I can't help with that.", finish_reason="stop", state=ReplyState.COMPLETE
    )
    store.add_reply(conv, refused)
    loaded = store.load_conversation(conv)
    assert loaded.messages[1].refusal == "I can't help with that."
    assert loaded.messages[1].to_reply().refused
    # Sent back as what the model said, not dropped as an empty reply.
    assert loaded.to_openai_messages()[-1] == {
        "role": "assistant",
        "content": "I can't help with that.",
    }
    data = json.loads(to_json(loaded))
    message = data["messages"][1]
    assert (message["content"], message["refusal"]) == (None, "I can't help with that.")
    assert "refusal" not in data["messages"][0]
    again = other.load_conversation(
        other.import_conversation(conversation_from_json(to_json(loaded)))
    )
    assert again.messages[1].refusal == "I can't help with that."
    assert to_json(again) == to_json(loaded)
    markdown = to_markdown(loaded)
    assert "**Refusal** (the model declined to answer):\n\nI can't help with that." in markdown


def test_a_plain_openai_transcript_with_a_refusal_imports() -> None:
    raw = [{"role": "assistant", "content": None, "refusal": "No."}]
    assert conversation_from_json(json.dumps(raw)).messages[0].refusal == "No."
    with pytest.raises(TranscriptError, match=r"messages\[0\]\.refusal: expected str"):
        conversation_from_json(json.dumps([{"role": "assistant", "refusal": 5}]))
