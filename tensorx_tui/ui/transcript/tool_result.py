"""The result of a tool call, as sent back to the model: collapsed, titled with the tool's name."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import Collapsible, Static

from tensorx_tui.core.reply import ToolCall
from tensorx_tui.core.sanitize import safe_terminal_text as safe_text


class ToolResultMessage(Collapsible):
    DEFAULT_CSS = """
    ToolResultMessage { height: auto; margin: 0 0 1 0; padding: 0; border: none; }
    ToolResultMessage Static { color: $text-muted; }
    """

    message_id: int | None = None  # as saved (the conversation tree's)

    def __init__(self, call: ToolCall, result: str) -> None:
        title = Content(f"result of {safe_text(call.name) or '(unnamed tool)'}")
        # A Content title: a str title would be parsed as markup.
        super().__init__(Static(Text(safe_text(result))), title=title, collapsed=True)  # type: ignore[arg-type]
        self.call = call
        self.result = result
