"""A message the user sent: shown exactly as typed (plain text, no Markdown, no markup)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.sanitize import safe_terminal_text as safe_text


class UserMessage(Static):
    DEFAULT_CSS = """
    UserMessage {
        height: auto; margin: 0 0 1 0; padding: 0 1;
        border-left: thick $primary; background: $boost;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(Content(safe_text(text)))
        self.text = text
