"""Choose what to copy: the whole last reply or one of its code blocks."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from tensorx_tui.core.sanitize import one_line


def block_label(number: int, block: str) -> str:
    lines = block.splitlines()
    first = one_line(lines[0], 50) if lines else ""
    return f"Code block {number} ({len(lines)} lines): {first}"


class CopyPickerModal(ModalScreen[str | None]):
    """Dismisses with the text to copy, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, reply_text: str, code_blocks: list[str]) -> None:
        super().__init__(classes="modal")
        self.choices = [reply_text, *code_blocks]
        self.labels = ["Whole reply"] + [
            block_label(i, block) for i, block in enumerate(code_blocks, 1)
        ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Copy to the clipboard")
            yield OptionList(
                *(Option(Content(label), id=str(i)) for i, label in enumerate(self.labels)),
                id="copy-choices",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
