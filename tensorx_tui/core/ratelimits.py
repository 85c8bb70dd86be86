"""Rate-limit headers: kept raw for the reply, and summarised for a status line.

Spellings met in the wild, all handled by `summarise`:
- OpenAI:    x-ratelimit-limit-requests, x-ratelimit-remaining-tokens,
             x-ratelimit-reset-requests ("6m0s")
- TensorX:   x-ratelimit-api_key-limit-requests, x-ratelimit-api_key-remaining-tokens, ...
- OpenRouter (no kind): x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset (epoch ms)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_PREFIX = "x-ratelimit-"
_MAX_VALUE = 200  # a header value longer than this is not a rate limit; do not carry it around


def rate_limit_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The `x-ratelimit-*` headers, names lower-cased, in arrival order."""
    found: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower.startswith(_PREFIX):
            found[lower] = value.strip()[:_MAX_VALUE]
    return found


@dataclass(frozen=True, slots=True)
class RateLimitSummary:
    limit_requests: int | None = None
    remaining_requests: int | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    # Reset hints exactly as sent ("1s", "6m0s", an epoch, ...): shown, not interpreted.
    reset_requests: str | None = None
    reset_tokens: str | None = None

    @property
    def empty(self) -> bool:
        return all(
            v is None
            for v in (
                self.limit_requests,
                self.remaining_requests,
                self.limit_tokens,
                self.remaining_tokens,
                self.reset_requests,
                self.reset_tokens,
            )
        )


_NAME = re.compile(r"(limit|remaining|reset)(?:-(requests|tokens))?$")


def _int(value: str) -> int | None:
    try:
        return int(float(value))
    except (ValueError, OverflowError):
        return None


def summarise(rate_limits: dict[str, str]) -> RateLimitSummary:
    """A typed summary of `rate_limit_headers(...)`. A name without `-requests`/`-tokens`
    (OpenRouter) counts requests. Unknown names are ignored."""
    fields: dict[str, int | str | None] = {}
    for name, value in rate_limits.items():
        if not name.startswith(_PREFIX):
            continue
        match = _NAME.search(name)
        if match is None:
            continue
        what, kind = match.group(1), match.group(2) or "requests"
        key = f"{what}_{kind}"
        if key in fields:
            continue  # the first spelling wins (e.g. a per-key limit before a global one)
        fields[key] = value if what == "reset" else _int(value)
    return RateLimitSummary(
        limit_requests=_as_int(fields.get("limit_requests")),
        remaining_requests=_as_int(fields.get("remaining_requests")),
        limit_tokens=_as_int(fields.get("limit_tokens")),
        remaining_tokens=_as_int(fields.get("remaining_tokens")),
        reset_requests=_as_str(fields.get("reset_requests")),
        reset_tokens=_as_str(fields.get("reset_tokens")),
    )


def _as_int(value: int | str | None) -> int | None:
    return value if isinstance(value, int) else None


def _as_str(value: int | str | None) -> str | None:
    return value if isinstance(value, str) else None
