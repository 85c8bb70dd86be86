"""The conversation tree on screen: picking a message, flipping between its alternatives
(`‹ 2/3 ›`), editing an earlier question into a new branch, forking. The tree itself is the
engine's (chat/engine.py, store/tree.py); this module only keeps the widgets in step with it.

Keys (MESSAGE_BINDINGS on the message widgets, ctrl+↑ on the screen): ctrl+↑ picks the last
message, ↑ ↓ move, `e` edits a question, `[` `]` (or ctrl+← ctrl+→) flip alternatives, `f`
forks, esc goes back to the prompt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from textual.widget import Widget
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from tensorx_tui.store.records import StoredMessage
from tensorx_tui.ui import gc_hold
from tensorx_tui.ui.transcript import AssistantMessage, ToolResultMessage, UserMessage
from tensorx_tui.ui.transcript.selectable import mark_message
from tensorx_tui.ui.transcript.tool_run import ToolRunMessage

if TYPE_CHECKING:
    from tensorx_tui.ui.chat_screen import ChatScreen

Selectable = UserMessage | AssistantMessage
SHOWN_AT_ONCE: Final = 6  # at most, messages of a branch mounted at once (see `filling`)
_ROLE_OF: dict[type[Widget], str] = {
    UserMessage: "user",
    AssistantMessage: "assistant",
    ToolResultMessage: "tool",
    ToolRunMessage: "tool",
}


def _role(widget: Widget) -> str | None:
    return _ROLE_OF.get(type(widget))


def filling(messages: Sequence[StoredMessage], width: int, height: int) -> int:
    """How many of `messages`, from the first, roughly fill a view of `width` x `height`
    cells: each line of text wraps at the width, and a message takes ~3 rows more (its
    border, footer, margin). At least one; at most SHOWN_AT_ONCE."""
    rows = 0
    for count, message in enumerate(messages[:SHOWN_AT_ONCE], start=1):
        lines = (message.content or "").splitlines() or [""]
        rows += 3 + sum(max(1, -(-len(line) // max(width, 1))) for line in lines)
        if rows >= height:
            return count
    return min(len(messages), SHOWN_AT_ONCE)


class Branches:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.editing: int | None = None  # the question being edited (its message id)
        self._rest: Worker[None] | None = None  # mounting the rest of a branch shown

    # -- keeping the widgets in step with the tree --------------------------------------------

    def message_widgets(self) -> list[Widget]:
        """The messages shown (not the notices), top to bottom."""
        view = self.screen.conversation
        return [w for group in view.children for w in group.children if _role(w) is not None]

    def sync(self) -> None:
        """Give the shown messages their ids and `‹ n/m ›` marks. The view shows the end of the
        active branch, message for message: they are matched from the bottom up."""
        engine = self.screen.engine
        path = engine.path()
        widgets = self.message_widgets()
        for widget, message in zip(reversed(widgets), reversed(path), strict=False):
            if _role(widget) != message.role or message.id is None:
                break  # a reply still streaming, or a mismatch: leave the rest unmarked
            mark_message(widget, message.id, engine.tree.position(message.id))

    def widget_of(self, message_id: int) -> Widget | None:
        return next(
            (w for w in self.message_widgets() if getattr(w, "message_id", None) == message_id),
            None,
        )

    # -- picking a message --------------------------------------------------------------------

    def focused(self) -> Selectable | None:
        widget = self.screen.app.focused
        if isinstance(widget, UserMessage | AssistantMessage) and widget.message_id is not None:
            return widget
        return None

    def select(self, step: int) -> None:
        """Move the focus to the previous (-1) or next (+1) message; from the prompt, -1 picks
        the last one."""
        choices = [
            w for w in self.message_widgets() if isinstance(w, UserMessage | AssistantMessage)
        ]
        if not choices:
            return
        current = self.screen.app.focused
        if current in choices:
            index = choices.index(current) + step
            if index >= len(choices):
                self.screen.prompt.focus()
                return
            target = choices[max(index, 0)]
        else:
            target = choices[-1]
        target.focus()
        target.scroll_visible(animate=False)

    # -- what the keys do ---------------------------------------------------------------------

    def _typed_through(self, character: str) -> bool:
        """Keys typed fast after `e` can reach the message before the focus has moved to the
        prompt: while an edit is open, a message's letter keys are text for it."""
        prompt = self.screen.prompt
        if self.editing is None or not prompt.editing_last:
            return False
        prompt.focus()
        prompt.insert(character)
        return True

    def edit(self) -> None:
        """`e` on a question: it goes into the prompt; sending it makes a new branch there."""
        if self._typed_through("e"):
            return
        widget = self.focused()
        if not isinstance(widget, UserMessage) or self.screen.busy:
            if widget is not None and not self.screen.busy:
                self.screen.notify("Only your own messages can be edited.", markup=False)
            return
        self.start_editing(widget.message_id, widget.text, picked=True)

    def start_editing(self, message_id: int | None, text: str, *, picked: bool = False) -> None:
        """`picked`: chosen with `e` (esc gives up, emptying the prompt does not), not ↑."""
        prompt = self.screen.prompt
        prompt.recall(text)
        self.editing = message_id
        prompt.set_editing_last(True, earlier=picked)
        prompt.focus()
        self.screen.refresh_bindings()

    def stop_editing(self) -> None:
        self.editing = None
        self.screen.prompt.set_editing_last(False)
        self.screen.refresh_bindings()

    async def flip(self, step: int) -> None:
        """`[` / `]`: the previous / next alternative at the focused message's place; the view
        below follows that branch."""
        if self._typed_through("[" if step < 0 else "]"):
            return
        screen = self.screen
        widget = self.focused()
        if widget is None or widget.message_id is None or screen.busy:
            return
        await self.settle()
        other = screen.engine.flip(widget.message_id, step)
        if other is None:
            n, of = screen.engine.tree.position(widget.message_id)
            if of < 2:
                said = "This message has no alternatives (e edits a question, ctrl+r regenerates)."
            else:
                said = f"This is the {'first' if step < 0 else 'last'} alternative ({n} of {of})."
            screen.notify(said, markup=False)
            return
        with gc_hold.holding(self):  # a full pass here took up to ~350 ms, a long branch shown
            await self.show_from(widget, other)

    async def show_from(self, widget: Widget, message_id: int) -> None:
        """Replace `widget` and what follows it by the active branch from `message_id` on.

        What fills the view is mounted at once; the rest of a long branch after it, in the
        background (a finished reply costs ~5-10 ms to mount: a hundred would hold the screen
        for a second). Whatever changes the view next waits for it (`settle`)."""
        screen = self.screen
        path = screen.engine.path()
        start = next(i for i, m in enumerate(path) if m.id == message_id)
        view = screen.conversation.size  # the text is narrower: padding and border
        at_once = filling(path[start:], view.width - 4, view.height) if view else SHOWN_AT_ONCE
        first, rest = path[start : start + at_once], path[start + at_once :]
        # perf: one layout for the whole change (each full layout of a long conversation costs
        # tens of milliseconds: removing, mounting and focusing would each ask for one). The
        # old message goes last, once its replacement has the focus: removing the focused
        # widget first moved the focus to a message with other keys, and back (the footer
        # rebuilt twice, a layout each).
        with screen.app.batch_update():
            await screen.conversation.remove_after(widget)
            screen.conversation.uncount(widget)  # the totals shown under replies leave it out
            screen.last_reply_widget = None
            await screen.saved.show_messages(first, path)
            shown = self.widget_of(message_id)
            if shown is not None:
                screen.set_focus(shown, scroll_visible=False)  # now: Widget.focus waits
            await widget.remove()
        if rest:
            # The view stays with the picked message while the rest mounts below it (anchored,
            # it followed the bottom: the message scrolled away); sending follows again.
            screen.conversation.release_anchor()
        if shown is not None:
            shown.scroll_visible(animate=False)
        if rest:
            # A worker: Textual cancels it if the screen goes first.
            self._rest = screen.run_worker(
                screen.saved.show_messages(rest, path), group="branch-rest", exit_on_error=False
            )

    async def settle(self) -> None:
        """Wait until the rest of a branch just shown is mounted (before the view changes)."""
        rest, self._rest = self._rest, None
        if rest is not None:
            # Cancelled with the screen; a failure is reported by on_worker_state_changed.
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await rest.wait()

    async def fork(self) -> None:
        """`f`: a new conversation with the branch up to the focused message, opened."""
        if self._typed_through("f"):
            return
        screen = self.screen
        widget = self.focused()
        if widget is None or widget.message_id is None or screen.busy:
            return
        await self.settle()
        new_id = screen.engine.fork(widget.message_id)
        if new_id is None:
            screen.notify(
                "Only a saved conversation can be forked.", severity="warning", markup=False
            )
            return
        await screen.open_conversation(new_id)
        screen.sidebar.reload_if_open()
        screen.notify(f"Forked into a new conversation ({new_id}).", markup=False)

    def leave(self) -> None:
        """esc on a picked message: what esc does elsewhere first (cancel a streaming reply or
        running tools), else back to the prompt."""
        screen = self.screen
        if screen.streaming or screen.tools_running:
            screen.action_cancel()
            return
        screen.prompt.focus()
