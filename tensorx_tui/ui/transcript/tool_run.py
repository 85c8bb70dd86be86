"""One MCP tool call in the conversation: "⟳ demo/weather city=Paris · 1.2 s" while it runs, then
✓ or ✗ with its duration and how it was allowed, and the result in a collapsible.

While it runs only the elapsed time changes, once a second, on a line of fixed height updated
without a relayout. Long results are cut on screen; the store keeps them whole (ctrl+s exports).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Collapsible, Static

from tensorx_tui.core.reply import ToolCall
from tensorx_tui.core.sanitize import one_line, safe_terminal_text

SHOWN_LINES = 20
SHOWN_CHARS = 4000  # one huge line (minified JSON) is cut too
ARGUMENTS_SHOWN = 60

APPROVALS = {
    "auto": "allowed by config",
    "allow-list": "allowed by config",
    "once": "allowed once",
    "asked": "allowed once",
    "session": "allowed this session",
    "saved": "always allowed",
    "denied": "denied",
    "cancelled": "cancelled",
    "limit": "not run (step limit)",
}


def arguments_summary(call: ToolCall, limit: int = ARGUMENTS_SHOWN) -> str:
    """ "city=Paris unit=celsius": the arguments on one short line (raw text when not JSON)."""
    value, problem = call.parsed_arguments()
    if problem is not None or not isinstance(value, dict):
        return one_line(call.arguments_text, limit)
    parts = []
    for key, item in value.items():
        simple = isinstance(item, str) and item and not any(c.isspace() for c in item)
        parts.append(f"{key}={item if simple else json.dumps(item, ensure_ascii=False)}")
    return one_line(" ".join(parts), limit)


def call_label(server: str, tool: str, call: ToolCall) -> str:
    """ "demo/weather city=Paris" (the model's name for it when no server offers it)."""
    name = f"{one_line(server, 30)}/{one_line(tool, 40)}" if server else one_line(call.name, 60)
    arguments = arguments_summary(call)
    return f"{name} {arguments}" if arguments else name


def cut_for_screen(text: str) -> tuple[str, str]:
    """(what to show, a note on what was left out or "")."""
    lines = text.splitlines()
    shown = "\n".join(lines[:SHOWN_LINES])
    if len(shown) > SHOWN_CHARS:
        shown = shown[:SHOWN_CHARS]
        left = len(text) - SHOWN_CHARS
        return shown, f"… {left:,} more characters (ctrl+s exports all)"
    if len(lines) > SHOWN_LINES:
        return shown, f"… {len(lines) - SHOWN_LINES:,} more lines (ctrl+s exports all)"
    return shown, ""


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a call ended, from the tool loop's result or a saved message's `tool_meta`."""

    content: str
    is_error: bool
    duration_s: float | None
    approval: str

    @classmethod
    def from_meta(cls, content: str, meta: dict[str, Any]) -> RunOutcome:
        duration = meta.get("duration_s")
        return cls(
            content,
            bool(meta.get("is_error")),
            float(duration) if isinstance(duration, int | float) else None,
            str(meta.get("approval") or ""),
        )


def duration_text(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def outcome_title(label: str, outcome: RunOutcome) -> Content:
    """ "✓ demo/weather city=Paris · 120 ms · allowed once" (✗ for errors, denials, cancels)."""
    mark = ("✗", "bold $text-error") if outcome.is_error else ("✓", "bold $text-success")
    approval = APPROVALS.get(outcome.approval, one_line(outcome.approval, 30))
    duration = duration_text(outcome.duration_s) if outcome.duration_s is not None else ""
    if outcome.approval == "cancelled":
        facts = [f"cancelled after {duration}" if duration else approval]
    elif outcome.approval in ("denied", "limit"):  # it never ran: no duration
        facts = [approval]
    else:
        facts = [duration, approval]
    tail = "".join(f" · {fact}" for fact in facts if fact)
    return Content.assemble(mark, " ", label, (tail, "$text-muted"))


class ToolRunMessage(Vertical):
    DEFAULT_CSS = """
    ToolRunMessage { height: auto; margin: 0 0 1 0; }
    ToolRunMessage > .running {
        height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; color: $text-muted;
    }
    ToolRunMessage > Collapsible { margin: 0; padding: 0; border: none; }
    ToolRunMessage .result { color: $text-muted; }
    ToolRunMessage .result.-error { color: $text-error; }
    ToolRunMessage .cut { color: $text-muted; text-style: italic; }
    """

    message_id: int | None = None  # as saved (the conversation tree's)

    def __init__(
        self,
        label: str,
        *,
        started: float | None = None,
        outcome: RunOutcome | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.label = label
        self.clock = clock
        self.started = clock() if started is None else started
        self.outcome = outcome
        self._line: Static | None = None
        self._ticker: Timer | None = None

    @property
    def running(self) -> bool:
        return self.outcome is None

    @property
    def result(self) -> str | None:
        """The whole result (only the first lines are on screen)."""
        return self.outcome.content if self.outcome is not None else None

    def compose(self) -> ComposeResult:
        if self.outcome is None:
            self._line = Static(self._running_line(), classes="running")
            yield self._line
        else:
            yield self._collapsible(self.outcome)

    def on_mount(self) -> None:
        if self.outcome is None:
            self._ticker = self.set_interval(1.0, self._tick)

    def _running_line(self) -> Content:
        elapsed = f"{max(0.0, self.clock() - self.started):.1f} s"
        return Content.assemble(("⟳ ", "bold $accent"), self.label, (f" · {elapsed}", "$text"))

    def _tick(self) -> None:
        if self._line is not None:
            self._line.update(self._running_line(), layout=False)

    async def finish(self, outcome: RunOutcome) -> None:
        """Show how it ended (once)."""
        if self.outcome is not None:
            return
        self.outcome = outcome
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self._line is not None:
            await self._line.remove()
            self._line = None
        await self.mount(self._collapsible(outcome))

    def _collapsible(self, outcome: RunOutcome) -> Collapsible:
        shown, cut = cut_for_screen(outcome.content)
        body = Static(Content(safe_terminal_text(shown)), classes="result")
        body.set_class(outcome.is_error, "-error")
        parts = [body, Static(Content(cut), classes="cut")] if cut else [body]
        # A Content title: a str title would be parsed as markup.
        return Collapsible(*parts, title=outcome_title(self.label, outcome), collapsed=True)  # type: ignore[arg-type]
