"""A real local OpenAI-compatible HTTP server with scripted replies (stdlib only).

    srv = DemoServer(port=0).start()     # background daemon thread, free loopback port
    srv.base_url                          # "http://127.0.0.1:PORT/v1"
    srv.stop()

Endpoints: POST /v1/chat/completions (streamed as SSE or not), GET /v1/models, GET /v1/models/{id},
GET /v1/model/info (LiteLLM's metadata: windows, prices, capabilities; see catalog.py),
GET /v1/demo/requests (the JSON bodies of the last RECEIVED_KEPT chat requests it was sent,
oldest first, `{"object": "list", "data": [...]}`: what a client really sends, for tests and for
a look by hand; `srv.received` is the same list in-process).
Any API key (or none) is accepted. Replies come from scripts.py, faults from faults.py; the
wire format follows the shared protocol notes (shared/protocol.md) and real providers
(see docs/demo.md).
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import json
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TextIO

from tensorx_tui.demo import faults
from tensorx_tui.demo.catalog import cached_prompt_tokens, model_info_payload
from tensorx_tui.demo.faults import FaultTimings, RateLimitToggle
from tensorx_tui.demo.scripts import DEMO, DEMO_LONG, DEMO_REASONER, Plan, plan, script_for
from tensorx_tui.demo.tokenizer import prompt_tokens

DEFAULT_DEMO_SPEED = 80.0  # tokens/s: lively, yet you can see it stream
DEFAULT_PORT = 8765

MODELS = (DEMO, DEMO_REASONER, DEMO_LONG, *faults.FAULT_MODELS)

# Shown like TensorX's own limits; the demo never enforces them (only demo-fault-429 refuses).
REQUEST_LIMIT = 60
TOKEN_LIMIT = 2_000_000
# Before the first token at a set speed, like a real model reading the prompt.
FIRST_TOKEN_DELAY_S = 0.2
# At full speed, events are gathered into writes of about this size (several events per read).
COALESCE_BYTES = 16 * 1024

MAX_BODY_BYTES = 96 * 1024 * 1024  # room for a few 20 MB images, as base64
RECEIVED_KEPT = 50  # chat request bodies kept for GET /v1/demo/requests
KEPT_URL_CHARS = 100  # an image's data URL is kept this long: 50 bodies of 20 MB images add up

_DISCONNECTED = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _ClientGone(Exception):
    """The client closed the connection, or the server is stopping: end this response quietly."""


class _RateWindow:
    """Requests and tokens in the last minute, for the x-ratelimit-* headers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: deque[tuple[float, int]] = deque()

    def record(self, tokens: int) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            self._events.append((now, tokens))
            while self._events and self._events[0][0] < now - 60:
                self._events.popleft()
            used_requests = len(self._events)
            used_tokens = sum(t for _, t in self._events)
        return max(0, REQUEST_LIMIT - used_requests), max(0, TOKEN_LIMIT - used_tokens)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # benchmarks may open many connections at once

    def __init__(self, address: tuple[str, int], demo: DemoServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.demo = demo
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client going away is normal; anything else is a bug and must stay visible.
        if isinstance(sys.exc_info()[1], _DISCONNECTED):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tensorx-chat-demo/0.1"
    sys_version = ""
    server: _HTTPServer

    # An idle keep-alive connection is closed after this long (quietly, see log_message).
    timeout = 300

    def version_string(self) -> str:
        return self.server_version

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests and unsupported methods get a JSON error, not the stdlib's HTML."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self._send_error_json(
            code, message or phrase, "invalid_request_error", None, {"Connection": "close"}
        )

    # ------------------------------------------------------------ plumbing

    def setup(self) -> None:
        super().setup()
        self.demo = self.server.demo
        self.demo._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except _DISCONNECTED:
            pass  # the client left before the last flush; nothing to deliver
        finally:
            self.demo._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.demo.verbose:
            self.demo.log.write(f"demo: {self.address_string()} {format % args}\n")

    def _common_headers(self, tokens: int = 0) -> None:
        remaining_requests, remaining_tokens = self.demo._rates.record(tokens)
        self.send_header("x-request-id", f"req_demo_{next(self.demo._ids):06d}")
        self.send_header("x-ratelimit-api_key-limit-requests", str(REQUEST_LIMIT))
        self.send_header("x-ratelimit-api_key-remaining-requests", str(remaining_requests))
        self.send_header("x-ratelimit-api_key-limit-tokens", str(TOKEN_LIMIT))
        self.send_header("x-ratelimit-api_key-remaining-tokens", str(remaining_tokens))

    def _send_json(
        self,
        status: int,
        payload: Any,
        extra_headers: dict[str, str] | None = None,
        tokens: int = 0,
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self._common_headers(tokens)
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error_json(
        self,
        status: int,
        message: str,
        type_: str,
        code: str | None,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        error = {"message": message, "type": type_, "param": None, "code": code}
        self._send_json(status, {"error": error}, extra_headers)

    def _start_chunked(self, content_type: str, tokens: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Accel-Buffering", "no")
        self._common_headers(tokens)
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        """One HTTP chunk in one sendall (the wfile is unbuffered)."""
        if self.demo._stopping.is_set():
            raise _ClientGone
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        except (*_DISCONNECTED, OSError) as exc:
            raise _ClientGone from exc

    def _end_chunked(self) -> None:
        self._write_chunk(b"")  # the zero-length chunk ends the body

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        if seconds > 0 and self.demo._stopping.wait(seconds):
            raise _ClientGone

    def _drop_connection(self) -> None:
        self.close_connection = True
        # Already gone is fine: dropping is what we wanted anyway.
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------ routes

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [_model_object(m) for m in MODELS]})
        elif path == "/v1/model/info":
            self._send_json(200, model_info_payload(MODELS))
        elif path == "/v1/demo/requests":
            self._send_json(200, {"object": "list", "data": self.demo.received_bodies()})
        elif path.startswith("/v1/models/"):
            model = path[len("/v1/models/") :]
            if model in MODELS:
                self._send_json(200, _model_object(model))
            else:
                self._model_not_found(model)
        else:
            self._not_found()

    def do_POST(self) -> None:
        self._headers_started = False  # one handler serves every request of a connection
        path = self.path.split("?", 1)[0].rstrip("/")
        try:
            body_bytes = self._read_body()
        except ValueError as exc:  # a broken chunked body or a body over the limit
            self.send_error(400, f"Could not read the request body: {exc}")
            return
        if path != "/v1/chat/completions":
            self._not_found()
            return
        try:
            self._chat_completions(body_bytes)
        except _ClientGone:
            self.close_connection = True
        except _DISCONNECTED:
            self.close_connection = True
        except Exception:  # a bug in a script: say so to the client and on stderr
            traceback.print_exc(file=self.demo.log)
            self.close_connection = True
            if not self._headers_started:
                self._send_error_json(500, "The demo server hit a bug.", "server_error", "500")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailer fields: none of them matter here
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
                if sum(map(len, parts)) > MAX_BODY_BYTES:
                    raise ValueError("the body is too large")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            raise ValueError("the body is too large")
        return self.rfile.read(length) if length > 0 else b""

    def _not_found(self) -> None:
        self._send_error_json(
            404, f"Unknown request URL: {self.command} {self.path}.", "invalid_request_error", None
        )

    def _model_not_found(self, model: str) -> None:
        self._send_error_json(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        )

    def _bad_request(self, message: str) -> None:
        self._send_error_json(400, message, "invalid_request_error", None)

    _headers_started = False

    def send_response(self, code: int, message: str | None = None) -> None:
        self._headers_started = True
        super().send_response(code, message)

    # ------------------------------------------------------------ chat completions

    def _chat_completions(self, raw: bytes) -> None:
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            self._bad_request("We could not parse the JSON body of your request.")
            return
        self.demo.keep_received(body)
        model = body.get("model")
        messages = body.get("messages")
        if not isinstance(model, str) or not model:
            self._bad_request("You must provide a model parameter.")
            return
        if not isinstance(messages, list) or not messages:
            self._bad_request("'messages' must be a non-empty array.")
            return
        if model not in MODELS:
            self._model_not_found(model)
            return
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        if max_tokens is not None and (
            isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
        ):
            self._bad_request("'max_tokens' must be a positive integer.")
            return
        stop = body.get("stop")
        if isinstance(stop, str):
            stops = [stop]
        elif isinstance(stop, list):
            stops = [s for s in stop if isinstance(s, str)]
        else:
            stops = []
        stream = bool(body.get("stream"))
        options = body.get("stream_options")
        include_usage = stream and isinstance(options, dict) and bool(options.get("include_usage"))
        n_prompt = prompt_tokens(messages)
        timings = self.demo.faults

        if model == faults.FAULT_500:
            self._send_error_json(
                500,
                "The demo server had an internal error (scripted fault: demo-fault-500).",
                "server_error",
                "500",
            )
            return
        if model == faults.FAULT_429 and self.demo._rate_toggle.should_refuse(body):
            reset = datetime.now(UTC) + timedelta(seconds=timings.retry_after_s)
            self._send_error_json(
                429,
                "Rate limit exceeded (scripted fault: demo-fault-429, the retry succeeds). "
                f"Limit resets at: {reset:%Y-%m-%d %H:%M:%S} UTC",
                "rate_limit_exceeded",
                "429",
                {
                    "Retry-After": str(timings.retry_after_s),
                    "retry-after-ms": str(timings.retry_after_s * 1000),
                },
            )
            return

        the_plan = plan(script_for(model, body), max_tokens, stops)
        speed = timings.slow_speed if model == faults.FAULT_SLOW else self.demo.speed
        reply = _Reply(
            model=model,
            completion_id=f"chatcmpl-demo-{next(self.demo._ids):06d}",
            created=int(time.time()),
            plan=the_plan,
            prompt_tokens=n_prompt,
            cached_tokens=cached_prompt_tokens(messages),
        )
        if stream:
            self._stream(reply, speed, include_usage)
        else:
            self._complete(reply, speed)

    def _complete(self, reply: _Reply, speed: float) -> None:
        model = reply.model
        timings = self.demo.faults
        if model == faults.FAULT_DROP:
            self._drop_connection()
            return
        if model == faults.FAULT_ERROR_EVENT:
            # Some providers answer 200 with an error body: a client must not take it for a reply.
            error = _mid_stream_error()
            self._send_json(200, error)
            return
        if model == faults.FAULT_KEEPALIVE:
            self._start_chunked("application/json", reply.prompt_tokens)
            deadline = time.monotonic() + timings.keepalive_duration_s
            while time.monotonic() < deadline:
                self._write_chunk(b"\n")  # whitespace before a JSON body, as OpenRouter does
                self._wait(timings.keepalive_interval_s)
            error = {
                "error": {
                    "message": "The demo server gave up (scripted fault: demo-fault-keepalive).",
                    "type": "timeout",
                    "param": None,
                    "code": "504",
                }
            }
            self._write_chunk(json.dumps(error).encode())
            self._end_chunked()
            return
        if speed > 0:
            self._wait(FIRST_TOKEN_DELAY_S + len(reply.plan.steps) / speed)
        self._send_json(200, reply.completion(), tokens=reply.total_tokens)

    def _stream(self, reply: _Reply, speed: float, include_usage: bool) -> None:
        model = reply.model
        timings = self.demo.faults
        self._start_chunked("text/event-stream; charset=utf-8", reply.total_tokens)
        if model == faults.FAULT_KEEPALIVE:
            deadline = time.monotonic() + timings.keepalive_duration_s
            while time.monotonic() < deadline:
                self._write_chunk(b": keep-alive\n\n")
                self._wait(timings.keepalive_interval_s)
            self._end_chunked()  # like DeepSeek after ten minutes: closed without a token
            return

        cut_after: int | None = None
        if model in (faults.FAULT_DROP, faults.FAULT_ERROR_EVENT):
            cut_after = timings.tokens_before_fault
        events = reply.events(include_usage)
        coalesce = speed <= 0
        buffer = bytearray()
        if speed > 0:
            self._wait(FIRST_TOKEN_DELAY_S)
        start = time.monotonic()
        sent_steps = 0
        for event, is_step in events:
            if cut_after is not None and is_step and sent_steps >= cut_after:
                if buffer:
                    self._write_chunk(bytes(buffer))
                if model == faults.FAULT_DROP:
                    self._drop_connection()
                    return
                self._write_chunk(_sse(_mid_stream_error()))
                self._end_chunked()
                return
            if coalesce:
                buffer += event
                if len(buffer) >= COALESCE_BYTES:
                    self._write_chunk(bytes(buffer))
                    buffer.clear()
            else:
                if is_step:
                    # An absolute schedule, so rounding in sleeps never adds up to drift.
                    self._wait(start + sent_steps / speed - time.monotonic())
                self._write_chunk(event)
            if is_step:
                sent_steps += 1
        if buffer:
            self._write_chunk(bytes(buffer))
        self._end_chunked()


def _model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1_767_225_600, "owned_by": "tensorx-demo"}


