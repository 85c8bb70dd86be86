"""`tensorx-chat ask` and `models` run as real processes against the demo server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tensorx_tui.demo import server as server_module
from tensorx_tui.demo.server import DemoServer

ROOT = Path(__file__).resolve().parent.parent
JSON_KEYS = {
    "content", "reasoning", "refusal", "tool_calls", "finish_reason", "usage",
    "model", "state", "error", "timings", "steps", "cost",
}  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    srv = DemoServer(host="127.0.0.1", port=0, speed=0).start()
    yield srv
    srv.stop()


_DATA_DIR: list[Path] = []  # set by the fixture below: saved conversations never reach $HOME


@pytest.fixture(scope="module", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    _DATA_DIR[:] = [tmp_path_factory.mktemp("data")]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENSORX_", "NO_COLOR"))}
    env["TENSORX_DATA_DIR"] = str(_DATA_DIR[0])
    env.update(extra)
    return env


def ask(
    server: DemoServer, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tensorx_tui", *args]
    if args and args[0] in ("ask", "models"):
        command += ["--base-url", server.base_url, "--config", os.devnull]
    return subprocess.run(
        command,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env or clean_env(),
        cwd=ROOT,
        timeout=60,
    )


def test_reply_on_stdout_reasoning_and_usage_on_stderr(server: DemoServer) -> None:
    args = ("ask", "-m", "demo-reasoner", "why is the sky blue?")
    reply = json.loads(ask(server, *args, "--json").stdout)
    assert reply["content"] and reply["reasoning"]
    result = ask(server, *args, "--usage")
    assert result.returncode == 0, result.stderr
    assert result.stdout == reply["content"] + "\n"
    assert result.stderr.startswith(reply["reasoning"].rstrip("\n") + "\n")
    assert "\x1b" not in result.stdout + result.stderr  # not a tty: plain
    last = result.stderr.splitlines()[-1]
    assert last.startswith("finish stop · state complete · tokens prompt")
    assert "TTFT" in last and "model demo-reasoner" in last


def test_json_has_exactly_the_keys_and_matches_streamed_text(server: DemoServer) -> None:
    streamed = ask(server, "ask", "-m", "demo-reasoner", "why?")
    result = ask(server, "ask", "-m", "demo-reasoner", "why?", "--json")
    assert result.returncode == 0
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS
    assert data["content"] + "\n" == streamed.stdout
    assert data["reasoning"] and data["state"] == "complete" and data["error"] is None
    assert data["finish_reason"] == "stop" and data["model"] == "demo-reasoner"
    assert data["usage"]["total_tokens"] > 0
    assert set(data["timings"]) == {"ttft_s", "total_s"}


def test_tool_calls_summarised_on_stderr_and_in_json(server: DemoServer, tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text(
        json.dumps([{"type": "function", "function": {"name": "get_weather", "parameters": {}}}])
    )
    result = ask(server, "ask", "-m", "demo", "weather in Paris?", "--tools", str(tools))
    assert result.returncode == 0
    assert result.stdout == ""
    args = ("ask", "-m", "demo", "weather in Paris?", "--tools", str(tools))
    data = json.loads(ask(server, *args, "--json").stdout)
    assert data["finish_reason"] == "tool_calls"
    [call] = data["tool_calls"]
    assert set(call) == {"id", "name", "arguments"}
    assert isinstance(call["arguments"], str)  # raw, as the model sent it
    assert call["name"] == "get_weather" and json.loads(call["arguments"])["city"] == "Paris"
    assert result.stderr == f"tool call get_weather({call['arguments']})\n"


def test_prompt_from_stdin_and_argument_plus_stdin(server: DemoServer) -> None:
    piped = ask(server, "ask", "-m", "demo", stdin="zebra crossing")
    assert piped.returncode == 0
    assert "zebra crossing" in piped.stdout
    dashed = ask(server, "ask", "-m", "demo", "-", stdin="zebra crossing")
    assert dashed.stdout == piped.stdout
    alone = json.loads(ask(server, "ask", "-m", "demo", "explain", "--json").stdout)
    both = json.loads(ask(server, "ask", "-m", "demo", "explain", "--json", stdin="a b c d").stdout)
    assert both["usage"]["prompt_tokens"] > alone["usage"]["prompt_tokens"]


def test_server_error_exit_1_with_message_and_hint(server: DemoServer) -> None:
    result = ask(server, "ask", "-m", "no-such-model", "hi")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "error: The model `no-such-model` does not exist" in result.stderr
    assert "(HTTP 404)" in result.stderr and "tensorx-chat models" in result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(ask(server, "ask", "-m", "no-such-model", "hi", "--json").stdout)
    assert data["state"] == "error"
    assert data["error"]["status"] == 404 and isinstance(data["error"]["message"], str)


def test_dropped_stream_exit_1_partial_text_kept(server: DemoServer) -> None:
    result = ask(server, "ask", "-m", "demo-fault-drop", "x")
    assert result.returncode == 1
    assert result.stdout.startswith("Thanks for asking") and result.stdout.endswith("\n")
    assert "(interrupted)" in result.stderr
    data = json.loads(ask(server, "ask", "-m", "demo-fault-drop", "x", "--json").stdout)
    assert data["state"] == "interrupted" and data["content"]


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["ask", "-m", "demo", ""], None, "the prompt is empty"),
        (["ask", "-m", "demo"], "   \n", "the prompt is empty"),
        (["ask", "--max-tokens", "0", "hi"], None, "must be at least 1"),
        (["ask", "--bogus", "hi"], None, "unrecognized arguments: --bogus"),
        (["ask", "--profile", "nope", "hi"], None, "no profile 'nope'"),
    ],
)
def test_bad_usage_exit_2(
    server: DemoServer, args: list[str], stdin: str | None, needle: str
) -> None:
    result = ask(server, *args, stdin=stdin)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_key_for_public_endpoint_exit_2_without_network(server: DemoServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tensorx_tui", "ask", "hi", "--config", os.devnull],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=clean_env(),
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 2
    for needle in ("no API key for https://api.tensorx.ai/v1", "TENSORX_API_KEY", "--demo"):
        assert needle in result.stderr


def test_bad_config_file_exit_2_names_the_file(server: DemoServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("model = [unclosed")
    env = clean_env(TENSORX_CONFIG=str(config))
    result = subprocess.run(
        [sys.executable, "-m", "tensorx_tui", "ask", "hi", "--base-url", server.base_url],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, cwd=ROOT, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"config file {config} is not valid TOML" in result.stderr


def test_ctrl_c_exit_130_keeps_partial_text(server: DemoServer) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tensorx_tui", "ask", "-m", "demo-fault-slow", "hello",
         "--base-url", server.base_url, "--config", os.devnull],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=clean_env(), cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    first = b""
    deadline = time.monotonic() + 20
    while len(first.split()) < 3 and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            first += os.read(process.stdout.fileno(), 4096)
    assert first, "no streamed text before the interrupt"
    process.send_signal(signal.SIGINT)
    rest, err = process.communicate(timeout=20)
    stdout = (first + rest).decode()
    assert process.returncode == 130
    assert stdout.startswith(first.decode()) and stdout.endswith("\n")
    assert len(stdout.split()) < 60  # stopped well before the 160-token reply ended
    assert b"Traceback" not in err
    assert b"cancelled" in err


def test_models_lists_ids_and_json(server: DemoServer) -> None:
    result = ask(server, "models")
    assert result.returncode == 0
    ids = result.stdout.splitlines()
    assert "demo" in ids and "demo-reasoner" in ids
    listed = json.loads(ask(server, "models", "--json").stdout)
    assert [m["id"] for m in listed] == ids


def test_models_unreachable_endpoint_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tensorx_tui", "models", "--base-url", "http://127.0.0.1:9/v1",
         "--config", os.devnull],
        capture_output=True, text=True, env=clean_env(), cwd=ROOT, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert "Traceback" not in result.stderr


def _run_with_tty_stderr(server: DemoServer, env: dict[str, str]) -> tuple[int, bytes]:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tensorx_tui", "ask", "-m", "demo-reasoner", "why?",
         "--base-url", server.base_url, "--config", os.devnull],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, env=env, cwd=ROOT,
    )  # fmt: skip
    os.close(follower)
    captured = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        captured += data
    process.communicate(timeout=30)
    os.close(leader)
    return process.returncode, captured


def test_reasoning_is_dim_on_a_tty_unless_no_color(server: DemoServer) -> None:
    code, colored = _run_with_tty_stderr(server, clean_env())
    assert code == 0
    assert b"\x1b[2m" in colored and b"\x1b[22m" in colored
    code, plain = _run_with_tty_stderr(server, clean_env(NO_COLOR="1"))
    assert code == 0
    assert b"\x1b" not in plain
    assert len(plain) > 50  # the reasoning, plain


def test_ask_path_never_imports_textual(server: DemoServer) -> None:
    code = (
        "import sys\n"
        "from tensorx_tui.cli.main import main\n"
        f"rc = main(['ask', '-m', 'demo', 'hi', '--base-url', {server.base_url!r},"
        " '--config', '/dev/null'])\n"
        "assert rc == 0, rc\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=clean_env(), cwd=ROOT,
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stderr


def count_tokens_sent(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many content tokens the in-process demo server has written so far."""
    sent = [0]
    write = server_module._Handler._write_chunk

    def counting(handler: Any, data: bytes) -> None:
        write(handler, data)
        if b'"content":"' in data and b'"content":""' not in data:
            sent[0] += 1

    monkeypatch.setattr(server_module._Handler, "_write_chunk", counting)
    return lambda: sent[0]


