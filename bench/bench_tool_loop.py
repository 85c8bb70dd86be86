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
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the scripted model the tool-loop tests use

from scripted_model import ToolCallingModel  # noqa: E402

from tensorx_tui.chat import ChatEngine, TurnSettings  # noqa: E402
from tensorx_tui.chat.saving import ConversationLog  # noqa: E402
from tensorx_tui.chat.tool_loop import (  # noqa: E402
    ApprovalRequest,
    Decision,
    ToolLoop,
    ToolRunFinished,
)


async def _allow(request: ApprovalRequest) -> Decision:
    return Decision(True)


async def tool_round_trips(rounds: int) -> None:
    from tensorx_tui.demo.mcp_server import demo_server_config
    from tensorx_tui.tools import ApprovalPolicy, ToolServers

    config = demo_server_config()
    async with ToolServers([config]) as servers:
        await servers.wait_ready()
        model = ToolCallingModel("demo__calculate", {"expression": "2+2"}, stop_after=rounds)
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
    # From each reply's finish_reason to the request after it.
    gaps = [sent - done for done, sent in zip(model.finished_at, model.sent_at[1:], strict=False)]
    overhead_ms = [(gap - tool) * 1000 for gap, tool in zip(gaps, tool_s, strict=False)]
    total_ms = [gap * 1000 for gap in gaps]
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
