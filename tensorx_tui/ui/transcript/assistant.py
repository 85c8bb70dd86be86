"""One assistant reply: reasoning, tool calls, the Markdown body (or a refusal), an error panel and
a footer line.

`apply(event)` is synchronous and cheap: it only queues text. A timer flushes the queue at most
`FLUSHES_PER_SECOND` times a second, so rendering cost follows the clock, not the token rate; a
flush waits (up to `FLUSH_MAX_WAIT_S`) until there are a few words to show, since every frame
costs about the same whatever it changes, and a burst (a fast server) is shown at once.
While the reply runs, the footer line shows its `ReplyProgress` label (the status line shows the
same one); when it ends, the reply's facts.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget

from tensorx_tui.core.descriptions import Endpoint
from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    Finished,
    ReasoningDelta,
    RefusalDelta,
    StreamError,
    StreamEvent,
    ToolCallDelta,
)
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.sanitize import safe_terminal_text as safe_text
from tensorx_tui.settings import Settings
from tensorx_tui.ui.error_hints import hint_for
from tensorx_tui.ui.markdown.layout_cache import virtual_size_without_relayout
from tensorx_tui.ui.markdown.streaming_view import StreamingMarkdown
from tensorx_tui.ui.transcript.panels import (
    ErrorPanel,
    MessageFooter,
    RefusalPanel,
)
from tensorx_tui.ui.transcript.reasoning_view import ReasoningView
from tensorx_tui.ui.transcript.reply_progress import ReplyProgress
from tensorx_tui.ui.transcript.selectable import (
    MESSAGE_BINDINGS,
    SelectableMessage,
    position_mark,
)
from tensorx_tui.ui.transcript.tool_call_view import ToolCallView

FLUSHES_PER_SECOND = 8
FLUSH_MIN_CHARS = 24  # a few words
FLUSH_BURST_CHARS = 400  # this much waiting is shown at the next tick
FLUSH_TICK_S = 1 / 15
FLUSH_MAX_WAIT_S = 0.25


class _ToolCallDraft:
    __slots__ = ("arguments", "dirty", "name", "view")

    def __init__(self) -> None:
        self.name = ""
        self.arguments = ""
        self.view: ToolCallView | None = None
        self.dirty = True


class AssistantMessage(SelectableMessage, Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = MESSAGE_BINDINGS
    virtual_size = virtual_size_without_relayout()  # see layout_cache.py
    DEFAULT_CSS = """
    AssistantMessage {
        height: auto; padding: 0 1; margin: 0 0 1 0;
        border-top: solid $accent 50%; border-title-align: left; border-title-color: $text-accent;
    }
    AssistantMessage:focus { background: $boost; border-top: thick $accent; }
    AssistantMessage > #tool-calls { height: auto; }
    """

    def __init__(self, model: str | None = None, progress: ReplyProgress | None = None) -> None:
        super().__init__()
        self.model = model
        self.message_id: int | None = None  # as saved (the conversation tree's)
        self.position: tuple[int, int] | None = None
        self.body = StreamingMarkdown()
        # Mounted only when needed (the first reasoning, tool call, error): most replies have
        # none, and each widget mounted costs start-up time for every message and layout time
        # for every later frame.
        self.reasoning = ReasoningView()
        self.tools: Vertical | None = None
        self.refusal: RefusalPanel | None = None  # mounted with the first piece of a refusal
        self._refusal_text = ""
        self._refusal_dirty = False
        # A body whose text turned out to be reasoning, to swap for `body` at the next render.
        self._stale_body: StreamingMarkdown | None = None
        self.error_panel = ErrorPanel()
        # The same progress the status line shows (the screen hands it over), or our own.
        self.progress = progress or ReplyProgress()
        self.progress.subscribe(self._show_progress)
        self.footer = MessageFooter(Content("● " + self.progress.label()))
        self._room = 0  # blank lines kept under a finished reply; see finish
        self._raw_content: list[str] = []
        self._calls: dict[int, _ToolCallDraft] = {}
        self._timer: Timer | None = None
        self._pending_chars = 0  # queued since the last flush
        self._pending_since = 0.0
        self._flushed_at = 0.0
        self._lock = asyncio.Lock()
        self._answer_started = False
        self._finished = False
        self._retry_after: float | None = None
        self._finish_reason: str | None = None

    def compose(self) -> ComposeResult:
        # Few widgets per message, because every relayout walks them all: the label is the border
        # title (a Content, never parsed as markup); the other parts are mounted when needed.
        self.border_title = self._label()
        yield self.body
        yield self.footer

    def _label(self) -> Content:
        label = "assistant" + (f" · {safe_text(self.model)}" if self.model else "")
        mark = position_mark(self.position)
        return Content(f"{label}  {mark}" if mark else label)

    def show_position(self, position: tuple[int, int] | None) -> None:
        """`‹ 2/3 ›` in the title when the reply has alternatives (regenerated ones)."""
        if position != self.position:
            self.position = position
            self.border_title = self._label()

    # -- the hot path ---------------------------------------------------------------------------

    def apply(self, event: StreamEvent) -> None:
        """Take one stream event. Never renders by itself; a timer does (see module doc)."""
        if self._finished:
            return
        self.progress.apply(event)
        if isinstance(event, ContentDelta):
            self._raw_content.append(event.text)
            self.body.feed(safe_text(event.text))
            self._pending_chars += len(event.text)
        elif isinstance(event, ReasoningDelta):
            self.reasoning.feed(safe_text(event.text))
            self._pending_chars += len(event.text)
        elif isinstance(event, RefusalDelta):
            self._refusal_text += event.text
            self._refusal_dirty = True
            self._pending_chars += len(event.text)
        elif isinstance(event, ContentReclassified):
            # The answer so far was an inline thought: it moves to the reasoning, the body restarts.
            self._raw_content.clear()
            self.reasoning.feed(safe_text(event.text))
            if self._stale_body is None:
                self._stale_body = self.body
            self.body = StreamingMarkdown()
            self._answer_started = False
            self._collapse_reasoning(False)
            self._pending_chars += FLUSH_BURST_CHARS  # shown at the next tick
        elif isinstance(event, ToolCallDelta):
            draft = self._calls.setdefault(event.position, _ToolCallDraft())
            if event.name:
                draft.name = event.name
            draft.arguments += event.arguments_delta
            draft.dirty = True
            self._pending_chars += len(event.arguments_delta) + FLUSH_MIN_CHARS * (not draft.view)
        elif isinstance(event, Finished):
            self._finish_reason = event.reason
            return
        elif isinstance(event, StreamError):
            self._retry_after = event.retry_after
            self._show_error(event.message, event.status, None)
            return
        else:  # the rest only moves the progress label
            return
        self._schedule_flush()

    def _show_progress(self) -> None:
        if not self._finished:
            self.footer.show_streaming(safe_text("● " + self.progress.label()))

    def _schedule_flush(self) -> None:
        if self._timer is None and self.is_attached:
            self._pending_since = time.monotonic()
            self._timer = self.set_timer(FLUSH_TICK_S, self._flush_due)

    async def _flush_due(self) -> None:
        self._timer = None
        now = time.monotonic()
        pending = self._pending_chars
        if pending < FLUSH_BURST_CHARS:
            # Not a burst: wait for the pace (enough text) or for the longest wait (a trickle).
            # One timer for the rest of the wait, not a tick per fraction of it.
            wait = FLUSH_MAX_WAIT_S - (now - self._pending_since)
            if pending >= FLUSH_MIN_CHARS:
                wait = min(wait, 1 / FLUSHES_PER_SECOND - (now - self._flushed_at))
            if wait > 0.005:
                self._timer = self.set_timer(wait, self._flush_due)
                return
        await self._flush()

    async def _flush(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._pending_chars = 0
        self._flushed_at = time.monotonic()
        async with self._lock:
            if not self._finished:
                await self._render_pending(final=False)
                self.progress.flushed()

    async def flush_now(self) -> None:
        """Render what is queued at once, without waiting for the timer (tests, benchmarks)."""
        await self._flush()

    def _show_error(self, message: str, status: int | None, hint: str | None) -> None:
        if self.error_panel.parent is None:
            self.mount(self.error_panel, before=self.footer)  # shown when mounted; no need to wait
        self.error_panel.show(message, status, hint)

    async def _render_pending(self, *, final: bool) -> None:
        if self._stale_body is not None:
            stale, self._stale_body = self._stale_body, None
            await self.mount(self.body, after=stale)
            await stale.remove()
        if self._refusal_dirty:
            self._refusal_dirty = False
            if self.refusal is None:
                self.refusal = RefusalPanel()
                await self.mount(self.refusal, before=self.body)
            self.refusal.show(self._refusal_text)
        if self.body.has_pending and not self._answer_started:
            self._answer_started = True
            self._collapse_reasoning(True)  # the answer started: reasoning steps aside
        if self.reasoning.has_pending and self.reasoning.parent is None:
            await self.mount(self.reasoning, before=self.tools or self.body)
            self._collapse_reasoning(self._answer_started)
        await self.reasoning.flush()
        await self._render_tool_calls(final=final)
        if not final:  # at the end, body.finish() renders the whole text once anyway
            await self.body.flush()

    async def _render_tool_calls(self, *, final: bool) -> None:
        changed: list[_ToolCallDraft] = []
        new_views: list[ToolCallView] = []
        for position in sorted(self._calls):
            draft = self._calls[position]
            if not draft.dirty and not final:
                continue
            draft.dirty = False
            changed.append(draft)
            if draft.view is None:
                draft.view = ToolCallView(draft.name)
                new_views.append(draft.view)
        if new_views:
            if self.tools is None:
                self.tools = Vertical(id="tool-calls")
                await self.mount(self.tools, before=self.body)
            # One mount for all new calls: awaiting each relaid out the growing list every time,
            # so 500 calls in one flush took ~40 s (quadratic) while the app said "idle".
            await self.tools.mount_all(new_views)
        for draft in changed:
            if draft.view is not None:  # always, by now
                draft.view.set_name(draft.name)
                draft.view.show_arguments(draft.arguments, final=final)

    # -- the end --------------------------------------------------------------------------------

    async def finish(self, reply: Reply, *, conversation_total: int) -> None:
        """Render everything left, then the panels from the final `reply`."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        async with self._lock:
            if self._finished:
                return
            # The reply is the authority for tool calls (it may hold object arguments, say).
            for position, call in enumerate(reply.tool_calls):
                draft = self._calls.setdefault(position, _ToolCallDraft())
                draft.name, draft.arguments = call.name, call.arguments_text
            if reply.refusal != self._refusal_text:
                self._refusal_text, self._refusal_dirty = reply.refusal, bool(reply.refusal)
            await self._render_pending(final=True)
            # From here on nothing awaits for real: the finished body, the panels and the footer
            # (and the status line, set just before) reach the screen in the same frame.
            self._finished = True
            self.progress.unsubscribe(self._show_progress)
            if not self._answer_started and reply.reasoning and not reply.content:
                self._collapse_reasoning(False)
            before = self.body.reserved_lines
            await self.body.finish()
            self._keep_room(before - self.body.reserved_lines)
            if reply.error is not None:
                hint = hint_for(reply, retry_after=self._retry_after, endpoint=self._endpoint())
                self._show_error(reply.error.message, reply.error.status, hint)
            elif reply.state is ReplyState.INTERRUPTED:
                self._show_error("the stream ended early", None, hint_for(reply))
            self.footer.show_reply(reply, conversation_total)

    def _keep_room(self, lines: int) -> None:
        """The body shrank by `lines` as it finished (the room it kept to grow into, or a
        tighter final render): keep them as margin under the message until the next message
        comes, so that a view scrolled to the bottom does not move the text one line."""
        if lines > 0 and self.is_attached:
            self._room = lines
            self.styles.margin = (0, 0, 1 + lines, 0)

    def settle(self) -> None:
        """Give back the room kept under the message (a next message is arriving)."""
        if self._room:
            self._room = 0
            self.styles.clear_rule("margin")

    def _endpoint(self) -> Endpoint | None:
        """What a hint may name about the endpoint (its URL, the key variable): the app's."""
        settings = getattr(self.app, "settings", None)
        return settings.hint_endpoint() if isinstance(settings, Settings) else None

    async def show_reply(self, reply: Reply, *, conversation_total: int) -> None:
        """A finished reply from history: same panels, rendered in one go."""
        self._raw_content = [reply.content]
        self.body.feed(safe_text(reply.content))
        if reply.reasoning:  # perf: else its (hidden) view is not even mounted: 4 widgets fewer
            self.reasoning.feed(safe_text(reply.reasoning))
        await self.finish(reply, conversation_total=conversation_total)
        self._collapse_reasoning(True)

    def _collapse_reasoning(self, collapsed: bool) -> None:
        if self.reasoning.is_mounted:
            self.reasoning.collapsed = collapsed

    # -- for copy commands ----------------------------------------------------------------------

    @property
    def reply_text(self) -> str:
        """The content exactly as received (unsanitised; for the clipboard, never the screen)."""
        return "".join(self._raw_content)

    @property
    def code_blocks(self) -> list[str]:
        tokens = MarkdownIt("commonmark").parse(self.reply_text)
        return [t.content for t in tokens if t.type in ("fence", "code_block")]
