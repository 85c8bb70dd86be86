"""Attach a file: a path with completion (→ or tab takes the suggestion), checked before the
dialog closes, so a refusal (a directory, a binary file, too big) is said where it was typed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Footer, Input, Label, Static

from tensorx_tui.core.attachments import Attachment, AttachmentError
from tensorx_tui.ui.path_completion import longest_completion

Loader = Callable[[Path], Attachment]


class PathSuggester(Suggester):
    def __init__(self, cwd: Path) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.cwd = cwd

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        completed = longest_completion(value, self.cwd)
        return completed if completed != value else None


class AttachModal(ModalScreen[Attachment | None]):
    """Dismissed with the attachment read, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel"),
        Binding("tab", "complete", "Complete", priority=True),
    ]

    def __init__(self, load: Loader, cwd: Path | None = None) -> None:
        super().__init__(classes="modal")
        self.load = load
        self.cwd = cwd or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Attach a file (image or text)")
            yield Input(placeholder="path", id="path", suggester=PathSuggester(self.cwd))
            yield Static(Content("tab completes · enter attaches"), id="attach-hint")
            yield Static(Content(""), id="attach-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def action_complete(self) -> None:
        field = self.query_one("#path", Input)
        completed = longest_completion(field.value, self.cwd)
        if completed != field.value:
            field.value = completed
            field.cursor_position = len(completed)

    @on(Input.Submitted, "#path")
    def attach(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        error = self.query_one("#attach-error", Static)
        if not text:
            error.update(Content("Type a path."))
            return
        path = Path(text).expanduser()
        try:
            attachment = self.load(path if path.is_absolute() else self.cwd / path)
        except AttachmentError as exc:
            # The message names the path as typed (cleaned), not the joined absolute one.
            error.update(Content(str(exc).replace(str(self.cwd) + "/", "", 1)))
            return
        self.dismiss(attachment)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
