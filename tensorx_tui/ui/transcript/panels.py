"""The compact lines under an assistant message: usage, finish reason, timing, state; and errors."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.core.usage import usage_details
from tensorx_tui.ui.transcript.safe_text import safe_text

# finish_reason -> (label, severity)
_REASONS = {
    "stop": ("stop", "ok"),
    "length": ("truncated at max_tokens", "warning"),
    "content_filter": ("content_filter: blocked by the provider's filter", "error"),
    "tool_calls": ("tool_calls", "ok"),
    "function_call": ("function_call", "ok"),
    "error": ("error", "error"),
}
_SEVERITY_STYLE = {
    "ok": "$text-success",
    "warning": "bold $text-warning",
    "error": "bold $text-error",
}
_STATE_STYLE = {
    ReplyState.CANCELLED: ("cancelled", "bold $text-warning"),
    ReplyState.INTERRUPTED: ("interrupted", "bold $text-warning"),
    ReplyState.ERROR: ("error", "bold $text-error"),
}


def finish_reason_label(reason: str) -> tuple[str, str]:
    """(text, severity) for a finish_reason; unknown ones verbatim (sanitised)."""
    return _REASONS.get(reason, (safe_text(reason), "warning"))


def _int(usage: dict[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_text(usage: dict[str, Any] | None, conversation_total: int) -> str:
    if not usage:
        return f"usage n/a · conversation {conversation_total:,}"
    parts = []
    for key, label in (("prompt_tokens", "prompt"), ("completion_tokens", "completion")):
        value = _int(usage, key)
        parts.append(f"{label} {value:,}" if value is not None else f"{label} ?")
    total = _int(usage, "total_tokens")
    parts.append(f"total {total:,}" if total is not None else "total ?")
    parts += usage_details(usage)
    return " · ".join(parts) + f" · conversation {conversation_total:,}"


def timing_text(reply: Reply) -> str:
    parts = []
    ttft = reply.timings.ttft_s
    if ttft is not None:
        parts.append(f"TTFT {ttft:.2f} s")
    completion = _int(reply.usage or {}, "completion_tokens")
    gen = reply.timings.generation_s
    if completion is not None and gen is not None and gen > 0:
        parts.append(f"{completion / gen:,.1f} tok/s")
    return " · ".join(parts)


def footer_content(reply: Reply, conversation_total: int) -> Content:
    pieces: list[Content] = []
    if reply.state in _STATE_STYLE:
        label, style = _STATE_STYLE[reply.state]
        pieces.append(Content.styled(label, style))
    if reply.finish_reason is not None:
        label, severity = finish_reason_label(reply.finish_reason)
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
        # An error inside a 200 stream carries the 200 it arrived with: "Error 200" would mislead.
        shown = status is not None and not 200 <= status < 300
        head = f"Error {status}: " if shown else "Error: "
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
