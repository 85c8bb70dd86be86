"""Endpoint against a real HTTP/1.1 server on 127.0.0.1 (real sockets, real httpx transport).

What MockTransport cannot show: that cancelling really closes the socket (the server reads EOF),
and that the exceptions a real broken chunked stream raises are the ones the client handles.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from streams import chunk, sse
from test_client import REQUEST, hello_stream, only_error

from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.events import ContentDelta, Retrying, StreamEvent
from tensorx_tui.core.reply import ReplyState
from tensorx_tui.core.secret import Secret

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"transfer-encoding: chunked\r\nx-ratelimit-remaining-requests: 7\r\n\r\n"
)


def chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def wait_for_eof(reader: asyncio.StreamReader, seen: asyncio.Event) -> None:
    """The client closed its side: what a server sees when a reply is cancelled."""
    with contextlib.suppress(ConnectionError):
        while await reader.read(1024):
            pass
    seen.set()


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[str]:
    """Run `handler` per connection; on exit wait for every handler to end and close its socket
    (asyncio's Server.wait_closed does not wait for handlers before 3.12)."""
    running: set[asyncio.Task[None]] = set()

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await handler(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.close()
        await asyncio.wait_for(server.wait_closed(), 5)
        if running:
            await asyncio.wait_for(asyncio.gather(*running, return_exceptions=True), 5)


def client_for(http: httpx.AsyncClient, base: str, idle: float = 5.0) -> Endpoint:
    async def no_sleep(delay: float) -> None:
        return None

    return Endpoint(
        http,
        base_url=base,
        api_key=Secret("sk-loopback-key-0000"),
        idle_timeout=idle,
        sleep=no_sleep,
    )


async def test_cancel_closes_the_socket_and_keeps_partial_content() -> None:
    closed = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(HEAD + chunked(sse([chunk({"content": "partial"})])))
        await writer.drain()
        await wait_for_eof(reader, closed)  # then never finish the reply
        writer.close()

    async with serve(handler) as base, httpx.AsyncClient() as http:
        client = client_for(http, base)
        async with client.stream(REQUEST) as stream:
            async for event in stream:
                if isinstance(event, ContentDelta):
                    break
        await asyncio.wait_for(closed.wait(), 5)
    assert stream.reply.state is ReplyState.CANCELLED
    assert stream.reply.content == "partial"
    assert stream.reply.rate_limits == {"x-ratelimit-remaining-requests": "7"}


async def test_keepalives_only_time_out_and_close_the_socket() -> None:
    closed = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(HEAD)
        watcher = asyncio.create_task(wait_for_eof(reader, closed))
        with contextlib.suppress(ConnectionError):
            while not closed.is_set():
                writer.write(chunked(b": keep-alive\n\n"))
                await writer.drain()
                await asyncio.sleep(0.05)
        await watcher
        writer.close()

    async with serve(handler) as base, httpx.AsyncClient() as http:
        client = client_for(http, base, idle=0.3)
        events: list[StreamEvent] = []
        async with client.stream(REQUEST) as stream:
            async for event in stream:
                events.append(event)
        await asyncio.wait_for(closed.wait(), 5)
    assert only_error(events).message == "No data from the server for 0.3 s (only keep-alives)"
    assert stream.reply.state is ReplyState.ERROR


@pytest.mark.parametrize("tokens_first", [True, False])
async def test_server_dropping_the_connection(tokens_first: bool) -> None:
    calls = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await read_request(reader)
        if calls == 1:
            first = chunk({"content": "Hal"}) if tokens_first else chunk({"role": "assistant"})
            writer.write(HEAD + chunked(sse([first])))
            await writer.drain()
            writer.transport.abort()  # no terminating chunk: a broken body
            return
        body = hello_stream()
        writer.write(HEAD + chunked(body) + b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with serve(handler) as base, httpx.AsyncClient() as http:
        client = client_for(http, base)
        events: list[StreamEvent] = []
        async with client.stream(REQUEST) as stream:
            async for event in stream:
                events.append(event)
    reply = stream.reply
    if tokens_first:
        # Tokens were shown: never sent again, the partial reply is kept as interrupted.
        assert only_error(events).type == "interrupted"
        assert reply.state is ReplyState.INTERRUPTED and reply.content == "Hal"
        assert calls == 1
    else:
        assert any(isinstance(e, Retrying) for e in events)
        assert reply.state is ReplyState.COMPLETE and reply.content == "Hello"
        assert calls == 2
