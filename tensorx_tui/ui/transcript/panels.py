"""The compact lines under an assistant message: usage, finish reason, timing, state; and errors."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.descriptions import (
    finish_label,
    state_label,
    status_label,
    timing_parts,
    token_counts,
)
from tensorx_tui.core.reply import Reply
from tensorx_tui.core.sanitize import safe_terminal_text as safe_text

_SEVERITY_STYLE = {
    "ok": "$text-success",
    "warning": "bold $text-warning",
    "error": "bold $text-error",
}


def finish_reason_label(reason: str) -> tuple[str, str]:
    """(text, severity) for a finish_reason: the words `ask` uses too (core.descriptions)."""
    return finish_label(reason)


def usage_text(usage: dict[str, Any] | None, conversation_total: int) -> str:
    counts = token_counts(usage)
    return " · ".join([*(counts or ["usage n/a"]), f"conversation {conversation_total:,}"])


def timing_text(reply: Reply) -> str:
    return " · ".join(timing_parts(reply, total=False))


def footer_content(reply: Reply, conversation_total: int) -> Content:
    pieces: list[Content] = []
    state = state_label(reply.state)
    if state is not None:
        label, severity = state
        pieces.append(Content.styled(label, _SEVERITY_STYLE[severity]))
    if reply.finish_reason is not None:
        label, severity = finish_label(reply.finish_reason)
        pieces.append(Content.styled(label, _SEVERITY_STYLE[severity]))
    pieces.append(Content(usage_text(reply.usage, conversation_total)))
    timing = timing_text(reply)
    if timing:
        pieces.append(Content(timing))
    return Content(" │ ").join(pieces)


class MessageFooter(Static):
    """One line of facts under the message. Updated without relayout while streaming."""

    DEFAULT_CSS = """
    MessageFooter { height: auto; color: $text-muted; }
    """

    def show_streaming(self, note: str) -> None:
        self.update(Content(note), layout=False)

    def show_reply(self, reply: Reply, conversation_total: int) -> None:
        self.update(footer_content(reply, conversation_total))


class ErrorPanel(Static):
    """The provider's own error message (never parsed as markup) and what to do about it."""

    DEFAULT_CSS = """
    ErrorPanel {
        display: none; height: auto; margin: 0 0 1 0; padding: 0 1;
        border-left: thick $error; color: $text-error;
    }
    ErrorPanel.-shown { display: block; }
    """

    def show(self, message: str, status: int | None, hint: str | None) -> None:
        label = status_label(status)  # never for a 2xx: an error inside a 200 stream
        head = f"Error ({label}): " if label else "Error: "
        body = Content(head + safe_text(message))
        if hint:
            body = Content("\n").join([body, Content.styled(hint, "$text")])
        self.update(body)
        self.add_class("-shown")


class RefusalPanel(Static):
    """The model's refusal, shown as its reply under a small label (never parsed as markup)."""

    DEFAULT_CSS = """
    RefusalPanel { height: auto; margin: 0 0 1 0; padding: 0 1; border-left: thick $warning; }
    """

    def show(self, text: str) -> None:
        label = Content.styled("refusal", "bold $text-warning")
        self.update(Content("\n").join([label, Content(safe_text(text))]))
