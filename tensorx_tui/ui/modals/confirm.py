"""A question with two buttons: the action (quit, delete…) and Cancel.

Cancel has the focus when the dialog opens, and no single letter answers it: the dialog may open
under someone still typing (a word that contains "y" once deleted a conversation), and a stray
Enter or word must change nothing. Only Enter (or space, or a click) on the action button confirms.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static


class ConfirmModal(ModalScreen[bool]):
    """Dismissed with True only when the action button is pressed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "Cancel"),
        Binding("left", "app.focus_previous", "Previous", show=False),
        Binding("right", "app.focus_next", "Next", show=False),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__(classes="modal")
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # Content, not markup: the question may quote a conversation title.
            yield Static(Content(self.question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button(Content(self.yes), variant="error", id="yes")
                yield Button(Content(self.no), id="no")
        yield Footer()

    def on_mount(self) -> None:
        # Not query_one: a key that answered the dialog while it mounted may have dismissed it
        # already (its buttons gone), and that must not be an error.
        for cancel in self.query("#no").results(Button):
            self.set_focus(cancel)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
