"""The chat screen: conversation, prompt, status line, footer; one worker owns the reply stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from tensorx_tui.core.events import ResponseStarted, StreamError, StreamEvent
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, ToolCall
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.records import Conversation, ConversationId
from tensorx_tui.store.session import (
    ConversationLog,
    NewConversation,
    continued_model,
    request_params,
)
from tensorx_tui.store.transcripts import ExportFormat, export_to_file
from tensorx_tui.ui.conversation import ConversationView
from tensorx_tui.ui.conversation_state import SKIPPED_TOOL_RESULT, ConversationState
from tensorx_tui.ui.footer import ChatFooter
from tensorx_tui.ui.modals.copy_picker import CopyPickerModal
from tensorx_tui.ui.modals.model_picker import ModelPickerModal
from tensorx_tui.ui.modals.params import Params, ParamsModal
from tensorx_tui.ui.modals.rename import RenameModal
from tensorx_tui.ui.modals.tool_result import ToolResultModal
from tensorx_tui.ui.prompt import PromptInput
from tensorx_tui.ui.sidebar import ConversationSidebar
from tensorx_tui.ui.status_line import StatusLine
from tensorx_tui.ui.transcript import AssistantMessage
from tensorx_tui.ui.transcript.reply_progress import ReplyProgress

if TYPE_CHECKING:
    from tensorx_tui.core.client import ChatClient
    from tensorx_tui.settings import Settings
    from tensorx_tui.store.conversations import Store

StoreSource = Callable[[], "Store | None"]

HISTORY_SHOWN = 120  # messages of an opened conversation rendered (the rest stays in the state)

REQUEST_FIRST_S = 0.05  # see send_prompt
PLACEHOLDER_AFTER_S = 0.03  # see _mount_reply

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
        Binding("ctrl+b", "toggle_sidebar", "Chats"),
        Binding("ctrl+s", "export('md')", "Export"),
        Binding("ctrl+down,ctrl+end", "follow_bottom", "Bottom", show=False),
    ]

    def __init__(
        self, settings: Settings, client: ChatClient, store: StoreSource | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.client = client
        # Saving: the store is asked for lazily (after the first frame, or at the first send).
        self._store_source = store
        self._store_asked = False
        self.saving = ConversationLog(None, on_error=self._saving_failed)
        self._saved_settings: tuple[Any, ...] | None = None
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
            yield ConversationSidebar(self.get_store, id="sidebar")
            with Vertical(id="main"):
                yield ConversationView(id="conversation")
                # perf: in a box of their own, the prompt and the status line are not redrawn
                # with every frame of the conversation (Textual renders each widget whose
                # container overlaps the changed region).
                with Vertical(id="composer"):
                    yield PromptInput(id="prompt")
                    yield StatusLine(
                        profile=self.settings.profile,
                        model=self.state.model,
                        base_url=self.settings.base_url,
                        demo=self.settings.demo,
                        id="status",
                    )
        yield ChatFooter()

    @property
    def conversation(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def sidebar(self) -> ConversationSidebar:
        return self.query_one(ConversationSidebar)

    async def on_mount(self) -> None:
        self.prompt.focus()
        await self.show_start_notices()
        self.call_after_refresh(self.get_store)

    def get_store(self) -> Store | None:
        """The conversation store, opened at the first need (None: not saving)."""
        if not self._store_asked:
            self._store_asked = True
            self.saving.store = self._store_source() if self._store_source else None
        return self.saving.store

    def _saving_failed(self, message: str) -> None:
        self.notify(one_line(message, 500), severity="warning", markup=False, timeout=8)

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
        if action in ("export", "rename_conversation"):
            return self.saving.conv_id is not None and self.saving.store is not None
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
        # perf: nothing is laid out or painted for 50 ms, so the request is on the wire before
        # the new messages are drawn (a layout between the steps of connecting delayed it).
        self.app.delay_update(REQUEST_FIRST_S)
        text = self.prompt.take_text()
        await self.skip_pending_tool_calls()
        self.state.add_user(text)
        self.save_user_message(text)
        # perf: the request leaves before the user's message is drawn (the conversation mounts
        # messages in the order they were asked for, so the reply still comes after it).
        adding = self.conversation.add_user(text)
        self.run_reply()
        self._last_user_widget = await adding
        self.conversation.follow_bottom()

    @on(PromptInput.RecallRequested, "#prompt")
    def recall_last_message(self, event: PromptInput.RecallRequested) -> None:
        event.stop()
        text = self.state.last_user_text()
        if text is not None:
            self.prompt.recall(text)

    async def skip_pending_tool_calls(self) -> None:
        for call in self.state.pending_tool_calls:
            self.state.add_tool_result(call, SKIPPED_TOOL_RESULT)
            self.saving.add_tool_result(call.id, SKIPPED_TOOL_RESULT)
            await self.conversation.add_tool_result(call, SKIPPED_TOOL_RESULT)

    # -- saving -----------------------------------------------------------------------------

    def _settings_now(self) -> tuple[str, str, dict[str, Any]]:
        params = request_params(self.state.temperature, self.state.max_tokens)
        return self.state.model, self.state.system or "", params

    def save_user_message(self, text: str) -> None:
        """Commit the user's message before the request is sent (the conversation is created
        at its first message; a continued one first gets the settings it now runs with)."""
        self.get_store()
        self.save_settings()
        model, system, params = self._settings_now()
        new = NewConversation(self.settings.profile, self.settings.base_url, model, system, params)
        created = self.saving.conv_id is None
        self.saving.add_user(text, new)
        if created and self.saving.conv_id is not None:
            self._saved_settings = self._settings_now()
            self.sidebar.mark_current(self.saving.conv_id)
        self.refresh_bindings()

    def save_settings(self) -> None:
        """Save model / system prompt / parameters to the conversation when they changed."""
        now = self._settings_now()
        if self.saving.conv_id is None or now == self._saved_settings:
            return
        model, system, params = now
        self.saving.update_settings(model=model, system=system, params=params)
        self._saved_settings = now

    def refresh_sidebar(self) -> None:
        if self.sidebar.is_open:
            self.sidebar.reload()

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
        model = self.state.model
        # perf: one progress (connecting, waiting, streaming, keep-alives) for the status line
        # and the message's placeholder; the message is mounted while the request is already on
        # its way, and only the first event waits for it. Shielded: an Esc during the mount
        # must not leave a half-added, never-finished message.
        progress = ReplyProgress()
        self.status.track(progress)
        mounting = asyncio.ensure_future(self._mount_reply(model, progress))
        message: AssistantMessage | None = None
        self.saving.start_reply(model)
        stream = self.client.stream(self.state.build_request())
        try:
            async with stream, self.saving.recording():
                async for event in stream:
                    if message is None:
                        try:
                            message = self._last_reply_widget = await asyncio.shield(mounting)
                        except asyncio.CancelledError:
                            # Esc during the mount: ended like an Esc mid-stream (leaving the
                            # stream early marks the reply cancelled), shown and saved as such.
                            message = self._last_reply_widget = await mounting
                            break
                    message.apply(event)
                    self.saving.update(stream.reply)
                    self.show_event_status(event)
        except asyncio.CancelledError:
            # Esc: the client closed the connection and marked the reply cancelled; keep the text.
            message = self._last_reply_widget = message or await mounting
            await self.finish_reply(message, stream.reply)
            raise
        except Exception as exc:
            # A bug, not a provider error (those arrive as StreamError): close the message as an
            # error, then let the worker report it (on_worker_state_changed).
            message = self._last_reply_widget = message or await mounting
            reply = stream.reply
            reply.state = ReplyState.ERROR
            reply.error = ErrorInfo(f"Internal error: {exc!r}")
            await self.finish_reply(message, reply)
            raise
        message = self._last_reply_widget = message or await mounting
        await self.finish_reply(message, stream.reply)
        return stream.reply

    async def _mount_reply(self, model: str, progress: ReplyProgress) -> AssistantMessage:
        # perf: a moment for the request to leave first (mounting a message is ~50 ms of work
        # that would run between the steps of connecting); painting waits anyway (send_prompt).
        await asyncio.sleep(PLACEHOLDER_AFTER_S)
        return await self.conversation.add_assistant(model, progress)

    async def finish_reply(self, message: AssistantMessage, reply: Reply) -> None:
        self.saving.finish(reply)  # first: saved even if showing it fails
        self.refresh_sidebar()
        self.last_reply = reply
        self.state.add_assistant(reply)
        self.status.set_rate_limits(reply.rate_limits)
        detail = self.status.detail if self.status.state == "error" else ""
        self.status.set_state(_END_STATE.get(reply.state, "idle"), detail)
        await self.conversation.finish_assistant(message, reply)

    def show_event_status(self, event: StreamEvent) -> None:
        # Only the rare events touch the status line: nothing is done per token here. (perf: the
        # phases, retries included, come from the tracked ReplyProgress.)
        if isinstance(event, ResponseStarted):
            self.status.set_rate_limits(event.rate_limits)
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
            self.saving.add_tool_result(call.id, result)
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

    def _running_replies(self) -> list[Worker[None]]:
        return [
            w for w in self.workers if w.node is self and w.group == "reply" and not w.is_finished
        ]

    def action_cancel(self) -> None:
        # Once per worker: a second Esc would interrupt the cancelled reply while it is closed.
        for worker in self._running_replies():
            if not worker.is_cancelled:
                worker.cancel()

    async def action_regenerate(self) -> None:
        if self.busy or not self.state.drop_after_last_user():
            return
        self.saving.drop_after_last_user()
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

    async def stop_reply(self) -> None:
        """Cancel a running reply and wait until it is saved (as cancelled)."""
        if not self.busy:
            return
        self.action_cancel()
        for worker in self._running_replies():
            # Cancelled is the outcome asked for; a failure is reported by on_worker_state_changed.
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    async def action_new_conversation(self) -> None:
        await self.stop_reply()
        self.state.clear()
        self.saving.switch(None)  # created at the first message
        self._saved_settings = None
        self.sidebar.mark_current(None)
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
                self.save_settings()
                self.notify(f"Model: {model}", markup=False)

        self.app.push_screen(ModelPickerModal(self.client.list_models, self.state.model), chosen)

    def action_edit_params(self) -> None:
        current = Params(self.state.system, self.state.temperature, self.state.max_tokens)

        def saved(params: Params | None) -> None:
            if params is not None:
                self.state.system = params.system
                self.state.temperature = params.temperature
                self.state.max_tokens = params.max_tokens
                self.save_settings()
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

    # -- saved conversations ----------------------------------------------------------------

    def action_toggle_sidebar(self) -> None:
        sidebar = self.sidebar
        if sidebar.is_open:
            sidebar.close()
        else:
            sidebar.open()

    @on(ConversationSidebar.CloseRequested)
    def sidebar_closed(self, event: ConversationSidebar.CloseRequested) -> None:
        event.stop()
        self.prompt.focus()

    @on(ConversationSidebar.OpenRequested)
    async def sidebar_open(self, event: ConversationSidebar.OpenRequested) -> None:
        event.stop()
        await self.open_conversation(event.conv_id)

    @on(ConversationSidebar.Deleted)
    async def sidebar_deleted(self, event: ConversationSidebar.Deleted) -> None:
        event.stop()
        if event.conv_id == self.saving.conv_id:
            focused = self.app.focused
            await self.action_new_conversation()
            if focused is not None:
                focused.focus()  # stay in the sidebar
            self.notify("The open conversation was deleted; this is a new one.", markup=False)

    async def open_conversation(self, conv_id: ConversationId) -> None:
        """Show a saved conversation and continue it: its history is what the next request
        sends, with its model (same endpoint), system prompt and parameters."""
        store = self.get_store()
        if store is None:
            return
        await self.stop_reply()
        try:
            saved = store.load_conversation(conv_id)
        except StoreError as exc:
            self.notify(one_line(str(exc), 300), severity="error", markup=False)
            self.sidebar.reload()
            return
        self.restore_state(saved)
        self.saving.switch(saved.id)
        # As saved: a model restored differently (another endpoint) is saved at the next send.
        meta = saved.meta
        self._saved_settings = (meta.model, meta.system, meta.params)
        self.status.set_model(self.state.model)
        self.status.set_state("idle")
        await self.show_history(saved)
        self.sidebar.mark_current(saved.id)
        self.refresh_bindings()
        self.prompt.focus()

    def restore_state(self, saved: Conversation) -> None:
        meta = saved.meta
        self.state.clear()
        self.state.model = continued_model(meta, self.settings.base_url, self.settings.model)
        self.state.system = meta.system or None
        temperature = meta.params.get("temperature")
        max_tokens = meta.params.get("max_tokens")
        self.state.temperature = (
            float(temperature) if isinstance(temperature, int | float) else None
        )
        self.state.max_tokens = max_tokens if isinstance(max_tokens, int) else None
        self.state.messages.extend(saved.to_openai_messages())

    async def show_history(self, saved: Conversation) -> None:
        view = self.conversation
        await view.clear_messages()
        self._last_user_widget = self._last_reply_widget = None
        calls: dict[str, ToolCall] = {c.id: c for m in saved.messages for c in m.tool_calls if c.id}
        shown = saved.messages[-HISTORY_SHOWN:]
        hidden = saved.messages[: len(saved.messages) - len(shown)]
        view.count_hidden_replies(m.to_reply() for m in hidden if m.role == "assistant")
        if hidden:
            # Each finished message costs ~15 ms to mount: a very long conversation would stall.
            await view.add_notice(
                f"{len(hidden)} earlier messages are not shown here; they are"
                " still part of the conversation (ctrl+s exports all of it)."
            )
        for message in shown:
            if message.role == "user":
                self._last_user_widget = await view.add_user(message.content)
            elif message.role == "assistant":
                reply = message.to_reply()
                self._last_reply_widget = await view.add_finished_assistant(reply)
                self.last_reply = reply
            elif message.role == "tool":
                call = calls.get(message.tool_call_id or "") or ToolCall(
                    message.tool_call_id, "tool", ""
                )
                await view.add_tool_result(call, message.content)
        view.follow_bottom()

    def action_rename_conversation(self) -> None:
        store, conv_id = self.get_store(), self.saving.conv_id
        if store is None or conv_id is None:
            return
        try:
            title = store.get_summary(conv_id).title
        except StoreError as exc:
            self.notify(one_line(str(exc), 300), severity="error", markup=False)
            return

        def renamed(new_title: str | None) -> None:
            if not new_title:
                return
            try:
                store.rename(conv_id, new_title)
            except StoreError as exc:
                self.notify(one_line(str(exc), 300), severity="error", markup=False)
                return
            self.refresh_sidebar()

        self.app.push_screen(RenameModal(title), renamed)

    def action_export(self, fmt: ExportFormat = "md") -> None:
        """Write the conversation as Markdown or JSON into <data dir>/exports and say where."""
        store = self.get_store()
        conv_id = self.saving.conv_id
        if store is None or conv_id is None:
            self.notify("Nothing saved to export yet.", severity="warning", markup=False)
            return
        directory = self.settings.data_dir / "exports"
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = export_to_file(store.load_conversation(conv_id), directory, fmt)
        except (OSError, StoreError) as exc:
            self.notify(f"Export failed: {one_line(str(exc), 300)}", severity="error", markup=False)
            return
        self.notify(f"Exported to {path}", title="Transcript", markup=False, timeout=10)
