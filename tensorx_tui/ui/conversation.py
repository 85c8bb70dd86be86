"""The scrolling conversation: messages, anchored to the bottom while the user follows along.

Messages are mounted into groups of `GROUP_SIZE`. Why: a relayout caused by the streaming message
only invalidates the arrangement of its ancestors, so with groups the scroll view re-measures a few
dozen boxes per flush instead of one per message (100 earlier messages cost ~10 ms a flush else).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import Reply, ToolCall
from tensorx_tui.ui import gc_hold
from tensorx_tui.ui.markdown.layout_cache import virtual_size_without_relayout
from tensorx_tui.ui.transcript import AssistantMessage, Notice, ToolResultMessage, UserMessage
from tensorx_tui.ui.transcript.cost_line import cost_variants
from tensorx_tui.ui.transcript.reply_progress import ReplyProgress
from tensorx_tui.ui.transcript.tool_run import ToolRunMessage

GROUP_SIZE = 10
REPLY_HOLD = "a streaming reply"  # see add_assistant


class _MessageGroup(Vertical):
    virtual_size = virtual_size_without_relayout()  # see layout_cache.py
    DEFAULT_CSS = "_MessageGroup { height: auto; }"


def _total_tokens(usage: dict[str, Any] | None) -> int:
    value = (usage or {}).get("total_tokens")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class ConversationView(VerticalScroll):
    virtual_size = virtual_size_without_relayout()  # see layout_cache.py
    DEFAULT_CSS = """
    ConversationView { height: 1fr; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = "conversation", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._unanswered_notice: Notice | None = None  # "Tool call left unanswered" while true
        # Tokens per reply shown, so a reply removed (regenerate) stops counting; plus the replies
        # of an opened conversation that are not shown.
        self._reply_tokens: dict[AssistantMessage, int] = {}
        self._hidden_tokens = 0
        # The same for what replies cost (None: no cost known yet), and the prices behind the
        # "saved by cache" figure (the screen sets it).
        self._reply_costs: dict[AssistantMessage, float] = {}
        self._hidden_cost: float | None = None
        self.model_info: Callable[[Reply], ModelInfo | None] = lambda _reply: None
        # Messages are added in the order the calls were made, even when a call's mount is still
        # being awaited (the screen sends a request while the user's message mounts).
        self._adding = asyncio.Lock()
        self._last: Widget | None = None

    @property
    def total_tokens(self) -> int:
        """Running total of usage.total_tokens over the replies still in this conversation."""
        self._reply_tokens = {
            message: tokens for message, tokens in self._reply_tokens.items() if message.is_attached
        }
        return self._hidden_tokens + sum(self._reply_tokens.values())

    @property
    def total_cost(self) -> float | None:
        """Dollars of the replies still in this conversation whose cost is known, or None."""
        self._reply_costs = {m: c for m, c in self._reply_costs.items() if m.is_attached}
        if self._hidden_cost is None and not self._reply_costs:
            return None
        return (self._hidden_cost or 0.0) + sum(self._reply_costs.values())

    def count_hidden_replies(self, replies: Iterable[Reply]) -> None:
        """Count replies that belong to the conversation but are not shown (long history)."""
        for reply in replies:
            self._hidden_tokens += _total_tokens(reply.usage)
            if reply.cost is not None:
                self._hidden_cost = (self._hidden_cost or 0.0) + reply.cost

    def on_mount(self) -> None:
        self.anchor()

    def on_unmount(self) -> None:
        gc_hold.release(REPLY_HOLD)  # a reply cut off with the app

    async def _add(self, widget: Widget) -> None:
        async with self._adding:
            if isinstance(self._last, AssistantMessage):
                self._last.settle()
            self._last = widget
            groups = self.query_children(_MessageGroup)
            group = groups.last() if groups else None
            if group is None or len(group.children) >= GROUP_SIZE:
                group = _MessageGroup()
                await self.mount(group)
            await group.mount(widget)

    async def add_user(self, text: str, attachments: Sequence[Attachment] = ()) -> UserMessage:
        message = UserMessage(text, attachments)
        await self._add(message)
        return message

    async def add_assistant(
        self, model: str | None, progress: ReplyProgress | None = None
    ) -> AssistantMessage:
        """A reply about to stream (`finish_assistant` ends it).

        What exists when the reply starts stays out of the garbage collector's full passes until
        it ends (gc_hold.py): at 100 tokens/s, full passes came five times a minute, ~70 ms
        each with 20 exchanges. One hold for any reply: the end of the next one (or the view
        going) also ends a hold whose reply never finished.
        """
        message = AssistantMessage(model, progress)
        await self._add(message)
        gc_hold.hold(REPLY_HOLD)
        return message

    def count_reply(self, message: AssistantMessage, reply: Reply) -> int:
        """Count a finished reply's usage (until `message` leaves); returns the new total."""
        self._reply_tokens[message] = _total_tokens(reply.usage)
        if reply.cost is not None:
            self._reply_costs[message] = reply.cost
        return self.total_tokens

    def uncount(self, message: Widget) -> None:
        """Stop counting a reply about to be removed (its replacement is shown first)."""
        if isinstance(message, AssistantMessage):
            self._reply_tokens.pop(message, None)
            self._reply_costs.pop(message, None)

    def show_cost(self, message: AssistantMessage, reply: Reply) -> None:
        message.footer.show_cost(cost_variants(reply, self.total_cost, self.model_info(reply)))

    async def finish_assistant(self, message: AssistantMessage, reply: Reply) -> None:
        """`message.finish` with the conversation total counted in: the usual way to end a reply."""
        try:
            await message.finish(reply, conversation_total=self.count_reply(message, reply))
            self.show_cost(message, reply)
        finally:
            gc_hold.release(REPLY_HOLD)  # see add_assistant

    async def add_finished_assistant(self, reply: Reply) -> AssistantMessage:
        message = AssistantMessage(reply.model)
        await self._add(message)
        await message.show_reply(reply, conversation_total=self.count_reply(message, reply))
        self.show_cost(message, reply)
        return message

    async def add_tool_result(self, call: ToolCall, result: str) -> ToolResultMessage:
        message = ToolResultMessage(call, result)
        await self._add(message)
        return message

    async def add_tool_run(self, run: ToolRunMessage) -> ToolRunMessage:
        await self._add(run)
        return run

    async def add_notice(
        self, text: str, *, severity: Literal["info", "warning", "error"] = "info"
    ) -> Notice:
        notice = Notice(text, severity=severity)
        await self._add(notice)
        return notice

    async def show_unanswered_notice(self) -> None:
        """ "Tool call left unanswered": one notice, the latest, at the bottom."""
        await self.drop_unanswered_notice()
        self._unanswered_notice = await self.add_notice(
            "Tool call left unanswered: ctrl+t answers it; sending a message skips it.",
            severity="warning",
        )

    async def drop_unanswered_notice(self) -> None:
        notice, self._unanswered_notice = self._unanswered_notice, None
        if notice is not None and notice.is_attached:
            await notice.remove()

    async def remove_after(self, widget: Widget | None, *, including: bool = False) -> None:
        """Remove every message shown after `widget` (and it too, `including`); messages sit in
        groups. Nothing happens when `widget` is no longer in the conversation.

        perf: one removal per container (a branch switch may drop a hundred messages: one
        removal each cost ~3 ms)."""
        removals: list[tuple[Widget, list[Widget]]] = []
        node = widget
        while node is not None and node is not self:
            parent = node.parent
            if not isinstance(parent, Widget):
                return
            siblings = list(parent.children)
            start = siblings.index(node) + (0 if including and node is widget else 1)
            if siblings[start:]:
                removals.append((parent, siblings[start:]))
            node = parent
        if node is None:
            return
        for parent, stale in removals:
            await parent.remove_children(stale)

    async def clear_messages(self) -> None:
        self._last = None
        await self.query_children(_MessageGroup).remove()
        self._reply_tokens.clear()
        self._hidden_tokens = 0
        self._reply_costs.clear()
        self._hidden_cost = None

    def follow_bottom(self) -> None:
        """Follow new output again (the jump-to-bottom key)."""
        self.anchor()
        self.scroll_end(animate=False, immediate=True)
