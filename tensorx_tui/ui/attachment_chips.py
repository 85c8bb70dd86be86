"""Attachments as chips: a row above the prompt (focus one and press delete to remove it) and a
line under a sent message. Names are untrusted: shown as Content, never parsed as markup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tensorx_tui.core.attachments import Attachment

ICON = "+"  # ASCII: a paper-clip emoji is two cells wide in some terminals and one in others


def chip_text(attachment: Attachment) -> str:
    return f"{ICON} {attachment.describe()}"


def chips_line(attachments: Sequence[Attachment]) -> Content:
    """One line for a sent message: every attachment's name, kind and size."""
    return Content("   ".join(chip_text(a) for a in attachments)).stylize("dim")


class AttachmentChip(Static, can_focus=True):
    DEFAULT_CSS = """
    AttachmentChip {
        width: auto; max-width: 48; height: 1; margin-right: 1; padding: 0 1;
        background: $boost; color: $text-muted;
    }
    AttachmentChip:focus { background: $accent; color: $text; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "remove", "Remove attachment"),
    ]

    @dataclass
    class RemoveRequested(Message):
        chip: AttachmentChip

    def __init__(self, attachment: Attachment) -> None:
        super().__init__(Content(chip_text(attachment) + "  x"))
        self.attachment = attachment
        self.tooltip = Content(attachment.describe())

    def action_remove(self) -> None:
        self.post_message(self.RemoveRequested(self))


class AttachmentChips(HorizontalScroll):
    """What will be sent with the next message; hidden while empty."""

    DEFAULT_CSS = """
    AttachmentChips { height: 1; display: none; scrollbar-size: 0 0; }
    AttachmentChips.-some { display: block; }
    """

    @property
    def attachments(self) -> list[Attachment]:
        return [chip.attachment for chip in self.query_children(AttachmentChip)]

    async def add(self, attachment: Attachment) -> bool:
        """Add a chip; False when the same file (content and name) is already there."""
        for present in self.attachments:
            if present.sha256 == attachment.sha256 and present.name == attachment.name:
                return False
        await self.mount(AttachmentChip(attachment))
        self.set_class(True, "-some")
        return True

    async def remove_chip(self, chip: AttachmentChip) -> None:
        await chip.remove()
        self.set_class(bool(self.attachments), "-some")

    async def take(self) -> list[Attachment]:
        """The attachments, clearing the row (the message is being sent)."""
        found = self.attachments
        await self.remove_children()
        self.set_class(False, "-some")
        return found
