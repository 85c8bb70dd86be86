"""`ToolServers`: every configured MCP server, started in the background, called by name.

The MCP SDK is imported only by `start()` (through `_runner`), so building a `ToolServers` with
no servers, or never starting it, costs nothing. All methods run on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import enum
import importlib
import logging
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tensorx_tui.core.sanitize import one_line, safe_terminal_text
from tensorx_tui.tools.config import DEFAULT_START_TIMEOUT, ServerConfig
from tensorx_tui.tools.naming import ToolNames
from tensorx_tui.tools.results import ToolOutcome

logger = logging.getLogger(__name__)

STDERR_TAIL_LINES = 12
DEFAULT_STOP_GRACE = 2.0
"""Seconds a stdio server gets to exit after its stdin closes, before it is signalled."""


class ServerState(enum.Enum):
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ToolInfo:
    server: str
    name: str
    """The tool's name on its server."""
    namespaced: str
    """The name the model sees and calls: `<server>__<tool>`, OpenAI-safe."""
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ServerStatus:
    """A snapshot of one server, for a status line or a tools panel."""

    name: str
    state: ServerState
    where: str
    """The command line or the URL."""
    reason: str | None
    """Why it failed (terminal-safe), or None."""
    stderr_tail: str
    """The last lines the process wrote on stderr (terminal-safe; empty for HTTP servers)."""
    tools: tuple[ToolInfo, ...]


@dataclass(eq=False)
class _Server:
    """One server's mutable state; the runner task in `_runner` drives it."""

    config: ServerConfig
    state: ServerState = ServerState.STOPPED
    reason: str | None = None
    stderr: bytearray = field(default_factory=bytearray)
    """The tail of a stdio server's stderr, kept by its transport."""
    tools: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    session: Any = None
    """The SDK's ClientSession while READY."""
    report: Any = None
    """What its transport saw (`_stdio.TransportReport`), set by the runner."""
    task: asyncio.Task[None] | None = None
    stop: Callable[[], None] | None = None
    """Cancels the runner's scope; set by the runner while it runs."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the server is no longer STARTING."""
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def stderr_tail(self) -> str:
        text = self.stderr.decode("utf-8", errors="replace")
        lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
        return safe_terminal_text("\n".join(lines[-STDERR_TAIL_LINES:]))


