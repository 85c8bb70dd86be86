"""The tool loop's own cost, and what configured MCP servers add to the app's start-up.

1. Overhead per tool round trip: a scripted model answers every request with one tool call; the
   engine's ToolLoop runs it through the demo MCP server (stdio, a real process). Measured from
   the reply's last chunk (its finish_reason) to the next request leaving, minus the tool's own
   time as the layer measured it: what approval checks, bookkeeping, saving and the next
   request's building cost. Target: <= 20 ms.
2. Start-up: `tensorx-chat` spawned on a pty (100x30) until its status line is drawn, with two
   configured MCP servers (the demo's, twice) vs none, alternating runs; the ratio (target
   <= 1.1). Servers start after the first frame, so it must not wait for them.

    python bench/bench_tool_loop.py [--rounds 200] [--starts 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tensorx_tui.chat import ChatEngine, TurnSettings
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.chat.tool_loop import (
    ApprovalRequest,
    Decision,
    ToolLoop,
    ToolRunFinished,
)
from tensorx_tui.core.accumulator import Accumulator
from tensorx_tui.core.events import Finished, StreamEvent
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.request import ChatRequest


class _Stream:
    def __init__(self, chunks: list[dict[str, Any]], model: _Model) -> None:
        self.acc = Accumulator()
        self.chunks = chunks
        self.model = model

    @property
    def reply(self) -> Reply:
        return self.acc.reply

    async def __aenter__(self) -> _Stream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.acc.finish(ReplyState.CANCELLED)

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        for chunk in self.chunks:
            for event in self.acc.feed(chunk):
                if isinstance(event, Finished):
                    self.model.finished_at = time.perf_counter()
                yield event
        self.acc.finish()


class _Model:
    """Calls `demo__calculate` on every request, `rounds` times, then answers."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.requests = 0
        self.finished_at = 0.0
        self.gaps: list[float] = []  # finish_reason -> next request, seconds

    def stream(self, request: ChatRequest) -> _Stream:
        if self.requests:
            self.gaps.append(time.perf_counter() - self.finished_at)
        self.requests += 1
        if self.requests > self.rounds:
            done = {"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}
            return _Stream([done], self)
        call = {
            "index": 0,
            "id": f"call_{self.requests}",
            "type": "function",
            "function": {"name": "demo__calculate", "arguments": json.dumps({"expression": "2+2"})},
        }
        return _Stream(
            [
                {"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
            ],
            self,
        )


async def _allow(request: ApprovalRequest) -> Decision:
    return Decision(True)


async def tool_round_trips(rounds: int) -> None:
    from tensorx_tui.demo.mcp_server import demo_server_config
    from tensorx_tui.tools import ApprovalPolicy, ToolServers

    config = demo_server_config()
    async with ToolServers([config]) as servers:
        await servers.wait_ready()
        model = _Model(rounds)
        engine = ChatEngine(
            model,
            ConversationLog(None, on_error=lambda message: None),
            TurnSettings("demo"),
            profile=None,
            base_url="bench",
        )
        engine.add_user("calculate, again and again")
        loop = ToolLoop(engine, servers, ApprovalPolicy([config]), _allow, step_limit=rounds + 1)
        tool_s: list[float] = []
        async for event in loop.run():
            if isinstance(event, ToolRunFinished):
                tool_s.append(event.result.duration_s)
    overhead_ms = [(gap - tool) * 1000 for gap, tool in zip(model.gaps, tool_s, strict=False)]
    total_ms = [gap * 1000 for gap in model.gaps]
    print(f"tool round trips through the demo MCP server: {len(overhead_ms)}")
    print(f"  finish_reason -> next request       median {statistics.median(total_ms):7.2f} ms")
    print(
        f"  of which the tool call (layer's own) median {statistics.median(tool_s) * 1000:7.2f} ms"
    )
    print(
        f"  the loop's own overhead               median {statistics.median(overhead_ms):7.2f} ms"
        f"  p90 {statistics.quantiles(overhead_ms, n=10)[-1]:.2f} ms  (target <= 20 ms)"
    )


def first_frame_s(config: Path, data_dir: Path) -> float:
    """Seconds from spawning `tensorx-chat` on a pty (100x30) until its status line is drawn."""
    import os
    import pty
    import select
    import signal
    import struct
    import subprocess
    import termios
    from fcntl import ioctl

    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "TENSORX_CONFIG": str(config)}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorx_tui", "--data-dir", str(data_dir)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    seen = b""
    try:
        while b"idle" not in seen:
            ready, _, _ = select.select([leader], [], [], 30)
            if not ready:
                raise RuntimeError("no first frame within 30 s")
            seen = seen[-200:] + os.read(leader, 65536)
        return time.perf_counter() - started
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            while os.read(leader, 65536):
                pass
        except OSError:
            pass
        proc.wait(timeout=30)
        os.close(leader)


def start_up(starts: int) -> None:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    base = 'base_url = "http://127.0.0.1:9/v1"\n'
    server = (
        '[mcp.servers.{name}]\ncommand = "{python}"\nargs = ["-m", "tensorx_tui.demo.mcp_server"]\n'
    )
    none = folder / "none.toml"
    none.write_text(base)
    two = folder / "two.toml"
    two.write_text(base + "".join(server.format(name=n, python=sys.executable) for n in ("a", "b")))
    first_frame_s(none, folder / "data")  # warm the OS caches for both sides
    none_s, two_s = [], []
    for _ in range(starts):
        none_s.append(first_frame_s(none, folder / "data"))
        two_s.append(first_frame_s(two, folder / "data"))
    a, b = statistics.median(none_s), statistics.median(two_s)
    print(f"tensorx-chat on a pty, spawn to first frame ({starts} alternating runs each)")
    print(f"  no MCP servers       median {a * 1000:7.1f} ms")
    print(f"  two MCP servers      median {b * 1000:7.1f} ms")
    print(f"  ratio two/none       {b / a:.2f}x  (target <= 1.1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--starts", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(tool_round_trips(args.rounds))
    start_up(args.starts)


if __name__ == "__main__":
    main()
