"""A message the user sent: shown exactly as typed (plain text, no Markdown, no markup)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.sanitize import safe_terminal_text as safe_text
from tensorx_tui.ui.attachment_chips import chips_line
from tensorx_tui.ui.transcript.selectable import (
    MESSAGE_BINDINGS,
    SelectableMessage,
    position_mark,
)


class UserMessage(SelectableMessage, Static, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = MESSAGE_BINDINGS
    DEFAULT_CSS = """
    UserMessage {
        height: auto; margin: 0 0 1 0; padding: 0 1;
        border-left: thick $primary; background: $boost;
    }
    UserMessage:focus { background: $primary 30%; border-left: thick $accent; }
    UserMessage > .alternatives { color: $text-muted; }
    """

    def __init__(self, text: str, attachments: Sequence[Attachment] = ()) -> None:
        super().__init__(_with_chips(Content(safe_text(text)), attachments))
        self.text = text
        self.attachments = tuple(attachments)
        self.message_id: int | None = None  # as saved (the conversation tree's)
        self.position: tuple[int, int] | None = None

    def show_position(self, position: tuple[int, int] | None) -> None:
        """`‹ 2/3 ›` before the text when the question has alternatives (other versions)."""
        if position == self.position:
            return
        self.position = position
        mark = position_mark(position)
        text = Content(safe_text(self.text))
        if mark:
            text = Content.assemble((mark + " ", "dim bold"), text)
        self.update(_with_chips(text, self.attachments))


def _with_chips(content: Content, attachments: Sequence[Attachment]) -> Content:
    """The attachments' names, kinds and sizes under the text, as chips."""
    if not attachments:
        return content
    chips = chips_line(attachments)
    return Content("\n").join([content, chips]) if content.plain else chips
