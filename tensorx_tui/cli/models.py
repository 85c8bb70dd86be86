"""`tensorx-chat models`: the endpoint's models, one id a line, as a table (`-v`: context, prices,
capabilities) or as JSON (no textual). Always asks the endpoint, and refreshes the cache `ask`
reads its prices from.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from tensorx_tui.cli.ask_printer import error_line, hint_line
from tensorx_tui.cli.shell import settings_for
from tensorx_tui.core.descriptions import SHELL, error_hint
from tensorx_tui.core.model_catalog import MODELS_PATH, Catalog
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import ErrorInfo
from tensorx_tui.core.sanitize import one_line, terminal_safe_json
from tensorx_tui.open_catalog import open_catalog
from tensorx_tui.open_endpoint import open_endpoint
from tensorx_tui.settings import Settings

EXIT_OK, EXIT_FAILED = 0, 1


async def _load_catalog(settings: Settings) -> Catalog:
    async with open_endpoint(settings) as endpoint:
        return await open_catalog(endpoint, settings, refresh=True)


def run_models(args: argparse.Namespace) -> int:
    with settings_for(args) as settings:
        catalog = asyncio.run(_load_catalog(settings))
        if not catalog.answered:
            # The listing's own error is the one to show (the metadata endpoint is optional).
            failure = catalog.errors.get(MODELS_PATH) or next(iter(catalog.errors.values()))
            error = ErrorInfo(failure.message, failure.status, failure.type)
            _fail(error_line(error))
            hint = error_hint(error, SHELL, settings.hint_endpoint())
            if hint:
                _fail(hint_line(hint))
            return EXIT_FAILED
    print_models(catalog.listed, sys.stdout, json_mode=args.json, verbose=args.verbose)
    return EXIT_OK


def print_models(
    models: Sequence[ModelInfo], out: TextIO, *, json_mode: bool, verbose: bool = False
) -> None:
    """One id a line (each one safe line), the `-v` table, or JSON with the unsafe characters
    escaped (the same JSON value, inert on a terminal), like every other --json output."""
    if json_mode:
        text = json.dumps([model_json(m) for m in models], ensure_ascii=False)
        out.write(terminal_safe_json(text) + "\n")
    elif verbose:
        print_models_table(models, out)
    else:
        for model in models:
            out.write(one_line(model.id, 500) + "\n")


def model_json(model: ModelInfo) -> dict[str, Any]:
    """One entry of `models --json`: the config file's own vocabulary, prices per million."""
    return {
        "id": model.id,
        "context": model.max_input_tokens,
        "max_output": model.max_output_tokens,
        "input_price": model.input_price,
        "output_price": model.output_price,
        "cached_input_price": model.cached_input_price,
        "tools": model.supports_tools,
        "vision": model.supports_vision,
        "reasoning": model.supports_reasoning,
        "source": model.source,
    }


def _tokens(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _price(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _flags(model: ModelInfo) -> str:
    names = (
        ("tools", model.supports_tools),
        ("vision", model.supports_vision),
        ("reasoning", model.supports_reasoning),
    )
    known = [name if value else f"no {name}" for name, value in names if value is not None]
    return ", ".join(known) or "-"


def print_models_table(models: Sequence[ModelInfo], out: TextIO) -> None:
    """`models -v`: one row per model; prices in dollars per million tokens."""
    rows = [
        (
            one_line(m.id, 60),
            _tokens(m.max_input_tokens),
            _tokens(m.max_output_tokens),
            _price(m.input_price),
            _price(m.output_price),
            _price(m.cached_input_price),
            _flags(m),
        )
        for m in models
    ]
    header = ("MODEL", "CONTEXT", "MAX OUT", "IN $/M", "OUT $/M", "CACHED $/M", "CAPABILITIES")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:], strict=True)),
            row[-1],
        ]
        out.write("  ".join(cells) + "\n")


def _fail(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
