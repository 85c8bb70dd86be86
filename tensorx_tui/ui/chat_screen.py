"""The chat screen: conversation, prompt, status line, footer. Layout and wiring: the conversation
itself (what is sent, saved, continued) is the engine's (chat/); one worker runs the engine's tool
loop, its events relayed to the widgets by `ReplyRelay` (reply_relay.py), and posts
`ReplyFinished` when it is done. The MCP servers are the app's; this screen only offers their
tools (`OfferedTools`, what the Tools screen switches) and keeps the session's approvals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from tensorx_tui.chat.events import SaveFailed
from tensorx_tui.chat.offered_tools import OfferedTools
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.chat.state import SKIPPED_TOOL_RESULT, ConversationState
from tensorx_tui.core.reply import Reply
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.open_endpoint import open_endpoint
from tensorx_tui.profile_endpoints import ProfileEndpoints
from tensorx_tui.store.records import ConversationId
from tensorx_tui.store.transcripts import ExportFormat
from tensorx_tui.ui.attaching import Attaching, PathHint
from tensorx_tui.ui.attachment_chips import AttachmentChip, AttachmentChips
from tensorx_tui.ui.branches import Branches
from tensorx_tui.ui.chat_actions import (
    LeaveStreamingReply,
    approval_policy,
    conversation_engine,
    copy_last_reply,
    edit_params,
)
from tensorx_tui.ui.conversation import ConversationView
from tensorx_tui.ui.footer import ChatFooter
from tensorx_tui.ui.modals.tools_screen import ToolsScreen
from tensorx_tui.ui.model_facts import ModelFacts
from tensorx_tui.ui.prompt import PromptInput
from tensorx_tui.ui.reply_relay import ReplyRelay
from tensorx_tui.ui.saved_conversations import SavedConversations
from tensorx_tui.ui.sidebar import ConversationSidebar
from tensorx_tui.ui.status_line import StatusLine
from tensorx_tui.ui.transcript import AssistantMessage, UserMessage
from tensorx_tui.ui.transcript.notice import start_notices
from tensorx_tui.ui.transcript.selectable import TypedAway

if TYPE_CHECKING:
    from tensorx_tui.core.endpoint import Endpoint
    from tensorx_tui.settings import Settings
    from tensorx_tui.store.conversations import Store
    from tensorx_tui.tools import ToolServers

StoreSource = Callable[[], "Store | None"]

REQUEST_FIRST_S = 0.05  # see send_prompt


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
        Binding("ctrl+f", "show_tools", "Tools"),
        Binding("ctrl+s", "export('md')", "Export"),
        # alt+a: every ctrl+letter is taken (the prompt edits with the rest). priority: the
        # prompt would type the "a".
        Binding("alt+a", "attach_file", "Attach", priority=True),
        Binding("ctrl+down,ctrl+end", "follow_bottom", "Bottom", show=False),
        # Picks the last message (then ↑ ↓ e [ ] f: see branches.py and transcript/selectable.py).
        Binding("ctrl+up", "select_message(-1)", "Messages", key_display="^↑"),
    ]

    @dataclass
    class ReplyFinished(Message):
        """The reply worker is done: every turn of it ended (tool round trips included) and was
        saved. `reply` is the last one (None when the worker ended before any)."""

        reply: Reply | None

    def __init__(
        self,
        settings: Settings,
        client: Endpoint,
        store: StoreSource | None = None,
        *,
        tool_servers: ToolServers | None = None,
        endpoints: ProfileEndpoints | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.client = client
        # The app opens the store (once, at the first need) and hands this accessor down.
        self._store_source = store
        self._store_asked = False
        # The app owns the MCP servers (started in the background, stopped at exit).
        self.tool_servers = tool_servers
        self.tool_policy = approval_policy(settings, tool_servers)
        self.offered_tools = OfferedTools(settings.tools, tool_servers)
        self.engine = conversation_engine(
            settings, client, self.offered_tools, on_save_failed=self._saving_failed
        )
        self.saved = SavedConversations(self)
        self.branches = Branches(self)
        # The catalogs of every configured endpoint, the context meter, prices, today's spend.
        self.facts = ModelFacts(self, endpoints or ProfileEndpoints(settings, open_endpoint))
        self.busy = False  # the reply worker runs (streaming, or waiting for tool results)
        self.streaming = False  # a response is on the wire: esc cancels it
        self.tools_running = False  # MCP calls run: esc cancels them, the model is told
        self.relay: ReplyRelay | None = None  # the reply worker's, while it runs
        self.last_user_widget: Widget | None = None
        self.last_reply_widget: AssistantMessage | None = None
        self.last_reply: Reply | None = None
        self.leaving = LeaveStreamingReply(self)
        self.attaching = Attaching(self)

    @property
    def state(self) -> ConversationState:
        return self.engine.state

    @property
    def saving(self) -> ConversationLog:
        return self.engine.log

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
                    yield AttachmentChips(id="attachments")
                    yield PromptInput(id="prompt")
                    yield PathHint(id="path-hint")
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
        self.prompt.cwd = self.attaching.cwd
        self.prompt.focus()
        self.facts.start()
        await self.show_start_notices()
        self.call_after_refresh(self.get_store)

    def get_store(self) -> Store | None:
        """The conversation store (None: not saving), asked of the app at the first need."""
        if not self._store_asked:
            self._store_asked = True
            self.saving.store = self._store_source() if self._store_source else None
        return self.saving.store

    def _saving_failed(self, failure: SaveFailed) -> None:
        self.notify(one_line(failure.message, 500), severity="warning", markup=False, timeout=8)

    async def show_start_notices(self) -> None:
        if self.settings.key_problem():
            self.status.set_state("no key")
        for text, severity in start_notices(self.settings):
            await self.conversation.add_notice(text, severity=severity)

    # -- which keys work now (the footer shows only these) -----------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.streaming or self.tools_running or self.prompt.editing_earlier
        if action == "regenerate":
            return not self.busy and self.engine.can_regenerate()
        if action == "answer_tools":
            return not self.busy and bool(self.engine.pending_tool_calls)
        if action == "copy_reply":
            return self.last_reply_widget is not None
        if action in ("export", "rename_conversation"):
            return self.engine.conv_id is not None and self.saving.store is not None
        if action in ("flip", "fork", "leave_message"):
            return self.branches.focused() is not None and (
                action == "leave_message" or not self.busy
            )
        if action == "edit_message":
            return isinstance(self.branches.focused(), UserMessage) and not self.busy
        return True

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.refresh_bindings()

    def set_streaming(self, streaming: bool) -> None:
        self.streaming = streaming
        self.refresh_bindings()
        self.prompt.hold_cursor_steady(streaming)

    @property
    def unfinished_work(self) -> tuple[str, str] | None:
        """What leaving now would cut off, as (sentence, pronoun) for a question; None: nothing.
        The one rule for quitting, starting over and opening another conversation."""
        if self.streaming:
            return "A reply is still streaming", "it"
        if self.tools_running:
            return "Tools are still running", "them"
        return None

    def set_tools_running(self, count: int) -> None:
        if self.tools_running != bool(count):
            self.tools_running = bool(count)
            self.refresh_bindings()

    # -- sending ----------------------------------------------------------------------------

    @on(PromptInput.Submitted, "#prompt")
    async def send_prompt(self, event: PromptInput.Submitted) -> None:
        event.stop()
        if self.busy:
            self.notify("A reply is still streaming: esc cancels it.", markup=False)
            return
        await self.branches.settle()  # a branch just shown is whole before it goes on
        # perf: nothing is laid out or painted for 50 ms, so the request is on the wire before
        # the new messages are drawn (a layout between the steps of connecting delayed it).
        prepared = await self.attaching.prepare(event.text)
        if prepared is None:
            return  # the prompt keeps the message
        text, attachments = prepared
        self.app.delay_update(REQUEST_FIRST_S)
        self.prompt.take_text()  # the text sent is `prepared`'s (its @paths resolved)
        editing = self.branches.editing if self.prompt.editing_last else None
        self.branches.stop_editing()
        skipped = self.engine.pending_tool_calls
        edited = self.branches.widget_of(editing) if editing is not None else None
        # Saved before anything is drawn: the message is on disk before the request leaves.
        replacing = editing is not None and self.engine.edit(editing, text, attachments)
        if not replacing:
            self.engine.add_user(text, attachments)
        if replacing:
            # The old question and what followed stay in the tree (an alternative branch).
            await self.remove_widgets_after(edited or self.last_user_widget, including=True)
        else:
            for call in skipped:
                await self.conversation.add_tool_result(call, SKIPPED_TOOL_RESULT)
        await (
            self.conversation.drop_unanswered_notice()
        )  # skipped or replaced: no call waits any more
        self.mark_saved_conversation()
        # perf: the request leaves before the user's message is drawn (the conversation mounts
        # messages in the order they were asked for, so the reply still comes after it).
        adding = self.conversation.add_user(text, self.engine.state.last_user_attachments())
        self.run_reply()
        self.last_user_widget = await adding
        self.conversation.follow_bottom()

    def mark_saved_conversation(self) -> None:
        if self.engine.conv_id is not None:
            self.sidebar.mark_current(self.engine.conv_id)
        self.refresh_bindings()

    @on(PromptInput.RecallRequested, "#prompt")
    def recall_last_message(self, event: PromptInput.RecallRequested) -> None:
        event.stop()
        self.action_recall()

    def action_recall(self) -> None:
        """↑ in an empty prompt: the last question, to edit; sending replaces that exchange."""
        last = next((m for m in reversed(self.engine.path()) if m.role == "user"), None)
        if last is None or self.busy:
            return
        self.branches.start_editing(last.id, last.content)

    # -- the reply worker -------------------------------------------------------------------

    @work(exclusive=True, group="reply", exit_on_error=False)
    async def run_reply(self, *, answer_tools_first: bool = False) -> None:
        """Stream replies until one needs nothing more: tool calls are run (or answered by hand)
        in between (reply_relay.py)."""
        self._set_busy(True)
        relay = self.relay = ReplyRelay(self)
        try:
            await relay.run(answer_tools_first=answer_tools_first)
        finally:
            self.relay = None
            self.branches.sync()  # the new messages' ids, a regenerated reply's `‹ 2/2 ›`
            self._set_busy(False)
            self.post_message(self.ReplyFinished(relay.last_reply))

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A bug in the reply path must not pass silently (exit_on_error=False keeps the app up).
        if event.worker.group in ("reply", "branch-rest") and event.state == WorkerState.ERROR:
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
        """Esc: cancel the running tool calls (the reply goes on without them), else the reply."""
        if self.tools_running and self.relay is not None and self.relay.cancel_running():
            return
        if not self.busy and self.prompt.editing_earlier:
            self.branches.stop_editing()  # editing an earlier question: given up
            self.prompt.clear()
            return
        self._cancel_replies()

    def _cancel_replies(self) -> None:
        # Once per worker: a second Esc would interrupt the cancelled reply while it is closed.
        for worker in self._running_replies():
            if not worker.is_cancelled:
                worker.cancel()

    async def action_regenerate(self) -> None:
        await self.branches.settle()
        if self.busy or not self.engine.regenerate():
            return
        self.branches.stop_editing()
        if self.branches.focused() is not None:
            self.prompt.focus()  # the focused message may be the reply that makes way
        await self.remove_widgets_after(self.last_user_widget)
        self.conversation.follow_bottom()
        self.run_reply()

    async def remove_widgets_after(self, widget: Widget | None, *, including: bool = False) -> None:
        await self.conversation.remove_after(widget, including=including)
        self.last_reply_widget = None

    def forget_widgets(self) -> None:
        self.last_user_widget = self.last_reply_widget = None

    def action_answer_tools(self) -> None:
        if not self.busy and self.engine.pending_tool_calls:
            self.run_reply(answer_tools_first=True)

    async def stop_reply(self) -> None:
        """Cancel a running reply and wait until it is saved (as cancelled)."""
        if not self.busy:
            return
        self._cancel_replies()
        for worker in self._running_replies():
            # Cancelled is the outcome asked for; a failure is reported by on_worker_state_changed.
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    async def action_new_conversation(self) -> None:
        """ctrl+n: start over, after asking when a reply streams or tools run (as quitting does)."""
        if self.unfinished_work is not None:
            self.leaving.ask("start a new conversation", "New conversation", self.new_conversation)
            return
        await self.new_conversation()

    async def new_conversation(self) -> None:
        await self.branches.settle()
        await self.stop_reply()
        self.engine.new()
        self.offered_tools.reset()  # switched off "for this conversation"
        self.facts.conversation_new()
        self.branches.stop_editing()
        self.sidebar.mark_current(None)
        self.forget_widgets()
        await self.conversation.clear_messages()
        self.status.set_model(self.state.model)
        self.status.set_state("idle")
        self.refresh_bindings()
        self.prompt.clear()
        self.prompt.focus()

    def action_follow_bottom(self) -> None:
        self.conversation.follow_bottom()

    def action_show_tools(self) -> None:
        self.app.push_screen(ToolsScreen(self.offered_tools))

    def action_pick_model(self) -> None:
        self.facts.pick_model()

    def action_edit_params(self) -> None:
        edit_params(self)

    async def action_copy_reply(self) -> None:
        await copy_last_reply(self)

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
        await self.saved.open_asked(event.conv_id, event.message_id)

    @on(ConversationSidebar.Deleted)
    async def sidebar_deleted(self, event: ConversationSidebar.Deleted) -> None:
        event.stop()
        await self.saved.deleted(event.conv_id)

    async def open_conversation(
        self, conv_id: ConversationId, message_id: int | None = None
    ) -> None:
        self.branches.stop_editing()
        await self.branches.settle()
        await self.saved.open(conv_id, message_id)

    # -- the conversation tree (branches.py) -------------------------------------------------

    @on(TypedAway)
    def typed_away(self, event: TypedAway) -> None:
        event.stop()
        self.prompt.focus()
        self.prompt.insert(event.character)

    def action_select_message(self, step: int) -> None:
        self.branches.select(step)

    def action_edit_message(self) -> None:
        self.branches.edit()

    async def action_flip(self, step: int) -> None:
        await self.branches.flip(step)

    async def action_fork(self) -> None:
        await self.branches.fork()

    def action_leave_message(self) -> None:
        self.branches.leave()

    def action_rename_conversation(self) -> None:
        self.saved.rename()

    def action_export(self, fmt: ExportFormat = "md") -> None:
        self.saved.export(fmt)

    # -- attachments (attaching.py) ---------------------------------------------------------

    def action_attach_file(self) -> None:
        self.attaching.open_picker()

    @on(AttachmentChip.RemoveRequested)
    async def attachment_removed(self, event: AttachmentChip.RemoveRequested) -> None:
        event.stop()
        await self.attaching.remove(event.chip)

    @on(PromptInput.PathChosen, "#prompt")
    async def path_chosen(self, event: PromptInput.PathChosen) -> None:
        event.stop()
        await self.attaching.add_path(event.path)

    @on(PromptInput.PathCompletions, "#prompt")
    def path_completions(self, event: PromptInput.PathCompletions) -> None:
        event.stop()
        self.attaching.show_completions(event)

    @on(PromptInput.ImagePathPasted, "#prompt")
    def image_path_pasted(self, event: PromptInput.ImagePathPasted) -> None:
        event.stop()
        self.attaching.pasted(event)
