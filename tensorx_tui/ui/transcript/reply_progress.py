"""Where a running reply is, told the same way everywhere: the one source of its state label.

The status line and the assistant message's placeholder line both show `ReplyProgress.label()`,
so they can never disagree: the label is computed once per change (an event that changes the
phase, or a tick) and both read that same text, whenever they are painted. It has an
elapsed-seconds counter; whoever owns a clock tick (the status line, once a second, only while a
reply runs) calls `tick()`, and every subscriber repaints. Pure logic: no widgets here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    Finished,
    KeepAlive,
    ReasoningDelta,
    RefusalDelta,
    ResponseStarted,
    Retrying,
    StreamEvent,
    ToolCallDelta,
)
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.ui.transcript.panels import finish_reason_label


class Phase(Enum):
    CONNECTING = "connecting"  # the request is on its way, no response yet
    WAITING = "waiting"  # the response started, no token yet
    STREAMING = "streaming"
    KEEPALIVE = "keep-alive"  # since the last data, only keep-alive comments arrived
    RETRYING = "retrying"
    FINISHING = "finishing"  # a finish_reason arrived; the stream is closing


_DATA_EVENTS = (ContentDelta, ReasoningDelta, RefusalDelta, ContentReclassified, ToolCallDelta)
KEEPALIVE_GRACE_S = 2.0


class ReplyProgress:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.phase = Phase.CONNECTING
        self._data_at: float | None = None  # the last content/reasoning/tool event
        self._quiet_since = self.started  # what "only keep-alives for N s" counts from
        self._retry_at = 0.0
        self._retry_note = ""
        self._finish_note = ""
        self._subscribers: list[Callable[[], None]] = []
        self._tick_due = False  # a tick waits for the next flush (see tick)
        self._parts = self._compute()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """`callback()` after every change of the label (an event that changes it, or a tick)."""
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def _changed(self) -> None:
        self._tick_due = False
        self._parts = self._compute()
        for callback in list(self._subscribers):
            callback()

    def tick(self) -> None:
        """A second went by: the counters in the label moved.

        While tokens stream, the repaint waits for the next `flushed()` (a fraction of a second
        later), so the counter moves in the frame the new text is drawn in, not in one of its
        own; if no flush came within a second, it moves now.
        """
        if self.phase is Phase.RETRYING and self._clock() >= self._retry_at - 0.5:
            self.phase = Phase.CONNECTING  # the next try is on its way
        if self.phase is Phase.STREAMING and not self._tick_due:
            self._tick_due = True
            return
        self._changed()

    def flushed(self) -> None:
        """New text was just drawn: a tick that waited for it repaints now, in the same frame."""
        if self._tick_due:
            self._changed()

    def apply(self, event: StreamEvent) -> None:
        """Take one stream event; cheap on the hot path (a token changes nothing once streaming)."""
        phase = self.phase
        if isinstance(event, _DATA_EVENTS):
            self._data_at = self._clock()
            if phase is Phase.STREAMING:
                return
            self.phase = Phase.STREAMING
        elif isinstance(event, KeepAlive):
            if phase in (Phase.KEEPALIVE, Phase.FINISHING, Phase.RETRYING):
                return
            if self._data_at is not None:
                if self._clock() - self._data_at < KEEPALIVE_GRACE_S:
                    return  # tokens are flowing: a keep-alive between them says nothing
                self._quiet_since = self._data_at
            self.phase = Phase.KEEPALIVE
        elif isinstance(event, ResponseStarted):
            self.phase = Phase.WAITING
            self._quiet_since = self._clock()
        elif isinstance(event, Retrying):
            self.phase = Phase.RETRYING
            self._retry_at = self._clock() + event.delay
            self._retry_note = f"(try {event.attempt}: {one_line(event.reason, 40)})"
        elif isinstance(event, Finished):
            self.phase = Phase.FINISHING
            self._finish_note = f"({finish_reason_label(event.reason)[0]})"
        else:
            return
        self._changed()

    def parts(self) -> tuple[str, str]:
        """(what is happening, its counter) as of the last change or tick: the status line
        styles the first part."""
        return self._parts

    def _compute(self) -> tuple[str, str]:
        now = self._clock()
        elapsed = f"{max(0, int(now - self.started))} s"
        match self.phase:
            case Phase.CONNECTING:
                return "connecting…", elapsed
            case Phase.WAITING:
                return "waiting for the first token…", elapsed
            case Phase.STREAMING:
                return "streaming", elapsed
            case Phase.KEEPALIVE:
                return "only keep-alives", f"for {max(0, int(now - self._quiet_since))} s"
            case Phase.RETRYING:
                left = max(0, round(self._retry_at - now))
                return "retrying", f"in {left} s {self._retry_note}"
            case Phase.FINISHING:
                return "finishing", self._finish_note

    def label(self) -> str:
        word, detail = self.parts()
        return f"{word} {detail}" if detail else word
