"""`tensorx-chat serve`: the chat UI in a browser, one app process per browser tab.

textual-serve (the optional `web` extra) serves a page running xterm.js and, for each websocket,
runs a shell command whose stdin and stdout carry the terminal. That command is built here from our
own flags and never holds the key: textual-serve prints its command, and every local user can read
argv. A key given with `--api-key` reaches each app through the environment of that app alone.

What this adds to textual-serve's `Server`:
- loopback only, unless `--allow-remote` (and then a warning);
- every request's Host, and a websocket's Origin, are checked, so a web page open in the user's
  browser cannot drive the app, and its key, through a websocket to 127.0.0.1 (not even by DNS
  rebinding); textual-serve checks neither;
- the page's URLs are the ones the browser used (textual-serve writes http://HOST:PORT, which is
  wrong for 0.0.0.0 and breaks the Origin check for `localhost` against `127.0.0.1`);
- stopping the server ends every app it started (textual-serve waits for the browsers to leave);
- tracebacks in its log show no local variables (textual-serve's would print the app's environment).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tensorx_tui.cli.shell import PROG, UsageError
from tensorx_tui.demo.server import is_loopback
from tensorx_tui.settings import Settings, load_settings

if TYPE_CHECKING:
    from textual_serve.server import Server

# The chat flags a browser session gets, as (argparse dest, flag); --api-key travels apart.
FORWARDED_OPTIONS = (
    ("base_url", "--base-url"),
    ("model", "--model"),
    ("profile", "--profile"),
    ("config", "--config"),
    ("system", "--system"),
    ("tools", "--tools"),
    ("data_dir", "--data-dir"),
    ("theme", "--theme"),
    ("conversation", "--conversation"),
)
# Modules of the `web` extra: an ImportError naming one of them means the extra is not installed.
WEB_EXTRA_MODULES = frozenset(("textual_serve", "aiohttp", "aiohttp_jinja2", "jinja2"))
WEB_EXTRA_HINT = "pip install 'tensorx-chat[web]'"

# How long a stopping server lets its apps quit on their own, then after SIGTERM, then SIGKILL.
QUIT_GRACE_S = 5.0
TERMINATE_GRACE_S = 3.0

_HOST_HEADER = re.compile(r"[A-Za-z0-9.\-:\[\]]+")


def app_argv(args: argparse.Namespace) -> list[str]:
    """The argv of one browser session's app: `tensorx-chat chat` with the serve command's flags."""
    argv = [sys.executable, "-m", "tensorx_tui", "chat"]
    for dest, flag in FORWARDED_OPTIONS:
        value = getattr(args, dest, None)
        if value is not None:  # `--flag=value`: a value starting with "-" is no option
            argv.append(f"{flag}={value}")
    if args.demo:
        argv.append("--demo")
    if getattr(args, "continue_", False):
        argv.append("--continue")
    return argv


def app_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve runs per session. `exec` makes the app the shell's own
    process, so the process textual-serve holds (and signals) is the app itself."""
    return "exec " + shlex.join(app_argv(args))


def session_environment(
    args: argparse.Namespace, settings: Settings, env: Mapping[str, str]
) -> dict[str, str]:
    """Variables to add to each session's environment: the `--api-key` value, under the name the
    app reads its key from. Raises UsageError when the app would not pick it up from there."""
    if not args.api_key or settings.demo:
        return {}
    variable = settings.api_key_env  # None: no variable would be read for this profile
    extra = {variable: args.api_key} if variable else {}
    flags = {**vars(args), "api_key": None}
    seen = load_settings(flags, {**env, **extra}).api_key if variable else None
    if seen is None or seen.reveal() != args.api_key:
        raise UsageError(
            f"--api-key cannot be handed to the browser sessions: profile {args.profile!r} names "
            "its own base_url but no api_key_env. Give the profile an api_key_env and set that "
            "variable instead of passing --api-key."
        )
    return extra


