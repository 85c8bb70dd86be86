"""ReplyProgress (the one state label of a running reply) and the status line that tracks it."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tensorx_tui.core.events import (
    ContentDelta,
    Finished,
    KeepAlive,
    ReasoningDelta,
    ResponseStarted,
    Retrying,
    UsageUpdated,
)
from tensorx_tui.ui.status_line import StatusLine
from tensorx_tui.ui.transcript.reply_progress import Phase, ReplyProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_phases_and_labels_follow_the_events_and_the_clock() -> None:
    clock = Clock()
    progress = ReplyProgress(clock)
    assert (progress.phase, progress.label()) == (Phase.CONNECTING, "connecting… 0 s")
    clock.now += 1.4
    assert progress.label() == "connecting… 0 s"  # as of the last change: ticks move it
    progress.tick()
    assert progress.label() == "connecting… 1 s"
    progress.apply(ResponseStarted(200))
    clock.now += 2
    progress.tick()
    assert progress.label() == "waiting for the first token… 3 s"
    progress.apply(ReasoningDelta("hmm"))
    assert progress.phase is Phase.STREAMING and progress.label() == "streaming 3 s"
    progress.apply(ContentDelta("x"))
    progress.apply(UsageUpdated({"total_tokens": 3}))
    assert progress.phase is Phase.STREAMING
    progress.apply(Finished("length"))
    assert progress.label() == "finishing (cut at the token limit)"


def test_only_keepalives_counts_the_silence_since_the_last_data() -> None:
    clock = Clock()
    progress = ReplyProgress(clock)
    progress.apply(ResponseStarted(200))
    clock.now += 15
    progress.apply(KeepAlive())  # a model thinking: comments only, no token yet
    assert progress.phase is Phase.KEEPALIVE
    assert progress.label() == "only keep-alives for 15 s"
    clock.now += 1
    progress.tick()
    assert progress.label() == "only keep-alives for 16 s"
    progress.apply(ContentDelta("a"))
    assert progress.phase is Phase.STREAMING
    clock.now += 1
    progress.apply(KeepAlive())  # between tokens that keep coming: says nothing
    assert progress.phase is Phase.STREAMING
    clock.now += 20
    progress.apply(KeepAlive())  # tokens stopped 21 s ago
    assert progress.label() == "only keep-alives for 21 s"


def test_a_retry_counts_down_then_connects_again() -> None:
    clock = Clock()
    progress = ReplyProgress(clock)
    progress.apply(Retrying(attempt=2, delay=3.0, reason="HTTP 503 Service Unavailable"))
    assert progress.label() == "retrying in 3 s (try 2: HTTP 503 Service Unavailable)"
    clock.now += 1
    progress.tick()
    assert progress.label().startswith("retrying in 2 s")
    clock.now += 2
    progress.tick()
    assert progress.phase is Phase.CONNECTING


def test_subscribers_hear_changes_and_ticks_but_not_every_token() -> None:
    progress = ReplyProgress(Clock())
    heard: list[str] = []
    progress.subscribe(lambda: heard.append(progress.label()))
    progress.apply(ResponseStarted(200))
    for _ in range(100):
        progress.apply(ContentDelta("t"))
    assert len(heard) == 2  # waiting, then streaming: not once per token
    progress.tick()
    progress.flushed()
    assert len(heard) == 3


class StatusApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusLine(profile=None, model="m", base_url="http://h/v1", demo=False)


async def test_the_status_line_shows_the_tracked_reply_and_ticks_only_while_tracking() -> None:
    app = StatusApp()
    async with app.run_test(size=(100, 3)) as pilot:
        status = app.query_one(StatusLine)
        assert status._ticker is None  # idle: no timer at all
        clock = Clock()
        progress = ReplyProgress(clock)
        status.track(progress)
        assert status._ticker is not None
        progress.apply(ResponseStarted(200))
        clock.now += 4
        progress.tick()
        await pilot.pause()
        assert status.state == "waiting"
        assert "● waiting for the first token… 4 s" in status.render().plain
        status.set_state("idle")
        assert status._ticker is None and status.state == "idle"
        progress.apply(ContentDelta("late"))  # a reply no longer tracked changes nothing here
        assert status.state == "idle"


def test_while_streaming_a_tick_repaints_with_the_next_flush() -> None:
    clock = Clock()
    progress = ReplyProgress(clock)
    heard: list[str] = []
    progress.subscribe(lambda: heard.append(progress.label()))
    progress.apply(ContentDelta("a"))
    clock.now += 1
    progress.tick()
    assert heard == ["streaming 0 s"]  # the counter waits for the next drawn text...
    progress.flushed()
    assert heard == ["streaming 0 s", "streaming 1 s"]  # ...and moves in the same frame
    progress.flushed()
    assert len(heard) == 2
    clock.now += 1
    progress.tick()
    clock.now += 1
    progress.tick()  # no flush for a whole second: it moves on its own
    assert heard[-1] == "streaming 3 s"
