"""A message the user sent: shown exactly as typed (plain text, no Markdown, no markup)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.sanitize import safe_terminal_text as safe_text
from tensorx_tui.ui.attachment_chips import chips_line


class UserMessage(Static):
    DEFAULT_CSS = """
    UserMessage {
        height: auto; margin: 0 0 1 0; padding: 0 1;
        border-left: thick $primary; background: $boost;
    }
    """

    def __init__(self, text: str, attachments: Sequence[Attachment] = ()) -> None:
        content = Content(safe_text(text))
        if attachments:
            # The attachments' names, kinds and sizes under the text, as chips.
            content = (
                Content("\n").join([content, chips_line(attachments)])
                if text
                else chips_line(attachments)
            )
        super().__init__(content)
        self.text = text
        self.attachments = tuple(attachments)
