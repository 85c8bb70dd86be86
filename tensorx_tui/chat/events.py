"""What the engine reports besides the core's stream events (past tense: it happened)."""

from __future__ import annotations

from dataclasses import dataclass

from tensorx_tui.core.reply import Reply


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """A request for `model` is about to be sent (the user message is already saved)."""

    model: str


@dataclass(frozen=True, slots=True)
class ReplyFinished:
    """The reply ended (complete, cancelled, interrupted or error) and its final state is saved
    (unless `saved` is False: saving is off or failed, and `SaveFailed` said why)."""

    reply: Reply
    saved: bool


@dataclass(frozen=True, slots=True)
class SaveFailed:
    """Saving stopped for this conversation; the message says what was not saved and why."""

    message: str
