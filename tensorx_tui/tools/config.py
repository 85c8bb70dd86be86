"""The `[mcp]` part of the config file: which MCP servers to run, parsed without the MCP SDK.

    [mcp]
    step_limit = 25              # tool round trips in one reply before the engine stops
    start_timeout = 20           # seconds a server may take to start and answer `initialize`

    [mcp.servers.files]
    command = "npx"
    args = ["-y", "@modelcontextprotocol/server-filesystem", "~/notes"]
    env = { DEBUG = "0" }
    allow = ["read_file"]        # tools that run without asking
    timeout = 60                 # seconds per call

    [mcp.servers.search]
    url = "https://example.com/mcp"
    headers = { Authorization = "Bearer ${SEARCH_TOKEN}" }

A bad entry is skipped with a warning naming the file and the key: one typo must not stop the app
or the other servers. `$NAME` and `${NAME}` in `headers`, `env` and `url` are read from the
environment, so tokens need not sit in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tensorx_tui.core.secret import redact_url

DEFAULT_CALL_TIMEOUT = 60.0
DEFAULT_START_TIMEOUT = 20.0
DEFAULT_STEP_LIMIT = 25

_SERVER_KEYS = frozenset(
    ("command", "args", "env", "cwd", "url", "headers", "allow", "timeout", "enabled")
)
_STDIO_ONLY = ("args", "env", "cwd")
_HTTP_ONLY = ("headers",)
_MCP_KEYS = frozenset(("servers", "step_limit", "start_timeout"))
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class ServerConfig:
    """One MCP server the user configured: a command run over stdio, or a streamable-HTTP URL."""

    name: str
    """The key of its `[mcp.servers.NAME]` table."""
    transport: Literal["stdio", "http"]
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Added to the small default environment the SDK passes (HOME, PATH, ...), not to ours:
    a server never sees our API key unless the user hands it over here."""
    cwd: str | None = None
    url: str = field(default="", repr=False)
    """May carry a key in its query; `describe()` shows it without."""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Sent with every HTTP request; may hold a token, hence kept out of repr."""
    allow: frozenset[str] = frozenset()
    """Tool names (as the server names them) that run without asking."""
    timeout: float = DEFAULT_CALL_TIMEOUT
    """Seconds one tool call may take."""
    enabled: bool = True

    def describe(self) -> str:
        """Where it runs, for a status line: the command line, or the URL without what could be
        a credential (core.secret.redact_url: `user:password@`, `?token=`...)."""
        if self.transport == "http":
            return redact_url(self.url)
        return " ".join((self.command, *self.args))


@dataclass
class McpConfig:
    servers: list[ServerConfig] = field(default_factory=list)
    """The enabled, valid servers, in file order."""
    step_limit: int = DEFAULT_STEP_LIMIT
    start_timeout: float = DEFAULT_START_TIMEOUT
    warnings: list[str] = field(default_factory=list)


class _Skip(Exception):
    """A server entry that cannot be used; the message says why."""


def parse_mcp_config(value: Any, source: str, env: Mapping[str, str]) -> McpConfig:
    """Parse the `mcp` table of a loaded config file (None when the file has none)."""
    config = McpConfig()
    if value is None:
        return config
    if not isinstance(value, dict):
        config.warnings.append(f"{source}: `mcp` must be a table like [mcp]; ignored")
        return config
    for key in value:
        if key not in _MCP_KEYS:
            config.warnings.append(f"{source}: unknown key `mcp.{key}` ignored")
    limit = value.get("step_limit", DEFAULT_STEP_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        config.warnings.append(f"{source}: `mcp.step_limit` must be a positive whole number")
    else:
        config.step_limit = limit
    start = value.get("start_timeout", DEFAULT_START_TIMEOUT)
    if not _positive_number(start):
        config.warnings.append(f"{source}: `mcp.start_timeout` must be a number of seconds above 0")
    else:
        config.start_timeout = float(start)
    servers = value.get("servers", {})
    if not isinstance(servers, dict):
        config.warnings.append(f"{source}: `mcp.servers` must hold tables like [mcp.servers.NAME]")
        return config
    for name, table in servers.items():
        where = f"{source}: [mcp.servers.{name}]"
        try:
            server = _parse_server(name, table, where, env, config.warnings)
        except _Skip as exc:
            config.warnings.append(f"{where} skipped: {exc}")
            continue
        if server.enabled:
            config.servers.append(server)
    return config


def _parse_server(
    name: str, table: Any, where: str, env: Mapping[str, str], warnings: list[str]
) -> ServerConfig:
    if not name.strip():
        raise _Skip("a server needs a name")
    if not isinstance(table, dict):
        raise _Skip("it must be a table with `command` or `url`")
    for key in table:
        if key not in _SERVER_KEYS:
            warnings.append(f"{where}: unknown key `{key}` ignored")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _Skip("`enabled` must be true or false")
    timeout = table.get("timeout", DEFAULT_CALL_TIMEOUT)
    if not _positive_number(timeout):
        raise _Skip("`timeout` must be a number of seconds above 0")
    allow = table.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        raise _Skip('`allow` must be a list of tool names, like ["read_file"]')
    common: dict[str, Any] = {
        "name": name,
        "allow": frozenset(allow),
        "timeout": float(timeout),
        "enabled": enabled,
    }
    has_command, has_url = "command" in table, "url" in table
    if has_command and has_url:
        raise _Skip("give either `command` (a local server) or `url` (a remote one), not both")
    if has_command:
        for key in _HTTP_ONLY:
            if key in table:
                warnings.append(f"{where}: `{key}` is for `url` servers; ignored")
        return _stdio_server(table, common, env)
    if has_url:
        for key in _STDIO_ONLY:
            if key in table:
                warnings.append(f"{where}: `{key}` is for `command` servers; ignored")
        return _http_server(table, common, env)
    raise _Skip("it needs `command` (a program to run) or `url` (a streamable-HTTP endpoint)")


def _stdio_server(
    table: dict[str, Any], common: dict[str, Any], env: Mapping[str, str]
) -> ServerConfig:
    command = table["command"]
    if not isinstance(command, str) or not command.strip():
        raise _Skip("`command` must be a program name or path")
    args = table.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise _Skip("`args` must be a list of strings")
    cwd = table.get("cwd")
    if cwd is not None and (not isinstance(cwd, str) or not cwd):
        raise _Skip("`cwd` must be a directory path")
    return ServerConfig(
        transport="stdio",
        command=_expand_home(command),
        args=tuple(_expand_home(a) for a in args),
        env=_string_table(table.get("env", {}), "env", env),
        cwd=_expand_home(cwd) if cwd else None,
        **common,
    )


def _http_server(
    table: dict[str, Any], common: dict[str, Any], env: Mapping[str, str]
) -> ServerConfig:
    url = table["url"]
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise _Skip("`url` must start with http:// or https://")
    return ServerConfig(
        transport="http",
        url=_substitute(url, "url", env),  # some servers take their key in the query
        headers=_string_table(table.get("headers", {}), "headers", env),
        **common,
    )


def _string_table(value: Any, key: str, env: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _Skip(f'`{key}` must be a table of strings, like {{ NAME = "value" }}')
    return {k: _substitute(v, f"{key}.{k}", env) for k, v in value.items()}


def _substitute(value: str, key: str, env: Mapping[str, str]) -> str:
    """`$NAME` / `${NAME}` from the environment; a missing variable skips the server, because
    sending a request without its token would only fail later with a vaguer message."""

    def lookup(match: re.Match[str]) -> str:
        variable = match.group(1) or match.group(2)
        if variable not in env:
            raise _Skip(f"`{key}` names ${variable}, which is not set in the environment")
        return env[variable]

    return _VARIABLE.sub(lookup, value)


def _expand_home(path: str) -> str:
    if not path.startswith("~"):
        return path
    try:
        return str(Path(path).expanduser())
    except RuntimeError:  # no home directory to expand to: keep the text, the spawn will say
        return path


def _positive_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0
