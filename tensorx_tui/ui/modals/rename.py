"""Rename a saved conversation: one Input, prefilled with the current title."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static


class RenameModal(ModalScreen[str | None]):
    """Dismissed with the new title (stripped, not empty), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__(classes="modal")
        self.current = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Rename conversation")
            # The title is untrusted text: Input's value is never parsed as markup.
            yield Input(self.current, placeholder="title", id="title")
            yield Static(Content(""), id="rename-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Rename (enter)", variant="primary", id="rename")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    @on(Input.Submitted, "#title")
    @on(Button.Pressed, "#rename")
    def rename(self) -> None:
        title = self.query_one("#title", Input).value.strip()
        if not title:
            self.query_one("#rename-error", Static).update(Content("A title cannot be empty."))
            return
        self.dismiss(title)

    @on(Button.Pressed, "#cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
