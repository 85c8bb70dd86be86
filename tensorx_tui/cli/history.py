"""`tensorx-chat history`, `export` and `import`, and the saving done by `ask` (no textual).

Exit status: 0 done, 1 the store or a file could not be used (message on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from tensorx_tui.cli.shell import PROG, isatty
from tensorx_tui.core.cost import format_cost
from tensorx_tui.core.sanitize import one_line, safe_terminal_text, terminal_safe_json
from tensorx_tui.settings import load_settings
from tensorx_tui.store.conversations import ConversationNotFound, Store
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.transcripts import (
    ExportFormat,
    TranscriptError,
    conversation_from_json,
    export_to_file,
    read_transcript,
    render,
)

EXIT_OK, EXIT_FAILED = 0, 1


def data_dir_for(args: argparse.Namespace) -> Path:
    """--data-dir, else TENSORX_DATA_DIR, else `data_dir` in the config file, else the default."""
    flags = {"data_dir": getattr(args, "data_dir", None), "config": getattr(args, "config", None)}
    return load_settings(flags).data_dir


def open_store(args: argparse.Namespace) -> Store:
    return Store.open(data_dir_for(args))


def open_existing_store(args: argparse.Namespace) -> Store | None:
    """The store, or None when nothing was ever saved (reading creates no files)."""
    return Store.open_existing(data_dir_for(args))


def _fail(message: str) -> int:
    print(f"{PROG}: {one_line(message, 1000)}", file=sys.stderr)
    return EXIT_FAILED


# -- history ---------------------------------------------------------------------------------------


def run_history(args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []
    try:
        store = open_existing_store(args)
        if store is not None:
            with store:
                if args.search is not None:
                    hits = store.search(args.search, limit=args.limit)
                    rows = [h.to_json() for h in hits]
                else:
                    rows = [s.to_json() for s in store.list_conversations(limit=args.limit)]
    except StoreError as exc:
        return _fail(str(exc))
    if args.json:
        print(terminal_safe_json(json.dumps(rows, ensure_ascii=False, indent=2)))
    else:
        print_history(rows, sys.stdout)
        if not rows:
            what = (
                "no conversation matches" if args.search is not None else "no saved conversations"
            )
            print(f"{PROG}: {what}", file=sys.stderr)
    return EXIT_OK


_ROW = "{id:<8}  {updated:<16}  {messages:>4}  {model:<28}  {cost:>9}  {title}\n"


def print_history(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    """A header, then one line per conversation (id, last update, messages, model, cost, title)
    and its snippet. The cost is the sum of the replies' known costs ("-" when none is known).
    For people: `--json` is the form for programs."""
    from datetime import datetime

    if rows:
        out.write(
            _ROW.format(
                id="ID",
                updated="UPDATED",
                messages="MSGS",
                model="MODEL",
                cost="COST",
                title="TITLE",
            )
        )
    for row in rows:
        updated = datetime.fromisoformat(row["updated_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        model = one_line(row["model"] or "-", 28)
        title = one_line(row["title"] or "(untitled)", 80)
        cost = "-" if row.get("cost") is None else format_cost(row["cost"])
        out.write(
            _ROW.format(
                id=row["id"],
                updated=updated,
                messages=row["messages"],
                model=model,
                cost=cost,
                title=title,
            )
        )
        if row.get("snippet"):
            out.write(f"          {one_line(row['snippet'], 110)}\n")


# -- export / import -------------------------------------------------------------------------------


def export_format(requested: str | None, output: str | None) -> ExportFormat:
    """--format, else from the output file's suffix (.json), else Markdown."""
    if requested == "json" or (requested is None and output and output.endswith(".json")):
        return "json"
    return "md"


def run_export(args: argparse.Namespace) -> int:
    fmt = export_format(args.format, args.output)
    try:
        store = open_existing_store(args)
        if store is None:
            raise ConversationNotFound(f"no conversation {args.id!r}")
        with store:
            conversation = store.load_conversation(store.resolve_id(args.id))
    except StoreError as exc:
        return _fail(str(exc))
    text = render(conversation, fmt)
    if args.output in (None, "-"):
        if isatty(sys.stdout):
            # Saved replies may hold escape sequences (clipboard writes, screen clears): a pipe
            # or file gets the exact text, a terminal a neutralised copy.
            text = terminal_safe_json(text) if fmt == "json" else safe_terminal_text(text)
        sys.stdout.write(text)
        return EXIT_OK
    path = Path(args.output).expanduser()
    try:
        path = export_to_file(conversation, path, fmt)  # Markdown: attachments beside it
    except StoreError as exc:
        return _fail(str(exc))
    print(f"{PROG}: wrote {path}", file=sys.stderr)
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    try:
        if args.file == "-":
            conversation = conversation_from_json(sys.stdin.read())
        else:
            conversation = read_transcript(Path(args.file).expanduser())
    except TranscriptError as exc:
        return _fail(f"cannot import {args.file}: {exc}")
    try:
        with open_store(args) as store:
            conv_id = store.import_conversation(conversation)
    except StoreError as exc:
        return _fail(str(exc))
    if conversation.meta.id and conv_id != conversation.meta.id:
        print(
            f"{PROG}: id {conversation.meta.id} is already taken; imported as {conv_id}",
            file=sys.stderr,
        )
    print(conv_id)
    return EXIT_OK
