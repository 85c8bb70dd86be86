"""The part that speaks MCP (and imports the SDK): one task per server, and the tool calls.

A server's task holds its transport and `ClientSession` open from start to stop, so the whole
lifetime sits in one anyio scope that `ToolServers.aclose()` cancels. Calls come from other tasks
and share the session; the SDK correlates concurrent requests by id.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import httpx2
import mcp_types as types
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client

from tensorx_tui.core.sanitize import one_line
from tensorx_tui.tools._stdio import TransportReport, stdio_transport
from tensorx_tui.tools.config import ServerConfig
from tensorx_tui.tools.results import ToolOutcome, content_text

if TYPE_CHECKING:
    from tensorx_tui.tools.manager import ToolServers, _Server

CLIENT_INFO = types.Implementation(name="tensorx-chat", version="0.1.0")
_MAX_TOOL_PAGES = 100
_HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)  # the SDK's defaults: a response may stream long
_STOPPED_WAIT = 5.0
"""How long a call that lost its connection waits for the runner to learn why (the transport's
shutdown is bounded, so this is too)."""


class _Failure(Exception):
    """Why a server cannot be used, in words for the user."""


async def run_server(server: _Server, owner: ToolServers) -> None:
    """Run one server until `server.stop()` or a failure, then record its final state."""
    from tensorx_tui.tools.manager import ServerState

    report = TransportReport(on_closed=server.wake.set, stderr=server.stderr)
    server.report = report
    failure: str | None = None
    with anyio.CancelScope() as scope:
        server.stop = scope.cancel
        try:
            await _serve(server, owner, report)
        except Exception as exc:  # anyio may wrap it in an ExceptionGroup; _describe unwraps
            failure = _describe(exc)
        finally:
            server.session = None
            server.stop = None
    was_ready = server.state is ServerState.READY
    if scope.cancel_called and not report.protocol_error:
        server.state, server.reason = ServerState.STOPPED, None
    else:
        server.state = ServerState.FAILED
        server.reason = one_line(_reason(report, failure, was_ready), 500)
    server.ended.set()
    owner._changed(server)


def _reason(report: TransportReport, failure: str | None, was_ready: bool) -> str:
    if report.protocol_error:
        return report.protocol_error
    if report.http_error:
        return f"it answered {report.http_error}"
    if report.closed:
        code = report.returncode
        how = "it stopped" if was_ready else "it stopped before it was ready"
        if code is None:
            return f"{how} (it closed its output)"
        if code < 0:
            return f"{how} (ended by signal {-code})"
        return f"{how} (exit code {code})"
    return failure or "it stopped"


async def _serve(server: _Server, owner: ToolServers, report: TransportReport) -> None:
    from tensorx_tui.tools.manager import ServerState

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            server.wake.set()  # the loop below lists the tools again
        elif isinstance(message, Exception) and server.state is ServerState.STARTING:
            # The HTTP transport reports a refused connection or an HTTP error here, while
            # the request it failed would otherwise wait for the start timeout.
            report.protocol_error = f"the connection failed: {_describe(message)}"
            server.wake.set()

    async with AsyncExitStack() as stack:
        try:
            read, write = await stack.enter_async_context(_transport(server, owner, report))
        except OSError as exc:
            what = server.config.command if server.config.transport == "stdio" else "the client"
            raise _Failure(f"cannot start {what!r}: {exc.strerror or exc}") from None
        session = await stack.enter_async_context(
            ClientSession(read, write, message_handler=on_message, client_info=CLIENT_INFO)
        )
        await _start_session(session, server, owner.start_timeout, report)
        server.session = session
        server.state = ServerState.READY
        owner._changed(server)
        while True:
            await server.wake.wait()
            server.wake.clear()
            if report.protocol_error or report.closed:
                raise _Failure("the transport closed")  # _reason() words it from the report
            try:
                with anyio.fail_after(owner.start_timeout):
                    server.tools = await _list_tools(session)
            except TimeoutError:
                raise _Failure("it did not answer tools/list after its tools changed") from None
            owner._changed(server)


async def _start_session(
    session: ClientSession, server: _Server, limit: float, report: TransportReport
) -> None:
    """initialize + tools/list, bounded by the start timeout, and cut short when the transport
    reports a failure (a refused connection, garbage on stdout) instead of waiting it out."""

    def failed() -> bool:
        return bool(report.protocol_error or report.closed)

    async def handshake() -> None:
        await session.initialize()
        server.tools = await _list_tools(session)
        tg.cancel_scope.cancel()

    async def watch() -> None:
        while not failed():
            await server.wake.wait()
            server.wake.clear()
        tg.cancel_scope.cancel()

    try:
        with anyio.fail_after(limit):
            async with anyio.create_task_group() as tg:
                tg.start_soon(handshake)
                tg.start_soon(watch)
    except TimeoutError:
        raise _Failure(f"it did not finish starting within {limit:g} s") from None
    except Exception:
        if not failed():
            raise
    if failed():
        raise _Failure("the transport failed")  # _reason() words it from the report


def _transport(
    server: _Server, owner: ToolServers, report: TransportReport
) -> AbstractAsyncContextManager[tuple[Any, Any]]:
    if server.config.transport == "stdio":
        return stdio_transport(server.config, report, owner.stop_grace)
    return _http_transport(server.config, report)


@asynccontextmanager
async def _http_transport(
    config: ServerConfig, report: TransportReport
) -> AsyncIterator[tuple[Any, Any]]:
    async def note_status(response: httpx2.Response) -> None:
        if response.status_code >= 400:
            report.http_error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        elif response.status_code < 300:
            report.http_error = None  # a hint about the latest failure, not a history

    async with (
        httpx2.AsyncClient(
            headers=dict(config.headers),
            timeout=_HTTP_TIMEOUT,
            event_hooks={"response": [note_status]},
        ) as client,
        streamable_http_client(config.url, http_client=client) as streams,
    ):
        yield streams


async def _list_tools(session: ClientSession) -> list[tuple[str, str, dict[str, Any]]]:
    tools: list[tuple[str, str, dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(_MAX_TOOL_PAGES):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        result = await session.list_tools(params=params)
        for tool in result.tools:
            schema = dict(tool.input_schema or {})
            schema.setdefault("type", "object")
            tools.append((tool.name, tool.description or "", schema))
        cursor = result.next_cursor
        if not cursor:
            break
    return tools


async def call_tool(
    server: _Server, tool: str, arguments: dict[str, Any], started: float
) -> ToolOutcome:
    name, timeout = server.config.name, server.config.timeout
    session: ClientSession = server.session

    def outcome(content: str, is_error: bool) -> ToolOutcome:
        return ToolOutcome(content, is_error, time.perf_counter() - started, name, tool)

    try:
        # Our own deadline rather than the SDK's read timeout: that clock starts only once the
        # request is written, and a server that stopped reading its stdin would block the write.
        with anyio.fail_after(timeout):
            result = await session.call_tool(tool, arguments)
    except TimeoutError:
        return outcome(f"timed out after {timeout:g} s", True)
    except MCPError as exc:
        if exc.error.code == types.CONNECTION_CLOSED:
            return outcome(await _why_stopped(server), True)
        message = exc.error.message
        http_error = getattr(server.report, "http_error", None)
        if exc.error.code == types.INTERNAL_ERROR and http_error:
            message = f"{message} ({http_error})"
        return outcome(f"the server answered with an error: {message}", True)
    except Exception as exc:
        return outcome(f"the call failed: {_describe(exc)}", True)
    if not isinstance(result, types.CallToolResult):
        return outcome("the server answered with something that is not a tool result", True)
    return outcome(content_text(result.content, result.structured_content), result.is_error)


async def _why_stopped(server: _Server) -> str:
    with anyio.move_on_after(_STOPPED_WAIT):
        await server.ended.wait()
    reason = server.reason or "the connection closed"
    tail = server.stderr_tail()
    return f"the server stopped: {reason}" + (f"\n{tail}" if tail else "")


def _describe(exc: BaseException) -> str:
    """One line for an exception, reaching into the groups anyio wraps them in."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, _Failure):
        return str(exc)
    if isinstance(exc, MCPError):
        return exc.error.message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
