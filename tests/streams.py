"""Chat-completion byte streams shaped like real servers' (see shared/protocol.md), and helpers.

Shared by the core's tests and the benchmark: `chunk()` builds one chunk, `sse()` frames payloads as
an event stream, `replay()` runs bytes through the real SSEDecoder + Accumulator pipeline, and
`STREAMS` holds named streams that exercise every framing and chunk shape at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from tensorx_tui.core.accumulator import Accumulator
from tensorx_tui.core.events import StreamEvent
from tensorx_tui.core.reply import Reply
from tensorx_tui.core.sse import SSEDecoder

MODEL = "deepseek/deepseek-chat-v3.1"


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    choices: list[Any] | None = None,
    model: str = MODEL,
    **extra: Any,
) -> dict[str, Any]:
    """One `chat.completion.chunk` with the usual envelope fields."""
    if choices is None:
        choices = [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason}]
    body: dict[str, Any] = {
        "id": "chatcmpl-7f3a",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": model,
        "system_fingerprint": "fp_44709d6fcb",
        "choices": choices,
        "usage": usage,
    }
    body.update(extra)
    return body


def tool_delta(
    index: int | None, *, id: str | None = None, name: str | None = None, args: Any = None
) -> dict[str, Any]:
    """A `delta` carrying one tool-call fragment (keys left out when None, as servers do)."""
    fragment: dict[str, Any] = {}
    if index is not None:
        fragment["index"] = index
    if id is not None:
        fragment["id"] = id
        fragment["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    fragment["function"] = function
    return {"tool_calls": [fragment]}


def sse(payloads: Iterable[dict[str, Any] | list[Any] | str], *, eol: str = "\n") -> bytes:
    """Frame payloads as `data:` events (str payloads are sent verbatim, e.g. `[DONE]`)."""
    out = []
    for payload in payloads:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        out.append(f"data: {text}{eol}{eol}")
    return "".join(out).encode()


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """`data` cut at the given offsets (any order, duplicates allowed: they make empty reads)."""
    pieces, start = [], 0
    for cut in sorted(cuts):
        cut = max(0, min(cut, len(data)))
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return pieces


def replay(
    pieces: Iterable[bytes], *, clock: Callable[[], float] | None = None
) -> tuple[list[StreamEvent], Reply]:
    """The whole pipeline over network reads: every event, and the finished reply."""
    decoder = SSEDecoder()
    acc = Accumulator(clock=clock or (lambda: 0.0))
    events: list[StreamEvent] = []
    for piece in pieces:
        for sse_event in decoder.feed(piece):
            events += acc.feed_data(sse_event.data, sse_event.event)
    for sse_event in decoder.close():
        events += acc.feed_data(sse_event.data, sse_event.event)
    return events, acc.finish()


def _tools_stream() -> list[Any]:
    """Two parallel calls as OpenAI sends them, arguments in small pieces."""
    return [
        chunk({"role": "assistant", "content": None}),
        chunk(tool_delta(0, id="call_a", name="get_weather", args="")),
        chunk(tool_delta(0, args='{"city": ')),
        chunk(tool_delta(0, args='"Zürich"}')),
        chunk(tool_delta(1, id="call_b", name="get_time", args='{"tz"')),
        chunk(tool_delta(1, args=': "Europe/Zürich"}')),
        chunk({}, finish_reason="tool_calls"),
        chunk(choices=[], usage={"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}),
        "[DONE]",
    ]


def _reasoning_stream() -> list[Any]:
    """DeepSeek-R1 style: reasoning_content first, then the answer, multi-byte text throughout."""
    return [
        chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
        chunk({"reasoning_content": "Nachdenken… 🤔 "}),
        chunk({"reasoning_content": "ok\u2028next"}),
        chunk({"content": "Grüße aus "}),
        chunk({"content": "東京 😀\u0085\x0b\x0c!"}),
        chunk({"content": ""}, finish_reason="stop"),
        chunk(choices=[], usage={"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}),
        "[DONE]",
    ]


def _messy_stream() -> bytes:
    """Keep-alives, an Azure first chunk, repeated roles/ids/names, a vLLM flush, no [DONE]."""
    payloads: list[Any] = [
        chunk(choices=[], object="", model=""),
        chunk({"role": "assistant", "content": "A"}),
        chunk({"role": "assistant", "content": "B"}),
        chunk(tool_delta(1, id="call_x", name="lookup", args='{"q":')),
        chunk(tool_delta(1, id="call_x", name="lookup", args=' "ß"}')),
        chunk(tool_delta(1, args='{"q": "ß"}')),
        chunk({}, finish_reason="tool_calls", usage={"prompt_tokens": 1, "completion_tokens": 2}),
    ]
    body = sse(payloads)
    return b": OPENROUTER PROCESSING\n\n" + body.replace(b"\n\n", b"\n: keep-alive\n\n", 2)


def _refusal_stream() -> list[Any]:
    """OpenAI refusing: `refusal` pieces instead of `content`, content stays null."""
    return [
        chunk({"role": "assistant", "content": None, "refusal": None}),
        chunk({"refusal": "I’m sorry, "}),
        chunk({"refusal": "I can’t help with that 🙅."}),
        chunk({}, finish_reason="stop"),
        "[DONE]",
    ]


def _parts_stream() -> list[Any]:
    """Mistral Magistral: content as a list of typed parts, thinking then text."""

    def thinking(text: str) -> dict[str, Any]:
        return {"type": "thinking", "thinking": [{"type": "text", "text": text}]}

    return [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": [thinking("Über")]}),
        chunk({"content": [thinking("legung…")]}),
        chunk({"content": [thinking("\n"), {"type": "text", "text": "Ergebnis: "}]}),
        chunk({"content": [{"type": "text", "text": "42 ✓"}]}),
        chunk({}, finish_reason="stop", usage={"prompt_tokens": 3, "completion_tokens": 4}),
        "[DONE]",
    ]


def _think_stream() -> list[Any]:
    """DeepSeek-R1 on llama.cpp without a reasoning parser: `<think>` inline, tags cut in pieces."""
    pieces = ["<th", "ink>\n", "Hmm, 東京", " 😀…\n</", "think", ">\n\n", "Tokyo", " </think> ok"]
    return [
        chunk({"role": "assistant", "content": None}),
        *(chunk({"content": piece}) for piece in pieces),
        chunk({}, finish_reason="stop"),
        chunk(choices=[], usage={"prompt_tokens": 1, "completion_tokens": 8}),
        "[DONE]",
    ]


def _implicit_think_stream() -> list[Any]:
    """Qwen3 whose template opened the thought: only `</think>` appears, then the answer."""
    pieces = ["Okay, the user", " greets me.\n", "\n`x` is fine.", "\n</", "think>", "\n\nHallo! "]
    pieces += ["A literal\n</think>\nstays."]
    return [
        *(chunk({"content": piece}) for piece in pieces),
        chunk({}, finish_reason="stop"),
        "[DONE]",
    ]


def _literal_think_stream() -> list[Any]:
    """An answer about tags: `</think>` inside a code fence is code, not the end of a thought."""
    pieces = ["Close it like this:\n\n```xml\n", "<answer/>\n</thi", "nk>\n```\nDone."]
    return [*(chunk({"content": piece}) for piece in pieces), chunk({}, finish_reason="stop")]


STREAMS: dict[str, bytes] = {
    "tools_lf": sse(_tools_stream()),
    "tools_crlf": sse(_tools_stream(), eol="\r\n"),
    "tools_cr": sse(_tools_stream(), eol="\r"),
    "reasoning_bom_crlf": b"\xef\xbb\xbf" + sse(_reasoning_stream(), eol="\r\n"),
    "reasoning_cr": b"\xef\xbb\xbf" + sse(_reasoning_stream(), eol="\r"),
    "messy": _messy_stream(),
    # Old llama.cpp: an error reported on a non-standard `error:` line, then [DONE].
    "llama_cpp_error": sse([chunk({"content": "partial"})])
    + b'error: {"code":400,"message":"the request exceeds the available context size",'
    b'"type":"invalid_request_error"}\n\ndata: [DONE]\n\n',
    # An `event: error` block with an OpenRouter-style body, CR line ends.
    "event_error_cr": sse([chunk({"content": "x"})], eol="\r")
    + b'event: error\rdata: {"error":{"message":"Provider overloaded","code":"502"}}\r\r',
    "refusal_lf": sse(_refusal_stream()),
    "refusal_crlf": b"\xef\xbb\xbf" + sse(_refusal_stream(), eol="\r\n"),
    "parts_cr": sse(_parts_stream(), eol="\r"),
    "think_inline_crlf": sse(_think_stream(), eol="\r\n"),
    "think_implicit_lf": sse(_implicit_think_stream()),
    "think_literal_cr": sse(_literal_think_stream(), eol="\r"),
}
