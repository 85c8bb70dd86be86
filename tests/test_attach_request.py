"""Attachments from the engine to the wire and back: the exact body a loopback server received,
the demo's reply about it, and what the store keeps (once per content) and sends again."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
from images import jpeg, png
from test_chat_engine import make_engine, run_turn
from test_client import hello_stream
from test_client_loopback import HEAD, chunked, serve

from tensorx_tui.chat import ChatEngine
from tensorx_tui.core.attachments import attachment_from_bytes
from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.store.conversations import Store

PNG = png(64, 48)
NOTES = b"def f():\n    return '```'\n"


def attachments() -> list[Any]:
    return [attachment_from_bytes("shot.png", PNG), attachment_from_bytes("notes.py", NOTES)]


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


EXPECTED_USER = {
    "role": "user",
    "content": [
        {
            "type": "text",
            "text": "what is this?\n\nAttached file: notes.py (26 bytes)\n````python\n"
            "def f():\n    return '```'\n````",
        },
        {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}},
    ],
}


async def received_bodies(engine_steps: Any) -> list[tuple[bytes, bytes]]:
    """Run `engine_steps(endpoint)` against a loopback server; (head, body) of each request."""
    seen: list[tuple[bytes, bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            seen.append((head, await reader.readexactly(length)))
            writer.write(HEAD + chunked(hello_stream()) + b"0\r\n\r\n")
            await writer.drain()

    async with serve(handler) as base, httpx.AsyncClient() as http:
        await engine_steps(Endpoint(http, base_url=base, api_key=None), base)
    return seen


async def test_the_server_receives_exactly_the_content_parts(tmp_path: Path) -> None:
    async def steps(endpoint: Endpoint, base: str) -> None:
        with Store.open(tmp_path) as store:
            engine = make_engine(endpoint, store, base)
            engine.add_user("what is this?", attachments())
            await run_turn(engine)

    [(head, body)] = await received_bodies(steps)
    assert json.loads(body) == {
        "model": "demo",
        "messages": [EXPECTED_USER],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = head.lower()
    # Sent with its length (servers refuse chunked uploads), not chunked.
    assert f"content-length: {len(body)}\r\n".encode() in headers
    assert b"transfer-encoding" not in headers


async def test_a_saved_conversation_sends_its_attachments_again(tmp_path: Path) -> None:
    async def steps(endpoint: Endpoint, base: str) -> None:
        with Store.open(tmp_path) as store:
            engine = make_engine(endpoint, store, base)
            engine.add_user("what is this?", attachments())
            await run_turn(engine)
            conv_id = engine.conv_id
        with Store.open(tmp_path) as store:
            assert conv_id is not None
            saved = store.load_conversation(conv_id)
            [user, _reply] = saved.messages
            assert [(a.name, a.kind, a.size) for a in user.attachments] == [
                ("shot.png", "image", len(PNG)),
                ("notes.py", "text", len(NOTES)),
            ]
            again = make_engine(endpoint, store, base)
            again.open(saved)
            again.add_user("and now?")
            await run_turn(again)

    [_, (_, body)] = await received_bodies(steps)
    messages = json.loads(body)["messages"]
    assert messages[0] == EXPECTED_USER
    assert messages[1] == {"role": "assistant", "content": "Hello"}
    assert messages[2] == {"role": "user", "content": "and now?"}


async def test_edit_and_resend_keeps_the_attachments(tmp_path: Path) -> None:
    async def steps(endpoint: Endpoint, base: str) -> None:
        engine = make_engine(endpoint, None, base)
        engine.add_user("wrong question", attachments()[:1])
        await run_turn(engine)
        assert engine.edit_last("what is this?", attachments()[1:])
        await run_turn(engine)

    [_, (_, body)] = await received_bodies(steps)
    assert json.loads(body)["messages"] == [EXPECTED_USER]


def test_the_same_content_is_stored_once(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        for title in ("one", "two"):
            conv = store.create_conversation(model="demo")
            store.add_user_message(conv, title, attachments())
        conn = store._conn  # counting rows is what this test is about
        assert conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM message_attachments").fetchone()[0] == 4
        store.delete(conv)
        assert conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 2
        for summary in store.list_conversations():
            store.delete(summary.id)
        assert conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


def test_a_message_of_only_attachments_is_titled_by_their_names(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        store.add_user_message(conv, "", attachments())
        assert store.get_summary(conv).title == "shot.png, notes.py"


async def test_the_demo_describes_what_it_received(demo_server: DemoServer) -> None:
    photo = jpeg(4032, 3024, exif=20_000)
    async with httpx.AsyncClient() as http:
        engine: ChatEngine = make_engine(
            Endpoint(http, base_url=demo_server.base_url, api_key=None), None, demo_server.base_url
        )
        engine.add_user("look", [attachment_from_bytes("IMG_1.jpg", photo), *attachments()])
        await run_turn(engine)
    assert engine.current_turn is not None
    content = engine.current_turn.reply.content
    assert "- a text file **notes.py**, 26 bytes" in content
    assert f"- image 1: JPEG, 4032×3024 pixels, {len(photo):,} bytes" in content
    assert f"- image 2: PNG, 64×48 pixels, {len(PNG):,} bytes" in content
