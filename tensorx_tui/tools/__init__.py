"""MCP tools, headless: the user's MCP servers, their tools offered to the model, calls run.

No textual, no rich. The MCP SDK is imported only once a server starts (in a worker thread, by
`ToolServers.start()`), so importing this package, or running with no servers, costs nothing.
Attributes load lazily: `import tensorx_tui.tools.config` (done by settings.py) loads only that.

Public API
----------
- `ServerConfig`, `McpConfig`, `parse_mcp_config(table, source, env)`: the `[mcp]` config, already
  parsed into `Settings.mcp_servers`, `Settings.tool_step_limit` and `Settings.mcp_start_timeout`
  (bad entries are skipped and become `Settings.warnings`). For `--demo`:
  `tensorx_tui.demo.mcp_server.demo_server_config()`.
- `ToolServers(configs, *, start_timeout=20.0, stop_grace=2.0, on_change=None)`, created and
  used on the running event loop:
    `start()`                 launches every server in the background; returns at once
    `await wait_ready()`      until no server is STARTING (each is bounded by start_timeout)
    `statuses()`, `status(name) -> ServerStatus`, `tools() -> list[ToolInfo]` (READY servers)
    `openai_tools(disabled=()) -> list[dict]`   `disabled`: namespaced tool names or server names
    `resolve(namespaced) -> (server, tool) | None`, `config(server) -> ServerConfig`
    `await call(namespaced, arguments) -> ToolOutcome`   never raises for a server's failings;
                              cancelling the awaiting task cancels the request on the server
    `restart(name)`           a FAILED or STOPPED server
    `await aclose()`          stops every server; a stdio server with its whole process group
    `on_change(status)`       attribute, called on every state or tool-list change
  `async with ToolServers(...) as servers:` starts on enter and closes on exit.
- `ServerState`: STARTING, READY, FAILED, STOPPED. `ServerStatus`: name, state, where, reason,
  stderr_tail, tools. `ToolInfo`: server, name, namespaced, description, input_schema.
- `ToolOutcome`: content (text for the model), is_error, duration_s, server, tool;
  `meta(approval)` is the dict `ChatEngine.add_tool_result(call, content, meta)` saves.
- `ToolNames`: `<server>__<tool>` names valid for OpenAI, and the map back.
- `ApprovalPolicy(configs)`: `needs_approval(server, tool)`, `allow_for_session(server, tool)`,
  `allow_always(server, tool, config_path)` (raises `ConfigEditError`, a message for the user);
  `persist_always_allow(config_path, server, tool)` is the file edit alone.

Usage (the engine's tool loop, with chat.ChatEngine and core.reply.ToolCall)
------------------------------------------------------------------------------
    servers = ToolServers(settings.mcp_servers, start_timeout=settings.mcp_start_timeout,
                          on_change=refresh_tools_panel)      # or None (ask)
    servers.start()
    policy = ApprovalPolicy(settings.mcp_servers)
    await servers.wait_ready()                                # ask; the UI shows STARTING
    for step in range(settings.tool_step_limit):
        tools = servers.openai_tools(disabled=user_disabled)  # omit `tools` when empty
        <run engine.turn() with those tools>
        if not engine.pending_tool_calls:
            break
        for call in engine.pending_tool_calls:                # or at once: asyncio.gather
            server, tool = servers.resolve(call.name) or ("", call.name)
            arguments, parse_error = call.parsed_arguments()
            if parse_error:
                engine.add_tool_result(call, f"the arguments are not valid JSON: {parse_error}")
            elif policy.needs_approval(server, tool) and not await ask_user(server, tool, call):
                engine.add_tool_result(call, "the user declined this tool call")
            else:
                outcome = await servers.call(call.name, arguments)  # a non-dict gives an error
                engine.add_tool_result(call, outcome.content, outcome.meta("asked"))
    await servers.aclose()                                    # at exit

Untrusted text: `ServerStatus.reason`, `.stderr_tail` and `.where` are already terminal-safe;
tool names, descriptions, schemas and `ToolOutcome.content` are the servers' own words, sent to
the model as they are: sanitise them (core/sanitize.py) before a terminal sees them, and never
parse them as markup.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tensorx_tui.tools.approval import ApprovalPolicy, ConfigEditError, persist_always_allow
    from tensorx_tui.tools.config import McpConfig, ServerConfig, parse_mcp_config
    from tensorx_tui.tools.manager import ServerState, ServerStatus, ToolInfo, ToolServers
    from tensorx_tui.tools.naming import ToolNames
    from tensorx_tui.tools.results import ToolOutcome

_HOMES = {
    "ApprovalPolicy": "approval",
    "ConfigEditError": "approval",
    "persist_always_allow": "approval",
    "McpConfig": "config",
    "ServerConfig": "config",
    "parse_mcp_config": "config",
    "ServerState": "manager",
    "ServerStatus": "manager",
    "ToolInfo": "manager",
    "ToolServers": "manager",
    "ToolNames": "naming",
    "ToolOutcome": "results",
}

__all__ = [
    "ApprovalPolicy",
    "ConfigEditError",
    "McpConfig",
    "ServerConfig",
    "ServerState",
    "ServerStatus",
    "ToolInfo",
    "ToolNames",
    "ToolOutcome",
    "ToolServers",
    "parse_mcp_config",
    "persist_always_allow",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
