"""Attachments and the conversation tree together: an edited question keeps its files, a flip
back sends the first version's files, a fork copies them, and the JSON transcript round-trips
them on every branch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from images import png

from tensorx_tui.chat import ChatEngine, TurnSettings
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.core.attachments import attachment_from_bytes
from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.reply import Reply
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.transcripts import conversation_from_json, render


async def run(engine: ChatEngine) -> Reply:
    async with engine.turn() as turn:
        async for _event in turn:
            pass
    return turn.reply


def last_user_parts(server: DemoServer) -> list[dict[str, Any]]:
    body = server.received[-1]
    user = [m for m in body["messages"] if m["role"] == "user"][-1]
    content = user["content"]
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


async def test_branches_keep_their_attachments(demo_server: DemoServer, tmp_path: Path) -> None:
    image = attachment_from_bytes("cat.png", png(3, 2))
    notes = attachment_from_bytes("notes.md", b"# notes\n")
    async with httpx.AsyncClient() as http:
        client = Endpoint(http, base_url=demo_server.base_url, api_key=None)
        with Store.open(tmp_path) as store:
            engine = ChatEngine(
                client,
                ConversationLog(store, on_error=pytest.fail),
                TurnSettings("demo"),
                profile=None,
                base_url=demo_server.base_url,
            )
            engine.add_user("what is this?", [image])
            await run(engine)
            first = engine.path()[0]
            assert first.id is not None
            # An edit keeps the question's image and adds the new file.
            assert engine.edit(first.id, "and this?", [notes])
            await run(engine)
            parts = last_user_parts(demo_server)
            assert [p["type"] for p in parts] == ["text", "image_url"]
            assert "notes.md" in parts[0]["text"] and "and this?" in parts[0]["text"]
            assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
            # Back on the first version: its own attachments only, sent again as they were.
            engine.flip(first.id, 0)
            engine.add_user("more")
            await run(engine)
            body = demo_server.received[-1]
            [asked, more] = [m for m in body["messages"] if m["role"] == "user"]
            assert [p["type"] for p in asked["content"]] == ["text", "image_url"]
            assert "notes.md" not in json.dumps(asked)
            assert more["content"] == "more"

            conv_id = engine.conv_id
            assert conv_id is not None
            saved = store.load_conversation(conv_id)
            # A fork of the edited branch carries its files.
            edited = next(m for m in saved.messages if m.content == "and this?")
            assert edited.id is not None
            fork = store.load_conversation(store.fork(conv_id, edited.id))
            assert [a.name for a in fork.messages[-1].attachments] == ["cat.png", "notes.md"]
            assert fork.messages[-1].attachments[0].data == image.data
            # JSON: every branch's files, back exactly.
            first_json = render(saved, "json")
            again = store.load_conversation(
                store.import_conversation(conversation_from_json(first_json))
            )
            assert render(again, "json").replace(again.meta.id, conv_id) == first_json
            names = {a.name for m in again.messages for a in m.attachments}
            assert names == {"cat.png", "notes.md"}
