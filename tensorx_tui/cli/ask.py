"""`tensorx-chat ask` and `tensorx-chat models`: one request, printed for a shell (no textual)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from typing import Any, BinaryIO

from tensorx_tui.chat.engine import ChatEngine, Turn
from tensorx_tui.chat.events import ReplyFinished, TurnStarted
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.chat.settings import Overrides, TurnSettings
from tensorx_tui.cli.ask_printer import AskPrinter, wants_color
from tensorx_tui.cli.shell import PROG, UsageError, isatty, settings_for
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.open_endpoint import open_endpoint
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.records import Conversation

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def read_prompt(argument: str | None, stdin: BinaryIO, stdin_is_tty: bool) -> str:
    """The prompt: the argument, stdin (no argument or `-`), or both (argument, blank line, stdin).

    Stdin is read only when it is not a terminal, except with an explicit `-`.
    """
    from_stdin = ""
    if argument == "-" or not stdin_is_tty:
        from_stdin = stdin.read().decode("utf-8", errors="replace")
    if argument in (None, "-"):
        prompt = from_stdin
    elif from_stdin.strip():
        prompt = f"{argument}\n\n{from_stdin}"
    else:
        prompt = argument
    if not prompt.strip():
        if argument is None and stdin_is_tty:
            raise UsageError("no prompt: give one as an argument, or pipe it on stdin")
        raise UsageError("the prompt is empty")
    return prompt


def open_saved(
    args: argparse.Namespace, settings: Settings
) -> tuple[Store | None, Conversation | None]:
    """The store `ask` saves into (None: --no-save, or it cannot be opened) and the conversation
    it continues (-c / --conversation). Raises UsageError when that conversation cannot be had."""
    wanted: str | None = getattr(args, "conversation", None)
    cont = bool(getattr(args, "continue_", False))
    save = not getattr(args, "no_save", False)
    if not (save or wanted or cont):
        return None, None
    try:
        store = Store.open(settings.data_dir)
    except StoreError as exc:
        if wanted or cont:
            raise UsageError(str(exc)) from exc
        _warn(f"the reply will not be saved: {exc}")
        return None, None
    try:
        conversation = None
        if wanted:
            conversation = store.load_conversation(store.resolve_id(wanted))
        elif cont:
            latest = store.latest_conversation_id()
            if latest is None:
                raise StoreError("no saved conversation to continue")
            conversation = store.load_conversation(latest)
    except StoreError as exc:
        store.close()
        raise UsageError(str(exc)) from exc
    if not save:
        # Continuing without saving: read the history, then let go of the database.
        store.close()
        return None, conversation
    return store, conversation


def flag_overrides(args: argparse.Namespace, settings: Settings) -> Overrides:
    """The settings given as flags this time: they win over a continued conversation's own."""
    given = frozenset(
        name
        for name, flag in (
            ("model", "model"),
            ("system", "system"),
            ("temperature", "temperature"),
            ("max_tokens", "max_tokens"),
        )
        if getattr(args, flag, None) is not None
    )
    return Overrides(
        model=settings.model,
        system=args.system,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        given=given,
    )


class _Progress:
    """What survives a Ctrl-C: the turn (and so its live reply)."""

    turn: Turn | None = None


async def _run_turn(
    settings: Settings, engine: ChatEngine, printer: AskPrinter, progress: _Progress
) -> Reply:
    async with open_endpoint(settings) as client:
        engine.endpoint = client
        async with engine.turn() as turn:
            progress.turn = turn
            async for event in turn:
                if not isinstance(event, TurnStarted | ReplyFinished):
                    printer.on_event(event)
    return turn.reply


def run_ask(args: argparse.Namespace) -> int:
    prompt = read_prompt(args.prompt, sys.stdin.buffer, isatty(sys.stdin))
    with settings_for(args) as settings:
        store, conversation = open_saved(args, settings)
        with contextlib.closing(store) if store is not None else contextlib.nullcontext():
            return _ask(args, settings, prompt, store, conversation)


def _ask(
    args: argparse.Namespace,
    settings: Settings,
    prompt: str,
    store: Store | None,
    conversation: Conversation | None,
) -> int:
    engine = ChatEngine(
        _NO_ENDPOINT_YET,
        ConversationLog(store, on_error=_warn),
        TurnSettings(settings.model, settings.system, settings.temperature, settings.max_tokens),
        profile=settings.profile,
        base_url=settings.base_url,
        tools=settings.tools,
    )
    if conversation is not None:
        # -c / --conversation: the earlier messages go first, with the conversation's settings
        # (the same rule as opening it in the chat UI).
        engine.open(conversation, flag_overrides(args, settings))
    printer = AskPrinter(
        sys.stdout,
        sys.stderr,
        color=wants_color(sys.stderr, os.environ),
        json_mode=args.json,
        show_usage=args.usage or args.verbose,
    )
    if args.verbose and not args.json:
        printer.note(f"POST {settings.base_url}/chat/completions  model {engine.state.model}")
    engine.add_user(prompt)
    progress = _Progress()
    try:
        reply = asyncio.run(_run_turn(settings, engine, printer, progress))
    except KeyboardInterrupt:
        # The turn was cancelled with the event loop: the engine saved it as cancelled.
        reply = progress.turn.reply if progress.turn else Reply(state=ReplyState.CANCELLED)
        if reply.state is not ReplyState.COMPLETE:
            reply.state = ReplyState.CANCELLED
        printer.finish(reply, base_url=settings.base_url)
        return EXIT_INTERRUPTED
    printer.finish(reply, base_url=settings.base_url)
    if args.verbose and not args.json and engine.saving and engine.conv_id:
        printer.note(f"saved as conversation {engine.conv_id}")
    return EXIT_OK if reply.state is ReplyState.COMPLETE else EXIT_FAILED


class _NoEndpoint:
    """The endpoint is opened inside the event loop (`_run_turn`); nothing streams before."""

    def stream(self, request: ChatRequest) -> Any:
        raise RuntimeError("no endpoint yet")


_NO_ENDPOINT_YET = _NoEndpoint()


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {one_line(message, 1000)}", file=sys.stderr)


def _fail(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
