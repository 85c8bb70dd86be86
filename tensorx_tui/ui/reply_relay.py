"""One reply worker's run of the engine's tool loop, relayed to the chat screen's widgets.

The loop (chat/tool_loop.py) streams a turn, has MCP calls approved (the approval modal) and run
concurrently, sends the results back and streams the next turn, until the model answers. This
module only shows what it reports: a message per turn, a running/finished widget per call, the
status line. Calls no MCP server offers (`--tools FILE`) are answered by hand in the tool result
modal, then the loop goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING

from tensorx_tui.chat.events import ReplyFinished, TurnStarted
from tensorx_tui.chat.tool_loop import (
    CANCELLED_RESULT,
    ApprovalRequest,
    Decision,
    LoopEvent,
    StepLimitReached,
    ToolCallsWaiting,
    ToolLoop,
    ToolRunFinished,
    ToolRunStarted,
)
from tensorx_tui.core.descriptions import status_label
from tensorx_tui.core.events import ResponseStarted, StreamError, StreamEvent
from tensorx_tui.core.reply import Reply, ReplyState, ToolCall
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.ui.modals.tool_approval import ToolApprovalModal
from tensorx_tui.ui.modals.tool_result import ToolResultModal
from tensorx_tui.ui.transcript import AssistantMessage
from tensorx_tui.ui.transcript.reply_progress import ReplyProgress
from tensorx_tui.ui.transcript.tool_run import RunOutcome, ToolRunMessage, call_label

if TYPE_CHECKING:
    from tensorx_tui.ui.chat_screen import ChatScreen

PLACEHOLDER_AFTER_S = 0.03  # see _mount

_END_STATE = {
    ReplyState.COMPLETE: "idle",
    ReplyState.CANCELLED: "cancelled",
    ReplyState.INTERRUPTED: "error",
    ReplyState.ERROR: "error",
}


def save_problem(config_path: Path | None, server: str, tool: str) -> str | None:
    """Why "always allow" cannot be saved to the config file (None: it can), found by trying
    the edit in memory: a button that could only fail is not offered."""
    # Imported here: only approvals need it, and without MCP servers there are none.
    from tensorx_tui.tools.approval import ConfigEditError, add_to_allow_list

    if config_path is None:
        return "no config file is in use"
    try:
        text = config_path.expanduser().read_text(encoding="utf-8")
        add_to_allow_list(text, server, tool, str(config_path))
    except OSError as exc:
        return f"cannot read {config_path}: {exc.strerror or exc}"
    except UnicodeDecodeError:
        return f"{config_path} is not UTF-8 text"
    except ConfigEditError as exc:
        return str(exc)
    return None


class ReplyRelay:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        settings = screen.settings
        self.loop = ToolLoop(
            screen.engine,
            screen.tool_servers,
            screen.tool_policy,
            self.approve,
            step_limit=settings.tool_step_limit,
            config_path=settings.config_path,
            on_persist_error=self._not_saved,
            allows_call=screen.offered_tools.allows_call,
        )
        self.message: AssistantMessage | None = None  # the reply on the wire
        self._mounting: asyncio.Future[AssistantMessage] | None = None  # its message, coming
        self.runs: dict[int, ToolRunMessage] = {}  # running calls, by id() of their ToolCall
        self.last_reply: Reply | None = None
        self._stopped = False  # cancelled while a message was being added: end quietly

    async def run(self, *, answer_tools_first: bool = False) -> Reply | None:
        """Until a reply needs nothing more; the last reply (None when there was none)."""
        pending_first = answer_tools_first
        while True:
            waiting = await self._relay(self.loop.run(answer_pending_first=pending_first))
            if self._stopped or not waiting or not await self.answer_by_hand(waiting):
                return self.last_reply
            pending_first = False

    def cancel_running(self) -> int:
        """Esc while tools run: each running call is cancelled and the model told so."""
        return self.loop.cancel_running() if self.loop.running else 0

    async def _relay(self, events: AsyncGenerator[LoopEvent, None]) -> list[ToolCall] | None:
        waiting: list[ToolCall] | None = None
        try:
            async with aclosing(events):
                async for event in events:
                    if isinstance(event, ToolCallsWaiting):
                        waiting = event.calls
                    else:
                        await self.show(event)
                    if self._stopped:
                        break  # closing the loop saves the turn as cancelled
        except (asyncio.CancelledError, Exception):
            # Cancelled (Esc mid-stream, a new conversation) or a bug: the loop has ended, the
            # engine saved the turn as it stood; show it so, then let the worker end.
            await self._wind_down()
            raise
        if self._stopped:
            await self._wind_down()
        return waiting

    async def show(self, event: LoopEvent) -> None:
        if isinstance(event, StreamEvent):  # the common case: one per token
            message = self.message or await self._mounted()
            if message is not None and not self._stopped:
                message.apply(event)
                self._stream_status(event)
        elif isinstance(event, TurnStarted):
            await self._reply_started(event.model)
        elif isinstance(event, ReplyFinished):
            await self._reply_finished(event.reply)
        elif isinstance(event, ToolRunStarted):
            await self._run_started(event)
        elif isinstance(event, ToolRunFinished):
            await self._run_finished(event)
        elif isinstance(event, StepLimitReached):
            await self.screen.conversation.add_notice(
                f"Stopped after {event.limit} tool round trips (the step limit, [mcp] step_limit"
                " in the config): the last calls were not run. Send a message to go on.",
                severity="warning",
            )

    # -- a turn ---------------------------------------------------------------------------------

    async def _reply_started(self, model: str) -> None:
        screen = self.screen
        screen.set_streaming(True)
        # perf: one progress (connecting, waiting, streaming, keep-alives) for the status line
        # and the message's placeholder; the message is mounted while the request is already
        # on its way, and only the first event waits for it (_mounted).
        progress = ReplyProgress()
        screen.status.track(progress)
        self._mounting = asyncio.ensure_future(self._mount(model, progress))

    async def _mount(self, model: str, progress: ReplyProgress) -> AssistantMessage:
        # perf: a moment for the request to leave first (mounting a message is tens of ms of
        # work that would run between the steps of connecting); painting waits anyway.
        await asyncio.sleep(PLACEHOLDER_AFTER_S)
        return await self.screen.conversation.add_assistant(model, progress)

    async def _mounted(self) -> AssistantMessage | None:
        """The reply's message once mounted. Shielded: an Esc during the mount must not leave a
        half-added, never-finished message; it ends the reply like an Esc mid-stream (shown and
        saved as cancelled), and the worker ends normally."""
        mounting, self._mounting = self._mounting, None
        if mounting is not None:
            try:
                self.message = await asyncio.shield(mounting)
            except asyncio.CancelledError:
                self.message = await mounting
                self._stopped = True
            self.screen.last_reply_widget = self.message
        return self.message

    async def _reply_finished(self, reply: Reply) -> None:
        await self._mounted()
        message, self.message = self.message, None
        self.last_reply = self.screen.last_reply = reply
        if message is not None:
            await self._show_finished(message, reply)
        self.screen.set_streaming(False)

    async def _show_finished(self, message: AssistantMessage, reply: Reply) -> None:
        screen = self.screen
        screen.sidebar.reload_if_open()
        status = screen.status
        status.set_rate_limits(reply.rate_limits)
        detail = status.detail if status.state == "error" else ""
        status.set_state(_END_STATE.get(reply.state, "idle"), detail)
        await screen.conversation.finish_assistant(message, reply)
        await screen.facts.reply_finished(reply)

    def _stream_status(self, event: StreamEvent) -> None:
        # Only the rare events touch the status line: nothing is done per token here (the
        # phases, retries included, come from the tracked ReplyProgress).
        status = self.screen.status
        if isinstance(event, ResponseStarted):
            status.set_rate_limits(event.rate_limits)
        elif isinstance(event, StreamError):
            status.set_state("error", status_label(event.status) or "")

    async def _wind_down(self) -> None:
        """The loop ended early: the open message shows the reply as the engine saved it, and
        calls still shown running show as cancelled."""
        screen = self.screen
        await self._mounted()
        message, self.message = self.message, None
        if message is not None:
            turn = screen.engine.current_turn
            reply = turn.reply if turn is not None else Reply(state=ReplyState.CANCELLED)
            self.last_reply = screen.last_reply = reply
            await self._show_finished(message, reply)
        runs, self.runs = self.runs, {}
        for view in runs.values():
            elapsed = view.clock() - view.started
            await view.finish(RunOutcome(CANCELLED_RESULT, True, elapsed, "cancelled"))
        screen.set_streaming(False)
        screen.set_tools_running(0)

    # -- tool calls -----------------------------------------------------------------------------

    async def approve(self, request: ApprovalRequest) -> Decision:
        screen = self.screen
        screen.status.set_state("waiting", "for approval")
        problem = save_problem(screen.settings.config_path, request.server, request.tool)
        modal = ToolApprovalModal(request, save_problem=problem)
        decision = await screen.app.push_screen_wait(modal)
        return decision if isinstance(decision, Decision) else Decision.deny()

    def _not_saved(self, message: str) -> None:
        self.screen.notify(
            "Allowed for this session only; not saved: " + one_line(message, 400),
            severity="warning",
            markup=False,
            timeout=10,
        )

    async def _run_started(self, event: ToolRunStarted) -> None:
        label = call_label(event.server, event.tool, event.call)
        view = ToolRunMessage(label, started=event.started)
        self.runs[id(event.call)] = view
        self._show_running()
        await self.screen.conversation.add_tool_run(view)

    async def _run_finished(self, event: ToolRunFinished) -> None:
        result = event.result
        outcome = RunOutcome(result.content, result.is_error, result.duration_s, result.approval)
        view = self.runs.pop(id(event.call), None)
        self._show_running()
        if view is not None:
            await view.finish(outcome)
        else:  # denied: it never ran
            label = call_label(result.server, result.tool, event.call)
            await self.screen.conversation.add_tool_run(ToolRunMessage(label, outcome=outcome))

    def _show_running(self) -> None:
        count = len(self.runs)
        self.screen.set_tools_running(count)
        if count:
            self.screen.status.set_state("running tools", f"({count})")

    async def answer_by_hand(self, calls: list[ToolCall]) -> bool:
        """Ask for each result of calls no MCP server offers; False when the user left (esc)."""
        screen = self.screen
        screen.status.set_state("waiting", "for tool results")
        for position, call in enumerate(calls, 1):
            modal = ToolResultModal(call, position=position, count=len(calls))
            result = await screen.app.push_screen_wait(modal)
            if result is None:
                await screen.conversation.show_unanswered_notice()
                screen.status.set_state("idle")
                return False
            screen.engine.add_tool_result(call, result)
            await screen.conversation.add_tool_result(call, result)
        await screen.conversation.drop_unanswered_notice()  # answered: the notice is no longer true
        return True
