"""What every shell command shares: the program name, usage errors, settings from the flags.

Kept apart from `main.py` (argparse and the entry point) so no command module imports the entry
point back.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tensorx_tui.core.sanitize import one_line
from tensorx_tui.settings import DEMO_MODEL, Settings, load_settings

PROG = "tensorx-chat"


class UsageError(Exception):
    """The command line cannot be acted on (exit status 2)."""


def isatty(stream: TextIO | object) -> bool:
    isatty_method = getattr(stream, "isatty", None)
    try:
        return bool(isatty_method and isatty_method())
    except ValueError:  # a closed stream
        return False


@contextmanager
def settings_for(args: argparse.Namespace, *, require_key: bool = True) -> Iterator[Settings]:
    """Settings from the flags; with --demo, a demo server runs for the duration of the block."""
    settings = load_settings(vars(args))
    for warning in settings.warnings:
        print(f"{PROG}: warning: {one_line(warning, 1000)}", file=sys.stderr)
    if not settings.demo:
        problem = settings.key_problem()
        if require_key and problem:
            raise UsageError(problem)
        yield settings
        return
    server_module = importlib.import_module("tensorx_tui.demo.server")
    server = server_module.DemoServer(
        host="127.0.0.1", port=0, speed=server_module.DEFAULT_DEMO_SPEED
    )
    server.start()
    try:
        # The offline demo runs its own MCP server too (weather, calculator, clock), so the
        # whole tool loop can be seen with no key.
        from tensorx_tui.demo.mcp_server import demo_server_config

        yield dataclasses.replace(
            settings,
            base_url=str(server.base_url),
            model=args.model or DEMO_MODEL,
            api_key=None,
            demo=True,
            mcp_servers=[*settings.mcp_servers, demo_server_config()],
        )
    finally:
        server.stop()
