"""Differential test: on well-formed streams our pipeline agrees with the official openai SDK.

The SDK (`create(stream=True)` over `httpx.MockTransport`, accumulated by
`ChatCompletionStreamState`) is the oracle only for well-formed streams: on the odd shapes in
protocol.md it is wrong by design (see test_accumulator.py for those).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from streams import chunk, replay, split_at

from tensorx_tui.core.reply import Reply


class _Replayer:
    """An SDK client whose every request is answered with the current canned reads."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        transport = httpx.MockTransport(self._handle)
        self.client = openai.OpenAI(
            base_url="http://oracle.invalid/v1",
            api_key="sk-test",
            http_client=httpx.Client(transport=transport),
            max_retries=0,
        )

    def _handle(self, request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, content=iter(self.pieces))

    def snapshot(self, pieces: list[bytes]) -> Any:
        self.pieces = pieces
        stream = self.client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
        for sdk_chunk in stream:
            state.handle_chunk(sdk_chunk)
        return state.current_completion_snapshot


ORACLE = _Replayer()

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from("\n\r\u2028😀"),
    max_size=10,
)
names = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)


@st.composite
def well_formed(draw: st.DrawFn) -> list[Any]:
    """Payloads of a stream as OpenAI sends it: role, content, parallel tool calls, usage."""
    payloads: list[Any] = [chunk({"role": "assistant", "content": None})]
    payloads += [chunk({"content": text}) for text in draw(st.lists(texts, max_size=6))]
    # Tool calls: each opens with index, id, type and name; its argument pieces follow, possibly
    # interleaved with other calls' pieces (each call's own order kept).
    queues = []
    for index in range(draw(st.integers(0, 3))):
        arguments = json.dumps({"q": draw(texts), "n": draw(st.integers())}, ensure_ascii=False)
        cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=4)))
        bounds = zip([0, *cuts], [*cuts, len(arguments)], strict=True)
        fragments: list[dict[str, Any]] = [
            {
                "index": index,
                "id": f"call_{index}_{draw(names)}",
                "type": "function",
                "function": {"name": draw(names), "arguments": ""},
            }
        ]
        fragments += [
            {"index": index, "function": {"arguments": arguments[a:b]}} for a, b in bounds
        ]
        queues.append(fragments)
    started = 0
    while any(queues):
        # A call may start only after the previous one started (indexes appear in order).
        open_calls = [i for i, q in enumerate(queues) if q and i <= started]
        pick = draw(st.sampled_from(open_calls))
        started = max(started, pick + 1)
        payloads.append(chunk({"tool_calls": [queues[pick].pop(0)]}))
    reason = draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter"]))
    payloads.append(chunk({}, finish_reason=reason))
    if draw(st.booleans()):
        prompt, completion = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        payloads.append(chunk(choices=[], usage=usage))
    payloads.append("[DONE]")
    return payloads


def ours_as_oracle_shape(reply: Reply) -> dict[str, Any]:
    return {
        "content": reply.content,
        "tool_calls": [(c.id, c.name, c.arguments) for c in reply.tool_calls],
        "finish_reason": reply.finish_reason,
        "usage": reply.usage,
        "model": reply.model,
    }


def sdk_as_oracle_shape(snapshot: Any) -> dict[str, Any]:
    choice = snapshot.choices[0]
    message = choice.message
    usage = snapshot.usage
    return {
        "content": message.content or "",
        "tool_calls": [
            (c.id, c.function.name, c.function.arguments) for c in (message.tool_calls or [])
        ],
        "finish_reason": choice.finish_reason,
        "usage": None
        if usage is None
        else {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        "model": snapshot.model,
    }


@settings(max_examples=120, deadline=None)
@given(well_formed(), st.sampled_from(["\n", "\r\n"]), st.data())
def test_agrees_with_openai_sdk(payloads: list[Any], eol: str, data: st.DataObject) -> None:
    body = "".join(
        "data: " + (p if isinstance(p, str) else json.dumps(p, ensure_ascii=False)) + eol * 2
        for p in payloads
    ).encode()
    pieces = split_at(body, data.draw(st.lists(st.integers(0, len(body)), max_size=20)))
    _, reply = replay(pieces)
    assert ours_as_oracle_shape(reply) == sdk_as_oracle_shape(ORACLE.snapshot(pieces))
    assert reply.state == "complete"


def test_oracle_sees_a_known_stream() -> None:
    """The oracle itself works (guards against a test that compares two empty results)."""
    payloads = [chunk({"content": "Hi"}), chunk({}, finish_reason="stop"), "[DONE]"]
    body = "".join(
        "data: " + (p if isinstance(p, str) else json.dumps(p)) + "\n\n" for p in payloads
    ).encode()
    assert sdk_as_oracle_shape(ORACLE.snapshot([body]))["content"] == "Hi"
    assert ours_as_oracle_shape(replay([body])[1])["content"] == "Hi"
