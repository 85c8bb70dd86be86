"""`tensorx-chat models`: the endpoint's model ids, one a line or as JSON (no textual)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import httpx

from tensorx_tui.cli.ask_printer import error_hint
from tensorx_tui.cli.shell import settings_for
from tensorx_tui.core.endpoint import APIError
from tensorx_tui.core.sanitize import one_line
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
            _fail(
                f"error: {one_line(exc.message, 1000)}"
                + (f" (HTTP {exc.status})" if exc.status else "")
            )
            hint = error_hint(exc.status, settings.base_url)
            if hint:
                _fail(hint)
            return EXIT_FAILED
        except httpx.HTTPError as exc:
            detail = one_line(str(exc)) or type(exc).__name__
            _fail(f"error: cannot reach {settings.base_url}: {detail}")
            return EXIT_FAILED
    if args.json:
        print(json.dumps(models, ensure_ascii=False))
    else:
        for model in models:
            print(one_line(model, 500))
    return EXIT_OK


def _fail(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
