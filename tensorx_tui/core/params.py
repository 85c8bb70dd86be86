"""The rules for request parameters the user sets, in one place: the UI's parameters dialog, the
`ask` flags and the config file all check them here, with the same words."""

from __future__ import annotations

import math
from typing import Final

TEMPERATURE_MIN: Final = 0.0
TEMPERATURE_MAX: Final = 2.0  # the range OpenAI-compatible APIs (TensorX included) document


def temperature_problem(value: float) -> str | None:
    """Why `value` is no temperature to send, or None."""
    if not (math.isfinite(value) and TEMPERATURE_MIN <= value <= TEMPERATURE_MAX):
        return f"temperature must be between {TEMPERATURE_MIN:g} and {TEMPERATURE_MAX:g}"
    return None


def max_tokens_problem(value: int) -> str | None:
    """Why `value` is no max_tokens to send, or None."""
    if value < 1:
        return "max_tokens must be at least 1"
    return None


def parse_temperature(text: str) -> float | str:
    """The temperature typed in `text`, or a message saying what is wrong with it."""
    try:
        value = float(text.strip())
    except ValueError:
        return f"temperature must be a number, not {text.strip()!r}"
    return temperature_problem(value) or value


def parse_max_tokens(text: str) -> int | str:
    """The max_tokens typed in `text`, or a message saying what is wrong with it."""
    try:
        value = int(text.strip())
    except ValueError:
        return f"max_tokens must be a whole number, not {text.strip()!r}"
    return max_tokens_problem(value) or value
