"""The compact lines under an assistant message: usage, finish reason, timing, state; and errors."""

from __future__ import annotations

from typing import Any

from textual import events
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


def usage_text(
    usage: dict[str, Any] | None,
    conversation_total: int | None,
    *,
    short: bool = False,
) -> str:
    """ "prompt 1,200 · completion 30 · total 1,230 · 1,000 cached · conversation 5,000";
    `short` drops the total (the sum of the two before it) and the details, and names the rest
    tersely: "in 1,200 · out 30 · conv 5,000". A None conversation total is left out, and so is
    0 (nothing counted yet: "conversation 0" under a reply with no usage read as a fact)."""
    conversation = ("conv " if short else "conversation ") + f"{conversation_total or 0:,}"
    tail = [conversation] if conversation_total else []
    return " · ".join([*(token_counts(usage, short=short) or ["usage n/a"]), *tail])


def timing_text(reply: Reply, *, speed: bool = True) -> str:
    parts = timing_parts(reply, total=False)
    return " · ".join(p for p in parts if speed or not p.endswith("tok/s"))


def footer_content(
    reply: Reply, conversation_total: int | None, *, short: bool = False, timing: int = 2
) -> Content:
    """The facts line. `short` uses the terse usage and finish-reason labels; `timing` is how
    much of the timing to show (2: TTFT and speed, 1: TTFT, 0: none); a None conversation total
    is left out."""
    pieces: list[Content] = []
    state = state_label(reply.state)
    if state is not None:
        label, severity = state
        pieces.append(Content.styled(label, _SEVERITY_STYLE[severity]))
    if reply.finish_reason is not None:
        label, severity = finish_label(reply.finish_reason)
        if short:
            label = label.split(":", 1)[0]
        pieces.append(Content.styled(label, _SEVERITY_STYLE[severity]))
    pieces.append(Content(usage_text(reply.usage, conversation_total, short=short)))
    times = timing_text(reply, speed=timing > 1) if timing else ""
    if times:
        pieces.append(Content(times))
    return Content(" │ ").join(pieces)


def footer_variants(reply: Reply, conversation_total: int) -> list[Content]:
    """The facts line from the fullest to the shortest, for the widest that fits."""
    return [
        footer_content(reply, conversation_total),
        footer_content(reply, conversation_total, short=True),
        footer_content(reply, conversation_total, short=True, timing=1),
        footer_content(reply, conversation_total, short=True, timing=0),
        footer_content(reply, None, short=True, timing=0),
    ]


class MessageFooter(Static):
    """One line of facts under the message: the fullest form that fits the width (80 columns
    cannot hold the long one). Updated without relayout while streaming."""

    DEFAULT_CSS = """
    MessageFooter { height: auto; color: $text-muted; }
    """

    def __init__(self, content: Content) -> None:
        super().__init__(content)
        self._variants: list[Content] = []
        self._shown: Content | None = None
        self.cost_variants: list[Content] = []
        self._shown_cost: Content | None = None

    def show_streaming(self, note: str) -> None:
        self.update(Content(note), layout=False)

    def show_reply(self, reply: Reply, conversation_total: int) -> None:
        self._variants = footer_variants(reply, conversation_total)
        self._shown = None
        self._show_fitting(self.size.width)

    def show_cost(self, variants: list[Content]) -> None:
        """A second line with what the reply cost, fullest first (transcript/cost_line.py);
        [] shows none."""
        self.cost_variants = variants
        self._shown = None
        self._show_fitting(self.size.width)

    @property
    def cost_line(self) -> Content | None:
        return self._shown_cost

    def on_resize(self, event: events.Resize) -> None:
        if self._variants:
            self._show_fitting(event.size.width)

    def _show_fitting(self, width: int) -> None:
        """The first variant that fits `width` (all of it before the first layout: width 0),
        and the cost line under it, the same way."""
        fitting = [v for v in self._variants if width <= 0 or v.cell_length <= width]
        choice = fitting[0] if fitting else self._variants[-1] if self._variants else None
        costs = [v for v in self.cost_variants if width <= 0 or v.cell_length <= width]
        cost = costs[0] if costs else self.cost_variants[-1] if self.cost_variants else None
        if choice is None or (choice is self._shown and cost is self._shown_cost):
            return
        self._shown, self._shown_cost = choice, cost
        self.update(Content("\n").join([choice] if cost is None else [choice, cost]))


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