def test_ctrl_c_with_json_prints_the_cancelled_reply(
    server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = count_tokens_sent(monkeypatch)
    process = subprocess.Popen(
        [sys.executable, "-m", "tensorx_tui", "ask", "-m", "demo-fault-slow", "hello", "--json",
         "--base-url", server.base_url, "--config", os.devnull],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=clean_env(), cwd=ROOT,
    )  # fmt: skip
    # Nothing streams with --json: wait for the server to have sent a few tokens (5 tokens/s, so
    # the first ones have long been read when the fifth goes out), not for a guessed start-up.
    deadline = time.monotonic() + 60
    while sent() < 5 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert sent() >= 5, "the reply did not start"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    data = json.loads(out)
    assert set(data) == JSON_KEYS
    assert data["state"] == "cancelled" and data["content"]


def test_demo_flag_runs_the_demo_in_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tensorx_tui", "ask", "--demo", "--max-tokens", "3", "hi",
         "--config", os.devnull, "--usage"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=clean_env(), cwd=ROOT,
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "finish length" in result.stderr and "model demo" in result.stderr


def test_non_utf8_output_encoding_degrades_instead_of_crashing(server: DemoServer) -> None:
    result = ask(server, "ask", "-m", "demo", "café ☕", env=clean_env(PYTHONIOENCODING="ascii"))
    assert result.returncode == 0, result.stderr
    assert "caf? ?" in result.stdout