class ToolServers:
    """Owns the MCP servers of one app run. Create and use it inside the running event loop.

    `start()` returns at once; each server then goes STARTING -> READY (or FAILED) on its own,
    and `on_change(status)` is called on every change. Nothing here raises for a server's
    misbehaviour: it becomes FAILED, and a call to it becomes an error outcome.
    """

    def __init__(
        self,
        configs: Iterable[ServerConfig],
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        stop_grace: float = DEFAULT_STOP_GRACE,
        on_change: Callable[[ServerStatus], None] | None = None,
    ) -> None:
        self._servers: dict[str, _Server] = {}
        for config in configs:
            if config.enabled and config.name not in self._servers:
                self._servers[config.name] = _Server(config)
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.on_change = on_change
        self._names = ToolNames(())
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Launch every server in the background (needs a running loop); returns at once."""
        for server in self._servers.values():
            if server.task is None:
                self._launch(server)

    def restart(self, name: str) -> None:
        """Start a FAILED or STOPPED server again (a no-op while it runs)."""
        server = self._servers[name]
        if server.state in (ServerState.FAILED, ServerState.STOPPED):
            self._launch(server)  # its old runner, if still finishing, has let go of everything

    def _launch(self, server: _Server) -> None:
        if self._closed:
            return
        # Its last known tools stay listed by name (not offered) so that a call to one while it
        # restarts is told what is going on rather than "no such tool".
        server.state, server.reason, server.stderr = ServerState.STARTING, None, bytearray()
        server.settled.clear()
        server.ended.clear()
        server.wake.clear()
        server.task = asyncio.get_running_loop().create_task(
            self._run(server), name=f"mcp-server-{server.config.name}"
        )
        server.task.add_done_callback(lambda task: self._task_done(server, task))
        self._changed(server)

    async def _run(self, server: _Server) -> None:
        try:
            runner = await _load_runner()
        except ImportError as exc:
            server.state = ServerState.FAILED
            server.reason = one_line(
                f"the MCP SDK cannot be loaded ({exc}): pip install 'mcp>=2.3,<3'"
            )
            server.ended.set()
            self._changed(server)
            return
        await runner.run_server(server, self)

    def _task_done(self, server: _Server, task: asyncio.Task[None]) -> None:
        """The runner records its own end; this covers a runner cancelled before it ran, or
        an error it did not expect, so no server is left STARTING (and wait_ready() waiting)."""
        error = None if task.cancelled() else task.exception()
        if error is not None:
            logger.error("the MCP runner for %r failed", server.config.name, exc_info=error)
        if task is not server.task:
            return  # an earlier run of a server since restarted
        if server.state in (ServerState.STARTING, ServerState.READY):
            server.session = None
            if error is None:
                server.state, server.reason = ServerState.STOPPED, None
            else:
                server.state = ServerState.FAILED
                server.reason = one_line(f"internal error: {error!r}")
            server.ended.set()
            self._changed(server)

    async def wait_ready(self) -> None:
        """Wait until no server is STARTING (each one is bounded by the start timeout)."""
        waits = [
            s.settled.wait() for s in self._servers.values() if s.state is ServerState.STARTING
        ]
        if waits:
            await asyncio.gather(*waits)

    async def aclose(self) -> None:
        """Stop every server (stdio ones with their whole process group) and wait for it."""
        self._closed = True
        running = [s.task for s in self._servers.values() if s.task is not None]
        for server in self._servers.values():
            if server.stop is not None:
                server.stop()
            elif server.task is not None:  # still loading the SDK: nothing to wind down yet
                server.task.cancel()
        if running:
            await asyncio.wait(running)

    async def __aenter__(self) -> ToolServers:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ what there is

    def statuses(self) -> list[ServerStatus]:
        return [self._status(s) for s in self._servers.values()]

    def status(self, name: str) -> ServerStatus:
        return self._status(self._servers[name])

    def tools(self) -> list[ToolInfo]:
        """The tools of READY servers."""
        return [t for s in self._servers.values() for t in self._tool_infos(s)]

    def openai_tools(self, disabled: Collection[str] = ()) -> list[dict[str, Any]]:
        """OpenAI `tools` definitions for READY servers. `disabled` holds namespaced tool names
        and/or server names to leave out."""
        return [
            {
                "type": "function",
                "function": {
                    "name": tool.namespaced,
                    "description": tool.description,
                    "parameters": tool.input_schema,
                },
            }
            for tool in self.tools()
            if tool.namespaced not in disabled and tool.server not in disabled
        ]

    def resolve(self, namespaced: str) -> tuple[str, str] | None:
        """(server, tool) for a name the model called, or None."""
        return self._names.resolve(namespaced)

    def config(self, server: str) -> ServerConfig:
        return self._servers[server].config

    # ------------------------------------------------------------------ calling

    async def call(self, namespaced: str, arguments: Any) -> ToolOutcome:
        """Run one tool call with its server's timeout. Always returns an outcome; cancelling
        the awaiting task cancels the MCP request (the SDK tells the server)."""
        started = time.perf_counter()
        pair = self._names.resolve(namespaced)
        if pair is None:
            return _error(f"there is no tool named {namespaced!r}", started, "", namespaced)
        server_name, tool = pair
        server = self._servers[server_name]
        if not isinstance(arguments, dict):
            message = "the arguments must be a JSON object"
            return _error(message, started, server_name, tool)
        if server.state is not ServerState.READY or server.session is None:
            message = f"the server {server_name!r} {_NOT_READY[server.state]}"
            if server.reason:
                message += f": {server.reason}"
            return _error(message, started, server_name, tool)
        runner = await _load_runner()  # loaded already: the server is READY
        outcome: ToolOutcome = await runner.call_tool(server, tool, arguments, started)
        return outcome

    # ------------------------------------------------------------------ for the runner

    def _changed(self, server: _Server) -> None:
        if server.state is not ServerState.STARTING:
            server.settled.set()
        self._names = ToolNames(
            (s.config.name, name) for s in self._servers.values() for name, _, _ in s.tools
        )
        if self.on_change is not None:
            try:
                self.on_change(self._status(server))
            except Exception:
                # A broken listener must not take the server down with it.
                logger.exception("the MCP status listener raised")

    def _status(self, server: _Server) -> ServerStatus:
        return ServerStatus(
            name=server.config.name,
            state=server.state,
            where=safe_terminal_text(server.config.describe()),
            reason=server.reason,
            stderr_tail=server.stderr_tail(),
            tools=tuple(self._tool_infos(server)),
        )

    def _tool_infos(self, server: _Server) -> list[ToolInfo]:
        if server.state is not ServerState.READY:
            return []
        name = server.config.name
        return [
            ToolInfo(name, tool, self._names.namespaced(name, tool), description, schema)
            for tool, description, schema in server.tools
        ]


_NOT_READY = {
    ServerState.STARTING: "is still starting",
    ServerState.READY: "is not connected",
    ServerState.FAILED: "has failed",
    ServerState.STOPPED: "is stopped",
}

_runner_module: ModuleType | None = None
_runner_loading: asyncio.Future[ModuleType] | None = None


async def _load_runner() -> ModuleType:
    """Import `_runner` (and with it the MCP SDK, about a second) in a worker thread, once, so
    the event loop (the UI) keeps running while it loads."""
    global _runner_module, _runner_loading
    if _runner_module is not None:
        return _runner_module
    stale = _runner_loading is not None and (
        _runner_loading.get_loop() is not asyncio.get_running_loop()
        or (
            _runner_loading.done()
            and (_runner_loading.cancelled() or _runner_loading.exception() is not None)
        )
    )
    if _runner_loading is None or stale:
        _runner_loading = asyncio.ensure_future(
            asyncio.to_thread(importlib.import_module, "tensorx_tui.tools._runner")
        )
    _runner_module = await asyncio.shield(_runner_loading)
    return _runner_module


def _error(message: str, started: float, server: str, tool: str) -> ToolOutcome:
    return ToolOutcome(message, True, time.perf_counter() - started, server, tool)
