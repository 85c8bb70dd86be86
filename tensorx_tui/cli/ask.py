"""`tensorx-chat ask` and `tensorx-chat models`: one request, printed for a shell (no textual)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from typing import BinaryIO

from tensorx_tui.cli.ask_printer import AskPrinter, wants_color
from tensorx_tui.cli.history import AskConversation
from tensorx_tui.cli.shell import UsageError, isatty, settings_for
from tensorx_tui.core.client import ReplyStream
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.request import ChatRequest, with_system
from tensorx_tui.core.secret import redact_url
from tensorx_tui.core.urls import join_path
from tensorx_tui.open_endpoint import build_client
from tensorx_tui.settings import Settings

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


class _Progress:
    """What survives a Ctrl-C: the stream (and so its live reply snapshot)."""

    stream: ReplyStream | None = None


async def _stream_reply(
    settings: Settings,
    request: ChatRequest,
    printer: AskPrinter,
    progress: _Progress,
    saving: AskConversation,
) -> Reply:
    async with (
        build_client(settings) as client,
        client.stream(request) as stream,
        saving.recording(),
    ):
        progress.stream = stream
        async for event in stream:
            printer.on_event(event)
            saving.on_event(stream.reply)
    return stream.reply


def run_ask(args: argparse.Namespace) -> int:
    prompt = read_prompt(args.prompt, sys.stdin.buffer, isatty(sys.stdin))
    with (
        settings_for(args) as settings,
        contextlib.closing(AskConversation.open(args, settings)) as saving,
    ):
        # -c / --conversation: the earlier messages go first, with the conversation's settings.
        system = saving.system(settings, args.system)
        model = saving.model(settings, args.model)
        request = ChatRequest(
            model=model,
            messages=with_system(system, [*saving.history(), {"role": "user", "content": prompt}]),
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            tools=settings.tools,
        )
        printer = AskPrinter(
            sys.stdout,
            sys.stderr,
            color=wants_color(sys.stderr, os.environ),
            json_mode=args.json,
            show_usage=args.usage or args.verbose,
        )
        if args.verbose and not args.json:
            url = redact_url(join_path(settings.base_url, "chat/completions"))
            printer.note(f"POST {url}  model {model}")
        saving.save_prompt(prompt, settings=settings, model=model, system=system)
        progress = _Progress()
        try:
            reply = asyncio.run(_stream_reply(settings, request, printer, progress, saving))
        except KeyboardInterrupt:
            reply = progress.stream.reply if progress.stream else Reply()
            if reply.state is not ReplyState.COMPLETE:
                reply.state = ReplyState.CANCELLED
            saving.finish(reply)
            printer.finish(reply, endpoint=settings.hint_endpoint())
            return EXIT_INTERRUPTED
        saving.finish(reply)
        printer.finish(reply, endpoint=settings.hint_endpoint())
        if args.verbose and not args.json and saving.save and saving.conv_id:
            printer.note(f"saved as conversation {saving.conv_id}")
    return EXIT_OK if reply.state is ReplyState.COMPLETE else EXIT_FAILED


def _fail(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
