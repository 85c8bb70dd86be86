"""How `tensorx-chat ask` writes a reply: the answer to stdout as it arrives, the rest to stderr.

A pure function of the stream events and the final Reply, so it is tested with plain StringIO.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

from tensorx_tui.cli.shell import isatty
from tensorx_tui.core import descriptions
from tensorx_tui.core.cost import compute_cost, format_cost
from tensorx_tui.core.descriptions import (
    SHELL,
    Endpoint,
    finish_note,
    reply_hint,
    status_label,
    timing_parts,
    token_counts,
)
from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    ReasoningDelta,
    RefusalDelta,
    Retrying,
    StreamEvent,
)
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState
from tensorx_tui.core.sanitize import one_line, safe_terminal_text, terminal_safe_json

DIM, NORMAL = "\x1b[2m", "\x1b[22m"


def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
    """ANSI styling only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return isatty(stream) and not env.get("NO_COLOR")


class AskPrinter:
    """Streams one reply. Call `on_event` for every event, then `finish` once with the reply."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        color: bool = False,
        json_mode: bool = False,
        show_usage: bool = False,
    ) -> None:
        self.out, self.err = out, err
        self.color, self.json_mode, self.show_usage = color, json_mode, show_usage
        # Text bound for a terminal is sanitised; text bound for a pipe or file stays exact.
        self._clean_out = safe_terminal_text if isatty(out) else _unchanged
        self._clean_err = safe_terminal_text if isatty(err) else _unchanged
        self._content_tail = ""  # last character written to stdout
        self._reasoning_open = False  # reasoning written to stderr without its closing newline

    def on_event(self, event: StreamEvent) -> None:
        if self.json_mode:
            return
        if isinstance(event, ContentDelta | RefusalDelta) and event.text:
            # A refusal is what the model said instead of an answer: stdout too (noted at the end).
            self._close_reasoning()
            self.out.write(self._clean_out(event.text))
            self.out.flush()
            self._content_tail = event.text[-1]
        elif isinstance(event, ReasoningDelta) and event.text:
            text = self._clean_err(event.text)
            self.err.write(f"{DIM}{text}{NORMAL}" if self.color else text)
            self.err.flush()
            self._reasoning_open = not event.text.endswith("\n")
        elif isinstance(event, ContentReclassified):
            # Already printed: stdout cannot take it back, so say what it was.
            self._close_reasoning()
            if self._content_tail and self._content_tail != "\n":
                self.out.write("\n")
                self._content_tail = "\n"
            self.out.flush()
            self.note("note: the text above was the model's reasoning (it ended with </think>)")
        elif isinstance(event, Retrying):
            self._close_reasoning()
            reason = one_line(event.reason).rstrip(". ")
            self.note(f"{reason}, retrying in {event.delay:.1f} s (try {event.attempt})")

    def finish(
        self,
        reply: Reply,
        *,
        endpoint: Endpoint | None = None,
        steps: list[dict[str, Any]] | None = None,
    ) -> None:
        """The end of the reply: JSON, or the closing newline, tool calls, error and usage.
        `steps`: the tool round trips before it (`--json` gains a `steps` list)."""
        if self.json_mode:
            text = json.dumps({**reply.to_json(), "steps": steps or []}, ensure_ascii=False)
            self.out.write(terminal_safe_json(text) + "\n")
            self.out.flush()
            return
        self._close_reasoning()
        if self._content_tail and self._content_tail != "\n":
            self.out.write("\n")
            self._content_tail = "\n"
        self.out.flush()
        if reply.refused:
            self.note("note: the model refused; the text above is its refusal, not an answer")
        for call in reply.tool_calls:
            line = f"tool call {one_line(call.name, 80)}({one_line(call.arguments_text)})"
            _, parse_error = call.parsed_arguments()
            if parse_error:
                line += f"  [arguments are not valid JSON: {one_line(parse_error, 80)}]"
            self.note(line)
        cut = finish_note(reply.finish_reason) if reply.state is ReplyState.COMPLETE else None
        if cut:
            self.note(f"note: {cut}")
        if reply.state is ReplyState.ERROR:
            self._report_error(reply, endpoint)
        elif reply.state is ReplyState.INTERRUPTED:
            message = reply.error.message if reply.error else "the stream ended before the reply"
            self.note(f"error: {one_line(message, 1000)} (interrupted)")
        elif reply.state is ReplyState.CANCELLED:
            self.note("cancelled")
        if self.show_usage:
            self.note(usage_line(reply))

    def _report_error(self, reply: Reply, endpoint: Endpoint | None) -> None:
        error = reply.error or ErrorInfo("unknown error")
        self.note(error_line(error))
        hint = reply_hint(reply, SHELL, endpoint)
        if hint:
            self.note(hint_line(hint))

    def _close_reasoning(self) -> None:
        if self._reasoning_open:
            self.err.write("\n")
            self.err.flush()
            self._reasoning_open = False

    def note(self, line: str) -> None:
        """A diagnostic line on stderr (always sanitised: it may quote the provider)."""
        text = safe_terminal_text(line)
        self.err.write(f"{DIM}{text}{NORMAL}\n" if self.color else text + "\n")
        self.err.flush()


def error_line(error: ErrorInfo) -> str:
    """`error: <the provider's words> (HTTP 404)` on one line; no status shown for a 2xx."""
    label = status_label(error.status)
    return f"error: {one_line(error.message, 1000)}" + (f" ({label})" if label else "")


def hint_line(hint: str) -> str:
    """A hint from core.descriptions as a `hint: ...` line."""
    return "hint: " + hint[:1].lower() + hint[1:]


def error_hint(
    status: int | None,
    base_url: str,
    *,
    message: str = "",
    error_type: str | None = None,
    now: float | None = None,
) -> str | None:
    """The `hint: ...` line for a failed request: core.descriptions with the shell's words."""
    error = ErrorInfo(message, status, error_type)
    hint = descriptions.error_hint(error, SHELL, Endpoint(base_url), now=now)
    return hint_line(hint) if hint else None


