"""The money line under a reply: "cost $0.0042 · saved $0.0010 by cache · conversation $0.0123".

A reply's cost is a fact of its time (the engine worked it out when the reply ended, with the
prices of that day, and the store keeps it). What the prompt cache saved is worked out from the
usage and the prices known now. Unknown amounts are left out; with nothing known, no line.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content

from tensorx_tui.core.cost import compute_cost, format_cost
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import Reply


def cached_tokens(usage: dict[str, Any] | None) -> int:
    details = (usage or {}).get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return cached if isinstance(cached, int) and not isinstance(cached, bool) else 0


def saved_by_cache(reply: Reply, info: ModelInfo | None) -> float | None:
    """Dollars the cached prompt tokens saved, when some were cached and the prices are known."""
    if cached_tokens(reply.usage) <= 0:
        return None
    cost = compute_cost(reply.usage, info)
    if cost is None or cost.saved_by_cache is None or cost.saved_by_cache <= 0:
        return None
    return float(cost.saved_by_cache)


def cost_text(reply: Reply, conversation_cost: float | None, info: ModelInfo | None) -> str:
    parts = []
    if reply.cost is not None:
        parts.append(f"cost {format_cost(reply.cost)}")
        saved = saved_by_cache(reply, info)
        if saved is not None:
            parts.append(f"saved {format_cost(saved)} by cache")
    if conversation_cost is not None:
        parts.append(f"conversation {format_cost(conversation_cost)}")
    return " · ".join(parts)


def cost_content(
    reply: Reply, conversation_cost: float | None, info: ModelInfo | None
) -> Content | None:
    text = cost_text(reply, conversation_cost, info)
    return Content(text) if text else None
