"""`tensorx-chat ask` and `tensorx-chat models`: one request, printed for a shell (no textual)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from typing import Any, BinaryIO

from tensorx_tui.chat.engine import ChatEngine
from tensorx_tui.chat.events import ReplyFinished
from tensorx_tui.chat.pricing import Pricing
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.chat.settings import Overrides, TurnSettings
from tensorx_tui.chat.tool_loop import LoopEvent, ToolLoop, ToolStepDone
from tensorx_tui.chat.vision import images_in, vision_warning
from tensorx_tui.cli.ask_printer import AskPrinter, cost_line, wants_color
from tensorx_tui.cli.ask_tools import TerminalApprover, ToolProgress, start_tool_servers
from tensorx_tui.cli.shell import PROG, UsageError, isatty, settings_for
from tensorx_tui.core.attachments import Attachment, AttachmentError, Limits, read_attachment
from tensorx_tui.core.events import ContentDelta, StreamEvent
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.core.secret import redact_url
from tensorx_tui.core.urls import join_path
from tensorx_tui.open_catalog import open_catalog
from tensorx_tui.open_endpoint import open_endpoint
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.records import Conversation

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def read_prompt(
    argument: str | None, stdin: BinaryIO, stdin_is_tty: bool, *, attachments: bool = False
) -> str:
    """The prompt: the argument, stdin (no argument or `-`), or both (argument, blank line, stdin).

    Stdin is read only when it is not a terminal, except with an explicit `-`. With attachments
    the prompt may be empty (the files say it all).
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
        if attachments:
            return ""
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


async def _converse(
    args: argparse.Namespace, settings: Settings, engine: ChatEngine, printer: AskPrinter
) -> list[ToolStepDone]:
    """The turns of this ask: one, or with MCP tools, as many as the tool loop takes."""
    async with open_endpoint(settings) as endpoint:
        engine.endpoint = endpoint
        # The prices load (or come from the cache) while the first reply streams.
        pricing = engine.pricing = Pricing()
        pricing.load_in_background(open_catalog(endpoint, settings))
        if images_in(engine.state.last_user_attachments()):
            # The model's metadata says whether it can see: known before the request leaves.
            await pricing.ready()
            model = engine.state.model
            warning = vision_warning(
                engine.state.last_user_attachments(), model, pricing.info_for(model)
            )
            if warning:
                _warn(warning)
        servers, policy = await start_tool_servers(settings, sys.stderr)
        try:
            if servers is not None:
                engine.state.tools = [*(settings.tools or []), *servers.openai_tools()] or None
            loop = ToolLoop(
                engine,
                servers,
                policy,
                TerminalApprover(
                    sys.stderr, allow_all=args.allow_all_tools, allow=args.allow_tool or ()
                ),
                step_limit=settings.tool_step_limit,
            )
            answer = _AnswerRelay(printer, hold=servers is not None)
            progress = ToolProgress(sys.stderr)
            async for event in loop.run():
                answer.on_event(event)
                if not args.json:
                    progress.on_event(event)
            return loop.steps
        finally:
            pricing.close()
            if servers is not None:
                await servers.aclose()


class _AnswerRelay:
    """Events to the printer. With MCP tools, a step's text waits until its reply ends: stdout
    carries only the final answer; text the model wrote before calling tools goes to stderr."""

    def __init__(self, printer: AskPrinter, *, hold: bool) -> None:
        self.printer = printer
        self.hold = hold
        self.held: list[ContentDelta] = []

    def on_event(self, event: LoopEvent) -> None:
        if isinstance(event, ReplyFinished):
            held, self.held = self.held, []
            if event.reply.tool_calls and event.reply.state is ReplyState.COMPLETE:
                text = "".join(d.text for d in held).strip()
                if text:
                    self.printer.note(one_line(text, 2000))
            else:
                for delta in held:
                    self.printer.on_event(delta)
        elif self.hold and isinstance(event, ContentDelta):
            self.held.append(event)
        elif isinstance(event, StreamEvent):
            self.printer.on_event(event)


def run_ask(args: argparse.Namespace) -> int:
    paths: list[str] = getattr(args, "attach", None) or []
    prompt = read_prompt(args.prompt, sys.stdin.buffer, isatty(sys.stdin), attachments=bool(paths))
    with settings_for(args) as settings:
        # Every file is read (and refused, exit 2) before anything is saved or sent.
        attachments = read_attachments(paths, settings.attach_limits)
        store, conversation = open_saved(args, settings)
        with contextlib.closing(store) if store is not None else contextlib.nullcontext():
            return _ask(args, settings, prompt, store, conversation, attachments)


def read_attachments(paths: list[str], limits: Limits) -> list[Attachment]:
    """The files of `-a`, or UsageError (exit 2) naming the first that cannot be attached."""
    attachments = []
    for path in paths:
        try:
            attachments.append(read_attachment(path, limits))
        except AttachmentError as exc:
            raise UsageError(f"cannot attach {exc}; nothing was sent") from None
    return attachments


def _ask(
    args: argparse.Namespace,
    settings: Settings,
    prompt: str,
    store: Store | None,
    conversation: Conversation | None,
    attachments: list[Attachment] | None = None,
) -> int:
    log = ConversationLog(store, on_error=_warn)
    engine = ChatEngine(
        _NO_ENDPOINT_YET,
        log,
        TurnSettings(settings.model, settings.system, settings.temperature, settings.max_tokens),
        profile=settings.profile,
        base_url=settings.base_url,
        tools=settings.tools,
        reasoning_with_tool_calls=settings.reasoning_with_tool_calls,
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
        url = redact_url(join_path(settings.base_url, "chat/completions"))
        printer.note(f"POST {url}  model {engine.state.model}")
    engine.add_user(prompt, attachments or ())
    steps: list[ToolStepDone] = []
    try:
        steps = asyncio.run(_converse(args, settings, engine, printer))
    except KeyboardInterrupt:
        # The turn was cancelled with the event loop: the engine saved it as cancelled.
        turn = engine.current_turn
        reply = turn.reply if turn else Reply(state=ReplyState.CANCELLED)
        if reply.state is not ReplyState.COMPLETE:
            reply.state = ReplyState.CANCELLED
        log.settle()
        printer.finish(reply, endpoint=settings.hint_endpoint())
        return EXIT_INTERRUPTED
    reply = engine.current_turn.reply if engine.current_turn else Reply()
    # A final save the database was too busy for: this is the last moment `ask` has to make it.
    log.settle()
    printer.finish(reply, endpoint=settings.hint_endpoint(), steps=[_step_json(s) for s in steps])
    if args.verbose and not args.json:
        model = engine.state.model
        info = engine.pricing.info_for(model, reply.model) if engine.pricing else None
        printer.note(cost_line(reply, info, model))
    if args.verbose and not args.json and engine.saving and engine.conv_id:
        printer.note(f"saved as conversation {engine.conv_id}")
    return EXIT_OK if reply.state is ReplyState.COMPLETE else EXIT_FAILED


def _step_json(step: ToolStepDone) -> dict[str, Any]:
    return {
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in step.calls],
        "results": [r.to_json() for r in step.results],
    }


class _NoEndpoint:
    """The endpoint is opened inside the event loop (`_run_turn`); nothing streams before."""

    def stream(self, request: ChatRequest) -> Any:
        raise RuntimeError("no endpoint yet")


_NO_ENDPOINT_YET = _NoEndpoint()


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {one_line(message, 1000)}", file=sys.stderr)


def _fail(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
