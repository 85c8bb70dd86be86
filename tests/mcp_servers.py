"""Real MCP servers for the tools tests, written with the SDK's MCPServer.

`SERVER_SOURCE` is one script; its first argument picks a behaviour:
  serve        the tools below, over stdio
  crash        writes to stderr and exits with code 3 before speaking MCP
  hang         never answers (sleeps before reading stdin)
  garbage      prints a banner on stdout, then serves
  http FD      serves streamable HTTP on the listening socket FD; requests need
               `Authorization: Bearer s3cret`
The tests write it to tmp_path and run it with sys.executable.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio

from tensorx_tui.tools import ServerConfig

SERVER_SOURCE = r'''
import base64, os, subprocess, sys, time

import anyio

mode = sys.argv[1]
if mode == "crash":
    sys.stderr.write("starting...\nfatal: the token is missing\n")
    sys.exit(3)
if mode == "hang":
    time.sleep(3600)
if mode == "garbage":
    print("Welcome to the server!", flush=True)

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import EmbeddedResource, ResourceLink, TextContent, TextResourceContents

server = MCPServer("test", log_level="ERROR")
arrived = 0
both_here = anyio.Event()


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


@server.tool()
def refuse(reason: str) -> str:
    raise ToolError(reason)


@server.tool()
def picture() -> Image:
    return Image(data=b"\x89PNG" + bytes(12 * 1024 - 4), format="png")


@server.tool()
def mixed() -> list:
    return [
        TextContent(type="text", text="two parts:"),
        ResourceLink(type="resource_link", uri="file:///tmp/report.csv", name="report"),
        EmbeddedResource(
            type="resource",
            resource=TextResourceContents(uri="note://1", text="the note", mime_type="text/plain"),
        ),
    ]


@server.tool()
async def slow(seconds: float) -> str:
    await anyio.sleep(seconds)
    return "done"


@server.tool()
async def wait_for_cancel(folder: str) -> str:
    open(os.path.join(folder, "started"), "w").close()
    try:
        await anyio.sleep(3600)
    except anyio.get_cancelled_exc_class():
        open(os.path.join(folder, "cancelled"), "w").close()
        raise
    return "never"


@server.tool()
async def rendezvous() -> str:
    """Returns only once two calls are running at the same time."""
    global arrived
    arrived += 1
    if arrived == 2:
        both_here.set()
    await both_here.wait()
    return "met"


@server.tool()
def die() -> str:
    sys.stderr.write("about to die\n")
    sys.stderr.flush()
    os._exit(7)


@server.tool()
def spawn() -> int:
    """Starts a long-running child, like a server that runs `node` or `uvx`."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return child.pid


@server.tool()
def scribble() -> str:
    # The SDK's stdio server moves the wire off fd 1 so that stray prints cannot corrupt it;
    # a server in another language has no such guard. Write on the wire itself to be one.
    from mcp.server.stdio import _claims

    os.write(_claims[1].private_fd, b"oops, a debug print\n")
    return "scribbled"


if mode == "http":
    import socket

    import uvicorn
    from starlette.responses import PlainTextResponse

    app = server.streamable_http_app()

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if headers.get(b"authorization") != b"Bearer s3cret":
                await PlainTextResponse("no entry", status_code=401)(scope, receive, send)
                return
        await app(scope, receive, send)

    sock = socket.socket(fileno=int(sys.argv[2]))
    config = uvicorn.Config(guarded, log_level="warning", lifespan="on")
    anyio.run(lambda: uvicorn.Server(config).serve(sockets=[sock]))
else:
    server.run("stdio")
'''


def write_server(folder: Path) -> Path:
    path = folder / "mcp_test_server.py"
    path.write_text(SERVER_SOURCE)
    return path


def stdio_config(
    script: Path, name: str = "t", mode: str = "serve", timeout: float = 30.0
) -> ServerConfig:
    return ServerConfig(
        name=name,
        transport="stdio",
        command=sys.executable,
        args=(str(script), mode),
        timeout=timeout,
    )


@contextmanager
def http_server(script: Path) -> Iterator[str]:
    """The test server on streamable HTTP at 127.0.0.1 on a free port; yields its URL.

    The socket is bound and listening before the child starts, so clients can connect at once
    (the kernel queues them until the child accepts): no waiting for readiness."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, str(script), "http", str(listener.fileno())],
        pass_fds=[listener.fileno()],
        stdin=subprocess.DEVNULL,
    )
    listener.close()
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def wait_for_path(path: Path, within: float = 30.0) -> None:
    """Until a file a server writes exists (no event crosses the process boundary)."""
    with anyio.fail_after(within):
        while not await anyio.Path(path).exists():  # noqa: ASYNC110 (polls another process)
            await anyio.sleep(0.01)


def process_is_running(pid: int) -> bool:
    """False once the process is gone or a zombie (a zombie has ended; where init does not
    reap, as in some containers, that is all that is left of an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        pass
    else:
        return state != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
