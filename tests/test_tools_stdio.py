"""ToolServers against real MCP servers over stdio (the SDK's MCPServer, run as a child)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from mcp_servers import (
    process_is_running,
    stdio_config,
    wait_for_path,
    write_server,
)

from tensorx_tui.tools import ServerState, ServerStatus, ToolServers


@pytest.fixture
def script(tmp_path: Path) -> Path:
    return write_server(tmp_path)


async def test_lists_tools_and_calls_them(script: Path) -> None:
    changes: list[ServerStatus] = []
    async with ToolServers([stdio_config(script)], on_change=changes.append) as servers:
        assert servers.status("t").state is ServerState.STARTING
        await servers.wait_ready()
        status = servers.status("t")
        assert status.state is ServerState.READY, status.reason
        assert [c.state for c in changes] == [ServerState.STARTING, ServerState.READY]
        echo = next(t for t in status.tools if t.name == "echo")
        assert echo.namespaced == "t__echo" and echo.description == "Echo the text back."
        assert echo.input_schema["properties"]["text"]["type"] == "string"

        definitions = servers.openai_tools()
        assert {
            "type": "function",
            "function": {
                "name": "t__echo",
                "description": "Echo the text back.",
                "parameters": echo.input_schema,
            },
        } in definitions
        assert all(d["function"]["name"].startswith("t__") for d in definitions)
        assert "t__die" not in [
            d["function"]["name"] for d in servers.openai_tools(disabled={"t__die"})
        ]
        assert servers.openai_tools(disabled={"t"}) == []

        outcome = await servers.call("t__echo", {"text": "hello ✓"})
        assert (outcome.content, outcome.is_error) == ("hello ✓", False)
        assert (outcome.server, outcome.tool) == ("t", "echo") and outcome.duration_s >= 0

        refused = await servers.call("t__refuse", {"reason": "not today"})
        assert refused.is_error and "not today" in refused.content

        picture = await servers.call("t__picture", {})
        assert (picture.content, picture.is_error) == ("[image: image/png, 12 KB]", False)

        mixed = await servers.call("t__mixed", {})
        assert mixed.content == (
            "two parts:\n[resource: file:///tmp/report.csv]\n[resource: note://1]\nthe note"
        )

        invalid = await servers.call("t__echo", {"text": 3})
        assert invalid.is_error and "text" in invalid.content
    assert changes[-1].state is ServerState.STOPPED


async def test_unknown_tools_and_bad_arguments_are_error_outcomes(script: Path) -> None:
    async with ToolServers([stdio_config(script)]) as servers:
        early = await servers.call("t__echo", {"text": "x"})  # before READY: not known yet
        assert early.is_error and "no tool named" in early.content
        await servers.wait_ready()
        unknown = await servers.call("t__nope", {})
        assert unknown.is_error and "no tool named 't__nope'" in unknown.content
        not_object = await servers.call("t__echo", ["x"])
        assert not_object.is_error and "JSON object" in not_object.content


async def test_start_returns_before_any_server_is_ready(script: Path) -> None:
    servers = ToolServers([stdio_config(script, "a"), stdio_config(script, "b")])
    servers.start()
    # Nothing was awaited: no server can have answered yet.
    assert [s.state for s in servers.statuses()] == [ServerState.STARTING] * 2
    assert servers.openai_tools() == []
    await servers.wait_ready()
    assert [s.state for s in servers.statuses()] == [ServerState.READY] * 2
    await servers.aclose()
    assert [s.state for s in servers.statuses()] == [ServerState.STOPPED] * 2


async def test_a_server_that_cannot_start_fails_and_the_others_run(
    script: Path, tmp_path: Path
) -> None:
    missing = stdio_config(script, "missing")
    missing = type(missing)(name="missing", transport="stdio", command=str(tmp_path / "nope"))
    configs = [missing, stdio_config(script, "crash", mode="crash"), stdio_config(script)]
    async with ToolServers(configs) as servers:
        await servers.wait_ready()
        gone = servers.status("missing")
        assert gone.state is ServerState.FAILED
        assert gone.reason is not None and "cannot start" in gone.reason
        assert "No such file" in gone.reason
        crashed = servers.status("crash")
        assert crashed.state is ServerState.FAILED
        assert crashed.reason == "it stopped before it was ready (exit code 3)"
        assert crashed.stderr_tail.endswith("fatal: the token is missing")
        assert servers.status("t").state is ServerState.READY
        assert [t.server for t in servers.tools()] == ["t"] * len(servers.tools())
        outcome = await servers.call("crash__echo", {"text": "x"})
        assert outcome.is_error


async def test_a_server_that_hangs_in_initialize_fails_after_the_start_timeout(
    script: Path,
) -> None:
    configs = [stdio_config(script, "hang", mode="hang")]
    async with ToolServers(configs, start_timeout=0.5, stop_grace=0.2) as servers:
        await servers.wait_ready()
        status = servers.status("hang")
        assert status.state is ServerState.FAILED
        assert status.reason == "it did not finish starting within 0.5 s"


async def test_garbage_on_stdout_fails_the_server_with_what_it_printed(script: Path) -> None:
    async with ToolServers([stdio_config(script, "g", mode="garbage")]) as servers:
        await servers.wait_ready()
        status = servers.status("g")
        assert status.state is ServerState.FAILED
        assert status.reason is not None and "Welcome to the server!" in status.reason


async def test_garbage_after_start_fails_the_server_too(script: Path) -> None:
    async with ToolServers([stdio_config(script)]) as servers:
        await servers.wait_ready()
        outcome = await servers.call("t__scribble", {})
        assert outcome.is_error and "oops, a debug print" in outcome.content
        assert servers.status("t").state is ServerState.FAILED
        assert servers.openai_tools() == []


async def test_a_slow_tool_times_out_and_the_server_stays_usable(script: Path) -> None:
    async with ToolServers([stdio_config(script, timeout=0.3)]) as servers:
        await servers.wait_ready()
        outcome = await servers.call("t__slow", {"seconds": 60})
        assert (outcome.content, outcome.is_error) == ("timed out after 0.3 s", True)
        assert servers.status("t").state is ServerState.READY
        after = await servers.call("t__echo", {"text": "still here"})
        assert after.content == "still here"


async def test_a_server_that_dies_mid_call_gives_an_error_and_fails(script: Path) -> None:
    async with ToolServers([stdio_config(script)]) as servers:
        await servers.wait_ready()
        outcome = await servers.call("t__die", {})
        assert outcome.is_error
        assert outcome.content.startswith("the server stopped: it stopped (exit code 7)")
        assert "about to die" in outcome.content
        status = servers.status("t")
        assert status.state is ServerState.FAILED and status.reason == "it stopped (exit code 7)"
        later = await servers.call("t__echo", {"text": "x"})
        assert later.is_error
        assert later.content == "the server 't' has failed: it stopped (exit code 7)"

        servers.restart("t")
        await servers.wait_ready()
        assert servers.status("t").state is ServerState.READY
        assert (await servers.call("t__echo", {"text": "back"})).content == "back"


async def test_cancelling_the_caller_cancels_the_request_on_the_server(
    script: Path, tmp_path: Path
) -> None:
    async with ToolServers([stdio_config(script)]) as servers:
        await servers.wait_ready()
        call = asyncio.create_task(servers.call("t__wait_for_cancel", {"folder": str(tmp_path)}))
        await wait_for_path(tmp_path / "started")
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await wait_for_path(tmp_path / "cancelled")  # the SDK told the server
        assert servers.status("t").state is ServerState.READY
        assert (await servers.call("t__echo", {"text": "next"})).content == "next"


async def test_calls_to_one_server_run_concurrently(script: Path) -> None:
    # Each rendezvous call returns only when the other one is running at the same time: run one
    # after the other, the first would wait for its timeout.
    async with ToolServers([stdio_config(script, timeout=20)]) as servers:
        await servers.wait_ready()
        first, second = await asyncio.gather(
            servers.call("t__rendezvous", {}), servers.call("t__rendezvous", {})
        )
        assert (first.content, second.content) == ("met", "met")
        assert not first.is_error and not second.is_error


async def test_aclose_leaves_no_process_behind(script: Path) -> None:
    servers = ToolServers([stdio_config(script)])
    servers.start()
    await servers.wait_ready()
    outcome = await servers.call("t__spawn", {})
    child = int(outcome.content)
    assert process_is_running(child)
    await servers.aclose()
    assert servers.status("t").state is ServerState.STOPPED
    assert not process_is_running(child)


async def test_aclose_while_a_server_is_starting(script: Path) -> None:
    servers = ToolServers([stdio_config(script, "hang", mode="hang")], stop_grace=0.2)
    servers.start()
    await servers.aclose()
    assert servers.status("hang").state is ServerState.STOPPED
    await servers.wait_ready()  # returns: nothing is STARTING any more


async def test_a_broken_change_listener_does_not_break_the_server(script: Path) -> None:
    def listener(status: ServerStatus) -> None:
        raise RuntimeError("listener bug")

    async with ToolServers([stdio_config(script)], on_change=listener) as servers:
        await servers.wait_ready()
        assert (await servers.call("t__echo", {"text": "ok"})).content == "ok"


def test_importing_the_tools_package_does_not_import_the_sdk() -> None:
    probe = (
        "import sys, tensorx_tui.tools, tensorx_tui.settings\n"
        "from tensorx_tui.tools import ToolServers, ApprovalPolicy, ToolOutcome\n"
        "ToolServers([])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('mcp', 'mcp_types', 'textual', 'rich', 'anyio'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


async def test_without_the_sdk_servers_fail_with_a_hint(
    script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def missing() -> None:
        raise ImportError("No module named 'mcp'")

    monkeypatch.setattr("tensorx_tui.tools.manager._load_runner", missing)
    async with ToolServers([stdio_config(script)]) as servers:
        await servers.wait_ready()
        status = servers.status("t")
        assert status.state is ServerState.FAILED
        assert status.reason == (
            "the MCP SDK cannot be loaded (No module named 'mcp'): pip install 'mcp>=2.3,<3'"
        )
