"""MCP tools for `ask`: the servers of the user's config, approval on the terminal, progress on
stderr. The tool loop itself is the engine's (chat/tool_loop.py), shared with the chat UI.

A call runs without asking when its tool is on the server's `allow` list, named by
`--allow-tool`, or `--allow-all-tools` is given; otherwise `ask` asks on the terminal (y / n /
always) and, with no terminal to ask on, denies it and says how to allow it.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import IO, TYPE_CHECKING, TextIO

from tensorx_tui.chat.tool_loop import (
    ApprovalRequest,
    Decision,
    StepLimitReached,
    ToolRunFinished,
    ToolRunStarted,
)
from tensorx_tui.core.sanitize import one_line

if TYPE_CHECKING:
    from tensorx_tui.settings import Settings
    from tensorx_tui.tools import ApprovalPolicy, ToolServers

TTY_PATH = "/dev/tty"


def allowed_by_flags(request: ApprovalRequest, names: Iterable[str]) -> bool:
    """`--allow-tool NAME`: the tool's own name, `server.tool`, or the namespaced name."""
    wanted = set(names)
    server, tool = request.server, request.tool
    return bool(wanted & {tool, f"{server}.{tool}", f"{server}/{tool}", request.call.name})


def arguments_line(request: ApprovalRequest, limit: int = 300) -> str:
    if request.arguments_error is not None:
        return one_line(request.call.arguments_text, limit) + " (not valid JSON)"
    return one_line(json.dumps(request.arguments, ensure_ascii=False), limit)


async def start_tool_servers(
    settings: Settings, err: TextIO
) -> tuple[ToolServers | None, ApprovalPolicy | None]:
    """The configured MCP servers, started and ready (or failed, said on stderr); (None, None)
    when none is configured, without loading the MCP SDK."""
    if not settings.mcp_servers:
        return None, None
    from tensorx_tui.tools import ApprovalPolicy, ServerState, ToolServers

    servers = ToolServers(settings.mcp_servers, start_timeout=settings.mcp_start_timeout)
    servers.start()
    await servers.wait_ready()
    for status in servers.statuses():
        if status.state is ServerState.FAILED:
            reason = one_line(status.reason or "failed", 300)
            err.write(f"tensorx-chat: MCP server {one_line(status.name, 60)} failed: {reason}\n")
            if status.stderr_tail:
                err.write(f"  its last output: {one_line(status.stderr_tail, 300)}\n")
    return servers, ApprovalPolicy(settings.mcp_servers)


class TerminalApprover:
    """Asks about each call on the terminal; the answer is read off the event loop's thread."""

    def __init__(
        self,
        err: TextIO,
        *,
        allow_all: bool = False,
        allow: Iterable[str] = (),
        open_tty: type[AbstractContextManager[IO[str]]] | None = None,
    ) -> None:
        self.err = err
        self.allow_all = allow_all
        self.allow = list(allow)
        self._open_tty = open_tty

    def _tty(self) -> AbstractContextManager[IO[str] | None]:
        if self._open_tty is not None:
            return self._open_tty()
        try:
            # Unbuffered binary: a terminal is not seekable, so a buffered "r+" cannot open it.
            raw = open(TTY_PATH, "rb+", buffering=0)  # noqa: SIM115 - closed by the wrapper
        except OSError:
            return nullcontext(None)
        return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)

    async def __call__(self, request: ApprovalRequest) -> Decision:
        if self.allow_all or allowed_by_flags(request, self.allow):
            return Decision(True)
        return await asyncio.to_thread(self._ask, request)

    def _ask(self, request: ApprovalRequest) -> Decision:
        name = f"{request.server}/{request.tool}"
        with self._tty() as tty:
            if tty is None:
                self.err.write(
                    f"tensorx-chat: denied tool {one_line(name, 120)}: no terminal to ask on"
                    " (allow it with --allow-tool NAME or --allow-all-tools)\n"
                )
                return Decision.deny("not approved: the user could not be asked")
            tty.write(
                f"Run tool {one_line(name, 120)} {arguments_line(request)}?"
                " [y]es / [n]o / [a]lways: "
            )
            tty.flush()
            answer = tty.readline().strip().lower()
        if answer in ("y", "yes"):
            return Decision(True)
        if answer in ("a", "always"):
            return Decision(True, scope="session")
        return Decision.deny()


class ToolProgress:
    """One line per call on stderr: started, then its outcome and duration."""

    def __init__(self, err: TextIO) -> None:
        self.err = err

    def on_event(self, event: object) -> None:
        if isinstance(event, ToolRunStarted):
            args = one_line(event.call.arguments_text, 120)
            self.err.write(f"tool {one_line(event.server, 40)}/{one_line(event.tool, 60)} {args}\n")
        elif isinstance(event, ToolRunFinished):
            result = event.result
            outcome: str = "error" if result.is_error else "ok"
            if result.approval in ("denied", "cancelled"):
                outcome = result.approval
            self.err.write(
                f"  → {outcome} in {result.duration_s:.2f} s: {one_line(result.content, 160)}\n"
            )
        elif isinstance(event, StepLimitReached):
            self.err.write(
                f"tensorx-chat: stopped after {event.limit} tool steps (the step limit);"
                " the model was asked to answer with what it has\n"
            )
        else:
            return
        self.err.flush()