def request_problem(host: str, origin: str | None, port: int, *, allow_remote: bool) -> str | None:
    """Why a request must be refused, or None. `host` and `origin` are its headers.

    On loopback the Host must name a loopback address and our port: a page of another site that
    rebinds its own name to 127.0.0.1 sends that name. A browser's websocket must come from a page
    of this same server (browsers send Origin, and do not apply the same-origin policy to
    websockets). Clients without an Origin are not browsers: they are let through.
    """
    if not _HOST_HEADER.fullmatch(host):
        return "bad Host header"
    if not allow_remote:
        parts = urlsplit("//" + host)
        try:
            host_port = parts.port or 80
        except ValueError:
            return "bad Host header"
        if not is_loopback(parts.hostname or "") or host_port != port:
            return "this server only answers on its loopback address"
    if origin is not None:
        where = urlsplit(origin)
        if where.scheme not in ("http", "https") or where.netloc.lower() != host.lower():
            return "cross-origin requests are refused"
    return None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run_serve(args: argparse.Namespace) -> int:
    """`tensorx-chat serve`: serve the chat UI until Ctrl-C or SIGTERM."""
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    remote = not is_loopback(args.host)
    if remote and not args.allow_remote:
        raise UsageError(
            f"refusing to listen on {args.host!r}, which is not a loopback address: the page has "
            "no password and uses the API key configured here. Pass --allow-remote to do it anyway."
        )
    settings = load_settings(vars(args))  # a bad config fails here once, not in every tab
    for warning in settings.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    extra_env = session_environment(args, settings, os.environ)
    try:
        server = make_server(
            app_command(args), args.host, args.port, extra_env, allow_remote=args.allow_remote
        )
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in WEB_EXTRA_MODULES:
            raise
        print(f"{PROG} serve: needs the optional `web` extra: {WEB_EXTRA_HINT}", file=sys.stderr)
        return 1
    url = f"http://{_url_host(args.host)}:{args.port}"
    if remote:
        print(
            f"{PROG} serve: warning: listening on {url}, reachable from other machines. There is "
            "no password: anyone who can reach this port can chat using the API key configured "
            "on this machine, and read its saved conversations.",
            file=sys.stderr,
        )
    try:
        server.serve()
    except OSError as exc:
        print(f"{PROG} serve: cannot listen on {url}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def make_server(
    command: str, host: str, port: int, extra_env: Mapping[str, str], *, allow_remote: bool
) -> Server:
    """textual-serve's Server with our checks, running `command` per browser tab with `extra_env`
    added to its environment. textual-serve is imported here: it is an optional extra."""
    import logging

    import aiohttp_jinja2
    from aiohttp import WSCloseCode, web
    from aiohttp.typedefs import Handler
    from rich.logging import RichHandler
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    log = logging.getLogger("textual-serve")

    class Session(AppService):
        """One browser tab's app process, with the key in its environment alone."""

        def __init__(self, command: str, extra_env: Mapping[str, str], **options: Any) -> None:
            super().__init__(command, **options)
            self.extra_env = extra_env
            self.process: asyncio.subprocess.Process | None = None

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            return {**super()._build_environment(width, height), **self.extra_env}

        async def _open_app_process(
            self, width: int = 80, height: int = 24
        ) -> asyncio.subprocess.Process:
            self.process = await super()._open_app_process(width, height)
            return self.process

    class ChatServer(Server):
        def __init__(
            self,
            command: str,
            host: str,
            port: int,
            extra_env: Mapping[str, str],
            *,
            allow_remote: bool,
        ) -> None:
            super().__init__(command, host=host, port=port, title=PROG)
            self.extra_env = dict(extra_env)
            self.allow_remote = allow_remote
            self.sessions: set[Session] = set()
            self.sockets: set[web.WebSocketResponse] = set()

        def initialize_logging(self) -> None:
            # textual-serve logs tracebacks with their local variables: the environment of an app
            # (the key in it) would be printed by a failure to start one.
            logging.basicConfig(
                level="INFO",
                format="%(message)s",
                handlers=[
                    RichHandler(
                        show_path=False,
                        show_time=False,
                        rich_tracebacks=True,
                        tracebacks_show_locals=False,
                        console=self.console,
                    )
                ],
                force=True,
            )

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()

            @web.middleware
            async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
                problem = request_problem(
                    request.headers.get("Host", ""),
                    request.headers.get("Origin"),
                    self.port,
                    allow_remote=self.allow_remote,
                )
                if problem:
                    log.warning("refused %s %s: %s", request.method, request.path, problem)
                    raise web.HTTPForbidden(text=problem)
                return await handler(request)

            app.middlewares.append(guard)
            return app

        async def on_startup(self, app: web.Application) -> None:
            self.console.print(
                f"{PROG} serve: open http://{_url_host(self.host)}:{self.port} in a browser. "
                "Each tab runs its own app; Ctrl-C stops them all.",
                highlight=False,
                markup=False,
            )

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            secure = request.scheme == "https"
            return {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": f"{'wss' if secure else 'ws'}://{request.host}/ws",
                "config": {"static": {"url": f"{request.scheme}://{request.host}/static/"}},
                "application": {"name": self.title},
            }

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            # textual-serve's own, with our Session, and the sockets and sessions kept for shutdown.
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            session: Session | None = None
            try:
                await websocket.prepare(request)
                self.sockets.add(websocket)
                session = Session(
                    self.command,
                    self.extra_env,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                )
                await session.start(width, height)
                self.sessions.add(session)  # only once it has a process to stop
                await self._process_messages(websocket, session)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:
                log.exception(error)
            finally:
                self.sockets.discard(websocket)
                if session is not None:
                    await session.stop()
                    self.sessions.discard(session)
            return websocket

        async def on_shutdown(self, app: web.Application) -> None:
            """End every app: ask each to quit, then SIGTERM, then SIGKILL, each wait bounded."""
            for session in list(self.sessions):
                await session.send_meta({"type": "quit"})
            left = await _wait_for_exit(
                [s.process for s in self.sessions if s.process is not None], QUIT_GRACE_S
            )
            for process in left:
                log.warning("app process %d did not quit: sending SIGTERM", process.pid)
                process.terminate()
            left = await _wait_for_exit(left, TERMINATE_GRACE_S)
            for process in left:
                log.warning("app process %d did not end: sending SIGKILL", process.pid)
                process.kill()
            await _wait_for_exit(left, TERMINATE_GRACE_S)
            for websocket in list(self.sockets):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")

    return ChatServer(command, host, port, extra_env, allow_remote=allow_remote)


async def _wait_for_exit(
    processes: list[asyncio.subprocess.Process], grace_s: float
) -> list[asyncio.subprocess.Process]:
    """Wait at most `grace_s` seconds for the processes to end; return those still running."""
    running = [p for p in processes if p.returncode is None]
    if running:
        waits = [asyncio.ensure_future(p.wait()) for p in running]
        _, pending = await asyncio.wait(waits, timeout=grace_s)
        for wait in pending:
            wait.cancel()
    return [p for p in running if p.returncode is None]
