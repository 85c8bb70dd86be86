"""Refusals and inline `<think>` replies read through Endpoint.stream from a real 127.0.0.1 server
(real sockets, each piece written and flushed on its own, a tag cut across network writes)."""

from __future__ import annotations

import asyncio
import json

import httpx
from streams import chunk, sse
from test_client import REQUEST
from test_client_loopback import HEAD, Handler, chunked, client_for, read_request, serve

from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
)
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.secret import Secret


def handler_writing(pieces: list[bytes]) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(HEAD)
        for piece in pieces:
            writer.write(chunked(piece))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    return handler


async def read_reply(
    pieces: list[bytes], *, think_tags: bool = True
) -> tuple[list[StreamEvent], Reply]:
    async with serve(handler_writing(pieces)) as base, httpx.AsyncClient() as http:
        key = Secret("sk-loopback-key-0000")
        client = Endpoint(http, base_url=base, api_key=key, think_tags=think_tags)
        events: list[StreamEvent] = []
        async with client.stream(REQUEST) as stream:
            async for event in stream:
                events.append(event)
    return events, stream.reply


def cut_every(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


REFUSAL = sse(
    [
        chunk({"role": "assistant", "content": None, "refusal": None}),
        chunk({"refusal": "I’m sorry, "}),
        chunk({"refusal": "I can’t help with that."}),
        chunk({}, finish_reason="stop"),
        chunk(choices=[], usage={"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}),
        "[DONE]",
    ]
)

THINK = sse(
    [
        chunk({"role": "assistant", "content": None}),
        chunk({"content": "<thi"}),
        chunk({"content": "nk>\nThe user says hi.\n</th"}),
        chunk({"content": "ink>\n\nHello! "}),
        chunk({"content": "Tags like </think> are text here."}),
        chunk({}, finish_reason="stop"),
        "[DONE]",
    ]
)

IMPLICIT_THINK = sse(
    [
        chunk({"content": "Okay, a greeting.\n"}),
        chunk({"content": "</think>\n\n"}),
        chunk({"content": "Hi there."}),
        chunk({}, finish_reason="stop"),
        "[DONE]",
    ]
)


async def test_a_streamed_refusal_is_a_refusal_not_an_empty_answer() -> None:
    events, reply = await read_reply(cut_every(REFUSAL, 37))
    assert [e for e in events if isinstance(e, RefusalDelta | ContentDelta)] == [
        RefusalDelta("I’m sorry, "),
        RefusalDelta("I can’t help with that."),
    ]
    assert reply.state is ReplyState.COMPLETE and reply.refused
    assert (reply.content, reply.refusal) == ("", "I’m sorry, I can’t help with that.")
    assert reply.to_json()["refusal"] == "I’m sorry, I can’t help with that."
    assert reply.usage == {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}


async def test_a_non_streamed_refusal_from_a_server_that_ignored_stream_true() -> None:
    body = json.dumps(
        {
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "refusal": "No."},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
        writer.write(head % len(body) + body)
        await writer.drain()

    async with serve(handler) as base, httpx.AsyncClient() as http:
        client = client_for(http, base)
        async with client.stream(REQUEST) as stream:
            events = [event async for event in stream]
    assert RefusalDelta("No.") in events
    assert (stream.reply.refusal, stream.reply.state) == ("No.", ReplyState.COMPLETE)


async def test_inline_think_is_reasoning_live_and_the_literal_tag_later_stays_text() -> None:
    events, reply = await read_reply(cut_every(THINK, 23))
    shown = [e for e in events if isinstance(e, ContentDelta | ReasoningDelta)]
    assert "".join(e.text for e in shown if isinstance(e, ReasoningDelta)) == "The user says hi.\n"
    assert not any("<thi" in e.text for e in shown if isinstance(e, ReasoningDelta))
    assert (reply.reasoning, reply.content) == (
        "The user says hi.\n",
        "Hello! Tags like </think> are text here.",
    )
    assert reply.state is ReplyState.COMPLETE


async def test_an_implicit_thought_is_reclassified_when_it_closes() -> None:
    events, reply = await read_reply(cut_every(IMPLICIT_THINK, 11))
    assert ContentReclassified("Okay, a greeting.\n") in events
    assert (reply.reasoning, reply.content) == ("Okay, a greeting.\n", "Hi there.")


async def test_the_client_setting_leaves_tags_in_the_content() -> None:
    _, reply = await read_reply([THINK], think_tags=False)
    assert reply.reasoning == ""
    assert reply.content.startswith("<think>\nThe user says hi.\n</think>")
