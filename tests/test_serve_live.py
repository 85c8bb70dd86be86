"""`tensorx-chat serve` as a real process: the page, websocket sessions, the key, stopping.

Sessions are opened over the websocket the page would use, with aiohttp (part of the web extra).
Processes are found through /proc, so these tests run on Linux only.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tensorx_tui.demo.server import DemoServer

pytest.importorskip("textual_serve", reason="needs the web extra: pip install '.[web]'")
import aiohttp  # a dependency of textual-serve

if not Path("/proc/self/stat").exists():
    pytest.skip("finds processes through /proc", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-live-NEVER-SHOWN-77c1"
DEADLINE_S = 60.0
# The app draws its prompt's placeholder once it is up.
APP_READY = b"Message"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat_fields(int(entry))[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError):
                continue  # gone meanwhile
    return found


def is_running(pid: int) -> bool:
    """True while the process exists and is not a zombie (an ended child not yet reaped)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


async def ended(pid: int) -> None:
    """Wait for a process that is not our child to end: its pidfd becomes readable then."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(pidfd, readable)
    try:
        await done
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def environ(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")


def app_processes(server_pid: int) -> list[int]:
    return [p for p in children_of(server_pid) if "tensorx_tui" in cmdline(p)]


def serve_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENSORX_")}
    env["COLUMNS"] = "200"  # one log line per request, so a search of the log is a fair one
    return env


@contextmanager
def reaping(pids: list[int]) -> Iterator[None]:
    """On a failed test, leave no app behind."""
    try:
        yield
    finally:
        for pid in pids:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)


@dataclass
class Served:
    process: asyncio.subprocess.Process
    port: int
    log_path: Path
    sessions_seen: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_ready(self) -> None:
        async with asyncio.timeout(DEADLINE_S), httpx.AsyncClient() as client:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"serve exited early:\n{self.log()}")
                try:
                    if (await client.get(self.url)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)  # polling a port that is not open yet

    async def stop(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        async with asyncio.timeout(DEADLINE_S):
            return await self.process.wait()


@asynccontextmanager
async def serving(
    tmp_path: Path, *flags: str, env: dict[str, str] | None = None
) -> AsyncIterator[Served]:
    port = free_port()
    log_path = tmp_path / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tensorx_tui", "serve", "--port", str(port),
            "--config", os.devnull, "--data-dir", str(tmp_path / "data"), *flags,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT,
            env=env or serve_environment(),
        )  # fmt: skip
    served = Served(process, port, log_path)
    try:
        with reaping(served.sessions_seen):
            yield served
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_until(ws: aiohttp.ClientWebSocketResponse, needle: bytes) -> bytes:
    """The terminal bytes a session sends, up to the first that holds `needle`."""
    got = bytearray()
    async with asyncio.timeout(DEADLINE_S):
        while needle not in got:
            message = await ws.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                got += message.data
            elif message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"session ended before {needle!r}: {message!r}")
    return bytes(got)


async def open_session(
    http: aiohttp.ClientSession, served: Served
) -> tuple[aiohttp.ClientWebSocketResponse, int, bytes]:
    """A websocket session as the page opens it; returns it, its app's pid and its first bytes."""
    before = set(app_processes(served.process.pid))
    ws = await http.ws_connect(f"ws://127.0.0.1:{served.port}/ws?width=100&height=30")
    screen = await read_until(ws, APP_READY)
    [pid] = set(app_processes(served.process.pid)) - before
    served.sessions_seen.append(pid)
    return ws, pid, screen


@pytest.fixture
async def demo_endpoint() -> AsyncIterator[DemoServer]:
    server = DemoServer(port=0, speed=0).start()
    yield server
    server.stop()


@pytest.mark.parametrize("key_from", ["environment", "flag"])
async def test_the_key_is_in_no_page_url_log_or_command(
    tmp_path: Path, demo_endpoint: DemoServer, key_from: str
) -> None:
    env = serve_environment()
    flags = ["--base-url", str(demo_endpoint.base_url), "--model", "demo"]
    if key_from == "environment":
        env["TENSORX_API_KEY"] = KEY
    else:
        flags += ["--api-key", KEY]
    async with serving(tmp_path, *flags, env=env) as served:
        await served.wait_ready()
        async with httpx.AsyncClient() as client:
            page = (await client.get(served.url)).text
        assert 'data-session-websocket-url="ws://127.0.0.1:' in page
        assert KEY not in page
        async with aiohttp.ClientSession() as http:
            ws, pid, screen = await open_session(http, served)
            assert KEY.encode() not in screen
            assert not any(KEY in word for word in cmdline(pid))
            assert f"TENSORX_API_KEY={KEY}" in environ(pid)  # how the key reaches the app
            await ws.close()
        assert await served.stop() == 0
    log = served.log()
    assert "GET /ws?width=100&height=30" in log  # the log was captured, URLs and all
    assert KEY not in log


