"""The accumulator against every chunk shape protocol.md lists, asserting the exact result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import chunk, tool_delta

from tensorx_tui.core.accumulator import Accumulator
from tensorx_tui.core.events import (
    ContentDelta,
    Finished,
    ReasoningDelta,
    RefusalDelta,
    StreamError,
    StreamEvent,
    ToolCallDelta,
    UsageUpdated,
)
from tensorx_tui.core.reply import Reply, ReplyState

GENERIC = 'The provider ended the reply with an error (finish_reason "error").'
USAGE = {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}


def run(payloads: list[Any]) -> tuple[list[StreamEvent], Reply, Accumulator]:
    """Feed payloads as SSE data: dicts/lists are JSON-encoded, strings sent verbatim, and
    `(data, event_type)` tuples carry an SSE event type."""
    acc = Accumulator(clock=lambda: 0.0)
    events: list[StreamEvent] = []
    for payload in payloads:
        if isinstance(payload, tuple):
            events += acc.feed_data(*payload)
        elif isinstance(payload, str):
            events += acc.feed_data(payload)
        else:
            events += acc.feed_data(json.dumps(payload))
    return events, acc.finish(), acc


def call(id: str | None, name: str, arguments: Any) -> dict[str, Any]:
    return {"id": id, "name": name, "arguments": arguments}


def err(message: str, status: int | None = None, type: str | None = None) -> dict[str, Any]:
    return {"message": message, "status": status, "type": type}


def content(text: str, **kw: Any) -> dict[str, Any]:
    return chunk({"content": text}, **kw)


TWO_CALLS = [call("call_a", "get_weather", '{"city": "Bern"}'), call("call_b", "get_time", "{}")]

CASES: list[tuple[str, list[Any], dict[str, Any]]] = [
    # --- end of stream
    ("done marker", [content("hi"), "[DONE]"], {"content": "hi", "state": "complete"}),
    ("done with whitespace", [content("hi"), " [DONE] "], {"state": "complete"}),
    ("data after done ignored", [content("a"), "[DONE]", content("b")], {"content": "a"}),
    ("no done, no finish: interrupted", [content("a")], {"content": "a", "state": "interrupted"}),
    (
        "finish without done (transformers serve)",
        [content("a"), chunk({}, finish_reason="stop", usage=USAGE)],
        {"state": "complete", "finish_reason": "stop", "usage": USAGE},
    ),
    ("empty body (llama-cpp-python failure)", [], {"state": "interrupted", "content": ""}),
    # --- usage
    (
        "usage-only chunk",
        [content("a"), chunk(choices=[], usage=USAGE), "[DONE]"],
        {"usage": USAGE},
    ),
    (
        "later null usage does not erase",
        [chunk(choices=[], usage=USAGE), content("a", usage=None)],
        {"usage": USAGE},
    ),
    (
        "usage on every chunk merged (vLLM)",
        [
            content("a", usage={"prompt_tokens": 5, "completion_tokens": 1}),
            content("b", usage={"prompt_tokens": 5, "completion_tokens": 2}),
            chunk(choices=[], usage={"completion_tokens": 3, "prompt_tokens_details": None}),
        ],
        {"usage": {"prompt_tokens": 5, "completion_tokens": 3}},
    ),
    (
        "llama.cpp usage chunk with timings",
        [content("a"), chunk(choices=[], usage=USAGE, timings={"predicted_ms": 12.5}), "[DONE]"],
        {"usage": USAGE, "content": "a", "state": "complete"},
    ),
    # --- envelope
    (
        "azure first chunk, model first non-empty",
        [
            chunk(choices=[], object="", model=""),
            content("a", model="m1"),
            content("b", model="m2"),
        ],
        {"model": "m1", "content": "ab"},
    ),
    (
        "new id on every chunk (mockllm)",
        [content("a", id="1"), content("b", id="2")],
        {"content": "ab"},
    ),
    (
        "role repeated (Ollama)",
        [
            chunk({"role": "assistant", "content": "a"}),
            chunk({"role": "assistant", "content": "b"}),
        ],
        {"content": "ab"},
    ),
    (
        "content null",
        [chunk({"role": "assistant", "content": None}), content("x")],
        {"content": "x"},
    ),
    (
        "second choice ignored (n > 1)",
        [
            chunk(
                choices=[
                    {"index": 0, "delta": {"content": "a"}},
                    {"index": 1, "delta": {"content": "b"}},
                ]
            )
        ],
        {"content": "a"},
    ),
    (
        "content as typed parts (Mistral)",
        [
            chunk(
                {
                    "content": [
                        {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
                        {"type": "text", "text": "ok"},
                    ]
                }
            )
        ],
        {"content": "ok", "reasoning": "hmm"},
    ),
    ("legacy completions text", [chunk(choices=[{"index": 0, "text": "t"}])], {"content": "t"}),
    (
        "content parts across chunks, thinking as a string (Mistral)",
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "a"}]}]}),
            chunk({"content": [{"type": "thinking", "thinking": "b"}]}),
            chunk({"content": [{"type": "text", "text": "x"}, {"type": "image_url"}, 5, None]}),
            chunk({"content": "y"}),
            chunk({}, finish_reason="stop"),
        ],
        {"content": "xy", "reasoning": "ab", "state": "complete"},
    ),
    # --- refusals
    (
        "refusal streamed (OpenAI)",
        [
            chunk({"role": "assistant", "content": None, "refusal": None}),
            chunk({"refusal": "I'm sorry, "}),
            chunk({"refusal": "I can't help with that."}),
            chunk({}, finish_reason="stop"),
            "[DONE]",
        ],
        {
            "content": "",
            "refusal": "I'm sorry, I can't help with that.",
            "finish_reason": "stop",
            "state": "complete",
        },
    ),
    (
        "refusal in a non-streamed message",
        [
            {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": None, "refusal": "No."},
                        "finish_reason": "stop",
                    }
                ]
            }
        ],
        {"content": "", "refusal": "No.", "state": "complete"},
    ),
    (
        "refusal as a content part",
        [chunk({"content": [{"type": "refusal", "refusal": "Declined."}]})],
        {"content": "", "refusal": "Declined."},
    ),
    ("no refusal is null", [content("a"), "[DONE]"], {"refusal": None}),
    # --- usage elsewhere
    (
        "usage in x_groq on the last chunk (Groq)",
        [
            chunk({"content": "a"}, x_groq={"id": "req_1"}),
            {
                "id": "c",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "x_groq": {"id": "req_1", "usage": USAGE},
            },
        ],
        {"usage": USAGE, "state": "complete"},
    ),
    (
        "usage wins over x_groq in the same chunk",
        [chunk(choices=[], usage=USAGE, x_groq={"usage": {"prompt_tokens": 99}})],
        {"usage": USAGE},
    ),
    (
        "x_groq of the wrong shape ignored",
        [chunk(choices=[], x_groq=[1]), chunk(choices=[], x_groq={"usage": "x"})],
        {"usage": None},
    ),
    (
        "usage details kept nested",
        [
            chunk(
                choices=[],
                usage={
                    **USAGE,
                    "prompt_tokens_details": {"cached_tokens": 8},
                    "completion_tokens_details": {"reasoning_tokens": 2},
                },
            )
        ],
        {
            "usage": {
                **USAGE,
                "prompt_tokens_details": {"cached_tokens": 8},
                "completion_tokens_details": {"reasoning_tokens": 2},
            }
        },
    ),
    # --- reasoning
    (
        "deepseek reasoning_content",
        [
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            chunk({"reasoning_content": "think "}),
            chunk({"reasoning_content": "more", "content": None}),
            content("answer"),
        ],
        {"reasoning": "think more", "content": "answer"},
    ),
    (
        "reasoning (Ollama/OpenRouter)",
        [chunk({"reasoning": "r1"}), chunk({"reasoning": "r2"})],
        {"reasoning": "r1r2"},
    ),
    (
        "reasoning with reasoning_details not doubled",
        [
            chunk(
                {
                    "content": "",
                    "reasoning": "abc",
                    "reasoning_details": [{"type": "reasoning.text", "text": "abc"}],
                }
            )
        ],
        {"reasoning": "abc"},
    ),
    (
        "reasoning_details only",
        [
            chunk(
                {"reasoning": None, "reasoning_details": [{"type": "reasoning.text", "text": "x"}]}
            ),
            chunk({"reasoning_details": [{"type": "reasoning.summary", "summary": "y"}]}),
            chunk({"reasoning_details": [{"type": "reasoning.encrypted", "data": "zz"}]}),
            chunk({"reasoning_details": [{"type": "reasoning.encrypted", "text": "opaque"}]}),
        ],
        {"reasoning": "xy"},
    ),
    (
        "reasoning_content and reasoning both sent (vLLM) not doubled",
        [
            chunk({"reasoning_content": "a", "reasoning": "a"}),
            chunk({"reasoning_content": "", "reasoning": "b"}),
        ],
        {"reasoning": "ab"},
    ),
    # --- tool calls
    (
        "two calls, arguments in pieces",
        [
            chunk(tool_delta(0, id="call_a", name="get_weather", args="")),
            chunk(tool_delta(0, args='{"city": ')),
            chunk(tool_delta(0, args='"Bern"}')),
            chunk(tool_delta(1, id="call_b", name="get_time", args="{}")),
            chunk({}, finish_reason="tool_calls"),
        ],
        {"tool_calls": TWO_CALLS, "finish_reason": "tool_calls", "state": "complete"},
    ),
    (
        "id repeated in every fragment (DeepSeek, Qwen)",
        [
            chunk(tool_delta(0, id="call_1", name="f", args='{"a"')),
            chunk(tool_delta(0, id="call_1", args=": 1}")),
        ],
        {"tool_calls": [call("call_1", "f", '{"a": 1}')]},
    ),
    (
        "name repeated (old llama.cpp)",
        [
            chunk(tool_delta(0, id="c", name="get_weather", args='{"a"')),
            chunk(tool_delta(0, name="get_weather", args=": 1}")),
        ],
        {"tool_calls": [call("c", "get_weather", '{"a": 1}')]},
    ),
    (
        "index missing, streamed pieces continue the call",
        [
            chunk(tool_delta(None, id="c1", name="f", args='{"a"')),
            chunk(tool_delta(None, args=": 1}")),
        ],
        {"tool_calls": [call("c1", "f", '{"a": 1}')]},
    ),
    (
        "index missing, whole calls with ids (Gemini)",
        [
            chunk(tool_delta(None, id="c1", name="f", args='{"a": 1}')),
            chunk(tool_delta(None, id="c2", name="f", args='{"a": 2}')),
        ],
        {"tool_calls": [call("c1", "f", '{"a": 1}'), call("c2", "f", '{"a": 2}')]},
    ),
    (
        "index missing, whole calls without ids (old Ollama)",
        [
            chunk(tool_delta(None, name="f", args={"a": 1})),
            chunk(tool_delta(None, name="f", args='{"a": 2}')),
            chunk(tool_delta(None, name="g", args="{}")),
        ],
        {
            "tool_calls": [
                call(None, "f", {"a": 1}),
                call(None, "f", '{"a": 2}'),
                call(None, "g", "{}"),
            ]
        },
    ),
    (
        "index missing, known id goes back to its call",
        [
            chunk(tool_delta(None, id="c1", name="f", args='{"a"')),
            chunk(tool_delta(None, id="c2", name="g", args="{}")),
            chunk(tool_delta(None, id="c1", args=": 1}")),
        ],
        {"tool_calls": [call("c1", "f", '{"a": 1}'), call("c2", "g", "{}")]},
    ),
    (
        "first index 1",
        [
            chunk(tool_delta(1, id="c1", name="f", args="{}")),
            chunk(tool_delta(2, id="c2", name="g", args="{}")),
        ],
        {"tool_calls": [call("c1", "f", "{}"), call("c2", "g", "{}")]},
    ),
    (
        "null id and type on later fragments (vLLM)",
        [
            chunk(tool_delta(0, id="c", name="f", args="")),
            chunk(
                {
                    "tool_calls": [
                        {"index": 0, "id": None, "type": None, "function": {"arguments": "{}"}}
                    ]
                }
            ),
        ],
        {"tool_calls": [call("c", "f", "{}")]},
    ),
    (
        "new id on the same index is a new call (Grok)",
        [
            chunk(tool_delta(0, id="c1", name="f", args='{"a": 1}')),
            chunk(tool_delta(0, id="c2", name="f", args='{"a": 2}')),
            chunk(tool_delta(0, args="")),
        ],
        {"tool_calls": [call("c1", "f", '{"a": 1}'), call("c2", "f", '{"a": 2}')]},
    ),
    (
        "two fragments of one index in one chunk (vLLM speculative)",
        [
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a"'},
                        },
                        {"index": 0, "function": {"arguments": ": 1}"}},
                    ]
                }
            )
        ],
        {"tool_calls": [call("c", "f", '{"a": 1}')]},
    ),
    (
        "arguments as an object",
        [chunk(tool_delta(0, id="c", name="f", args={"city": "Bern", "days": [1, 2]}))],
        {"tool_calls": [call("c", "f", {"city": "Bern", "days": [1, 2]})]},
    ),
    (
        "final flush repeating complete arguments ignored (vLLM)",
        [
            chunk(tool_delta(0, id="c", name="f", args='{"a": ')),
            chunk(tool_delta(0, args="1}")),
            chunk(tool_delta(0, args='{"a": 1}')),
            chunk({}, finish_reason="tool_calls"),
        ],
        {"tool_calls": [call("c", "f", '{"a": 1}')]},
    ),
    (
        "same text as incomplete arguments is appended",
        [chunk(tool_delta(0, id="c", name="f", args='{"a"')), chunk(tool_delta(0, args='{"a"'))],
        {"tool_calls": [call("c", "f", '{"a"{"a"')]},
    ),
    (
        "whole calls in one chunk (Ollama)",
        [
            chunk(
                {
                    "tool_calls": [
                        {
                            "id": "call_a",
                            "function": {"name": "get_weather", "arguments": '{"city": "Bern"}'},
                        },
                        {"id": "call_b", "function": {"name": "get_time", "arguments": "{}"}},
                    ]
                }
            ),
            chunk({}, finish_reason="stop"),
        ],
        {"tool_calls": TWO_CALLS, "finish_reason": "stop"},
    ),
    (
        "arguments cut by max_tokens kept verbatim",
        [
            chunk(tool_delta(0, id="c", name="f", args='{"text": "unfini')),
            chunk({}, finish_reason="tool_calls"),
        ],
        {"tool_calls": [call("c", "f", '{"text": "unfini')], "state": "complete"},
    ),
    (
        "legacy function_call alongside tool_calls not doubled (llama-cpp-python)",
        [
            chunk(
                {
                    "function_call": {"name": "f", "arguments": '{"a"'},
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a"'},
                        }
                    ],
                }
            ),
            chunk(
                {
                    "function_call": {"name": "f", "arguments": ": 1}"},
                    "tool_calls": [
                        {"index": 0, "id": "c", "function": {"name": "f", "arguments": ": 1}"}}
                    ],
                }
            ),
            chunk({}, finish_reason="tool_calls"),
        ],
        {"tool_calls": [call("c", "f", '{"a": 1}')]},
    ),
    (
        "lone legacy function_call is a tool call",
        [
            chunk({"function_call": {"name": "f", "arguments": ""}}),
            chunk({"function_call": {"arguments": '{"a": 1}'}}),
            chunk({}, finish_reason="function_call"),
        ],
        {"tool_calls": [call(None, "f", '{"a": 1}')], "finish_reason": "function_call"},
    ),
    # --- finish reasons
    (
        "finish length",
        [content("a"), chunk({}, finish_reason="length")],
        {"finish_reason": "length"},
    ),
    (
        "finish content_filter",
        [chunk({}, finish_reason="content_filter"), "[DONE]"],
        {"finish_reason": "content_filter", "state": "complete"},
    ),
    (
        "unknown finish reason verbatim",
        [chunk({}, finish_reason="eos_token\x1b[31m")],
        {"finish_reason": "eos_token\x1b[31m", "state": "complete"},
    ),
    # --- errors
    (
        "error object mid-stream",
        [
            content("part"),
            {
                "error": {
                    "message": "Rate limit exceeded",
                    "type": "rate_limit_error",
                    "code": "429",
                }
            },
            content("ignored"),
        ],
        {
            "content": "part",
            "state": "error",
            "error": err("Rate limit exceeded", 429, "rate_limit_error"),
        },
    ),
    (
        "bare string error",
        [{"error": "overloaded"}],
        {"state": "error", "error": err("overloaded")},
    ),
    (
        "finish_reason error with error object (OpenRouter)",
        [
            content("a"),
            {
                "id": "gen-1",
                "error": {"code": 502, "message": "Provider disconnected"},
                "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
            },
            "[DONE]",
        ],
        {"state": "error", "finish_reason": "error", "error": err("Provider disconnected", 502)},
    ),
    (
        "finish_reason error without error object",
        [content("a"), chunk({}, finish_reason="error")],
        {"state": "error", "finish_reason": "error", "error": err(GENERIC)},
    ),
    (
        "event: error with an error object",
        [
            content("a"),
            ('{"error": {"message": "boom", "type": "server_error", "code": 500}}', "error"),
        ],
        {"state": "error", "error": err("boom", 500, "server_error")},
    ),
    (
        "event: error with plain text",
        [("upstream closed", "error")],
        {"state": "error", "error": err("upstream closed")},
    ),
    (
        "event: error without data",
        [("", "error")],
        {"error": err("The server sent an error event without details.")},
    ),
    (
        "old llama.cpp error line",
        [
            (
                '{"code":400,"message":"the request exceeds the available context size",'
                '"type":"invalid_request_error"}',
                "error",
            ),
            "[DONE]",
        ],
        {
            "state": "error",
            "error": err(
                "the request exceeds the available context size", 400, "invalid_request_error"
            ),
        },
    ),
    (
        "vLLM error object at top level",
        [
            {
                "object": "error",
                "message": "bad",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
        ],
        {"state": "error", "error": err("bad", 400, "BadRequestError")},
    ),
    (
        "error list (Gemini)",
        [[{"error": {"code": 400, "message": "Invalid", "status": "INVALID_ARGUMENT"}}]],
        {"state": "error", "error": err("Invalid", 400)},
    ),
    (
        "error without message keeps the body",
        [{"error": {"code": "x"}}],
        {"error": err('{"code": "x"}')},
    ),
    (
        "error null is no error",
        [content("a", error=None), "[DONE]"],
        {"state": "complete", "error": None},
    ),
    # --- a server that ignored stream=true
    (
        "non-streamed completion",
        [
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "Hello",
                            "reasoning_content": "why",
                            "tool_calls": [
                                {
                                    "id": "call_a",
                                    "type": "function",
                                    "function": {
                                        "name": "get_weather",
                                        "arguments": '{"city": "Bern"}',
                                    },
                                },
                                {
                                    "id": "call_b",
                                    "type": "function",
                                    "function": {"name": "get_time", "arguments": "{}"},
                                },
                            ],
                        },
                        "finish_reason": "tool_calls",
                    }
                ],
                "usage": USAGE,
            }
        ],
        {
            "content": "Hello",
            "reasoning": "why",
            "tool_calls": TWO_CALLS,
            "finish_reason": "tool_calls",
            "usage": USAGE,
            "model": "m",
            "state": "complete",
        },
    ),
    (
        "non-streamed calls without ids keep their positions",
        [
            {
                "choices": [
                    {
                        "message": {
                            "tool_calls": [
                                {"function": {"name": "f", "arguments": "{}"}},
                                {"function": {"name": "f", "arguments": "{}"}},
                            ]
                        },
                        "finish_reason": "tool_calls",
                    }
                ]
            }
        ],
        {"tool_calls": [call(None, "f", "{}"), call(None, "f", "{}")]},
    ),
    # --- junk
    ("non-JSON data ignored", [content("a"), "ping", "{", content("b")], {"content": "ab"}),
]


@pytest.mark.parametrize(
    ("payloads", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_case(payloads: list[Any], expected: dict[str, Any]) -> None:
    _, reply, _ = run(payloads)
    result = reply.to_json()
    assert {key: result[key] for key in expected} == expected


def test_tool_call_events_exact() -> None:
    events, _, _ = run(
        [
            chunk({"role": "assistant", "content": None}),
            chunk(tool_delta(1, id="c", name="f", args="")),
            chunk(tool_delta(1, id="c", name="f", args='{"a"')),
            chunk(
                {
                    "tool_calls": [
                        {"index": 1, "id": None, "type": None, "function": {"arguments": ""}}
                    ]
                }
            ),
            chunk(tool_delta(1, args=": 1}")),
            chunk(tool_delta(1, args='{"a": 1}')),
            chunk({}, finish_reason="tool_calls"),
            chunk({}, finish_reason="tool_calls"),
        ]
    )
    assert events == [
        ToolCallDelta(0, "c", "f", ""),
        ToolCallDelta(0, "c", "f", '{"a"'),
        ToolCallDelta(0, "c", "f", ": 1}"),
        Finished("tool_calls"),
    ]


def test_content_reasoning_usage_events_exact() -> None:
    events, _, acc = run(
        [
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            chunk({"reasoning_content": "r"}),
            content("a", usage={"prompt_tokens": 1}),
            content("b", usage={"prompt_tokens": 1}),
            content("", usage=None),
            chunk(choices=[], usage={"completion_tokens": 2}),
            "[DONE]",
        ]
    )
    assert events == [
        ReasoningDelta("r"),
        ContentDelta("a"),
        UsageUpdated({"prompt_tokens": 1}),
        ContentDelta("b"),
        UsageUpdated({"prompt_tokens": 1, "completion_tokens": 2}),
    ]
    assert acc.done


def test_refusal_events_exact_and_the_reply_is_marked() -> None:
    events, reply, _ = run(
        [
            chunk({"role": "assistant", "content": None, "refusal": None}),
            chunk({"refusal": "I can't"}),
            chunk({"refusal": ""}),
            chunk({"refusal": " do that."}),
            chunk({}, finish_reason="stop"),
        ]
    )
    assert events == [RefusalDelta("I can't"), RefusalDelta(" do that."), Finished("stop")]
    assert reply.refused and reply.state is ReplyState.COMPLETE and reply.content == ""
    assert reply.to_json()["refusal"] == "I can't do that."
    # Sent back as what the model said: not every server knows the `refusal` field.
    assert reply.to_openai_message() == {"role": "assistant", "content": "I can't do that."}
    assert not Reply(content="x").refused


def test_refusal_counts_as_a_token_for_the_timings() -> None:
    ticks = iter([5.0, 6.0])
    acc = Accumulator(clock=lambda: next(ticks))
    acc.feed(chunk({"refusal": "no"}))
    assert acc.finish().timings.first_token == 5.0


def test_error_event_exact_and_stream_ends() -> None:
    events, reply, acc = run(
        [
            content("a"),
            {"error": {"message": "m", "type": "t", "code": "429"}},
            content("b"),
            "[DONE]",
        ]
    )
    assert events == [ContentDelta("a"), StreamError("m", status=429, type="t", code="429")]
    assert acc.done
    assert reply.state is ReplyState.ERROR


def test_non_numeric_code_is_kept_as_code() -> None:
    events, reply, _ = run([{"error": {"message": "m", "code": "context_length_exceeded"}}])
    assert events == [StreamError("m", status=None, type=None, code="context_length_exceeded")]
    assert reply.error is not None and reply.error.status is None


def test_reply_is_live_and_synced_on_read() -> None:
    acc = Accumulator(clock=lambda: 0.0)
    acc.feed(content("Hel"))
    assert acc.reply.content == "Hel"
    acc.feed(content("lo"))
    acc.feed(chunk(tool_delta(0, id="c", name="f", args="{")))
    assert acc.reply.content == "Hello"
    assert acc.reply.tool_calls[0].arguments == "{"
    acc.feed(chunk(tool_delta(0, args="}")))
    assert acc.reply.tool_calls[0].arguments == "{}"
    assert acc.reply is acc.reply
    assert acc.reply.state is ReplyState.INTERRUPTED  # not finished yet


def test_timings_from_the_injected_clock() -> None:
    ticks = iter([1.0, 2.0, 3.0, 4.0])
    acc = Accumulator(clock=lambda: next(ticks))
    acc.feed(chunk({"role": "assistant", "content": None}))  # no token: no clock read
    acc.feed(content("a"))
    acc.feed(chunk({"reasoning": "r"}))
    acc.feed(chunk(tool_delta(0, id="c", name="f", args="{}")))
    reply = acc.finish()
    assert (reply.timings.first_token, reply.timings.last_token, reply.timings.finished) == (
        1.0,
        3.0,
        4.0,
    )


def test_finish_is_idempotent_and_forced_states() -> None:
    acc = Accumulator(clock=lambda: 0.0)
    acc.feed(content("partial"))
    reply = acc.finish(ReplyState.CANCELLED)
    assert (reply.state, reply.content) == (ReplyState.CANCELLED, "partial")
    assert acc.finish() is reply and reply.state is ReplyState.CANCELLED
    acc2 = Accumulator(clock=lambda: 0.0)
    acc2.feed_data("[DONE]")
    assert acc2.finish(ReplyState.ERROR).state is ReplyState.ERROR


def test_invalid_arguments_parse_error_is_reported() -> None:
    _, reply, _ = run([chunk(tool_delta(0, id="c", name="f", args='{"a": '))])
    value, error = reply.tool_calls[0].parsed_arguments()
    assert value is None and error


def test_deeply_nested_arguments_are_a_parse_error_not_a_recursion_error() -> None:
    # 100k "[" from a model or a hostile server: json.loads raises RecursionError, not ValueError.
    _, reply, _ = run([chunk(tool_delta(0, id="c", name="f", args="[" * 100_000))])
    value, error = reply.tool_calls[0].parsed_arguments()
    assert value is None and error and "deep" in error


def test_empty_tool_fragments_do_not_invent_unnamed_calls() -> None:
    # No id, no name, no arguments: nothing to call. Creating a call made the UI ask the user
    # for the result of an "(unnamed tool)" and send a nameless call back to the server.
    garbage = [{"index": "a"}, {"index": -1, "function": None}, {}, {"type": "function"}]
    _, reply, _ = run(
        [chunk({"tool_calls": garbage}), content("ok"), chunk({}, finish_reason="stop")]
    )
    assert reply.tool_calls == [] and reply.content == "ok"
    real = [{"index": 0, "function": {"arguments": "{}"}}]  # arguments alone still count
    _, reply, _ = run([chunk({"tool_calls": real}), chunk({}, finish_reason="tool_calls")])
    assert [c.arguments for c in reply.tool_calls] == ["{}"]


def test_ignored_data_is_counted() -> None:
    _, _, acc = run(["ping", "{", content("a")])
    assert acc.ignored_data == 2


WRONG_TYPES: list[Any] = [
    None,
    1,
    "x",
    [1, "a", None],
    {"choices": "no"},
    {"choices": {"0": {}}},
    {"choices": [None, 1, "x", []]},
    {"choices": [{"delta": "text"}]},
    {"choices": [{"delta": {"content": 5, "reasoning_content": [1], "reasoning": {"a": 1}}}]},
    {"choices": [{"delta": {"tool_calls": "x"}}]},
    {"choices": [{"delta": {"tool_calls": {"index": 0}}}]},
    {"choices": [{"delta": {"tool_calls": [None, 1, {"index": "0", "function": "f"}]}}]},
    {
        "choices": [
            {
                "delta": {
                    "tool_calls": [{"index": 0, "id": 5, "function": {"name": 3, "arguments": 7}}]
                }
            }
        ]
    },
    {"choices": [{"delta": {"tool_calls": [{"index": True, "function": {"arguments": [1]}}]}}]},
    {"choices": [{"delta": {"function_call": "x", "reasoning_details": {"text": 1}}}]},
    {"choices": [{"index": [], "delta": {}, "finish_reason": 7}]},
    {"choices": [{"message": "x", "text": 5}]},
    {"usage": [1], "model": 5, "choices": []},
    {"usage": {}, "error": {"code": 10**40, "status": "4" * 5000, "message": 3, "type": 1}},
    {"error": 12},
    {"error": [{"nested": True}]},
]


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_wrong_types_never_raise(value: Any) -> None:
    acc = Accumulator(clock=lambda: 0.0)
    acc.feed(value)
    acc.feed_data(json.dumps(value))
    acc.finish()


def test_wrong_typed_fragments_still_make_a_call() -> None:
    _, reply, _ = run(
        [
            {
                "choices": [
                    {
                        "delta": {
                            "tool_calls": [
                                {"index": 0, "id": 5, "function": {"name": 3, "arguments": 7}}
                            ]
                        }
                    }
                ]
            }
        ]
    )
    assert reply.to_json()["tool_calls"] == [call(None, "", "7")]


def test_deep_nesting_never_raises() -> None:
    acc = Accumulator(clock=lambda: 0.0)
    assert acc.feed_data("[" * 100_000) == []
    assert acc.feed_data("{" + '"a":[' * 50_000) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "choices",
                    "delta",
                    "message",
                    "content",
                    "index",
                    "tool_calls",
                    "function",
                    "id",
                    "name",
                    "arguments",
                    "usage",
                    "error",
                    "finish_reason",
                    "reasoning",
                    "reasoning_content",
                    "reasoning_details",
                    "function_call",
                    "refusal",
                    "thinking",
                    "x_groq",
                    "model",
                    "object",
                    "text",
                    "code",
                    "type",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, max_size=6))
def test_any_json_never_raises(values: list[Any]) -> None:
    acc = Accumulator(clock=lambda: 0.0)
    for value in values:
        acc.feed(value)
    reply = acc.finish()
    json.dumps(reply.to_json())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=5), st.sampled_from(["message", "error", "x"]))
def test_any_text_never_raises(texts: list[str], event: str) -> None:
    acc = Accumulator(clock=lambda: 0.0)
    for text in texts:
        acc.feed_data(text, event)
    acc.finish()


@settings(max_examples=300, deadline=None)
@given(
    json_values.map(json.dumps) | st.text(max_size=20),
    st.sampled_from(["", " ", "\n", " x", "}", "\t\r\n"]),
    st.sampled_from(["", " ", "\ufeff", "x"]),
)
def test_fast_json_parse_matches_json_loads(body: str, suffix: str, prefix: str) -> None:
    text = prefix + body + suffix
    try:
        expected: Any = json.loads(text)
    except ValueError:
        expected = ValueError
    try:
        got: Any = Accumulator()._parse(text)
    except ValueError:
        got = ValueError
    assert json.dumps(got, default=repr) == json.dumps(expected, default=repr)


def test_a_held_reply_stays_current() -> None:
    """Callers keep the object (the recorder saves it later): it must never go stale."""
    acc = Accumulator(clock=lambda: 0.0)
    held = acc.reply
    acc.feed(content("a"))
    acc.feed(chunk({"reasoning": "r"}))
    acc.feed(chunk(tool_delta(0, id="c", name="f", args="{")))
    acc.feed(content("b"))
    acc.feed(chunk(tool_delta(0, args="}")))
    assert (held.content, held.reasoning) == ("ab", "r")
    assert [(c.id, c.name, c.arguments) for c in held.tool_calls] == [("c", "f", "{}")]
    # Plain assignment still works, and later deltas continue from the assigned text.
    held.content = "X"
    acc.feed(content("Y"))
    assert acc.reply.content == "XY"
    acc.feed(chunk({"refusal": "R"}))
    assert held.refusal == "R"
    held.refusal = ""
    assert not held.refused


def test_live_reply_serialises_like_a_plain_reply() -> None:
    _, live, _ = run([content("a"), chunk(tool_delta(0, id="c", name="f", args={"k": 1}))])
    plain = Reply(
        content="a",
        tool_calls=list(live.tool_calls),
        model=live.model,
        state=live.state,
        timings=live.timings,
    )
    assert live.to_json() == plain.to_json()
    assert live.to_openai_message() == plain.to_openai_message()
