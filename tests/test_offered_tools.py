"""What the model is offered with each request: --tools FILE definitions and ready MCP tools,
less what the user switched off for the conversation (headless)."""

from __future__ import annotations

from typing import Any

from tensorx_tui.chat.offered_tools import OfferedTools, function_name


def definition(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {}}}


class FakeServers:
    """ToolServers.openai_tools: names and server names in `disabled` are left out."""

    def __init__(self) -> None:
        self.asked: list[frozenset[str]] = []

    def openai_tools(self, disabled: Any = ()) -> list[dict[str, Any]]:
        self.asked.append(frozenset(disabled))
        tools = [("demo", "demo__clock"), ("demo", "demo__weather"), ("t", "t__echo")]
        return [definition(n) for s, n in tools if s not in disabled and n not in disabled]


def names(tools: list[dict[str, Any]]) -> list[str]:
    return [function_name(t) for t in tools]


def test_file_tools_and_server_tools_are_offered_less_what_is_off() -> None:
    servers = FakeServers()
    offered = OfferedTools([definition("get_weather"), {"type": "function"}], servers)  # type: ignore[arg-type]
    assert names(offered()) == ["get_weather", "", "demo__clock", "demo__weather", "t__echo"]
    assert offered.toggle("file", "get_weather") is False
    assert offered.toggle("tool", "demo__clock") is False
    offered.set_on("server", "t", False)
    assert names(offered()) == ["", "demo__weather"]
    assert servers.asked[-1] == {"t", "demo__clock"}
    assert not offered.is_on("server", "t") and offered.is_on("server", "demo")
    offered.reset()  # a new conversation
    assert len(offered()) == 5


def test_without_servers_only_the_file_tools() -> None:
    offered = OfferedTools(None, None)
    assert offered() == []
    offered = OfferedTools([definition("a")], None)
    offered.toggle("file", "a")
    assert offered() == []
