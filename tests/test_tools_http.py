"""ToolServers against a real MCP server over streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_servers import http_server, wait_for_path, write_server

from tensorx_tui.tools import ServerConfig, ServerState, ToolServers, parse_mcp_config


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    script = write_server(tmp_path_factory.mktemp("http"))
    with http_server(script) as address:
        yield address


def configured(url: str, token: str | None, timeout: float = 30) -> list[ServerConfig]:
    """Servers the way the config file gives them: the token comes from the environment."""
    server: dict[str, Any] = {"url": url, "timeout": timeout}
    env = {}
    if token is not None:
        server["headers"] = {"Authorization": "Bearer ${REMOTE_TOKEN}"}
        env["REMOTE_TOKEN"] = token
    table = {"servers": {"remote": server}}
    config = parse_mcp_config(table, "config.toml", env)
    assert config.warnings == []
    return config.servers


async def test_lists_and_calls_tools_with_headers_from_the_environment(url: str) -> None:
    async with ToolServers(configured(url, "s3cret")) as servers:
        await servers.wait_ready()
        status = servers.status("remote")
        assert status.state is ServerState.READY, status.reason
        assert status.where == url
        assert "remote__echo" in [d["function"]["name"] for d in servers.openai_tools()]
        outcome = await servers.call("remote__echo", {"text": "over http"})
        assert (outcome.content, outcome.is_error) == ("over http", False)
        refused = await servers.call("remote__refuse", {"reason": "no"})
        assert refused.is_error and "no" in refused.content
        picture = await servers.call("remote__picture", {})
        assert picture.content == "[image: image/png, 12 KB]"
        first, second = await asyncio.gather(
            servers.call("remote__rendezvous", {}), servers.call("remote__rendezvous", {})
        )
        assert (first.content, second.content) == ("met", "met")


async def test_a_slow_call_times_out(url: str) -> None:
    async with ToolServers(configured(url, "s3cret", timeout=0.3)) as servers:
        await servers.wait_ready()
        outcome = await servers.call("remote__slow", {"seconds": 60})
        assert (outcome.content, outcome.is_error) == ("timed out after 0.3 s", True)
        assert (await servers.call("remote__echo", {"text": "next"})).content == "next"


async def test_cancelling_the_caller_cancels_the_request_on_the_server(
    url: str, tmp_path: Path
) -> None:
    async with ToolServers(configured(url, "s3cret")) as servers:
        await servers.wait_ready()
        call = asyncio.create_task(
            servers.call("remote__wait_for_cancel", {"folder": str(tmp_path)})
        )
        await wait_for_path(tmp_path / "started")
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await wait_for_path(tmp_path / "cancelled")
        assert servers.status("remote").state is ServerState.READY


async def test_a_rejected_token_fails_the_server(url: str) -> None:
    async with ToolServers(configured(url, "wrong")) as servers:
        await servers.wait_ready()
        status = servers.status("remote")
        assert status.state is ServerState.FAILED
        assert status.reason is not None and "401" in status.reason


async def test_nothing_listening_fails_the_server() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, and is closed now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with ToolServers(configured(f"http://127.0.0.1:{port}/mcp", None)) as servers:
        await servers.wait_ready()
        status = servers.status("remote")
        assert status.state is ServerState.FAILED
        assert status.reason is not None and "connect" in status.reason.lower()


def test_a_missing_token_variable_skips_the_server_with_a_warning() -> None:
    table = {
        "servers": {
            "remote": {
                "url": "http://127.0.0.1:1/mcp",
                "headers": {"Authorization": "Bearer $REMOTE_TOKEN"},
            }
        }
    }
    config = parse_mcp_config(table, "config.toml", {})
    assert config.servers == []
    assert config.warnings == [
        "config.toml: [mcp.servers.remote] skipped: `headers.Authorization` names "
        "$REMOTE_TOKEN, which is not set in the environment"
    ]
