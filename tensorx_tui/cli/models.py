"""`tensorx-chat models`: the endpoint's model ids, one a line or as JSON (no textual)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TextIO

import httpx

from tensorx_tui.cli.ask_printer import error_line, hint_line
from tensorx_tui.cli.shell import settings_for
from tensorx_tui.core.descriptions import SHELL, error_hint
from tensorx_tui.core.endpoint import APIError
from tensorx_tui.core.errors import describe_transport_error
from tensorx_tui.core.reply import ErrorInfo
from tensorx_tui.core.sanitize import one_line, terminal_safe_json
from tensorx_tui.open_endpoint import open_endpoint
from tensorx_tui.settings import Settings

EXIT_OK, EXIT_FAILED = 0, 1


async def _list_models(settings: Settings) -> list[str]:
    async with open_endpoint(settings) as client:
        return await client.list_models()


def run_models(args: argparse.Namespace) -> int:
    with settings_for(args) as settings:
        try:
            models = asyncio.run(_list_models(settings))
        except APIError as exc:
            error = ErrorInfo(exc.message, exc.status, exc.type)
            _fail(error_line(error))
            hint = error_hint(error, SHELL, settings.hint_endpoint())
            if hint:
                _fail(hint_line(hint))
            return EXIT_FAILED
        except httpx.HTTPError as exc:  # list_models turns these into APIError; a backstop
            _fail(f"error: {one_line(describe_transport_error(exc, settings.base_url))}")
            return EXIT_FAILED
    print_models(models, sys.stdout, json_mode=args.json)
    return EXIT_OK


def print_models(models: Sequence[str], out: TextIO, *, json_mode: bool) -> None:
    """One id a line (each one safe line), or a JSON list with the unsafe characters escaped (the
    same JSON value, inert on a terminal), like every other --json output."""
    if json_mode:
        out.write(terminal_safe_json(json.dumps(list(models), ensure_ascii=False)) + "\n")
    else:
        for model in models:
            out.write(one_line(model, 500) + "\n")


def _fail(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
