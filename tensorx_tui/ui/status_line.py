"""One line under the conversation: where we talk to, what the connection is doing, rate limits.

It changes many times a second while streaming, so it repaints itself (`refresh()`) and never asks
for a relayout: a `Static.update()` here cost ~10x the CPU with a long conversation mounted.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget

from tensorx_tui.core.ratelimits import RateLimitSummary, summarise
from tensorx_tui.core.sanitize import one_line

# Connection states and how each is drawn.
_STATE_STYLE = {
    "idle": "$success",
    "connecting": "$warning",
    "streaming": "bold $accent",
    "retrying": "bold $warning",
    "waiting": "bold $warning",
    "cancelled": "$warning",
    "error": "bold $error",
    "no key": "bold $warning",
}


def endpoint_label(base_url: str) -> str:
    """The host (and port) of the endpoint: enough to know where prompts go, never a key."""
    parts = urlsplit(base_url)
    return parts.netloc.rsplit("@", 1)[-1] or base_url


def _count(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return str(value)


def rate_limit_text(summary: RateLimitSummary) -> str:
    """ "59/60 req · 39k/40k tok" (remaining/limit this window), or "" when nothing was sent."""
    parts = []
    for remaining, limit, unit in (
        (summary.remaining_requests, summary.limit_requests, "req"),
        (summary.remaining_tokens, summary.limit_tokens, "tok"),
    ):
        if remaining is None:
            continue
        total = f"/{_count(limit)}" if limit is not None else ""
        parts.append(f"{_count(remaining)}{total} {unit}")
    return " · ".join(parts)


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    def __init__(
        self, *, profile: str | None, model: str, base_url: str, demo: bool, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.profile = profile
        self.model = model
        self.endpoint = endpoint_label(base_url)
        self.demo = demo
        self.state = "idle"
        self.detail = ""
        self.rate_limits = ""
        self.spend = ""
        self._retry_at: float | None = None
        self._retry_note = ""
        self._ticker: Timer | None = None

    def set_state(self, state: str, detail: str = "") -> None:
        """`state` is a key of _STATE_STYLE; `detail` is shown after it ("HTTP 500")."""
        self.state, self.detail = state, one_line(detail, 60)
        self._stop_countdown()
        self.refresh()

    def set_retrying(self, delay: float, attempt: int, reason: str) -> None:
        """Show "retrying in N s", counting down until the next try (or the next state)."""
        self.set_state("retrying")
        self._retry_at = time.monotonic() + delay
        self._retry_note = f"(try {attempt}: {one_line(reason, 40)})"
        self.detail = self._countdown_text()
        self._ticker = self.set_interval(0.25, self._tick)

    def _countdown_text(self) -> str:
        left = max(0.0, (self._retry_at or 0.0) - time.monotonic())
        return f"in {left:.0f} s {self._retry_note}"

    def _tick(self) -> None:
        self.detail = self._countdown_text()
        self.refresh()

    def _stop_countdown(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self._retry_at = None

    def set_model(self, model: str) -> None:
        self.model = model
        self.refresh()

    def set_endpoint(self, profile: str | None, base_url: str) -> None:
        """Another endpoint is in use (a model of another profile was picked)."""
        self.profile, self.endpoint = profile, endpoint_label(base_url)
        self.refresh()

    def set_spend(self, text: str) -> None:
        """What was spent ("today $0.0123"); "" shows nothing."""
        self.spend = text
        self.refresh()

    def set_rate_limits(self, headers: dict[str, str]) -> None:
        """From `ResponseStarted.rate_limits`; a response without them leaves the last value."""
        text = rate_limit_text(summarise(headers))
        if text:
            self.rate_limits = text
            self.refresh()

    def render(self) -> Content:
        """Everything that fits: when the line is too narrow, the least important parts go first
        (endpoint, rate limits, what was spent, profile, the long demo badge), then the model and
        the state's detail are cut with an ellipsis."""
        width = self.content_region.width
        state, detail = "● " + self.state, (" " + self.detail if self.detail else "")
        model = one_line(self.model, 60)
        profile = one_line(self.profile, 30) if self.profile else ""
        badge, short_badge = (" OFFLINE DEMO ", " DEMO ") if self.demo else ("", "")
        both = " · ".join(t for t in (self.rate_limits, self.spend) if t)
        variants = (
            (badge, profile, self.endpoint, both),
            (badge, profile, "", both),
            (badge, profile, "", self.spend),
            (badge, profile, "", ""),
            (badge, "", "", ""),
            (short_badge, "", "", ""),
        )
        for badge, profile, endpoint, rate_limits in variants:
            line = self._line(badge, profile, model, endpoint, state + detail, rate_limits)
            if width <= 0 or line.cell_length <= width:
                return line
        room = width - self._line(badge, "", "", "", state + detail, "").cell_length
        if room - len(_SEPARATOR) >= _MIN_MODEL_CELLS:
            return self._line(
                badge, "", _cut(model, room - len(_SEPARATOR)), "", state + detail, ""
            )
        room = width - self._line(badge, "", "", "", "", "").cell_length
        return self._line(badge, "", "", "", _cut(state + detail, room), "")

    def _line(
        self, badge: str, profile: str, model: str, endpoint: str, state: str, rate_limits: str
    ) -> Content:
        """The parts given (empty ones left out, with their separators)."""
        parts: list[str | tuple[str, str]] = []
        if badge:
            parts += [(badge, "bold $text on $warning"), " "]
        for text, style in ((profile, "bold"), (model, "bold $text"), (endpoint, "")):
            if text:
                parts += [(text, style), (_SEPARATOR, "$text-disabled")]
        if state:
            # The state word is styled, its detail ("HTTP 500", a countdown) is plain.
            label = "● " + self.state
            styled, plain = (
                (state, "") if len(state) <= len(label) else (label, state[len(label) :])
            )
            parts += [(styled, _STATE_STYLE.get(self.state, "")), plain]
        if rate_limits:
            parts += [(_SEPARATOR, "$text-disabled"), rate_limits]
        return Content.assemble(*parts)


_SEPARATOR = "  │  "
_MIN_MODEL_CELLS = 8  # below this a cut model name says nothing: it goes, the state stays


def _cut(text: str, cells: int) -> str:
    """`text` in at most `cells` cells, with an ellipsis when cut."""
    if cells <= 0:
        return ""
    return Content(text).truncate(cells, ellipsis=True).plain
