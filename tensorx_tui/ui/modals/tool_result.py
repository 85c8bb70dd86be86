"""Ask the user for the result of one tool call the model made."""

from __future__ import annotations

from typing import ClassVar

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
        with Vertical(classes="dialog wide"):
            yield Label(Content.assemble("The model calls ", (name, "bold $accent"), of))
            yield Static(Content(_arguments_text(self.call)), classes="tool-arguments")
            yield Label("Result to send back (enter sends, ctrl+j newline, esc skips for now):")
            yield PromptInput(id="tool-result", placeholder="type or paste the result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()

    def on_prompt_input_submitted(self, event: PromptInput.Submitted) -> None:
        event.stop()
        self.dismiss(event.text)

    def on_prompt_input_recall_requested(self, event: PromptInput.RecallRequested) -> None:
        event.stop()

    def action_leave(self) -> None:
        self.dismiss(None)
