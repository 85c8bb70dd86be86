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

    def set_rate_limits(self, headers: dict[str, str]) -> None:
        """From `ResponseStarted.rate_limits`; a response without them leaves the last value."""
        text = rate_limit_text(summarise(headers))
        if text:
            self.rate_limits = text
            self.refresh()

    def render(self) -> Content:
        separator = ("  │  ", "$text-disabled")
        parts: list[str | tuple[str, str]] = []
        if self.demo:
            parts += [(" OFFLINE DEMO ", "bold $text on $warning"), " "]
        if self.profile:
            parts += [(one_line(self.profile, 30), "bold"), separator]
        parts += [(one_line(self.model, 60), "bold $text"), separator, self.endpoint, separator]
        parts.append(("● " + self.state, _STATE_STYLE.get(self.state, "")))
        if self.detail:
            parts.append(" " + self.detail)
        if self.rate_limits:
            parts += [separator, self.rate_limits]
        return Content.assemble(*parts)
