"""The wording of token-usage details, in one place for the UI's usage panel and `ask -v`."""

from __future__ import annotations

from typing import Any


def _count(table: Any, key: str) -> int | None:
    if not isinstance(table, dict):
        return None
    value = table.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_details(usage: dict[str, Any] | None) -> list[str]:
    """What the plain counts leave out: `["1,234 cached", "567 reasoning"]` (only non-zero ones).

    Cached prompt tokens (`prompt_tokens_details.cached_tokens`; DeepSeek's top-level
    `prompt_cache_hit_tokens`) are billed at a fraction of the price; reasoning tokens
    (`completion_tokens_details.reasoning_tokens`) are part of the completion count.
    """
    if not usage:
        return []
    cached = _count(usage.get("prompt_tokens_details"), "cached_tokens")
    if cached is None:
        cached = _count(usage, "prompt_cache_hit_tokens")
    reasoning = _count(usage.get("completion_tokens_details"), "reasoning_tokens")
    details = []
    if cached:
        details.append(f"{cached:,} cached")
    if reasoning:
        details.append(f"{reasoning:,} reasoning")
    return details
