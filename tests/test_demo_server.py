"""The demo server over real loopback HTTP, with curl, httpx and the official openai SDK."""

from __future__ import annotations

import itertools
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tensorx_tui.demo import server as server_module
from tensorx_tui.demo.faults import FaultTimings
from tensorx_tui.demo.scripts import plan, script_for
from tensorx_tui.demo.server import (
    COALESCE_BYTES,
    DEFAULT_DEMO_SPEED,
    FIRST_TOKEN_DELAY_S,
    MODELS,
    DemoServer,
    is_loopback,
    run_serve_demo,
)
from tensorx_tui.demo.tokenizer import count_tokens, tokenize

ROOT = Path(__file__).resolve().parent.parent
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FAST_FAULTS = FaultTimings(keepalive_interval_s=0.05)


@pytest.fixture(scope="module")
def srv() -> Iterator[DemoServer]:
    with DemoServer(port=0, speed=0, faults=FAST_FAULTS) as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def stream_body(model: str, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        **extra,
    }


def sse_data(text: str) -> list[str]:
    """The data payloads of an SSE body (the server only sends data lines and comments)."""
    return [line[len("data: ") :] for line in text.split("\n") if line.startswith("data: ")]


def stream_chunks(http: httpx.Client, srv: DemoServer, body: dict[str, Any]) -> list[Any]:
    response = http.post(f"{srv.base_url}/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    payloads = sse_data(response.text)
    assert payloads[-1] == "[DONE]"
    return [json.loads(p) for p in payloads[:-1]]


def content_of(chunks: list[Any], field: str = "content") -> str:
    return "".join(c["choices"][0]["delta"].get(field) or "" for c in chunks if c.get("choices"))


# ---------------------------------------------------------------- wire format


def test_stream_shape_matches_real_servers(srv: DemoServer, http: httpx.Client) -> None:
    chunks = stream_chunks(http, srv, stream_body("demo", user("Hello there")))
    *body, usage_chunk = chunks
    ids = {c["id"] for c in chunks}
    assert len(ids) == 1 and next(iter(ids)).startswith("chatcmpl-")
    for chunk in body:
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["model"] == "demo"
        assert isinstance(chunk["created"], int)
        assert chunk["usage"] is None
        (choice,) = chunk["choices"]
        assert set(choice) == {"index", "delta", "finish_reason", "logprobs"}
        assert choice["index"] == 0 and choice["logprobs"] is None
    assert body[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all("role" not in c["choices"][0]["delta"] for c in body[1:])
    assert [c["choices"][0]["finish_reason"] for c in body[:-1]] == [None] * (len(body) - 1)
    assert body[-1]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert usage_chunk["choices"] == []
    text = content_of(body)
    pieces = [c["choices"][0]["delta"]["content"] for c in body[1:-1]]
    # The streamed pieces are exactly the tokens, and the usage counts them honestly.
    assert pieces == tokenize(text)
    assert usage_chunk["usage"] == {
        "prompt_tokens": count_tokens("Hello there"),
        "completion_tokens": len(pieces),
        "total_tokens": count_tokens("Hello there") + len(pieces),
    }
    assert "offline demo" in text


def test_without_include_usage_there_is_no_usage(srv: DemoServer, http: httpx.Client) -> None:
    body = {"model": "demo", "messages": user("hi"), "stream": True}
    chunks = stream_chunks(http, srv, body)
    assert all("usage" not in c for c in chunks)
    assert all(c["choices"] for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_curl_streams_and_completes(srv: DemoServer) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed on this machine")
    url = f"{srv.base_url}/chat/completions"
    body = json.dumps(stream_body("demo", user("Write a Python function to reverse a string")))
    streamed = subprocess.run(
        ["curl", "-sN", url, "-H", "Content-Type: application/json", "-d", body],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    payloads = sse_data(streamed.stdout)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    text = content_of(chunks)
    assert "```python" in text and "def reverse" in text
    plain = json.dumps({"model": "demo", "messages": user("Write a Python function to reverse")})
    completed = subprocess.run(
        ["curl", "-s", url, "-H", "Content-Type: application/json", "-d", plain],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    completion = json.loads(completed.stdout)
    assert completion["object"] == "chat.completion"
    assert "def reverse" in completion["choices"][0]["message"]["content"]
    models = subprocess.run(
        ["curl", "-s", f"{srv.base_url}/models"], capture_output=True, text=True, timeout=20
    )
    assert [m["id"] for m in json.loads(models.stdout)["data"]] == list(MODELS)


def test_non_streamed_completion(srv: DemoServer, http: httpx.Client) -> None:
    response = http.post(
        f"{srv.base_url}/chat/completions", json={"model": "demo", "messages": user("hello")}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["object"] == "chat.completion"
    (choice,) = data["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert data["usage"]["completion_tokens"] == count_tokens(content)
    assert data["usage"]["prompt_tokens"] == count_tokens("hello")
    # The same request streamed gives the same text.
    chunks = stream_chunks(http, srv, stream_body("demo", user("hello")))
    assert content_of(chunks) == content


def test_chunked_request_body(srv: DemoServer, http: httpx.Client) -> None:
    payload = json.dumps({"model": "demo", "messages": user("hello")}).encode()
    pieces = iter([payload[:10], payload[10:]])  # an iterator: httpx sends it chunked
    response = http.post(
        f"{srv.base_url}/chat/completions",
        content=pieces,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"]
    assert http.get(f"{srv.base_url}/models").status_code == 200  # same connection still fine


def test_malformed_http_gets_a_json_error(srv: DemoServer) -> None:
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
        raw.sendall(b"NONSENSE\r\n\r\n")
        reply = b""
        while chunk := raw.recv(4096):
            reply += chunk
    # A one-word request line is HTTP/0.9 to the stdlib: the answer is a bare body, no headers.
    assert "Bad request" in json.loads(reply)["error"]["message"]
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
        raw.sendall(b"BREW /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while chunk := raw.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 501")
    assert json.loads(body)["error"]["message"]


def test_rate_limit_headers_on_every_response(srv: DemoServer, http: httpx.Client) -> None:
    responses = [
        http.get(f"{srv.base_url}/models"),
        http.post(
            f"{srv.base_url}/chat/completions", json={"model": "demo", "messages": user("x")}
        ),
        http.post(
            f"{srv.base_url}/chat/completions", json={"model": "nope", "messages": user("x")}
        ),
    ]
    for response in responses:
        assert response.headers["x-ratelimit-api_key-limit-requests"] == "60"
        assert int(response.headers["x-ratelimit-api_key-remaining-requests"]) <= 60
        assert response.headers["x-ratelimit-api_key-limit-tokens"] == "2000000"
        assert int(response.headers["x-ratelimit-api_key-remaining-tokens"]) < 2_000_000
        assert response.headers["x-request-id"].startswith("req_demo_")


def test_models_endpoint(srv: DemoServer, http: httpx.Client) -> None:
    listing = http.get(f"{srv.base_url}/models").json()
    assert listing["object"] == "list"
    ids = [m["id"] for m in listing["data"]]
    assert ids[0] == "demo" and "demo-reasoner" in ids and "demo-fault-keepalive" in ids
    assert http.get(f"{srv.base_url}/models/demo-long").json()["id"] == "demo-long"
    assert http.get(f"{srv.base_url}/models/nope").status_code == 404


def test_errors_look_like_a_real_provider(srv: DemoServer, http: httpx.Client) -> None:
    url = f"{srv.base_url}/chat/completions"
    unknown = http.post(url, json={"model": "gpt-9", "messages": user("x")})
    assert unknown.status_code == 404
    error = unknown.json()["error"]
    assert "The model `gpt-9` does not exist" in error["message"]
    assert error["type"] == "invalid_request_error" and error["code"] == "model_not_found"
    bad_json = http.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and "parse" in bad_json.json()["error"]["message"]
    no_messages = http.post(url, json={"model": "demo", "messages": []})
    assert no_messages.status_code == 400
    bad_max = http.post(url, json={"model": "demo", "messages": user("x"), "max_tokens": 0})
    assert bad_max.status_code == 400
    odd_stop = http.post(url, json={"model": "demo", "messages": user("x"), "stop": 5})
    assert odd_stop.status_code == 200
    odd_messages = http.post(url, json={"model": "demo", "messages": [5, {"content": [1]}]})
    assert odd_messages.status_code == 200
    assert http.get(f"{srv.root_url}/v2/whatever").status_code == 404
    unsupported = http.put(f"{srv.base_url}/models", json={})
    assert unsupported.status_code == 501 and "error" in unsupported.json()
    assert http.post(f"{srv.base_url}/embeddings", json={}).status_code == 404


# ---------------------------------------------------------------- scripted replies


def test_replies_are_deterministic(srv: DemoServer, http: httpx.Client) -> None:
    body = stream_body("demo", user("What is a good name for a cat?"), tools=[WEATHER_TOOL])
    first = content_of(stream_chunks(http, srv, body))
    second = content_of(stream_chunks(http, srv, body))
    assert first == second and "good name for a cat" in first


def test_max_tokens_finishes_with_length(srv: DemoServer, http: httpx.Client) -> None:
    chunks = stream_chunks(http, srv, stream_body("demo", user("hello"), max_tokens=5))
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert len(tokenize(content_of(chunks))) == 5
    assert chunks[-1]["usage"]["completion_tokens"] == 5
    plain = http.post(
        f"{srv.base_url}/chat/completions",
        json={"model": "demo", "messages": user("hello"), "max_completion_tokens": 3},
    ).json()
    assert plain["choices"][0]["finish_reason"] == "length"
    assert plain["usage"]["completion_tokens"] == 3


def test_stop_sequence_cuts_the_reply(srv: DemoServer, http: httpx.Client) -> None:
    chunks = stream_chunks(http, srv, stream_body("demo", user("hello"), stop=["offline"]))
    text = content_of(chunks)
    assert "offline" not in text and text.endswith("the **tensorx-chat ")
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("model", "prompt"),
    [("demo-fault-filter", "Tell me a story"), ("demo", "Tell me something forbidden")],
)
def test_content_filter(srv: DemoServer, http: httpx.Client, model: str, prompt: str) -> None:
    chunks = stream_chunks(http, srv, stream_body(model, user(prompt)))
    assert chunks[-2]["choices"][0]["finish_reason"] == "content_filter"
    assert "content filter" in content_of(chunks)


def test_weather_tool_calls_stream_in_fragments(srv: DemoServer, http: httpx.Client) -> None:
    prompt = "What's the weather in Paris and Tokyo today?"
    chunks = stream_chunks(http, srv, stream_body("demo", user(prompt), tools=[WEATHER_TOOL]))
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": None}
    fragments = [
        frag
        for c in chunks
        if c["choices"]
        for frag in c["choices"][0]["delta"].get("tool_calls") or []
    ]
    calls: dict[int, dict[str, Any]] = {}
    for frag in fragments:
        if "id" in frag:
            assert frag["index"] not in calls
            assert frag["type"] == "function"
            assert frag["function"] == {"name": "get_weather", "arguments": ""}
            calls[frag["index"]] = {"id": frag["id"], "arguments": ""}
        else:
            assert set(frag) == {"index", "function"} and set(frag["function"]) == {"arguments"}
            calls[frag["index"]]["arguments"] += frag["function"]["arguments"]
    assert sorted(calls) == [0, 1]
    assert sum(1 for f in fragments if "id" not in f) > 10  # arguments really come in pieces
    assert [json.loads(calls[i]["arguments"]) for i in (0, 1)] == [
        {"city": "Paris", "unit": "celsius"},
        {"city": "Tokyo", "unit": "celsius"},
    ]
    assert calls[0]["id"] != calls[1]["id"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    completion = chunks[-1]["usage"]["completion_tokens"]
    assert completion == len(fragments) - 2 + 2 * count_tokens("get_weather")


def test_one_city_one_call_and_no_tools_no_call(srv: DemoServer, http: httpx.Client) -> None:
    one = stream_chunks(
        http, srv, stream_body("demo", user("weather for berlin please"), tools=[WEATHER_TOOL])
    )
    starts = [
        f
        for c in one
        if c["choices"]
        for f in c["choices"][0]["delta"].get("tool_calls") or []
        if "id" in f
    ]
    assert len(starts) == 1
    no_tools = stream_chunks(http, srv, stream_body("demo", user("weather in Paris")))
    assert no_tools[-2]["choices"][0]["finish_reason"] == "stop"
    assert "no tools" in content_of(no_tools) and "**Paris**" in content_of(no_tools)


def test_tool_results_are_used_in_the_answer(srv: DemoServer, http: httpx.Client) -> None:
    messages = [
        *user("Weather in Paris and Tokyo?"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_b",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Tokyo"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": '{"temperature": 17, "sky": "rain"}'},
        {"role": "tool", "tool_call_id": "call_b", "content": "23 degrees and sunny"},
    ]
    chunks = stream_chunks(http, srv, stream_body("demo", messages, tools=[WEATHER_TOOL]))
    text = content_of(chunks)
    assert "**Paris**: temperature: 17, sky: rain" in text
    assert "**Tokyo**: 23 degrees and sunny" in text
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


def test_reasoner_streams_reasoning_first(srv: DemoServer, http: httpx.Client) -> None:
    chunks = stream_chunks(http, srv, stream_body("demo-reasoner", user("Compare tea and coffee")))
    first = chunks[0]["choices"][0]["delta"]
    assert first == {"role": "assistant", "content": None, "reasoning_content": ""}
    kinds = [
        "r" if c["choices"][0]["delta"].get("reasoning_content") else "c" for c in chunks[1:-2]
    ]
    assert kinds == sorted(kinds, reverse=True)  # every reasoning piece before any content
    reasoning = content_of(chunks, "reasoning_content")
    answer = content_of(chunks)
    assert "tea and coffee" in reasoning and "|---|" in answer
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == count_tokens(reasoning)
    assert usage["completion_tokens"] == count_tokens(reasoning) + count_tokens(answer)


def test_long_document(srv: DemoServer, http: httpx.Client) -> None:
    chunks = stream_chunks(http, srv, stream_body("demo-long", user("go")))
    text = content_of(chunks)
    assert 19_000 <= chunks[-1]["usage"]["completion_tokens"] <= 21_000
    fence = text.split("```python\n", 1)[1].split("\n```", 1)[0]
    assert len(fence.split("\n")) == 400
    assert sum(1 for line in text.split("\n") if line[:1].isdigit() and ". Item " in line) == 200
    table_rows = [line for line in text.split("\n") if line.startswith("| ") and "row " in line]
    assert len(table_rows) == 100


# ---------------------------------------------------------------- the official openai SDK


def test_openai_sdk_streamed_non_streamed_and_tools(srv: DemoServer) -> None:
    client = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
    try:
        completion = client.chat.completions.create(model="demo", messages=user("hello"))
        assert "offline demo" in (completion.choices[0].message.content or "")
        assert completion.usage is not None and completion.usage.completion_tokens > 10

        stream = client.chat.completions.create(
            model="demo",
            messages=user("hello"),
            stream=True,
            stream_options={"include_usage": True},
        )
        parts: list[str] = []
        usage = None
        for chunk in stream:
            if chunk.choices:
                parts.append(chunk.choices[0].delta.content or "")
            if chunk.usage is not None:
                usage = chunk.usage
        assert "".join(parts) == completion.choices[0].message.content
        assert usage is not None and usage.total_tokens == completion.usage.total_tokens

        with client.chat.completions.stream(
            model="demo",
            messages=user("weather in Paris and Tokyo"),
            tools=[WEATHER_TOOL],  # type: ignore[list-item]
        ) as helper:
            final = helper.get_final_completion()
        calls = final.choices[0].message.tool_calls or []
        assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "Tokyo"]
        assert final.choices[0].finish_reason == "tool_calls"

        not_streamed = client.chat.completions.create(
            model="demo", messages=user("weather in Paris and Tokyo"), tools=[WEATHER_TOOL]
        )
        plain_calls = not_streamed.choices[0].message.tool_calls or []
        assert [c.id for c in plain_calls] == [c.id for c in calls]

        with pytest.raises(openai.NotFoundError, match="does not exist"):
            client.chat.completions.create(model="nope", messages=user("x"))
        assert "demo-long" in [m.id for m in client.models.list()]
    finally:
        client.close()


# ---------------------------------------------------------------- faults


def test_fault_429_then_success(srv: DemoServer, http: httpx.Client) -> None:
    body = {"model": "demo-fault-429", "messages": user("rate limit me")}
    url = f"{srv.base_url}/chat/completions"
    refused = http.post(url, json=body)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["retry-after-ms"] == "1000"
    assert "x-ratelimit-api_key-remaining-requests" in refused.headers
    error = refused.json()["error"]
    assert error["code"] == "429" and "Rate limit exceeded" in error["message"]
    retried = http.post(url, json=body)
    assert retried.status_code == 200
    assert retried.json()["choices"][0]["finish_reason"] == "stop"
    assert http.post(url, json=body).status_code == 429  # the same conversation again: again


def test_fault_500(srv: DemoServer, http: httpx.Client) -> None:
    for stream in (True, False):
        response = http.post(
            f"{srv.base_url}/chat/completions",
            json={"model": "demo-fault-500", "messages": user("x"), "stream": stream},
        )
        assert response.status_code == 500
        assert response.json()["error"]["type"] == "server_error"


def test_fault_drop_mid_stream(srv: DemoServer, http: httpx.Client) -> None:
    body = stream_body("demo-fault-drop", user("hello"))
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        http.stream("POST", f"{srv.base_url}/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        received.extend(response.iter_lines())
    payloads = [p for p in (line[6:] for line in received if line.startswith("data: "))]
    assert "[DONE]" not in payloads
    pieces = [json.loads(p)["choices"][0]["delta"].get("content") for p in payloads[1:]]
    assert len(pieces) == FAST_FAULTS.tokens_before_fault
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(f"{srv.base_url}/chat/completions", json={**body, "stream": False})


def test_fault_error_event(srv: DemoServer, http: httpx.Client) -> None:
    body = stream_body("demo-fault-error-event", user("hello"))
    response = http.post(f"{srv.base_url}/chat/completions", json=body)
    payloads = sse_data(response.text)
    assert "[DONE]" not in payloads
    last = json.loads(payloads[-1])
    assert last["error"]["type"] == "server_error" and "mid-stream" in last["error"]["message"]
    assert len(payloads) == 1 + FAST_FAULTS.tokens_before_fault + 1
    plain = http.post(f"{srv.base_url}/chat/completions", json={**body, "stream": False})
    assert plain.status_code == 200 and "error" in plain.json()


def test_fault_keepalive_only_comments(srv: DemoServer, http: httpx.Client) -> None:
    body = stream_body("demo-fault-keepalive", user("hello"))
    lines: list[str] = []
    with http.stream("POST", f"{srv.base_url}/chat/completions", json=body) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            lines.append(line)
            if lines.count(": keep-alive") >= 3:
                break  # never wait for the fault to end: disconnect early
    assert set(lines) <= {": keep-alive", ""}
    # The server is still fine afterwards.
    assert http.get(f"{srv.base_url}/models").status_code == 200


def test_keepalive_ends_with_no_data_and_stop_is_prompt() -> None:
    short = FaultTimings(keepalive_interval_s=0.02, keepalive_duration_s=0.1)
    with DemoServer(speed=0, faults=short) as server:
        body = stream_body("demo-fault-keepalive", user("hello"))
        response = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=10)
        assert response.status_code == 200
        assert sse_data(response.text) == [] and ": keep-alive" in response.text
    long_wait = DemoServer(speed=0, faults=FaultTimings(keepalive_interval_s=0.05)).start()
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", f"{long_wait.base_url}/chat/completions", json=body) as response:
            next(response.iter_lines())
            # stop() must not wait for the stream's 15 minutes; the bound is far from both that
            # and any machine's load.
            stopping = threading.Thread(target=long_wait.stop)
            stopping.start()
            stopping.join(60)
            assert not stopping.is_alive()
        with pytest.raises(httpx.ConnectError):
            client.get(f"{long_wait.base_url}/models")


def _read_tokens(url: str, model: str, count: int) -> None:
    """Read the first `count` content tokens of a stream; then disconnect."""
    seen = 0
    body = {"model": model, "messages": user("hello"), "stream": True}
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", f"{url}/chat/completions", json=body) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data: {") and _is_token(line.encode()):
                seen += 1
                if seen == count:
                    break


def _is_token(data: bytes) -> bool:
    """A content delta with text (the first chunk's `"content":""` is no token)."""
    return b'"content":"' in data and b'"content":""' not in data


class _ServerClock:
    """The demo server's clock, moved on by its own waits instead of by sleeping, and a record of
    what it wrote when. The pacing is then checked exactly, whatever the machine's load; the
    waiting itself is `threading.Event.wait`."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.writes: list[tuple[float, bytes]] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_767_225_600.0 + self.now

    def content_times(self) -> list[float]:
        return [when for when, data in self.writes if _is_token(data)]


@pytest.fixture
def server_clock(monkeypatch: pytest.MonkeyPatch) -> _ServerClock:
    clock = _ServerClock()
    write = server_module._Handler._write_chunk

    def fake_wait(handler: Any, seconds: float) -> None:
        clock.now += max(seconds, 0.0)
        if handler.demo._stopping.is_set():
            raise server_module._ClientGone

    def recorded_write(handler: Any, data: bytes) -> None:
        clock.writes.append((clock.now, data))
        write(handler, data)

    monkeypatch.setattr(server_module, "time", clock)  # server.py's own name only
    monkeypatch.setattr(server_module._Handler, "_wait", fake_wait)
    monkeypatch.setattr(server_module._Handler, "_write_chunk", recorded_write)
    return clock


def test_fault_slow_streams_five_tokens_a_second(server_clock: _ServerClock) -> None:
    with DemoServer(speed=0) as server:  # its own pace, whatever the server's speed
        started = server_clock.now
        _read_tokens(server.base_url, "demo-fault-slow", 6)
    times = server_clock.content_times()[:6]
    assert times[0] - started == pytest.approx(FIRST_TOKEN_DELAY_S)
    assert times[-1] - times[0] == pytest.approx(5 / 5.0)
    # Long enough to stream for at least 30 seconds.
    slow = plan(script_for("demo-fault-slow", {"messages": user("hello")}))
    assert slow.completion_tokens / 5.0 >= 30


def test_pacing_at_a_set_speed(server_clock: _ServerClock) -> None:
    with DemoServer(speed=50) as server:
        _read_tokens(server.base_url, "demo", 26)
    times = server_clock.content_times()[:26]
    assert times[-1] - times[0] == pytest.approx(25 / 50)
    assert all(b > a for a, b in itertools.pairwise(times))


def test_full_speed_gathers_events_into_big_writes(server_clock: _ServerClock) -> None:
    # What makes full speed fast: one write per ~16 KiB, not one per event.
    body = stream_body("demo-long", user("go"))
    tokens = 0
    with (
        DemoServer(speed=0) as server,
        httpx.Client(timeout=10) as http,
        http.stream("POST", f"{server.base_url}/chat/completions", json=body) as response,
    ):
        for line in response.iter_lines():
            if line.startswith('data: {"id"') and '"content":"' in line:
                tokens += 1
    sizes = [len(data) for _, data in server_clock.writes]
    assert tokens > 19_000
    assert sizes[-1] == 0  # the end of the chunked body
    assert all(size >= COALESCE_BYTES for size in sizes[:-2])
    assert len(sizes) <= sum(sizes) // COALESCE_BYTES + 2


def test_client_disconnect_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    with DemoServer(speed=400) as server:
        _read_tokens(server.base_url, "demo-long", 3)
        # The server writes on, meets the closed socket and ends the handler, which untracks
        # the connection (a private set, read here because nothing public says so).
        deadline = time.monotonic() + 30
        while server._connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not server._connections
        assert httpx.get(f"{server.base_url}/models").status_code == 200
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "Error" not in captured.err


# ---------------------------------------------------------------- lifecycle and CLI entry


def test_default_speed_is_lively_but_visible() -> None:
    assert 60 <= DEFAULT_DEMO_SPEED <= 100


def test_start_stop_and_base_url() -> None:
    server = DemoServer()
    assert server.start() is server
    port = server.port
    assert server.base_url == f"http://127.0.0.1:{port}/v1"
    assert httpx.get(f"{server.base_url}/models").status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/models")
    server.stop()  # stopping twice is harmless


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_run_serve_demo_refuses_a_public_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_serve_demo("0.0.0.0", 0, 0, False) == 2
    err = capsys.readouterr().err
    assert "not a loopback" in err and "--allow-remote" in err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_serve_demo_serves_until_ctrl_c(stop_signal: signal.Signals) -> None:
    code = (
        "import signal, sys\n"
        # A test run in a background job inherits an ignored SIGINT; a terminal's Ctrl-C does not.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from tensorx_tui.demo.server import run_serve_demo\n"
        "sys.exit(run_serve_demo('127.0.0.1', 0, 0, False))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline()]
        while "Ctrl-C" not in banner[-1] and banner[-1]:
            banner.append(process.stdout.readline())
        base_url = banner[0].split(" on ", 1)[1].split()[0]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        assert httpx.get(f"{base_url}/models", timeout=5).status_code == 200
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert "TENSORX_BASE_URL=" in "".join(banner) and "stopped" in out
