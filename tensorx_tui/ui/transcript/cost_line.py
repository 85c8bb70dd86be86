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


def cost_text(
    reply: Reply, conversation_cost: float | None, info: ModelInfo | None, *, short: int = 0
) -> str:
    """The line; `short` 1 uses terse words, 2 also drops the savings, 3 keeps only the cost."""
    parts = []
    if reply.cost is not None:
        parts.append(f"cost {format_cost(reply.cost)}")
        saved = saved_by_cache(reply, info) if short < 2 else None
        if saved is not None:
            parts.append(f"saved {format_cost(saved)}" + ("" if short else " by cache"))
    if conversation_cost is not None and (short < 3 or reply.cost is None):
        parts.append(("conv " if short else "conversation ") + format_cost(conversation_cost))
    return " · ".join(parts)


def cost_variants(
    reply: Reply, conversation_cost: float | None, info: ModelInfo | None
) -> list[Content]:
    """The line from the fullest to the shortest (for the widest that fits); [] when nothing
    is known."""
    texts = [cost_text(reply, conversation_cost, info, short=level) for level in range(4)]
    return [Content(text) for text in dict.fromkeys(texts) if text]
