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
    "refusal": {
        "content": "",
        "refusal": "I’m sorry, I can’t help with that 🙅.",
        "finish_reason": "stop",
        "state": "complete",
    },
    "parts": {
        "reasoning": "Überlegung…\n",
        "content": "Ergebnis: 42 ✓",
        "usage": {"prompt_tokens": 3, "completion_tokens": 4},
        "state": "complete",
    },
    "think_inline": {
        "reasoning": "Hmm, 東京 😀…\n",
        "content": "Tokyo </think> ok",
        "refusal": None,
        "state": "complete",
    },
    "think_implicit": {
        "reasoning": "Okay, the user greets me.\n\n`x` is fine.\n",
        "content": "Hallo! A literal\n</think>\nstays.",
        "state": "complete",
    },
    "think_literal": {
        "reasoning": "",
        "content": "Close it like this:\n\n```xml\n<answer/>\n</think>\n```\nDone.",
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


# Reasoning and answers without "<", fences or leading/trailing whitespace, so that each shape
# below has one exact expected result.
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Zs", "Cc"])
    | st.sampled_from("é😀/>`"),
    min_size=1,
    max_size=10,
).filter(lambda t: "<" not in t and "```" not in t and "~~~" not in t)


def pieces_of(text: str, cuts: list[int]) -> list[str]:
    cuts = sorted(c % (len(text) + 1) for c in cuts)
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if b > a]


@st.composite
def shaped_streams(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    """A reply in one of the newer shapes, its text cut into random deltas, and the result."""
    thought, answer = draw(words), draw(words)
    shape = draw(st.sampled_from(["explicit", "implicit", "parts", "refusal"]))
    cuts = draw(st.lists(st.integers(0, 200), max_size=6))
    deltas: list[dict[str, Any]]
    expected = {"reasoning": thought, "content": answer, "refusal": ""}
    if shape == "explicit":
        deltas = [
            {"content": p} for p in pieces_of(f"<think>\n{thought}</think>\n\n{answer}", cuts)
        ]
    elif shape == "implicit":
        deltas = [{"content": p} for p in pieces_of(f"{thought}\n</think>\n\n{answer}", cuts)]
        expected["reasoning"] = thought + "\n"
    elif shape == "parts":
        deltas = [
            {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": p}]}]}
            for p in pieces_of(thought, cuts)
        ] + [{"content": [{"type": "text", "text": p}]} for p in pieces_of(answer, cuts)]
    else:
        deltas = [{"refusal": p} for p in pieces_of(answer, cuts)]
        expected = {"reasoning": "", "content": "", "refusal": answer}
    payloads = [
        chunk({"role": "assistant", "content": None}),
        *(chunk(d) for d in deltas),
        chunk({}, finish_reason="stop"),
        "[DONE]",
    ]
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    body = "".join(
        "data: " + (p if isinstance(p, str) else json.dumps(p, ensure_ascii=False)) + eol * 2
        for p in payloads
    )
    return body.encode(), expected


@settings(max_examples=300, deadline=None)
@given(shaped_streams(), st.data())
def test_newer_shapes_any_split(
    generated: tuple[bytes, dict[str, str]], data: st.DataObject
) -> None:
    stream, expected = generated
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=30))
    events, reply = replay(split_at(stream, cuts))
    assert (events, reply) == replay([stream])
    assert {key: getattr(reply, key) for key in expected} == expected
    assert reply.state == "complete"
