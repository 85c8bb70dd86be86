"""MCP tools benchmark: the overhead of `ToolServers` over the bare SDK, and what start() costs.

    python bench/bench_tools.py            # 1,000 calls per client
    python bench/bench_tools.py --quick    # 150 calls

Measured, against one local stdio server (the SDK's MCPServer) whose `ping` tool returns at once:
- call:  median milliseconds of `await ToolServers.call("b__ping", {})`, against a bare
         `ClientSession.call_tool("ping", {})` over the SDK's own `stdio_client`, one of each in
         turn (the machine is shared and noisy); the ratio is ours / bare. Wall-clock, and the CPU
         time of this process (the client side: SDK + our layer; the server's time excluded),
         which is the steadier measure of the layer's own cost.
- start: how long `ToolServers.start()` takes to return for 1 and 10 servers (it only creates
         tasks: the servers start in the background), and, for information, the time until
         the one server is READY (the SDK import, the server's own start-up and `initialize`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tensorx_tui.tools import ServerConfig, ServerState, ToolServers  # noqa: E402

SERVER = """
from mcp.server.mcpserver import MCPServer

server = MCPServer("bench", log_level="ERROR")


@server.tool()
def ping() -> str:
    return "pong"


server.run("stdio")
"""


def config(script: Path, name: str = "b") -> ServerConfig:
    return ServerConfig(name=name, transport="stdio", command=sys.executable, args=(str(script),))


async def timed(call: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """Wall-clock and this process's CPU milliseconds for one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    await call()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


async def bench_start(script: Path, quick: bool) -> None:
    ready_after: list[float] = []
    for count in (1, 10):
        returns: list[float] = []
        for _ in range(3 if quick else 5):
            servers = ToolServers([config(script, f"s{i}") for i in range(count)])
            started = time.perf_counter()
            servers.start()
            returns.append((time.perf_counter() - started) * 1000)
            if count == 1:
                await servers.wait_ready()
                ready_after.append(time.perf_counter() - started)
            await servers.aclose()
        print(
            f"start() returns, {count:>2} server(s):   median {statistics.median(returns):7.3f} ms"
        )
    print(
        f"time until READY, 1 server:   median {statistics.median(ready_after):7.2f} s "
        "(background; includes the server's own start-up)"
    )


async def bench_calls(script: Path, calls: int) -> None:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    ours_ms: list[tuple[float, float]] = []
    bare_ms: list[tuple[float, float]] = []
    async with ToolServers([config(script)]) as servers:
        await servers.wait_ready()
        assert servers.status("b").state is ServerState.READY, servers.status("b").reason
        params = StdioServerParameters(command=sys.executable, args=[str(script)])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()

            async def ours() -> None:
                outcome = await servers.call("b__ping", {})
                assert outcome.content == "pong", outcome

            async def bare() -> None:
                result = await session.call_tool("ping", {})
                assert not result.is_error

            for _ in range(20):  # warm-up
                await ours()
                await bare()
            # One of each in turn: load from other processes then hits both alike.
            for _ in range(calls):
                ours_ms.append(await timed(ours))
                bare_ms.append(await timed(bare))
    for label, index in (("wall-clock", 0), ("client CPU", 1)):
        ours_median = statistics.median(t[index] for t in ours_ms)
        bare_median = statistics.median(t[index] for t in bare_ms)
        pairs = zip(ours_ms, bare_ms, strict=True)
        difference = statistics.median(o[index] - b[index] for o, b in pairs)
        print(
            f"{label:>10}: ToolServers.call() {ours_median:6.3f} ms, bare session.call_tool() "
            f"{bare_median:6.3f} ms: {ours_median / bare_median:.2f}x "
            f"(median paired difference {difference:+.3f} ms)"
        )
    print(f"({len(ours_ms)} calls each, alternating)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench_server.py"
        script.write_text(SERVER)
        await bench_start(script, quick)
        await bench_calls(script, calls=150 if quick else 1000)


if __name__ == "__main__":
    asyncio.run(main())
