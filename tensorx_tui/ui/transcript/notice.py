"""A line from the app itself in the conversation (info, warning or error)."""

from __future__ import annotations

from typing import Literal

from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.sanitize import safe_terminal_text as safe_text

Severity = Literal["info", "warning", "error"]


class Notice(Static):
    DEFAULT_CSS = """
    Notice { height: auto; margin: 0 0 1 0; padding: 0 1; color: $text-muted; }
    Notice.-warning { color: $text-warning; }
    Notice.-error { color: $text-error; }
    """

    def __init__(self, text: str, *, severity: Severity = "info") -> None:
        super().__init__(Content(safe_text(text)), classes=f"-{severity}")
        self.severity = severity
