"""What a reply cost, how much the prompt cache saved, and how full the context window is.

Arithmetic is exact (Decimal): a price per million tokens times a count of tokens, summed, then
turned into a float only at the end. A cost is None whenever a count or a price it needs is
unknown; a count of zero needs no price (a reply with no cached tokens costs the same whether
or not a cached price is known).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from tensorx_tui.core.model_info import ModelInfo

_MILLION = Decimal(1_000_000)
WARN_FRACTION = 0.8  # the context window is nearly full from here

ContextLevel = Literal["ok", "warn", "full"]


@dataclass(frozen=True, slots=True)
class ReplyCost:
    """Dollars, exact. `saved_by_cache` is None when the full input price is unknown."""

    total: Decimal
    saved_by_cache: Decimal | None

    @property
    def dollars(self) -> float:
        return float(self.total)


def _tokens(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _cached_tokens(usage: Mapping[str, Any]) -> int | None:
    """Cached prompt tokens: 0 when the usage does not mention any, None when malformed."""
    details = usage.get("prompt_tokens_details")
    if isinstance(details, dict) and details.get("cached_tokens") is not None:
        return _tokens(details["cached_tokens"])
    # DeepSeek's own API reports the cache this way.
    if usage.get("prompt_cache_hit_tokens") is not None:
        return _tokens(usage["prompt_cache_hit_tokens"])
    return 0


def _price(value: float | None) -> Decimal | None:
    # repr gives the shortest text that round-trips: 0.27 stays 0.27, exactly.
    return None if value is None else Decimal(repr(value))


def compute_cost(usage: Mapping[str, Any] | None, info: ModelInfo | None) -> ReplyCost | None:
    """The cost of one reply from its usage (`prompt_tokens`, `completion_tokens`, and
    `prompt_tokens_details.cached_tokens`), or None when something needed is unknown."""
    if not isinstance(usage, Mapping) or info is None:
        return None
    prompt = _tokens(usage.get("prompt_tokens"))
    completion = _tokens(usage.get("completion_tokens"))
    cached = _cached_tokens(usage)
    if prompt is None or completion is None or cached is None:
        return None
    cached = min(cached, prompt)  # more cached than sent would be a server's miscount
    fresh = prompt - cached
    input_price = _price(info.input_price)
    output_price = _price(info.output_price)
    cached_price = _price(info.cached_input_price)
    if cached_price is None:
        cached_price = input_price  # no cache discount known: billed as ordinary input
    parts: list[tuple[int, Decimal | None]] = [
        (fresh, input_price),
        (cached, cached_price),
        (completion, output_price),
    ]
    total = Decimal(0)
    for count, price in parts:
        if count == 0:
            continue
        if price is None:
            return None
        total += count * price
    saved: Decimal | None = None
    if input_price is not None and cached_price is not None:
        saved = cached * (input_price - cached_price) / _MILLION
    return ReplyCost(total=total / _MILLION, saved_by_cache=saved)


def reply_cost(usage: Mapping[str, Any] | None, info: ModelInfo | None) -> float | None:
    """Dollars, or None when unknown."""
    cost = compute_cost(usage, info)
    return None if cost is None else cost.dollars


def cache_savings(usage: Mapping[str, Any] | None, info: ModelInfo | None) -> float | None:
    """Dollars the cached prompt tokens saved against the full input price, or None."""
    cost = compute_cost(usage, info)
    if cost is None or cost.saved_by_cache is None:
        return None
    return float(cost.saved_by_cache)


_TINY = Decimal("0.0001")
_CENT = Decimal("0.01")


def format_cost(value: float | Decimal | None) -> str:
    """`$1.23`, `$0.0042`, `$0.50`, `<$0.0001`, `$0.00`; "unknown" for None. The one formatter
    of money, used everywhere a cost is shown."""
    if value is None:
        return "unknown"
    amount = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if not amount.is_finite():
        return "unknown"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0:
        return "$0.00"
    if amount < _TINY:
        return f"{sign}<$0.0001"
    small = amount.quantize(_TINY, rounding=ROUND_HALF_UP)
    if small < 1:
        # Below a dollar the fractions of a cent matter; trailing zeros do not ($0.50, $0.042).
        digits = f"{small:f}".rstrip("0")
        whole, _, fraction = digits.partition(".")
        return f"{sign}${whole}.{fraction.ljust(2, '0')}"
    return f"{sign}${amount.quantize(_CENT, rounding=ROUND_HALF_UP):,}"


# -- the context window ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContextUse:
    tokens: int
    window: int
    fraction: float
    """tokens / window; may exceed 1."""
    level: ContextLevel


def context_tokens(usage: Mapping[str, Any] | None) -> int | None:
    """The tokens a conversation occupies after a reply: its prompt plus the reply."""
    if not isinstance(usage, Mapping):
        return None
    prompt = _tokens(usage.get("prompt_tokens"))
    completion = _tokens(usage.get("completion_tokens"))
    if prompt is not None and completion is not None:
        return prompt + completion
    return _tokens(usage.get("total_tokens"))


def context_use(tokens: int | None, window: int | None) -> ContextUse | None:
    """How much of the window `tokens` fill: ok, warn (from 80 %), full; None when unknown."""
    if tokens is None or window is None or window <= 0 or tokens < 0:
        return None
    fraction = tokens / window
    level: ContextLevel = (
        "full" if tokens >= window else "warn" if fraction >= WARN_FRACTION else "ok"
    )
    return ContextUse(tokens=tokens, window=window, fraction=fraction, level=level)
