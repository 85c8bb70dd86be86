"""A message the user sent: shown exactly as typed (plain text, no Markdown, no markup)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.sanitize import safe_terminal_text as safe_text
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

    def __init__(self, text: str) -> None:
        super().__init__(Content(safe_text(text)))
        self.text = text
        self.message_id: int | None = None  # as saved (the conversation tree's)
        self.position: tuple[int, int] | None = None

    def show_position(self, position: tuple[int, int] | None) -> None:
        """`‹ 2/3 ›` before the text when the question has alternatives (other versions)."""
        if position == self.position:
            return
        self.position = position
        mark = position_mark(position)
        text = Content(safe_text(self.text))
        self.update(Content.assemble((mark + " ", "dim bold"), text) if mark else text)
