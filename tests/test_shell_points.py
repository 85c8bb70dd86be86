"""The shell's small truths, end to end: bad base URLs at request time, names that do not resolve,
credentials in a base URL, `models --json` on a terminal."""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_client import REQUEST, Server, make_client, only_error, run

from tensorx_tui.cli.main import main
from tensorx_tui.core.endpoint import APIError
from tensorx_tui.core.events import Retrying
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import ReplyState
from tensorx_tui.demo.server import DemoServer

NO_CONFIG = ["--config", os.devnull]


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    server = DemoServer(host="127.0.0.1", port=0, speed=0).start()
    yield server
    server.stop()


class _Terminal(io.StringIO):
    buffer = io.BytesIO()

    def isatty(self) -> bool:
        return True


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TENSORX_* in the environment, a terminal on stdin (nothing piped), a private data dir."""
    for name in list(os.environ):
        if name.startswith("TENSORX_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setenv("TENSORX_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


# -- 12: a bad base URL and a host that does not resolve, at request time -------------------------


async def test_a_port_out_of_range_is_said_plainly_at_request_time() -> None:
    # A Settings built in code skips the check at load time; the client checks again.
    server = Server(httpx.Response(500))
    client, waits = make_client(server, base_url="http://127.0.0.1:99999/v1")
    events, reply = await run(client)
    error = only_error(events)
    assert error.message.endswith("port 99999 is out of range (1-65535)")
    assert error.type == "invalid_url" and reply.state is ReplyState.ERROR
    assert server.requests == [] and waits == []  # nothing sent, nothing retried
    with pytest.raises(APIError, match="port 99999 is out of range"):
        await client.list_models()


def _dns_failure(text: str, errno: int) -> httpx.ConnectError:
    error = httpx.ConnectError(text)
    error.__cause__ = socket.gaierror(errno, text)
    return error


async def test_a_host_name_that_does_not_exist_is_not_retried() -> None:
    server = Server(_dns_failure("[Errno -2] Name or service not known", socket.EAI_NONAME))
    client, waits = make_client(server, base_url="http://no-such-host.invalid/v1")
    events, _ = await run(client)
    assert "host name not found" in only_error(events).message
    assert len(server.requests) == 1 and waits == []
    assert not any(isinstance(e, Retrying) for e in events)


async def test_a_resolver_that_fails_for_now_is_still_retried() -> None:
    failing = _dns_failure("[Errno -3] Temporary failure in name resolution", socket.EAI_AGAIN)
    server = Server(failing)
    client, waits = make_client(server, base_url="http://api.test/v1")
    await run(client)
    assert len(server.requests) == 4 and len(waits) == 3


# -- 14: models --json on a terminal --------------------------------------------------------------


def test_models_json_escapes_c1_and_bidi_like_every_json_output() -> None:
    from tensorx_tui.cli.models import print_models

    models = ["evil\x9b31m", "file\u202etxt.exe", "zero\u200bwidth", "é"]
    out = io.StringIO()
    print_models([ModelInfo(m) for m in models], out, json_mode=True)
    text = out.getvalue()
    assert not any(c in text for c in "\x9b\u202e\u200b") and "é" in text
    assert [m["id"] for m in json.loads(text)] == models  # the same JSON value


def test_models_json_end_to_end(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = ["ok", "evil\x9b2J\u202e"]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=hostile)  # a bare list: ids are not cleaned on the way

    import tensorx_tui.cli.models as models_cli
    from tensorx_tui.open_endpoint import open_endpoint

    def with_mock(settings: object, transport: object = None) -> object:
        return open_endpoint(settings, httpx.MockTransport(handler))  # type: ignore[arg-type]

    models_cli.open_endpoint = with_mock  # type: ignore[assignment]
    try:
        assert main(["models", *NO_CONFIG, "--base-url", "http://127.0.0.1:9/v1", "--json"]) == 0
    finally:
        models_cli.open_endpoint = open_endpoint
    out = capsys.readouterr().out
    assert "\x9b" not in out and "\u202e" not in out
    assert "ok" in [m["id"] for m in json.loads(out)]


# -- 15: credentials in the base URL are never printed or saved -----------------------------------

SECRETS = ("pw-SECRET1", "SECRET2", "SECRET3")


def _credentialed(server: DemoServer, path: str = "/v1") -> str:
    host = server.base_url.split("//", 1)[1].split("/", 1)[0]
    return f"http://user:pw-SECRET1@{host}{path}?api-key=SECRET2&token=SECRET3&api-version=7"


def test_ask_never_prints_or_saves_url_credentials(
    demo: DemoServer, shell: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _credentialed(demo)
    assert main(["ask", *NO_CONFIG, "--base-url", url, "-m", "demo", "-v", "hi"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() and "POST http://127.0.0.1" in err and "api-version=7" in err
    # A failure that quotes the URL (the demo server echoes an unknown path, as OpenAI does).
    no_path = _credentialed(demo, path="")
    assert main(["ask", *NO_CONFIG, "--base-url", no_path, "-m", "demo", "-v", "hi"]) == 1
    _, failed = capsys.readouterr()
    assert "Unknown request URL" in failed and "/v1" in failed  # the hint suggests .../v1
    # Models, history, export (Markdown and JSON), the database file itself.
    assert main(["models", *NO_CONFIG, "--base-url", no_path]) == 1
    assert main(["history", "--json"]) == 0
    conv = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["export", conv]) == 0
    assert main(["export", conv, "-f", "json"]) == 0
    printed = err + failed + "".join(capsys.readouterr())
    with sqlite3.connect(shell / "conversations.db") as conn:
        saved = " ".join(str(row) for row in conn.execute("SELECT * FROM conversations"))
    for secret in SECRETS:
        assert secret not in printed and secret not in saved
    assert "api-version=7" in saved


async def test_transport_errors_that_quote_the_url_are_scrubbed() -> None:
    url = "http://user:pw-SECRET1@api.test/v1?api-key=SECRET2"
    quoting = httpx.ConnectError(f"could not connect to {url}/chat/completions")
    client, _ = make_client(Server(quoting), base_url=url)
    events, reply = await run(client)
    texts = [only_error(events).message, reply.error.message if reply.error else ""]
    texts += [e.reason for e in events if isinstance(e, Retrying)]
    assert all("SECRET" not in t for t in texts) and "api.test" in texts[0]
    assert REQUEST.model  # the request itself still carried the key (the server needs it)
