"""What the chat screen does with saved conversations: open one (show its history and continue
it), rename it, export it. The screen's actions call these; the rules of continuing a conversation
live in the engine (chat/), the SQL in the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widget import Widget

from tensorx_tui.core.reply import ToolCall
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.records import Conversation, ConversationId, StoredMessage
from tensorx_tui.store.transcripts import ExportFormat, export_to_file
from tensorx_tui.ui.modals.rename import RenameModal
from tensorx_tui.ui.transcript.selectable import mark_message
from tensorx_tui.ui.transcript.tool_run import RunOutcome, ToolRunMessage, call_label

if TYPE_CHECKING:
    from tensorx_tui.ui.chat_screen import ChatScreen

HISTORY_SHOWN = 120  # messages of an opened conversation rendered (the rest is still sent)


def saved_tool_run(call: ToolCall, content: str, meta: dict[str, Any]) -> ToolRunMessage:
    """A saved MCP result, finished, with its `tool_meta` (server, tool, approval, duration)."""
    server, tool = meta.get("server"), meta.get("tool")
    if isinstance(server, str) and server and isinstance(tool, str):
        label = call_label(server, tool, call)
    else:
        label = call_label("", "", call)
    return ToolRunMessage(label, outcome=RunOutcome.from_meta(content, meta))


class SavedConversations:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen

    def _error(self, text: str) -> None:
        self.screen.notify(one_line(text, 300), severity="error", markup=False)

    async def open_asked(self, conv_id: ConversationId, message_id: int | None = None) -> None:
        """Picked in the sidebar: opened, after asking when a reply streams or tools run. A
        search hit opens on the branch of the message it found."""
        screen = self.screen
        if screen.unfinished_work is not None and conv_id != screen.engine.conv_id:

            async def open_it() -> None:
                await screen.open_conversation(conv_id, message_id)

            screen.leaving.ask("open another conversation", "Open", open_it)
            return
        await screen.open_conversation(conv_id, message_id)

    async def deleted(self, conv_id: ConversationId) -> None:
        """Deleted in the sidebar: if it was the open one, a new conversation takes its place."""
        screen = self.screen
        if conv_id != screen.engine.conv_id:
            return
        focused = screen.app.focused
        await screen.new_conversation()  # nothing to ask: its reply was deleted with it
        if focused is not None:
            focused.focus()  # stay in the sidebar
        screen.notify("The open conversation was deleted; this is a new one.", markup=False)

    async def open(self, conv_id: ConversationId, message_id: int | None = None) -> None:
        """Show a saved conversation and continue it: its history is what the next request
        sends, with the settings the engine's continue rule gives. With `message_id` (a search
        hit), the branch through that message is followed."""
        screen = self.screen
        store = screen.get_store()
        if store is None:
            return
        await screen.stop_reply()
        try:
            saved = store.load_conversation(conv_id)
        except StoreError as exc:
            self._error(str(exc))
            screen.sidebar.reload()
            return
        screen.facts.before_open(saved.meta)
        screen.engine.open(saved)
        if message_id is not None:
            screen.engine.choose(message_id)
        screen.offered_tools.reset()  # switched off "for this conversation"
        screen.status.set_model(screen.state.model)
        screen.status.set_state("idle")
        await self.show_history(saved)
        screen.facts.conversation_opened(screen.last_reply)
        screen.sidebar.mark_current(saved.id)
        screen.refresh_bindings()
        screen.prompt.focus()

    async def show_history(self, saved: Conversation) -> None:
        screen = self.screen
        view = screen.conversation
        await view.clear_messages()
        screen.forget_widgets()
        messages = screen.engine.path()
        shown = messages[-HISTORY_SHOWN:]
        hidden = messages[: len(messages) - len(shown)]
        view.count_hidden_replies(m.to_reply() for m in hidden if m.role == "assistant")
        if hidden:
            # Each finished message costs ~15 ms to mount: a very long conversation would stall.
            await view.add_notice(
                f"{len(hidden)} earlier messages are not shown here; they are"
                " still part of the conversation (ctrl+s exports all of it)."
            )
        await self.show_messages(shown, messages)
        screen.branches.sync()
        view.follow_bottom()

    async def show_messages(self, messages: list[StoredMessage], path: list[StoredMessage]) -> None:
        """Mount saved messages at the end of the view (`path`: the branch they belong to, where
        tool calls are looked up)."""
        screen = self.screen
        view = screen.conversation
        calls: dict[str, ToolCall] = {c.id: c for m in path for c in m.tool_calls if c.id}
        tree = screen.engine.tree
        for message in messages:
            widget: Widget | None = None
            if message.role == "user":
                widget = screen.last_user_widget = await view.add_user(
                    message.content, message.attachments
                )
            elif message.role == "assistant":
                reply = message.to_reply()
                widget = screen.last_reply_widget = await view.add_finished_assistant(reply)
                screen.last_reply = reply
            elif message.role == "tool":
                call = calls.get(message.tool_call_id or "") or ToolCall(
                    message.tool_call_id, "tool", ""
                )
                meta = message.tool_meta
                if meta:  # an MCP call: shown with how it ran
                    widget = await view.add_tool_run(saved_tool_run(call, message.content, meta))
                else:
                    widget = await view.add_tool_result(call, message.content)
            if message.id is not None and message.id in tree:
                mark_message(widget, message.id, tree.position(message.id))

    def rename(self) -> None:
        screen = self.screen
        store, conv_id = screen.get_store(), screen.engine.conv_id
        if store is None or conv_id is None:
            return
        try:
            title = store.get_summary(conv_id).title
        except StoreError as exc:
            self._error(str(exc))
            return

        def renamed(new_title: str | None) -> None:
            if not new_title:
                return
            try:
                store.rename(conv_id, new_title)
            except StoreError as exc:
                self._error(str(exc))
                return
            screen.sidebar.reload_if_open()

        screen.app.push_screen(RenameModal(title), renamed)

    def export(self, fmt: ExportFormat = "md") -> None:
        """Write the conversation as Markdown or JSON into <data dir>/exports and say where."""
        screen = self.screen
        store = screen.get_store()
        conv_id = screen.engine.conv_id
        if store is None or conv_id is None:
            screen.notify("Nothing saved to export yet.", severity="warning", markup=False)
            return
        directory = screen.settings.data_dir / "exports"
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = export_to_file(store.load_conversation(conv_id), directory, fmt)
        except (OSError, StoreError) as exc:
            self._error(f"Export failed: {exc}")
            return
        screen.notify(f"Exported to {path}", title="Transcript", markup=False, timeout=10)
