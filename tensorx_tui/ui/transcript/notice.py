"""A line from the app itself in the conversation (info, warning or error)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.sanitize import safe_terminal_text as safe_text

if TYPE_CHECKING:
    from tensorx_tui.settings import Settings

Severity = Literal["info", "warning", "error"]


def start_notices(settings: Settings) -> list[tuple[str, Severity]]:
    """What the conversation says before anything is sent: config warnings, a missing key,
    what to try in the offline demo."""
    notices: list[tuple[str, Severity]] = [(w, "warning") for w in settings.warnings]
    problem = settings.key_problem()
    if problem:
        # The problem text already says how to set a key and suggests --demo.
        notices.append(("Requests will fail until a key is set: " + problem, "warning"))
    elif settings.demo:
        notices.append(
            (
                "Offline demo: replies are scripted by a local server; nothing leaves this"
                ' machine. Try "weather in Paris and Tokyo", "what is 17*23" or "what time is'
                ' it" to see tools run (with your approval), or ask for a code example.',
                "info",
            )
        )
    return notices


class Notice(Static):
    DEFAULT_CSS = """
    Notice { height: auto; margin: 0 0 1 0; padding: 0 1; color: $text-muted; }
    Notice.-warning { color: $text-warning; }
    Notice.-error { color: $text-error; }
    """

    def __init__(self, text: str, *, severity: Severity = "info") -> None:
        super().__init__(Content(safe_text(text)), classes=f"-{severity}")
        self.severity = severity
