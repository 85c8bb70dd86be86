"""Ask the user for the result of one tool call the model made."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from tensorx_tui.core.reply import ToolCall
from tensorx_tui.core.sanitize import safe_terminal_text
from tensorx_tui.ui.prompt import PromptInput

_MAX_ARGUMENTS_SHOWN = 2000
ARGUMENTS_ROWS = 12  # the most rows the arguments take on a tall terminal
RESULT_ROWS = 10  # the most rows the result box grows to
# Rows besides the arguments and the result box: the dialog's border (2) and padding (2), the
# title and its margin (2), the arguments' margin (1), the hint and its margin (2 while it fits
# one line), the footer (1). See app.tcss.
CHROME_ROWS = 10


def _arguments_text(call: ToolCall) -> str:
    import json

    value, error = call.parsed_arguments()
    text = call.arguments_text if error else json.dumps(value, indent=2, ensure_ascii=False)
    if len(text) > _MAX_ARGUMENTS_SHOWN:
        text = text[:_MAX_ARGUMENTS_SHOWN] + "…"
    return safe_terminal_text(text) + (
        f"\n(arguments are not valid JSON: {error})" if error else ""
    )


class ToolResultModal(ModalScreen[str | None]):
    """Dismisses with the typed result, or None when the user leaves with Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "leave", "Skip for now")]

    def __init__(self, call: ToolCall, *, position: int = 1, count: int = 1) -> None:
        super().__init__(classes="modal")
        self.call, self.position, self.count = call, position, count

    def compose(self) -> ComposeResult:
        name = safe_terminal_text(self.call.name)
        of = f" ({self.position} of {self.count})" if self.count > 1 else ""
        with Vertical(classes="dialog wide tool"):
            yield Label(Content.assemble("The model calls ", (name, "bold $accent"), of))
            yield Static(Content(_arguments_text(self.call)), classes="tool-arguments")
            yield Label("Result (enter sends · ctrl+j newline · esc skips for now):")
            yield PromptInput(id="tool-result", placeholder="type or paste the result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()
        self.fit(self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self.fit(event.size.height)

    def fit(self, screen_rows: int) -> None:
        """Share the rows the terminal leaves between the arguments (they scroll) and the
        result box (it grows as lines are typed), so the whole dialog stays on screen."""
        rows = screen_rows - CHROME_ROWS
        arguments = max(3, min(ARGUMENTS_ROWS, rows - 6))
        self.query_one(".tool-arguments", Static).styles.max_height = arguments
        self.query_one(PromptInput).styles.max_height = max(3, min(RESULT_ROWS, rows - arguments))

    def on_prompt_input_submitted(self, event: PromptInput.Submitted) -> None:
        event.stop()
        self.dismiss(event.text)

    def on_prompt_input_recall_requested(self, event: PromptInput.RecallRequested) -> None:
        event.stop()

    def action_leave(self) -> None:
        self.dismiss(None)