def _mid_stream_error() -> dict[str, Any]:
    return {
        "error": {
            "message": "The upstream model failed mid-stream "
            "(scripted fault: demo-fault-error-event).",
            "type": "server_error",
            "param": None,
            "code": "502",
        }
    }


def _sse(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Reply:
    """One scripted completion, rendered as SSE events or as a chat.completion object."""

    def __init__(
        self,
        *,
        model: str,
        completion_id: str,
        created: int,
        plan: Plan,
        prompt_tokens: int,
        cached_tokens: int = 0,
    ) -> None:
        self.model = model
        self.id = completion_id
        self.created = created
        self.plan = plan
        self.prompt_tokens = prompt_tokens
        self.cached_tokens = cached_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.plan.completion_tokens

    def usage(self) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.plan.completion_tokens,
            "total_tokens": self.total_tokens,
        }
        if self.cached_tokens:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached_tokens}
        if self.plan.reasoning_tokens:
            usage["completion_tokens_details"] = {"reasoning_tokens": self.plan.reasoning_tokens}
        return usage

    def completion(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.plan.content or None,
            "refusal": None,
        }
        if self.plan.reasoning:
            message["reasoning_content"] = self.plan.reasoning
        calls = self.plan.tool_calls()
        if calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in calls
            ]
        elif message["content"] is None:
            message["content"] = ""
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self.plan.finish_reason,
                }
            ],
            "usage": self.usage(),
        }

    def events(self, include_usage: bool) -> itertools.chain[tuple[bytes, bool]]:
        """(SSE event bytes, whether it carries one planned step), in order, ending with [DONE]."""
        head = (
            f'data: {{"id":{_dumps(self.id)},"object":"chat.completion.chunk",'
            f'"created":{self.created},"model":{_dumps(self.model)},'
            '"choices":[{"index":0,"delta":'
        )
        tail_open = ',"logprobs":null,"finish_reason":null}]' + (
            ',"usage":null' if include_usage else ""
        )
        steps = self.plan.steps
        reasoner = any(s.kind == "reasoning" for s in steps)
        has_tools = any(s.kind == "tool_start" for s in steps)

        def chunk(delta: str, finish: str | None = None) -> bytes:
            if finish is None:
                return (head + delta + tail_open + "}\n\n").encode()
            tail = f',"logprobs":null,"finish_reason":{_dumps(finish)}}}]' + (
                ',"usage":null' if include_usage else ""
            )
            return (head + delta + tail + "}\n\n").encode()

        if reasoner:
            first = '{"role":"assistant","content":null,"reasoning_content":""}'
        elif has_tools and not any(s.kind == "content" for s in steps):
            first = '{"role":"assistant","content":null}'
        else:
            first = '{"role":"assistant","content":""}'

        def step_events() -> Any:
            for s in steps:
                if s.kind == "content":
                    extra = ',"reasoning_content":null' if reasoner else ""
                    yield chunk('{"content":' + _dumps(s.text) + extra + "}"), True
                elif s.kind == "reasoning":
                    yield chunk('{"content":null,"reasoning_content":' + _dumps(s.text) + "}"), True
                elif s.kind == "tool_start":
                    call = {
                        "index": s.tool_index,
                        "id": s.tool_id,
                        "type": "function",
                        "function": {"name": s.text, "arguments": ""},
                    }
                    yield chunk('{"tool_calls":[' + _dumps(call) + "]}"), True
                else:
                    piece = {"index": s.tool_index, "function": {"arguments": s.text}}
                    yield chunk('{"tool_calls":[' + _dumps(piece) + "]}"), True

        def closing() -> Any:
            yield chunk("{}", self.plan.finish_reason), False
            if include_usage:
                usage_chunk = {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model,
                    "choices": [],
                    "usage": self.usage(),
                }
                yield ("data: " + _dumps(usage_chunk) + "\n\n").encode(), False
            yield b"data: [DONE]\n\n", False

        return itertools.chain([(chunk(first), False)], step_events(), closing())