async def test_pages_of_other_sites_cannot_open_a_session(tmp_path: Path) -> None:
    async with serving(tmp_path, "--demo") as served:
        await served.wait_ready()
        async with httpx.AsyncClient() as client:
            rebound = await client.get(served.url, headers={"Host": f"evil.example:{served.port}"})
        assert rebound.status_code == 403
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{served.url}/ws", origin="http://evil.example")
            assert refused.value.status == 403
            assert app_processes(served.process.pid) == []
            ws = await http.ws_connect(f"{served.url}/ws", origin=served.url)  # the page's own
            await read_until(ws, APP_READY)
            await ws.close()
        assert await served.stop() == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_stopping_the_server_ends_every_app(tmp_path: Path, signum: int) -> None:
    async with serving(tmp_path, "--demo") as served:
        await served.wait_ready()
        async with aiohttp.ClientSession() as http:
            sessions = [await open_session(http, served) for _ in range(2)]
            pids = [pid for _, pid, _ in sessions]
            assert all(is_running(pid) for pid in pids)
            assert await served.stop(signum) == 0
            assert [pid for pid in pids if is_running(pid)] == []
            for ws, _, _ in sessions:
                async with asyncio.timeout(DEADLINE_S):
                    while (await ws.receive()).type not in (
                        aiohttp.WSMsgType.CLOSE,
                        aiohttp.WSMsgType.CLOSED,
                        aiohttp.WSMsgType.ERROR,
                    ):
                        pass


async def test_a_closed_session_ends_its_app_only(tmp_path: Path) -> None:
    async with serving(tmp_path, "--demo") as served:
        await served.wait_ready()
        async with aiohttp.ClientSession() as http:
            (first, first_pid, _), (second, second_pid, _) = [
                await open_session(http, served) for _ in range(2)
            ]
            await first.close()
            async with asyncio.timeout(DEADLINE_S):
                await ended(first_pid)
            assert is_running(second_pid)
            await second.close()
        assert await served.stop() == 0


async def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tensorx_tui", "serve", "--demo", "--port", str(port),
            "--config", os.devnull, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
        )  # fmt: skip
        async with asyncio.timeout(DEADLINE_S):
            _, err = await result.communicate()
    assert result.returncode == 1
    assert f"cannot listen on http://127.0.0.1:{port}" in err.decode()
    assert b"Traceback" not in err


STUBBORN_APP = """
import signal, sys, threading
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.stdout.buffer.write(b"__GANGLION__\\n")  # textual-serve's sign that an app has started
sys.stdout.buffer.write(b"D\\0\\0\\0\\5ready")  # a packet of terminal output: "ready"
sys.stdout.flush()
threading.Event().wait()  # never reads its input, so never sees the request to quit
"""


async def test_an_app_that_will_not_quit_is_killed(tmp_path: Path) -> None:
    """The server asks, then sends SIGTERM, then SIGKILL: no app outlives it."""
    port = free_port()
    command = "exec " + shlex.join([sys.executable, "-c", STUBBORN_APP])
    server_code = (
        "from tensorx_tui.cli.serve import make_server\n"
        f"make_server({command!r}, '127.0.0.1', {port}, {{}}, allow_remote=False).serve()\n"
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", server_code, stdin=asyncio.subprocess.DEVNULL,
            stdout=log, stderr=log, cwd=ROOT, env=serve_environment(),
        )  # fmt: skip
    served = Served(process, port, log_path)
    try:
        with reaping(served.sessions_seen):
            await served.wait_ready()
            async with aiohttp.ClientSession() as http:
                ws = await http.ws_connect(f"{served.url}/ws")
                await read_until(ws, b"ready")
                pids = children_of(process.pid)
                served.sessions_seen += pids
                assert len(pids) == 1
                assert await served.stop() == 0
                assert [pid for pid in pids if is_running(pid)] == []
                await ws.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = served.log()
    assert "did not quit: sending SIGTERM" in log
    assert "did not end: sending SIGKILL" in log
