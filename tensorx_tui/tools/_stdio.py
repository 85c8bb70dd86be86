"""The stdio transport: an MCP server as a child process in its own session, ended as a group.

Written here rather than taken from `mcp.client.stdio.stdio_client` because that one, when the
server exits by itself after its stdin closes, leaves whatever the server started (`sh`, `node`,
`uvx` children) running; it also hides the process, so its exit code and the tail of its stderr
could not be shown. The protocol itself (framing, JSON-RPC types) is the SDK's.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import anyio
from anyio.abc import Process
from mcp.client.stdio import get_default_environment
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

from tensorx_tui.tools.config import ServerConfig

STDERR_KEEP = 8192
"""Bytes of the server's stderr kept for error messages."""
_EXIT_POLL = 0.01
"""asyncio's process.wait() also waits for the pipes to close, which a surviving child holding
them would delay forever; so exits are found by polling returncode, as the SDK does."""
_TERM_GRACE = 2.0
_KILL_GRACE = 1.0
_PIPE_ERRORS = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError)


@dataclass
class TransportReport:
    """What the transport saw (of its process, for stdio), for the reason a server failed."""

    on_closed: Callable[[], None]
    """Called when stdout ends or turns to garbage (the session can no longer work)."""
    pid: int | None = None
    returncode: int | None = None
    stderr: bytearray = field(default_factory=bytearray)
    """Shared with the server's status, which reads its tail."""
    protocol_error: str | None = None
    closed: bool = False
    """stdout ended (or turned to garbage) while the session was in use."""
    http_error: str | None = None
    """The last HTTP error status an HTTP server answered, e.g. "HTTP 401 Unauthorized": the
    SDK reports every status but 404 as "Server returned an error response"."""

    def add_stderr(self, chunk: bytes) -> None:
        self.stderr += chunk
        del self.stderr[:-STDERR_KEEP]


@asynccontextmanager
async def stdio_transport(
    config: ServerConfig, report: TransportReport, stop_grace: float
) -> AsyncIterator[
    tuple[
        anyio.abc.ObjectReceiveStream[SessionMessage | Exception],
        anyio.abc.ObjectSendStream[SessionMessage],
    ]
]:
    process = await anyio.open_process(
        [config.command, *config.args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=get_default_environment() | dict(config.env),
        cwd=config.cwd,
        start_new_session=True,
    )
    report.pid = process.pid
    # No await between the spawn and the task group: a cancellation there would leak the process.
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)
    stopping = False

    async def read_stdout() -> None:
        assert process.stdout is not None
        pending: list[bytes] = []
        try:
            async with read_writer:
                async for chunk in process.stdout:
                    if b"\n" not in chunk:
                        pending.append(chunk)
                        continue
                    *lines, rest = b"".join((*pending, chunk)).split(b"\n")
                    pending = [rest] if rest else []
                    for raw in lines:
                        line = raw.strip()
                        if not line:
                            continue
                        try:
                            message = jsonrpc_message_adapter.validate_json(line, by_name=False)
                        except ValueError:
                            # The spec forbids anything but MCP messages on stdout; a server that
                            # prints there has corrupted the stream, so the session ends here.
                            report.protocol_error = _garbage(line)
                            return
                        await read_writer.send(SessionMessage(message))
        except _PIPE_ERRORS:
            pass
        finally:
            if not stopping:
                report.closed = True
                report.on_closed()

    async def write_stdin() -> None:
        assert process.stdin is not None
        try:
            async with write_reader:
                async for message in write_reader:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send((data + "\n").encode())
        except _PIPE_ERRORS:
            # The server stopped reading: end the session rather than let a request hang.
            await read_writer.aclose()

    async def read_stderr() -> None:
        assert process.stderr is not None
        with suppress(*_PIPE_ERRORS):
            async for chunk in process.stderr:
                report.add_stderr(chunk)

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_stdout)
        tg.start_soon(write_stdin)
        tg.start_soon(read_stderr)
        try:
            yield read_stream, write_stream
        finally:
            stopping = True
            # Bounded and shielded: a cancelled caller must neither leak the server nor hang.
            with anyio.CancelScope(shield=True):
                read_stream.close()
                write_stream.close()
                report.returncode = await stop_process_group(process, stop_grace)
            tg.cancel_scope.cancel()


async def stop_process_group(process: Process, grace: float) -> int | None:
    """Close stdin, give the server `grace` seconds, then end it and everything it started."""
    assert process.stdin is not None
    with suppress(*_PIPE_ERRORS):
        await process.stdin.aclose()
    if not await _exited(process, grace):
        _signal_group(process.pid, signal.SIGTERM)
        if not await _exited(process, _TERM_GRACE):
            _signal_group(process.pid, signal.SIGKILL)
            await _exited(process, _KILL_GRACE)
    # The leader is gone, but its children may live on in its process group (the group id is the
    # leader's pid, start_new_session). They are ours to end: the user stopped this server.
    if _group_alive(process.pid):
        _signal_group(process.pid, signal.SIGTERM)
        with anyio.move_on_after(_TERM_GRACE):
            while _group_alive(process.pid):  # noqa: ASYNC110 (no event tells a group is gone)
                await anyio.sleep(_EXIT_POLL)
        _signal_group(process.pid, signal.SIGKILL)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            with suppress(*_PIPE_ERRORS):
                await stream.aclose()
    return process.returncode


async def _exited(process: Process, within: float) -> bool:
    with anyio.move_on_after(within):
        while process.returncode is None:  # noqa: ASYNC110 (see _EXIT_POLL)
            await anyio.sleep(_EXIT_POLL)
    return process.returncode is not None


def _signal_group(pgid: int, signum: int) -> None:
    # ESRCH: the group is gone. EPERM: a member changed its user; nothing more we may do.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _group_alive(pgid: int) -> bool:
    """Whether a live process is left in the group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _live_members_on_linux(pgid)


def _live_members_on_linux(pgid: int) -> bool:
    """Zombies answer killpg too, and where init does not reap (a container without --init) an
    orphan's zombie stays for good: on Linux, look past them so the wait above does not run out
    for nothing. Elsewhere assume the group is alive."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state, ppid, pgrp.
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False


def _garbage(line: bytes) -> str:
    text = line[:120].decode("utf-8", errors="replace")
    return f"it wrote something that is not MCP on stdout: {text!r}"