class DemoServer:
    """The demo server, serving from a background daemon thread. Also a context manager."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = DEFAULT_DEMO_SPEED,
        *,
        verbose: bool = False,
        faults: FaultTimings | None = None,
        log: TextIO | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.speed = max(0.0, float(speed))
        self.verbose = verbose
        self.faults = faults or FaultTimings()
        self.log: TextIO = log or sys.stderr
        self._stopping = threading.Event()
        self._rates = _RateWindow()
        self._rate_toggle = RateLimitToggle()
        self._ids = itertools.count(1)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None
        self._received: deque[dict[str, Any]] = deque(maxlen=RECEIVED_KEPT)
        self._received_lock = threading.Lock()

    def keep_received(self, body: dict[str, Any]) -> None:
        kept = _without_long_urls(body)
        with self._received_lock:
            self._received.append(kept)

    def received_bodies(self) -> list[dict[str, Any]]:
        """The last chat request bodies received (parsed JSON), oldest first."""
        with self._received_lock:
            return list(self._received)

    @property
    def received(self) -> list[dict[str, Any]]:
        return self.received_bodies()

    @property
    def port(self) -> int:
        """The port it listens on (still known after stop(), for messages and tests)."""
        if self._bound_port is None:
            raise RuntimeError("DemoServer is not started")
        return self._bound_port

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def start(self) -> DemoServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.requested_port), self)
        self._bound_port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"tensorx-demo-server:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # long streams (keep-alive, slow) wake up and end
        httpd.shutdown()
        with self._connections_lock:
            open_connections = list(self._connections)
        for conn in open_connections:
            # Idle keep-alive connections block in a read; one closed by its handler is fine.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if thread is not None:
            thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def run_serve_demo(
    host: str, port: int, speed: float, allow_remote: bool, *, verbose: bool = False
) -> int:
    """`tensorx-chat serve-demo`: serve until Ctrl-C. Returns the process exit code."""
    if not allow_remote and not is_loopback(host):
        print(
            f"tensorx-chat serve-demo: refusing to listen on {host!r}, which is not a loopback "
            "address. The demo server has no authentication; pass --allow-remote to expose it.",
            file=sys.stderr,
        )
        return 2
    server = DemoServer(host=host, port=port, speed=speed, verbose=verbose)
    try:
        server.start()
    except OSError as exc:
        print(f"tensorx-chat serve-demo: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    pace = "as fast as possible" if server.speed == 0 else f"{server.speed:g} tokens/s"
    print(
        f"tensorx-chat offline demo server on {server.base_url}  (scripted replies, {pace})\n"
        f"Models: {', '.join(MODELS)}\n"
        "Point the client at it:\n"
        f"  TENSORX_BASE_URL={server.base_url} TENSORX_API_KEY=demo TENSORX_MODEL=demo"
        " tensorx-chat\n"
        "Or try it with curl:\n"
        f"  curl -N {server.base_url}/chat/completions -H 'Content-Type: application/json' \\\n"
        '    -d \'{"model":"demo","stream":true,"messages":[{"role":"user","content":"Hello"}]}\'\n'
        "Press Ctrl-C to stop.",
        flush=True,
    )
    previous = _stop_on_sigterm()
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nDemo server stopped.", flush=True)
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _stop_on_sigterm() -> Any:
    """Make SIGTERM stop the server like Ctrl-C does; returns the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None  # only the main thread may set signal handlers

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _without_long_urls(body: dict[str, Any]) -> dict[str, Any]:
    """The body as kept: each image part's data URL cut to KEPT_URL_CHARS, with how long it was
    (the rest of the body is kept as it came)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    kept_messages = []
    for message in messages:
        parts = message.get("content") if isinstance(message, dict) else None
        if isinstance(parts, list):
            message = {**message, "content": [_short_part(part) for part in parts]}
        kept_messages.append(message)
    return {**body, "messages": kept_messages}


def _short_part(part: Any) -> Any:
    image = part.get("image_url") if isinstance(part, dict) else None
    if not isinstance(image, dict):
        return part
    url = image.get("url")
    if not isinstance(url, str) or len(url) <= KEPT_URL_CHARS:
        return part
    short = f"{url[:KEPT_URL_CHARS]}… ({len(url):,} characters)"
    return {**part, "image_url": {**image, "url": short}}
