"""When to send a failed request again, and how long to wait first.

Pure functions: no clock is read here, callers pass "now" (wall-clock epoch seconds) so tests are
exact. Three ways a server says how long to wait, in the order we trust them:

- `retry-after-ms: 1500` (OpenAI, Azure): milliseconds, fractional allowed;
- `Retry-After: 7` (seconds) or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT` (an HTTP date);
- TensorX's 429 body text: `... Limit resets at: 2026-03-21 20:38:07 UTC`.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Statuses worth another try: the request timed out or conflicted (408, 409), rate limits (429),
# and server-side failures, except those that will fail the same way again.
_NOT_RETRIED_5XX = frozenset({501, 505, 506, 508, 510, 511})

_RESET_TEXT = re.compile(
    r"resets?\s+at:?\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*(?:UTC|GMT|Z)?",
    re.IGNORECASE,
)


def is_retryable_status(status: int) -> bool:
    if status in (408, 409, 429):
        return True
    return 500 <= status <= 599 and status not in _NOT_RETRIED_5XX


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def parse_retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """Seconds to wait according to `retry-after-ms` / `Retry-After`; None if absent or unusable.

    `headers` must look names up case-insensitively (httpx.Headers does). A past date gives 0.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = _finite(float(ms.strip()) / 1000.0)
        except ValueError:
            value = None
        if value is not None and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = _finite(float(raw))
    except ValueError:
        seconds = None
    if seconds is not None:
        return seconds if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; a naive result means "-0000"
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def reset_time(text: str) -> datetime | None:
    """The `Limit resets at: YYYY-MM-DD HH:MM:SS UTC` moment in an error message (UTC)."""
    match = _RESET_TEXT.search(text)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_reset_text(text: str, *, now: float) -> float | None:
    """Seconds until the reset moment in an error message (see `reset_time`)."""
    when = reset_time(text)
    return None if when is None else max(0.0, when.timestamp() - now)


def server_now(headers: Mapping[str, str], fallback: float) -> float:
    """The server's idea of "now" from its `Date` header (so a reset time is read against the
    server's own clock, whatever ours says), else `fallback`."""
    raw = headers.get("date")
    if raw:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return fallback
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    return fallback


def requested_wait(headers: Mapping[str, str], body_text: str, *, now: float) -> float | None:
    """How long the server asked us to wait (headers first, then TensorX's reset text)."""
    wait = parse_retry_after(headers, now=now)
    if wait is None and body_text:
        wait = parse_reset_text(body_text, now=server_now(headers, now))
    return wait


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff for the wait after failed try number `attempt` (1-based), capped.

    "Equal jitter": half of the step is fixed, half random, so waits spread out (many clients
    hitting one overloaded server do not retry in lockstep) but never collapse to zero.
    """
    step = min(cap, base * 2.0 ** min(30, max(0, attempt - 1)))
    return min(cap, step / 2 + step / 2 * rand())
