"""The same bytes cut at any boundaries give the same events and the same Reply."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import MODEL, STREAMS, chunk, replay, split_at, tool_delta

EXPECTED: dict[str, dict[str, Any]] = {
    "tools": {
        "content": "",
        "tool_calls": [
            {"id": "call_a", "name": "get_weather", "arguments": '{"city": "Zürich"}'},
            {"id": "call_b", "name": "get_time", "arguments": '{"tz": "Europe/Zürich"}'},
        ],
        "finish_reason": "tool_calls",
        "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42},
        "state": "complete",
        "model": MODEL,
    },
    "reasoning": {
        "reasoning": "Nachdenken… 🤔 ok\u2028next",
        "content": "Grüße aus 東京 😀\u0085\x0b\x0c!",
        "finish_reason": "stop",
        "state": "complete",
    },
    "messy": {
        "content": "AB",
        "tool_calls": [{"id": "call_x", "name": "lookup", "arguments": '{"q": "ß"}'}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2},
        "state": "complete",
        "model": MODEL,
    },
    "llama_cpp_error": {
        "content": "partial",
        "state": "error",
        "error": {
            "message": "the request exceeds the available context size",
            "status": 400,
            "type": "invalid_request_error",
        },
    },
    "event_error_cr": {
        "content": "x",
        "state": "error",
        "error": {"message": "Provider overloaded", "status": 502, "type": None},
    },
}


def expected_for(name: str) -> dict[str, Any]:
    return next(value for key, value in EXPECTED.items() if name.startswith(key))


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_whole_stream_result(name: str) -> None:
    _, reply = replay([STREAMS[name]])
    result = reply.to_json()
    expected = expected_for(name)
    assert {key: result[key] for key in expected} == expected


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_one_byte_reads(name: str) -> None:
    data = STREAMS[name]
    assert replay([data[i : i + 1] for i in range(len(data))]) == replay([data])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(STREAMS)), st.data())
def test_random_splits(name: str, data: st.DataObject) -> None:
    stream = STREAMS[name]
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=40))
    assert replay(split_at(stream, cuts)) == replay([stream])


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from("\r\n\u2028é😀"),
    max_size=12,
)


@st.composite
def generated_streams(draw: st.DrawFn) -> tuple[bytes, str, str]:
    """A random well-formed stream in a random framing, with its expected content and arguments."""
    pieces = draw(st.lists(texts, min_size=1, max_size=8))
    arg_value = draw(texts)
    arguments = json.dumps({"v": arg_value}, ensure_ascii=draw(st.booleans()))
    cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=4)))
    arg_pieces = [arguments[a:b] for a, b in zip([0, *cuts], [*cuts, len(arguments)], strict=True)]
    payloads: list[Any] = [chunk({"role": "assistant", "content": None})]
    payloads += [chunk({"content": p}) for p in pieces]
    payloads.append(chunk(tool_delta(0, id="call_1", name="f", args="")))
    payloads += [chunk(tool_delta(0, args=p)) for p in arg_pieces]
    payloads += [chunk({}, finish_reason="tool_calls"), "[DONE]"]
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    comment = draw(st.sampled_from(["", ": keep-alive" + eol]))
    body = "".join(
        comment
        + "data: "
        + (p if isinstance(p, str) else json.dumps(p, ensure_ascii=False))
        + eol * 2
        for p in payloads
    )
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + body).encode(), "".join(pieces), arguments


@settings(max_examples=200, deadline=None)
@given(generated_streams(), st.data())
def test_generated_streams_any_split(
    generated: tuple[bytes, str, str], data: st.DataObject
) -> None:
    stream, content, arguments = generated
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=30))
    events, reply = replay(split_at(stream, cuts))
    assert (events, reply) == replay([stream])
    assert reply.content == content
    assert [c.arguments for c in reply.tool_calls] == [arguments]
    assert reply.state == "complete"
