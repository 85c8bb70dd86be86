"""The small typed events a reply stream is made of.

Everything downstream (the `ask` printer, the UI, the store) is a pure function of these. They are
deliberately tiny and immutable: one is created per delta on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    """The server answered with a status of 200 and the body is about to stream.

    `rate_limits` holds the `x-ratelimit-*` headers (lower-cased names), for the status line.
    """

    status: int
    rate_limits: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContentDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    """A piece of the model's refusal (`delta.refusal`): shown as the reply, marked as a refusal."""

    text: str


@dataclass(frozen=True, slots=True)
class ContentReclassified:
    """Everything streamed as content so far was reasoning (an inline thought closed by `</think>`).

    `text` is exactly the concatenation of the ContentDelta texts before this event. Consumers move
    it from the answer to the reasoning; the answer starts again, empty, after this event.
    """

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of one tool call.

    `position` is our own 0-based slot for the call (stable, dense), not the wire `index`, which
    may be missing, start at 1, or be reused by a new call. `id` and `name` are the values known so
    far (set on the first fragment, repeated afterwards). `arguments_delta` is the text appended to
    the arguments by this fragment ("" when a fragment only named the call).
    """

    position: int
    id: str | None
    name: str | None
    arguments_delta: str


@dataclass(frozen=True, slots=True)
class Finished:
    """A `finish_reason` arrived. Any string is possible; show unknown ones verbatim."""

    reason: str


@dataclass(frozen=True, slots=True)
class UsageUpdated:
    """Usage as the server sent it (merged over earlier usage; a later `null` never erases it)."""

    usage: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StreamError:
    """The provider reported an error, before or during the stream. A value, never an exception."""

    message: str
    status: int | None = None
    type: str | None = None
    code: str | None = None
    # Seconds the provider asked us to wait, when it said (Retry-After, retry-after-ms, reset text).
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Retrying:
    """A request failed before any token and will be sent again after `delay` seconds."""

    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """Body bytes arrived that held only an SSE comment (`: keep-alive`): the server is there but
    has produced nothing yet. A liveness signal for progress displays, not part of the reply:
    how many there are depends on how the bytes were read."""


StreamEvent = (
    ResponseStarted
    | ContentDelta
    | ReasoningDelta
    | RefusalDelta
    | ContentReclassified
    | ToolCallDelta
    | Finished
    | UsageUpdated
    | StreamError
    | Retrying
    | KeepAlive
)
