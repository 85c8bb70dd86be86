"""One line under the conversation: where we talk to, what the connection is doing, rate limits.

While a reply runs, the state shown is its `ReplyProgress` (`track`): the same label as the
message's placeholder line, with an elapsed-seconds counter. A timer ticks once a second only
while a reply is tracked; idle, nothing runs. It repaints itself (`refresh()`) and never asks for
a relayout: a `Static.update()` here cost ~10x the CPU with a long conversation mounted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget

from tensorx_tui.core.ratelimits import RateLimitSummary, summarise
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.ui.transcript.reply_progress import ReplyProgress

# Connection states (the phases of a reply among them) and how each is drawn.
_STATE_STYLE = {
    "idle": "$success",
    "connecting": "$warning",
    "streaming": "bold $accent",
    "keep-alive": "bold $warning",
    "finishing": "$accent",
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
        self._state = "idle"
        self._detail = ""
        self.rate_limits = ""
        self.spend = ""
        self._progress: ReplyProgress | None = None
        self._ticker: Timer | None = None

    @property
    def state(self) -> str:
        """What is shown: a reply's phase while one is tracked, else the state last set."""
        return self._progress.phase.value if self._progress is not None else self._state

    @property
    def detail(self) -> str:
        return self._progress.parts()[1] if self._progress is not None else self._detail

    def set_state(self, state: str, detail: str = "") -> None:
        """`state` is a key of _STATE_STYLE; `detail` is shown after it ("HTTP 500").
        Ends the tracking of a reply."""
        self._untrack()
        self._state, self._detail = state, one_line(detail, 60)
        self.refresh()

    def track(self, progress: ReplyProgress) -> None:
        """Show `progress` (a running reply) until the next `set_state`, ticking once a second."""
        self._untrack()
        self._progress = progress
        progress.subscribe(self._repaint)
        # Whole seconds since the reply started, so the counter moves on time.
        self._ticker = self.set_interval(1.0, progress.tick)
        self.refresh()

    def _untrack(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self._progress is not None:
            self._progress.unsubscribe(self._repaint)
            self._progress = None

    def _repaint(self) -> None:
        self.refresh()

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
        word = self._progress.parts()[0] if self._progress is not None else self.state
        state, detail = "● " + word, (" " + self.detail if self.detail else "")
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
            word = self._progress.parts()[0] if self._progress is not None else self.state
            label = "● " + word
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
