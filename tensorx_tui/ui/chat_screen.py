"""The chat screen: conversation, prompt, status line, footer; one worker owns the reply stream."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from tensorx_tui.core.events import ResponseStarted, Retrying, StreamError, StreamEvent
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState
from tensorx_tui.ui.conversation import ConversationView
from tensorx_tui.ui.conversation_state import SKIPPED_TOOL_RESULT, ConversationState
from tensorx_tui.ui.messages import AssistantMessage
from tensorx_tui.ui.modals.copy_picker import CopyPickerModal
from tensorx_tui.ui.modals.model_picker import ModelPickerModal
from tensorx_tui.ui.modals.params import Params, ParamsModal
from tensorx_tui.ui.modals.tool_result import ToolResultModal
from tensorx_tui.ui.prompt import PromptInput
from tensorx_tui.ui.status_line import StatusLine

if TYPE_CHECKING:
    from tensorx_tui.core.client import ChatClient
    from tensorx_tui.settings import Settings

_END_STATE = {
    ReplyState.COMPLETE: "idle",
    ReplyState.CANCELLED: "cancelled",
    ReplyState.INTERRUPTED: "error",
    ReplyState.ERROR: "error",
}


class ChatScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "regenerate", "Regenerate"),
        Binding("ctrl+n", "new_conversation", "New"),
        Binding("ctrl+o", "pick_model", "Model"),
        Binding("ctrl+g", "edit_params", "Params"),
        Binding("ctrl+l", "copy_reply", "Copy"),
        Binding("ctrl+t", "answer_tools", "Answer tools"),
        Binding("ctrl+down,ctrl+end", "follow_bottom", "Bottom", show=False),
    ]

    def __init__(self, settings: Settings, client: ChatClient) -> None:
        super().__init__()
        self.settings = settings
        self.client = client
        self.state = ConversationState(
            model=settings.model,
            system=settings.system,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            tools=settings.tools,
        )
        self.busy = False  # the reply worker runs (streaming, or waiting for tool results)
        self.streaming = False  # a response is on the wire: esc cancels it
        self._last_user_widget: Widget | None = None
        self._last_reply_widget: AssistantMessage | None = None
        self.last_reply: Reply | None = None

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            # Saved conversations will live here; hidden until that feature lands.
            yield Vertical(id="sidebar")
            with Vertical(id="main"):
                yield ConversationView(id="conversation")
                yield PromptInput(id="prompt")
                yield StatusLine(
                    profile=self.settings.profile,
                    model=self.state.model,
                    base_url=self.settings.base_url,
                    demo=self.settings.demo,
                    id="status",
                )
        yield Footer()

    @property
    def conversation(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    async def on_mount(self) -> None:
        self.prompt.focus()
        await self.show_start_notices()

    async def show_start_notices(self) -> None:
        for warning in self.settings.warnings:
            await self.conversation.add_notice(warning, severity="warning")
        problem = self.settings.key_problem()
        if problem:
            self.status.set_state("no key")
            # The problem text already says how to set a key and suggests --demo.
            await self.conversation.add_notice(
                "Requests will fail until a key is set: " + problem, severity="warning"
            )
        elif self.settings.demo:
            await self.conversation.add_notice(
                "Offline demo: replies are scripted by a local server; nothing leaves this machine."
                " Try asking for a code example, or for the weather with --tools."
            )

    # -- which keys work now (the footer shows only these) -----------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.streaming
        if action == "regenerate":
            return not self.busy and self.state.can_regenerate()
        if action == "answer_tools":
            return not self.busy and bool(self.state.pending_tool_calls)
        if action == "copy_reply":
            return self._last_reply_widget is not None
        return True

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.refresh_bindings()

    def _set_streaming(self, streaming: bool) -> None:
        self.streaming = streaming
        self.refresh_bindings()

    # -- sending ----------------------------------------------------------------------------

    @on(PromptInput.Submitted, "#prompt")
    async def send_prompt(self, event: PromptInput.Submitted) -> None:
        event.stop()
        if self.busy:
            self.notify("A reply is still streaming: esc cancels it.", markup=False)
            return
        text = self.prompt.take_text()
        await self.skip_pending_tool_calls()
        self.state.add_user(text)
        self._last_user_widget = await self.conversation.add_user(text)
        self.conversation.follow_bottom()
        self.run_reply()

    @on(PromptInput.RecallRequested, "#prompt")
    def recall_last_message(self, event: PromptInput.RecallRequested) -> None:
        event.stop()
        text = self.state.last_user_text()
        if text is not None:
            self.prompt.recall(text)

    async def skip_pending_tool_calls(self) -> None:
        for call in self.state.pending_tool_calls:
            self.state.add_tool_result(call, SKIPPED_TOOL_RESULT)
            await self.conversation.add_tool_result(call, SKIPPED_TOOL_RESULT)

    # -- the reply worker -------------------------------------------------------------------

    @work(exclusive=True, group="reply", exit_on_error=False)
    async def run_reply(self, *, answer_tools_first: bool = False) -> None:
        """Stream replies until one needs nothing more: tool calls are answered in between."""
        self._set_busy(True)
        try:
            if answer_tools_first and not await self.answer_tool_calls():
                return
            while True:
                reply = await self.stream_one_reply()
                if reply.state != ReplyState.COMPLETE or not self.state.pending_tool_calls:
                    return
                if not await self.answer_tool_calls():
                    return
        finally:
            self._set_busy(False)

    async def stream_one_reply(self) -> Reply:
        self._set_streaming(True)
        try:
            return await self._stream_one_reply()
        finally:
            self._set_streaming(False)

    async def _stream_one_reply(self) -> Reply:
        message = await self.conversation.add_assistant(self.state.model)
        self._last_reply_widget = message
        self.status.set_state("connecting")
        stream = self.client.stream(self.state.build_request())
        try:
            async with stream:
                async for event in stream:
                    message.apply(event)
                    self.show_event_status(event)
        except asyncio.CancelledError:
            # Esc: the client closed the connection and marked the reply cancelled; keep the text.
            await self.finish_reply(message, stream.reply)
            raise
        except Exception as exc:
            # A bug, not a provider error (those arrive as StreamError): close the message as an
            # error, then let the worker report it (on_worker_state_changed).
            reply = stream.reply
            reply.state = ReplyState.ERROR
            reply.error = ErrorInfo(f"Internal error: {exc!r}")
            await self.finish_reply(message, reply)
            raise
        await self.finish_reply(message, stream.reply)
        return stream.reply

    async def finish_reply(self, message: AssistantMessage, reply: Reply) -> None:
        self.last_reply = reply
        self.state.add_assistant(reply)
        self.status.set_rate_limits(reply.rate_limits)
        detail = self.status.detail if reply.state == ReplyState.ERROR else ""
        self.status.set_state(_END_STATE.get(reply.state, "idle"), detail)
        await self.conversation.finish_assistant(message, reply)

    def show_event_status(self, event: StreamEvent) -> None:
        # Only the rare events touch the status line: nothing is done per token here.
        if isinstance(event, ResponseStarted):
            self.status.set_state("streaming")
            self.status.set_rate_limits(event.rate_limits)
        elif isinstance(event, Retrying):
            self.status.set_retrying(event.delay, event.attempt, event.reason)
        elif isinstance(event, StreamError):
            self.status.set_state("error", f"HTTP {event.status}" if event.status else "")

    async def answer_tool_calls(self) -> bool:
        """Ask for each pending tool call's result; False when the user left with Esc."""
        calls = self.state.pending_tool_calls
        self.status.set_state("waiting", "for tool results")
        for position, call in enumerate(calls, 1):
            modal = ToolResultModal(call, position=position, count=len(calls))
            result = await self.app.push_screen_wait(modal)
            if result is None:
                await self.conversation.add_notice(
                    "Tool call left unanswered: ctrl+t answers it; sending a message skips it.",
                    severity="warning",
                )
                self.status.set_state("idle")
                return False
            self.state.add_tool_result(call, result)
            await self.conversation.add_tool_result(call, result)
        return True

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A bug in the reply path must not pass silently (exit_on_error=False keeps the app up).
        if event.worker.group == "reply" and event.state == WorkerState.ERROR:
            self.status.set_state("error")
            await self.conversation.add_notice(
                f"Internal error while handling the reply: {event.worker.error!r}",
                severity="error",
            )

    # -- actions ----------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "reply")

    async def action_regenerate(self) -> None:
        if self.busy or not self.state.drop_after_last_user():
            return
        await self.remove_widgets_after(self._last_user_widget)
        self.conversation.follow_bottom()
        self.run_reply()

    async def remove_widgets_after(self, widget: Widget | None) -> None:
        """Remove every message shown after `widget` (messages may sit in nested groups)."""
        later: list[Widget] = []
        node = widget
        while node is not None and node is not self.conversation:
            parent = node.parent
            if not isinstance(parent, Widget):
                return  # not in the conversation any more
            siblings = list(parent.children)
            later += siblings[siblings.index(node) + 1 :]
            node = parent
        for stale in later:
            await stale.remove()
        self._last_reply_widget = None

    def action_answer_tools(self) -> None:
        if not self.busy and self.state.pending_tool_calls:
            self.run_reply(answer_tools_first=True)

    async def action_new_conversation(self) -> None:
        if self.busy:
            self.workers.cancel_group(self, "reply")
            await self.workers.wait_for_complete()
        self.state.clear()
        self._last_user_widget = self._last_reply_widget = None
        await self.conversation.clear_messages()
        self.status.set_state("idle")
        self.refresh_bindings()
        self.prompt.clear()
        self.prompt.focus()

    def action_follow_bottom(self) -> None:
        self.conversation.follow_bottom()

    def action_pick_model(self) -> None:
        def chosen(model: str | None) -> None:
            if model and model != self.state.model:
                self.state.model = model
                self.status.set_model(model)
                self.notify(f"Model: {model}", markup=False)

        self.app.push_screen(ModelPickerModal(self.client.list_models, self.state.model), chosen)

    def action_edit_params(self) -> None:
        current = Params(self.state.system, self.state.temperature, self.state.max_tokens)

        def saved(params: Params | None) -> None:
            if params is not None:
                self.state.system = params.system
                self.state.temperature = params.temperature
                self.state.max_tokens = params.max_tokens
                self.notify("Parameters saved for this conversation.", markup=False)

        self.app.push_screen(ParamsModal(current), saved)

    def action_copy_reply(self) -> None:
        message = self._last_reply_widget
        if message is None:
            return
        text = message.reply_text
        blocks = message.code_blocks
        if not blocks:
            self.copy(text, "the last reply")
            return

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self.copy(choice, "the reply" if choice == text else "the code block")

        self.app.push_screen(CopyPickerModal(text, blocks), chosen)

    def copy(self, text: str, what: str) -> None:
        if not text:
            self.notify("Nothing to copy yet.", markup=False, severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {what} ({len(text)} characters).", markup=False)

    def action_recall(self) -> None:
        text = self.state.last_user_text()
        if text is not None:
            self.prompt.recall(text)
            self.prompt.focus()
