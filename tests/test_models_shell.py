"""Model metadata end to end on 127.0.0.1: the demo server's /v1/model/info and cached tokens,
`tensorx-chat models --json / -v`, the cost in `ask --json` and `ask -v`, and `history`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tensorx_tui.core.cost import compute_cost
from tensorx_tui.core.model_info import parse_litellm_info
from tensorx_tui.demo.server import MODELS, DemoServer
from tensorx_tui.demo.tokenizer import prompt_tokens

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    srv = DemoServer(host="127.0.0.1", port=0, speed=0).start()
    yield srv
    srv.stop()


def run(server: DemoServer, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENSORX_", "NO_COLOR"))}
    env["TENSORX_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "tensorx_tui", *args]
    if args[0] in ("ask", "models"):
        command += ["--base-url", server.base_url]
    if "--config" not in args:
        command += ["--config", os.devnull]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


# -- the demo server -------------------------------------------------------------------------


def test_demo_model_info_in_litellm_shape(server: DemoServer) -> None:
    body = httpx.get(f"{server.base_url}/model/info", timeout=10).json()
    assert [entry["model_name"] for entry in body["data"]] == list(MODELS)
    demo = body["data"][0]["model_info"]
    assert demo["input_cost_per_token"] == 2.7e-07 and demo["cache_read_input_token_cost"] == 7e-08
    by_id = {m.id: m for m in parse_litellm_info(body)}
    assert (by_id["demo"].supports_tools, by_id["demo"].supports_vision) == (True, True)
    assert by_id["demo"].supports_reasoning is False
    assert by_id["demo-reasoner"].supports_reasoning is True
    assert by_id["demo"].input_price == 0.27 and by_id["demo"].output_price == 1.1
    long = by_id["demo-long"]
    assert long.max_input_tokens == 24_576 and long.cached_input_price is None
    assert all(m.max_input_tokens and m.input_price is not None for m in by_id.values())


def test_demo_reports_earlier_messages_as_cached(server: DemoServer) -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "Hi! What shall we do?"},
        {"role": "user", "content": "tell me more"},
    ]
    body = {"model": "demo", "messages": messages, "max_tokens": 5}
    usage = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=10).json()["usage"]
    cached = prompt_tokens(messages[:-1])
    assert usage["prompt_tokens"] == prompt_tokens(messages)
    assert usage["prompt_tokens_details"] == {"cached_tokens": cached} and cached > 0
    stream = {**body, "stream": True, "stream_options": {"include_usage": True}}
    with httpx.stream("POST", f"{server.base_url}/chat/completions", json=stream) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    assert json.loads(lines[-1][6:])["usage"]["prompt_tokens_details"]["cached_tokens"] == cached
    # One message alone: nothing cached, and the usage keeps its plain shape.
    alone = {"model": "demo", "messages": messages[-1:], "max_tokens": 5}
    usage = httpx.post(f"{server.base_url}/chat/completions", json=alone, timeout=10).json()
    assert "prompt_tokens_details" not in usage["usage"]


# -- the shell -------------------------------------------------------------------------------


def test_models_json_lists_the_metadata(server: DemoServer, tmp_path: Path) -> None:
    result = run(server, tmp_path, "models", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [m["id"] for m in listed] == sorted(MODELS)
    demo = next(m for m in listed if m["id"] == "demo")
    assert demo == {
        "id": "demo",
        "context": 131072,
        "max_output": 8192,
        "input_price": 0.27,
        "output_price": 1.1,
        "cached_input_price": 0.07,
        "tools": True,
        "vision": True,
        "reasoning": False,
        "source": "model/info",  # /models only lists ids: it contributed no value
    }
    # `models` always asks the endpoint, and leaves a fresh cache for `ask`.
    (cached,) = (tmp_path / "model-cache").iterdir()
    assert json.loads(cached.read_text())["sources"] == ["model/info", "models"]


def test_models_plain_and_verbose(server: DemoServer, tmp_path: Path) -> None:
    plain = run(server, tmp_path, "models")
    assert plain.stdout.splitlines() == sorted(MODELS)
    table = run(server, tmp_path, "models", "-v").stdout.splitlines()
    assert table[0].split()[:3] == ["MODEL", "CONTEXT", "MAX"]
    (long,) = [line for line in table if line.startswith("demo-long ")]
    assert "24,576" in long and "0.15" in long and "no tools" in long


def test_the_config_overrides_prices_field_by_field(server: DemoServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[models."DEMO"]\ninput_price = 2.5\n\n[models."demo-long"]\ncontext = "lots"\n'
    )
    result = run(server, tmp_path, "models", "--json", "--config", str(config))
    assert result.returncode == 0
    demo = next(m for m in json.loads(result.stdout) if m["id"] == "demo")
    assert (demo["input_price"], demo["output_price"]) == (2.5, 1.1)
    assert demo["source"] == "config+model/info"
    assert "`models.demo-long`: `context` must be a positive whole number" in result.stderr


def test_models_on_an_unreachable_endpoint_fails_cleanly(tmp_path: Path) -> None:
    unreachable = DemoServer(port=0)
    unreachable.start()
    unreachable.stop()  # the port is now closed
    result = run(unreachable, tmp_path, "models", "--json")
    assert result.returncode == 1
    assert result.stderr.startswith("error: Could not connect") and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_ask_json_and_verbose_carry_the_cost(server: DemoServer, tmp_path: Path) -> None:
    first = run(server, tmp_path, "ask", "--json", "-m", "demo", "hello there")
    assert first.returncode == 0, first.stderr
    reply = json.loads(first.stdout)
    info = {m.id: m for m in parse_litellm_info(httpx.get(f"{server.base_url}/model/info").json())}
    expected = compute_cost(reply["usage"], info["demo"])
    assert expected is not None and reply["cost"] == float(expected.total) > 0

    # A continued conversation sends its earlier messages again: they come back as cached.
    more = run(server, tmp_path, "ask", "-v", "-c", "and a little more")
    assert more.returncode == 0, more.stderr
    (line,) = [line for line in more.stderr.splitlines() if line.startswith("cost ")]
    assert "cached" in line and "saved" in line

    history = run(server, tmp_path, "history", "--json")
    (conversation,) = json.loads(history.stdout)
    assert conversation["cost"] > reply["cost"]  # the sum of both replies
    listing = run(server, tmp_path, "history").stdout
    assert "$0.0" in listing


class _BareHandler(BaseHTTPRequestHandler):
    """An OpenAI-compatible server with no metadata: ids at /models, no /model/info."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": "bare-model"}]})
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        usage = {"prompt_tokens": 1_000, "completion_tokens": 2_000, "total_tokens": 3_000}
        message = {"role": "assistant", "content": "ok"}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        self._json(200, {"object": "chat.completion", "choices": [choice], "usage": usage})


@pytest.fixture
def bare_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _BareHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_ask_cost_without_metadata_is_null_then_from_the_config(
    bare_server: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENSORX_", "NO_COLOR"))}
    env["TENSORX_DATA_DIR"] = str(tmp_path)

    def ask(config: str, *extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tensorx_tui", "ask", "-m", "bare-model", "hi",
                   "--base-url", bare_server, "--config", config, "--no-save", *extra]  # fmt: skip
        return subprocess.run(
            command, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env,
            cwd=ROOT, timeout=60,
        )  # fmt: skip

    unknown = ask(os.devnull, "--json")
    assert unknown.returncode == 0, unknown.stderr
    assert json.loads(unknown.stdout)["cost"] is None
    verbose = ask(os.devnull, "-v")
    assert "cost unknown: no prices known for bare-model" in verbose.stderr

    config = tmp_path / "config.toml"
    config.write_text('[models."Bare-Model"]\ninput_price = 0.5\noutput_price = 2\n')
    priced = ask(str(config), "--json")
    # 1,000 x $0.50/M + 2,000 x $2/M = $0.0045
    assert json.loads(priced.stdout)["cost"] == 0.0045