def usage_line(reply: Reply) -> str:
    """`finish stop · state complete · tokens prompt 12, completion 30, total 42 · TTFT 0.21 s ·
    total 1.30 s · 41 tok/s · model x` (the words of core.descriptions, as in the UI)."""
    parts = [f"finish {reply.finish_reason or '-'}", f"state {reply.state}"]
    counts = token_counts(reply.usage)
    parts.append("tokens " + ", ".join(counts) if counts else "usage not reported")
    parts += timing_parts(reply)
    if reply.model:
        parts.append(f"model {reply.model}")
    return " · ".join(parts)


def cost_line(reply: Reply, model: ModelInfo | None, model_id: str) -> str:
    """`cost $0.0042 (cached 900 of 1,200 prompt tokens saved $0.0002)`, or why it is unknown."""
    cost = compute_cost(reply.usage, model)
    if cost is None:
        priced = model is not None and (
            model.input_price is not None or model.output_price is not None
        )
        if not priced:
            why = (
                f"no prices known for {one_line(model_id, 80)} "
                '(input_price and output_price in its [models."…"] config table)'
            )
        elif not reply.usage:
            why = "the server reported no usage"
        else:
            why = "a price or a token count is missing"
        return f"cost unknown: {why}"
    line = f"cost {format_cost(cost.total)}"
    details = (reply.usage or {}).get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    if isinstance(cached, int) and cached > 0 and cost.saved_by_cache is not None:
        prompt = (reply.usage or {}).get("prompt_tokens")
        of = f" of {prompt:,}" if isinstance(prompt, int) else ""
        line += f" (cached {cached:,}{of} prompt tokens saved {format_cost(cost.saved_by_cache)})"
    return line


def _unchanged(text: str) -> str:
    return text
