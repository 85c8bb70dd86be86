"""What the model is offered with each request: the `--tools FILE` definitions (answered by hand)
and the tools of the MCP servers that are ready, less what the user switched off for this
conversation. Headless; the chat UI hands it to the engine as its tool source
(`ChatEngine(tool_source=offered)`), asked at every request because servers become ready, fail or
restart while a conversation goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tensorx_tui.tools import ToolServers

ToolKind = Literal["server", "tool", "file"]
"""A whole MCP server, one of its tools (by namespaced name), or a `--tools FILE` tool."""


def function_name(definition: dict[str, Any]) -> str:
    """The name of an OpenAI tool definition ("" when it has none)."""
    function = definition.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else ""


class OfferedTools:
    def __init__(self, file_tools: list[dict[str, Any]] | None, servers: ToolServers | None):
        self.file_tools = list(file_tools or [])
        self.servers = servers
        self.servers_off: set[str] = set()
        self.tools_off: set[str] = set()
        """Namespaced MCP tool names (`<server>__<tool>`)."""
        self.file_tools_off: set[str] = set()
        """Function names of `--tools FILE` definitions."""

    def __call__(self) -> list[dict[str, Any]]:
        """The definitions for the next request."""
        offered = [t for t in self.file_tools if function_name(t) not in self.file_tools_off]
        if self.servers is not None:
            offered += self.servers.openai_tools(disabled=self.servers_off | self.tools_off)
        return offered

    def allows_call(self, server: str, name: str) -> bool:
        """Whether a call the model made to MCP tool `name` (namespaced) of `server` may run: a
        model can call a tool it was not offered (from an earlier request, or made up)."""
        return server not in self.servers_off and name not in self.tools_off

    def is_on(self, kind: ToolKind, name: str) -> bool:
        return name not in self._set(kind)

    def set_on(self, kind: ToolKind, name: str, on: bool) -> None:
        switched_off = self._set(kind)
        if on:
            switched_off.discard(name)
        else:
            switched_off.add(name)

    def toggle(self, kind: ToolKind, name: str) -> bool:
        """Switch it the other way; returns whether it is on now."""
        on = not self.is_on(kind, name)
        self.set_on(kind, name, on)
        return on

    def reset(self) -> None:
        """Everything on again (a new conversation, or another one opened)."""
        self.servers_off.clear()
        self.tools_off.clear()
        self.file_tools_off.clear()

    def _set(self, kind: ToolKind) -> set[str]:
        if kind == "server":
            return self.servers_off
        if kind == "tool":
            return self.tools_off
        return self.file_tools_off
