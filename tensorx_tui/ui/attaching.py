"""The chat screen's attachments: the picker, `@path` in the prompt, pasted image paths, the
chips above the prompt, and what goes with the next message. Reading and checking files is the
core's (core/attachments.py); whether the model can see is chat/vision.py's rule."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.content import Content
from textual.notifications import SeverityLevel
from textual.widgets import Static

from tensorx_tui.chat.vision import vision_warning
from tensorx_tui.core.attachments import Attachment, AttachmentError, read_attachment
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.ui.attachment_chips import AttachmentChip, AttachmentChips
from tensorx_tui.ui.modals.attach import AttachModal
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.prompt import PromptInput
from tensorx_tui.ui.prompt_paths import attach_tokens

if TYPE_CHECKING:
    from tensorx_tui.ui.chat_screen import ChatScreen

HINT_CHOICES = 6  # completions shown under the prompt; tab takes what they share


class PathHint(Static):
    """The completions of the `@path` being typed (file names: Content, never markup)."""

    DEFAULT_CSS = """
    PathHint { height: 1; margin: 0 2; color: $text-muted; display: none; }
    PathHint.-shown { display: block; }
    """

    def show(self, typed: str | None, choices: list[str]) -> None:
        if typed is None:
            self.set_class(False, "-shown")
            return
        if not choices:
            text = f"@{typed}: no such file"
        else:
            names = [
                c.rstrip("/").rsplit("/", 1)[-1] + ("/" if c.endswith("/") else "") for c in choices
            ]
            more = f" … {len(choices) - HINT_CHOICES} more" if len(choices) > HINT_CHOICES else ""
            text = "tab: " + "  ".join(names[:HINT_CHOICES]) + more
        self.update(Content(one_line(text, 400)))
        self.set_class(True, "-shown")


def _last_part(choice: str) -> str:
    """ "src/maths/" -> "maths/", "src/main.py" -> "main.py"."""
    slash = "/" if choice.endswith("/") else ""
    return choice.rstrip("/").rsplit("/", 1)[-1] + slash


class Attaching:
    def __init__(self, screen: ChatScreen, cwd: Path | None = None) -> None:
        self.screen = screen
        self.cwd = cwd or Path.cwd()
        self.vision_confirmed = False  # the user said "send anyway" for this message

    @property
    def chips(self) -> AttachmentChips:
        return self.screen.query_one(AttachmentChips)

    def load(self, path: Path) -> Attachment:
        return read_attachment(path, self.screen.settings.attach_limits)

    def _say(self, text: str, severity: SeverityLevel) -> None:
        # File names are untrusted: one clean line, never parsed as markup.
        self.screen.notify(one_line(text, 500), severity=severity, markup=False, timeout=8)

    def _sync_prompt(self) -> None:
        self.screen.prompt.allow_empty = bool(self.chips.attachments)

    # -- adding and removing ----------------------------------------------------------------

    def open_picker(self) -> None:
        async def picked(attachment: Attachment | None) -> None:
            if attachment is not None:
                await self.add(attachment)
            self.screen.prompt.focus()

        self.screen.app.push_screen(AttachModal(self.load, self.cwd), callback=picked)

    async def add(self, attachment: Attachment) -> None:
        if not await self.chips.add(attachment):
            self._say(f"{attachment.name} is already attached.", "warning")
            return
        self._sync_prompt()
        warning = self.vision_warning([attachment])
        if warning:
            self._say(warning, "warning")

    async def add_path(self, path: Path) -> None:
        try:
            attachment = self.load(path)
        except AttachmentError as exc:
            self._say(f"Cannot attach {exc}", "error")
            return
        await self.add(attachment)

    async def remove(self, chip: AttachmentChip) -> None:
        await self.chips.remove_chip(chip)
        self._sync_prompt()
        self.screen.prompt.focus()

    def pasted(self, event: PromptInput.ImagePathPasted) -> None:
        async def answered(attach: bool | None) -> None:
            if attach:
                await self.add_path(event.path)
            else:
                self.screen.prompt.insert(event.text)
            self.screen.prompt.focus()

        name = one_line(event.path.name, 80)
        self.screen.app.push_screen(
            ConfirmModal(f"Attach the image {name}?", yes="Attach", no="Paste the path"),
            callback=answered,
        )

    def show_completions(self, event: PromptInput.PathCompletions) -> None:
        self.screen.query_one(PathHint).show(event.typed, event.choices)

    # -- sending ----------------------------------------------------------------------------

    def vision_warning(self, attachments: list[Attachment]) -> str | None:
        model = self.screen.state.model
        return vision_warning(attachments, model, self.screen.facts.info(model))

    async def prepare(self, text: str) -> tuple[str, list[Attachment]] | None:
        """The message to send and its attachments (the chips and every `@file` in the text,
        each named in the text as the file's name). None: not now (a file cannot be attached,
        or the user is asked first about images for a model that cannot see them)."""
        attachments = self.chips.attachments
        for token, path in attach_tokens(text, self.cwd):
            try:
                attachment = self.load(path)
            except AttachmentError as exc:
                self._say(f"Cannot attach {exc}", "error")
                return None
            attachments.append(attachment)
            text = text.replace(token, attachment.name, 1)
        warning = self.vision_warning(attachments)
        if warning and not self.vision_confirmed:
            self._ask_about_vision(warning)
            return None
        self.vision_confirmed = False
        await self.chips.take()
        self._sync_prompt()
        self.screen.query_one(PathHint).show(None, [])
        return text, attachments

    def _ask_about_vision(self, warning: str) -> None:
        def answered(send: bool | None) -> None:
            if send:
                self.vision_confirmed = True
                self.screen.prompt.action_submit()
            self.screen.prompt.focus()

        self.screen.app.push_screen(
            ConfirmModal(f"{warning}.", yes="Send anyway", no="Cancel"), callback=answered
        )
