"""MCP tools, headless: the user's MCP servers, their tools offered to the model, calls run.

No textual, no rich; the MCP SDK is imported only once a server starts (`ToolServers.start()`),
so importing this package, or building settings with no servers, costs (almost) nothing.
Attributes load lazily: `import tensorx_tui.tools.config` does not load the manager.

Public API
----------
- `ServerConfig`, `McpConfig`, `parse_mcp_config(table, source, env)`: the `[mcp]` config
  (already parsed into `Settings.mcp_servers`, `Settings.tool_step_limit`,
  `Settings.mcp_start_timeout`; bad entries become `Settings.warnings`).
- `ToolServers(configs, *, start_timeout=20, stop_grace=2, on_change=None)`:
  `start()` (returns at once), `wait_ready(timeout=None)`, `statuses()`, `status(name)`,
  `tools()`, `openai_tools(disabled=())`, `resolve(namespaced)`, `config(server)`,
  `await call(namespaced, arguments) -> ToolOutcome`, `restart(name)`, `await aclose()`;
  also an async context manager (start on enter, aclose on exit).
- `ServerState` (STARTING / READY / FAILED / STOPPED), `ServerStatus` (name, state, where,
  reason, stderr_tail, tools), `ToolInfo` (server, name, namespaced, description, input_schema).
- `ToolOutcome` (content, is_error, duration_s, server, tool): never an exception.
- `ToolNames`: `<server>__<tool>` names valid for OpenAI, and the map back.
- `ApprovalPolicy(configs)`: `needs_approval(server, tool)`, `allow_for_session(...)`,
  `allow_always(server, tool, config_path)`; `persist_always_allow(path, server, tool)` and
  `ConfigEditError` (its message is for the user).

Usage (the engine's tool loop)
------------------------------
    servers = ToolServers(settings.mcp_servers, start_timeout=settings.mcp_start_timeout,
                          on_change=ui_refresh)           # ui_refresh(status) or None
    servers.start()                                       # in the running loop; returns at once
    policy = ApprovalPolicy(settings.mcp_servers)
    await servers.wait_ready()                            # `ask` only; the UI shows progress
    request["tools"] = servers.openai_tools(disabled=user_disabled) or omitted
    for step in range(settings.tool_step_limit):
        reply = <stream the request>
        if not reply.tool_calls: break
        messages.append(<the assistant message with its tool_calls>)
        for call in reply.tool_calls:                     # or concurrently, with asyncio.gather
            server, tool = servers.resolve(call.name) or ("", call.name)
            if policy.needs_approval(server, tool) and not await ask_user(server, tool, args):
                content = "the user declined this call"
            else:
                outcome = await servers.call(call.name, parsed_arguments)   # cancellable
                content = outcome.content  # outcome.is_error: show it as an error
            messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
    await servers.aclose()                                # at exit: ends every server process

`outcome.content`, `status.reason` comes sanitised; tool descriptions and `outcome.content`
are untrusted text: sanitise before they reach a terminal, never parse them as markup.
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
