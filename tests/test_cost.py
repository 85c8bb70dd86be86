"""The cost of a reply (cached tokens included) to the cent and below, its formatting, and the
context window's fill level."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorx_tui.core.cost import (
    cache_savings,
    compute_cost,
    context_tokens,
    context_use,
    format_cost,
    reply_cost,
)
from tensorx_tui.core.model_info import ModelInfo

# TensorX-like prices per million tokens: cached input about a quarter of the input price.
CHAT = ModelInfo(id="m", input_price=0.27, output_price=1.10, cached_input_price=0.07)


def usage(prompt: int, completion: int, cached: int | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion}
    if cached is not None:
        value["prompt_tokens_details"] = {"cached_tokens": cached}
    return value


def total(value: Any, model: ModelInfo) -> Decimal:
    cost = compute_cost(value, model)
    assert cost is not None
    return cost.total


def level(tokens: int, window: int) -> str:
    use = context_use(tokens, window)
    assert use is not None
    return use.level


def test_cached_tokens_to_the_cent_and_below() -> None:
    # 234,567 fresh x $0.27/M = $0.06333309; 1,000,000 cached x $0.07/M = $0.07;
    # 45,678 completion x $1.10/M = $0.0502458. Total $0.18357889, exactly.
    cost = compute_cost(usage(1_234_567, 45_678, cached=1_000_000), CHAT)
    assert cost is not None
    assert cost.total == Decimal("0.18357889")
    assert cost.saved_by_cache == Decimal("0.2")  # 1,000,000 x (0.27 - 0.07) / 1M
    assert reply_cost(usage(1_234_567, 45_678, cached=1_000_000), CHAT) == 0.18357889
    assert cache_savings(usage(1_234_567, 45_678, cached=1_000_000), CHAT) == 0.2
    assert format_cost(cost.total) == "$0.1836"


def test_without_cache_every_prompt_token_is_full_price() -> None:
    cost = compute_cost(usage(1_000_000, 1_000_000), CHAT)
    assert cost is not None and cost.total == Decimal("1.37")
    assert cost.saved_by_cache == 0
    assert format_cost(cost.total) == "$1.37"


def test_float_prices_do_not_leak_binary_error() -> None:
    # 0.1 + 0.2 in floats is 0.30000000000000004; the prices are read as the decimals written.
    model = ModelInfo(id="m", input_price=0.1, output_price=0.2)
    assert total(usage(1_000_000, 1_000_000), model) == Decimal("0.3")


def test_no_cached_price_bills_cached_tokens_as_input() -> None:
    model = ModelInfo(id="m", input_price=0.27, output_price=1.10)
    cost = compute_cost(usage(2_000, 0, cached=1_500), model)
    assert cost is not None
    assert cost.total == Decimal("0.00054") and cost.saved_by_cache == 0


def test_deepseek_native_cache_hit_field() -> None:
    value = {"prompt_tokens": 1_000, "completion_tokens": 0, "prompt_cache_hit_tokens": 1_000}
    assert total(value, CHAT) == Decimal("0.00007")


def test_more_cached_than_prompt_is_capped() -> None:
    assert total(usage(100, 0, cached=500), CHAT) == Decimal("0.000007")


@pytest.mark.parametrize(
    ("value", "model"),
    [
        (None, CHAT),
        ({}, CHAT),
        (usage(10, 10), None),
        ({"completion_tokens": 10}, CHAT),
        ({"prompt_tokens": 10}, CHAT),
        ({"prompt_tokens": -1, "completion_tokens": 1}, CHAT),
        ({"prompt_tokens": True, "completion_tokens": 1}, CHAT),
        ({"prompt_tokens": 1.5, "completion_tokens": 1}, CHAT),
        (usage(10, 10, cached=-3), CHAT),
        ({**usage(10, 10), "prompt_tokens_details": {"cached_tokens": "5"}}, CHAT),
        (usage(10, 10), ModelInfo(id="m", input_price=0.27)),  # output price needed
        (usage(10, 10), ModelInfo(id="m", output_price=1.1)),  # input price needed
        (usage(10, 0, cached=10), ModelInfo(id="m", output_price=1.1)),  # cached: no price at all
    ],
)
def test_unknown_when_a_needed_count_or_price_is_missing(value: Any, model: Any) -> None:
    assert compute_cost(value, model) is None
    assert reply_cost(value, model) is None


def test_a_zero_count_needs_no_price() -> None:
    # No completion tokens: the unknown output price does not matter.
    assert reply_cost(usage(1_000_000, 0), ModelInfo(id="m", input_price=0.5)) == 0.5
    # All prompt tokens cached: only the cached price is needed.
    only_cached = ModelInfo(id="m", cached_input_price=0.07, output_price=1.0)
    cost = compute_cost(usage(1_000_000, 0, cached=1_000_000), only_cached)
    assert cost is not None and cost.total == Decimal("0.07")
    assert cost.saved_by_cache is None  # the full input price is unknown


def test_null_details_mean_no_cache() -> None:
    value = {**usage(1_000_000, 0), "prompt_tokens_details": None}
    assert reply_cost(value, CHAT) == 0.27


@settings(deadline=None, max_examples=200)
@given(
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.decimals(0, 100, places=4),
    st.decimals(0, 100, places=4),
    st.decimals(0, 100, places=4),
)
def test_cost_is_the_sum_of_its_parts(
    prompt: int,
    completion: int,
    cached: int,
    price_in: Decimal,
    price_out: Decimal,
    price_c: Decimal,
) -> None:
    model = ModelInfo(
        id="m",
        input_price=float(price_in),
        output_price=float(price_out),
        cached_input_price=float(price_c),
    )
    cost = compute_cost(usage(prompt, completion, cached=cached), model)
    assert cost is not None
    hit = min(cached, prompt)
    expected = ((prompt - hit) * price_in + hit * price_c + completion * price_out) / 10**6
    assert cost.total == expected


# -- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0042, "$0.0042"),
        (1.23, "$1.23"),
        (1.234, "$1.23"),
        (1.235, "$1.24"),  # half up, on the decimal written, not the binary float
        (0.00004, "<$0.0001"),
        (0.0001, "$0.0001"),
        (0, "$0.00"),
        (0.5, "$0.50"),
        (0.042, "$0.042"),
        (0.99996, "$1.00"),
        (1234.5, "$1,234.50"),
        (Decimal("0.18357889"), "$0.1836"),
        (-0.0042, "-$0.0042"),
        (None, "unknown"),
        (float("nan"), "unknown"),
        (float("inf"), "unknown"),
    ],
)
def test_format_cost(value: Any, text: str) -> None:
    assert format_cost(value) == text


# -- the context window ------------------------------------------------------------------------


def test_context_levels() -> None:
    assert context_use(None, 1000) is None and context_use(500, None) is None
    assert context_use(500, 0) is None
    ok = context_use(799, 1000)
    assert ok is not None and (ok.level, ok.fraction) == ("ok", 0.799)
    assert level(800, 1000) == level(999, 1000) == "warn"
    assert level(1000, 1000) == "full"
    over = context_use(1500, 1000)
    assert over is not None and over.level == "full" and over.fraction == 1.5


def test_context_tokens_from_usage() -> None:
    assert context_tokens(usage(100, 20)) == 120
    assert context_tokens({"total_tokens": 77}) == 77
    assert context_tokens({"prompt_tokens": "x"}) is None
    assert context_tokens(None) is None
