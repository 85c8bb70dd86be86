"""What is sent is the active branch only, as the demo server reports it received
(GET /v1/demo/requests): from the engine (edit, regenerate, flip) and from `ask -c` /
`ask --conversation`."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tensorx_tui.chat import ChatEngine, TurnSettings
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.cli.main import main
from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.demo.server import RECEIVED_KEPT, DemoServer
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.records import StoredMessage


def received(server: DemoServer) -> list[dict[str, Any]]:
    response = httpx.get(server.root_url + "/v1/demo/requests")
    response.raise_for_status()
    data = response.json()
    assert data["object"] == "list"
    return list(data["data"])


def contents(body: dict[str, Any]) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] in ("user", "system")]


def test_the_demo_server_reports_the_requests_it_received(demo_server: DemoServer) -> None:
    for text in ("one", "two"):
        httpx.post(
            demo_server.base_url + "/chat/completions",
            json={"model": "demo", "messages": [{"role": "user", "content": text}]},
        ).raise_for_status()
    bodies = received(demo_server)
    assert [b["messages"][0]["content"] for b in bodies[-2:]] == ["one", "two"]
    assert demo_server.received == bodies
    for n in range(RECEIVED_KEPT + 5):
        httpx.post(
            demo_server.base_url + "/chat/completions",
            json={"model": "demo", "messages": [{"role": "user", "content": str(n)}]},
        )
    bodies = received(demo_server)
    assert len(bodies) == RECEIVED_KEPT  # only the latest are kept
    assert bodies[-1]["messages"][0]["content"] == str(RECEIVED_KEPT + 4)


async def run(engine: ChatEngine) -> Reply:
    async with engine.turn() as turn:
        async for _event in turn:
            pass
    return turn.reply


async def test_edit_regenerate_and_flip_send_only_the_active_branch(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    async with httpx.AsyncClient() as http:
        client = Endpoint(http, base_url=demo_server.base_url, api_key=None)
        with Store.open(tmp_path) as store:
            engine = ChatEngine(
                client,
                ConversationLog(store, on_error=pytest.fail),
                TurnSettings("demo", "Be brief.", None, None),
                profile=None,
                base_url=demo_server.base_url,
            )
            for question in ("q1", "q2", "q3"):
                engine.add_user(question)
                await run(engine)
            q2 = next(m for m in engine.path() if m.content == "q2")
            assert q2.id is not None
            assert engine.edit(q2.id, "q2b")
            await run(engine)
            assert contents(received(demo_server)[-1]) == ["Be brief.", "q1", "q2b"]

            assert engine.regenerate()
            await run(engine)
            last = received(demo_server)[-1]
            assert contents(last) == ["Be brief.", "q1", "q2b"]
            assert [m["role"] for m in last["messages"]] == [
                "system",
                "user",
                "assistant",
                "user",
            ]

            assert engine.flip(q2.id, 0) == q2.id  # back on the first branch
            engine.add_user("q4")
            await run(engine)
            assert contents(received(demo_server)[-1]) == ["Be brief.", "q1", "q2", "q3", "q4"]
            assert engine.conv_id is not None
            assert len(store.load_conversation(engine.conv_id).messages) == 11


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("TENSORX_DATA_DIR", str(directory))
    monkeypatch.setenv("TENSORX_CONFIG", os.devnull)
    monkeypatch.setenv("TENSORX_API_KEY", "test-key")
    monkeypatch.delenv("TENSORX_MODEL", raising=False)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    return directory


def answer(text: str) -> StoredMessage:
    return StoredMessage.from_reply(Reply(content=text, state=ReplyState.COMPLETE, model="demo"))


def test_ask_continues_the_active_branch(
    data_dir: Path, demo_server: DemoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(data_dir) as store:
        conv = store.create_conversation(model="demo", base_url=demo_server.base_url)
        store.add_user_message(conv, "q1")
        a1 = store.add_message(conv, answer("a1"))
        store.add_user_message(conv, "q2 first")
        store.add_message(conv, answer("first answer"))
        store.add_user_message(conv, "q2 second", parent=a1)
        store.add_message(conv, answer("second answer"))
        other = store.create_conversation(model="demo", base_url=demo_server.base_url)
        store.add_user_message(other, "elsewhere")

    url = ["--base-url", demo_server.base_url, "--model", "demo"]
    assert main(["ask", *url, "--conversation", conv[:6], "q3"]) == 0
    body = received(demo_server)[-1]
    assert contents(body) == ["q1", "q2 second", "q3"]
    assert [m["content"] for m in body["messages"] if m["role"] == "assistant"] == [
        "a1",
        "second answer",
    ]
    # -c takes the latest conversation: this one again, continued on its active branch.
    assert main(["ask", *url, "-c", "q4"]) == 0
    assert contents(received(demo_server)[-1]) == ["q1", "q2 second", "q3", "q4"]
    with Store.open(data_dir) as store:
        saved = store.load_conversation(conv)
        assert [m.content for m in saved.path() if m.role == "user"] == [
            "q1",
            "q2 second",
            "q3",
            "q4",
        ]
        assert len(saved.messages) == 10  # the first branch is still there
    capsys.readouterr()
