"""What is known about a model: context window, prices and capabilities, from three sources.

- LiteLLM's `GET /model/info` (what TensorX serves): prices in dollars per token;
- OpenRouter-style `GET /models` entries: `context_length`, `pricing` as strings of dollars per
  token, `supported_parameters`, `architecture.input_modalities`;
- the user's config, `[models."id"]` tables with prices in dollars per million tokens.

Every parser is total: any JSON goes in, nothing is raised, and a field that is missing or
malformed becomes None ("unknown"), never a guessed number. Prices are kept per million tokens
and converted with Decimal, so 2.7e-07 per token reads as 0.27, not 0.27000000000000003.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

SOURCE_CONFIG = "config"
SOURCE_MODEL_INFO = "model/info"
SOURCE_MODELS = "models"

_MAX_ID = 300  # a model id longer than this is no id
# A real model id never holds control characters; one that does is hostile or garbage.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_PER_MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model. Prices are dollars per million tokens; None means unknown."""

    id: str
    max_input_tokens: int | None = None
    """The context window."""
    max_output_tokens: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cached_input_price: float | None = None
    supports_tools: bool | None = None
    supports_vision: bool | None = None
    supports_reasoning: bool | None = None
    source: str = ""
    """Where the values came from: "config", "model/info", "models", or several joined by "+"."""

    @property
    def key(self) -> str:
        """The case-insensitive identity: `Kimi-K2.6` and `kimi-k2.6` are one model."""
        return self.id.casefold()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> ModelInfo | None:
        """The inverse of `to_json` (for the disk cache); None when `value` is not one."""
        if not isinstance(value, dict):
            return None
        model_id = _model_id(value.get("id"))
        if model_id is None:
            return None
        source = value.get("source")
        return ModelInfo(
            id=model_id,
            max_input_tokens=_count(value.get("max_input_tokens")),
            max_output_tokens=_count(value.get("max_output_tokens")),
            input_price=_price(value.get("input_price")),
            output_price=_price(value.get("output_price")),
            cached_input_price=_price(value.get("cached_input_price")),
            supports_tools=_flag(value.get("supports_tools")),
            supports_vision=_flag(value.get("supports_vision")),
            supports_reasoning=_flag(value.get("supports_reasoning")),
            source=source if isinstance(source, str) else "",
        )


# -- field readers: each returns None for anything it cannot trust ------------------------------


def _model_id(value: Any) -> str | None:
    """The id exactly as given (it is sent back in requests), when it can be one."""
    if not isinstance(value, str) or len(value) > _MAX_ID or _CONTROL.search(value):
        return None
    return value if value.strip() == value and value else None


def _count(value: Any) -> int | None:
    """A positive whole number of tokens (131072 or 131072.0), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            return None
        value = int(value)
    if isinstance(value, int) and 0 < value < 10**12:
        return value
    return None


def _decimal(value: Any) -> Decimal | None:
    """A finite, non-negative number from a number or a numeric string; never from a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > 64:
        return None
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(repr(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number < 0:
        return None
    return number


def _finite(number: Decimal | None) -> float | None:
    """As a float, unless it is too large for one (Decimal("1e999") is finite, its float not)."""
    if number is None:
        return None
    value = float(number)
    return value if math.isfinite(value) else None


def _price(value: Any) -> float | None:
    """A per-million price as given (the config, the cache)."""
    return _finite(_decimal(value))


def _price_per_token(value: Any) -> float | None:
    """A per-token price (LiteLLM, OpenRouter) as a per-million one."""
    number = _decimal(value)
    return _finite(None if number is None else number * _PER_MILLION)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _has(items: Any, *names: str) -> bool | None:
    """Whether a list of strings names one of `names`; None when it is no list."""
    if not isinstance(items, list):
        return None
    present = {item.casefold() for item in items if isinstance(item, str)}
    return any(name in present for name in names)


def _entries(value: Any) -> list[Any]:
    """The items of `{"data": [...]}` or of a bare list."""
    if isinstance(value, dict):
        value = value.get("data")
    return value if isinstance(value, list) else []


# -- the sources ---------------------------------------------------------------------------------


def parse_litellm_info(value: Any) -> list[ModelInfo]:
    """LiteLLM's `/model/info`: `{"data": [{"model_name": ..., "model_info": {...}}]}`."""
    found: list[ModelInfo] = []
    for entry in _entries(value):
        if not isinstance(entry, dict):
            continue
        model_id = _model_id(entry.get("model_name"))
        if model_id is None:
            continue
        info = entry.get("model_info")
        info = info if isinstance(info, dict) else {}
        # LiteLLM's legacy `max_tokens` means the output cap for some models and the whole
        # window for others: it is left out rather than guessed.
        found.append(
            ModelInfo(
                id=model_id,
                max_input_tokens=_count(info.get("max_input_tokens")),
                max_output_tokens=_count(info.get("max_output_tokens")),
                input_price=_price_per_token(info.get("input_cost_per_token")),
                output_price=_price_per_token(info.get("output_cost_per_token")),
                cached_input_price=_price_per_token(info.get("cache_read_input_token_cost")),
                supports_tools=_flag(info.get("supports_function_calling")),
                supports_vision=_flag(info.get("supports_vision")),
                supports_reasoning=_flag(info.get("supports_reasoning")),
                source=SOURCE_MODEL_INFO,
            )
        )
    return dedupe(found)


def parse_models_list(value: Any) -> list[ModelInfo]:
    """`/models` entries: plain OpenAI ids, with OpenRouter's metadata when present."""
    found: list[ModelInfo] = []
    for entry in _entries(value):
        if isinstance(entry, str):
            model_id = _model_id(entry)
            if model_id is not None:
                found.append(ModelInfo(id=model_id, source=SOURCE_MODELS))
            continue
        if not isinstance(entry, dict):
            continue
        model_id = _model_id(entry.get("id"))
        if model_id is None:
            continue
        pricing = entry.get("pricing")
        pricing = pricing if isinstance(pricing, dict) else {}
        top = entry.get("top_provider")
        top = top if isinstance(top, dict) else {}
        architecture = entry.get("architecture")
        architecture = architecture if isinstance(architecture, dict) else {}
        parameters = entry.get("supported_parameters")
        context = _count(entry.get("context_length"))
        found.append(
            ModelInfo(
                id=model_id,
                # vLLM names the window max_model_len.
                max_input_tokens=context if context else _count(entry.get("max_model_len")),
                max_output_tokens=_count(top.get("max_completion_tokens")),
                input_price=_price_per_token(pricing.get("prompt")),
                output_price=_price_per_token(pricing.get("completion")),
                cached_input_price=_price_per_token(pricing.get("input_cache_read")),
                supports_tools=_has(parameters, "tools"),
                supports_vision=_has(architecture.get("input_modalities"), "image"),
                supports_reasoning=_has(parameters, "reasoning", "include_reasoning"),
                source=SOURCE_MODELS,
            )
        )
    return dedupe(found)


# The config's keys, and what each must be.
_CONFIG_COUNTS = {"context": "max_input_tokens", "max_output": "max_output_tokens"}
_CONFIG_PRICES = {
    "input_price": "input_price",
    "output_price": "output_price",
    "cached_input_price": "cached_input_price",
}
_CONFIG_FLAGS = {
    "tools": "supports_tools",
    "vision": "supports_vision",
    "reasoning": "supports_reasoning",
}


def parse_config_models(table: Any) -> tuple[list[ModelInfo], list[str]]:
    """The config's `[models."id"]` tables, and a problem line for each entry skipped or key
    ignored (the caller turns them into warnings). Prices are per million tokens."""
    if not isinstance(table, dict):
        return [], ['`models` must hold tables like [models."deepseek/deepseek-chat-v3.1"]']
    found: list[ModelInfo] = []
    problems: list[str] = []
    for raw_id, entry in table.items():
        where = f"`models.{raw_id}`" if isinstance(raw_id, str) else "`models`"
        model_id = _model_id(raw_id)
        if model_id is None:
            problems.append(f"{where}: not a usable model id; skipped")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table; skipped")
            continue
        values: dict[str, Any] = {}
        bad: str | None = None
        for key, value in entry.items():
            if key in _CONFIG_COUNTS:
                number = _count(value)
                if number is None:
                    bad = f"`{key}` must be a positive whole number"
                    break
                values[_CONFIG_COUNTS[key]] = number
            elif key in _CONFIG_PRICES:
                price = _price(value) if isinstance(value, int | float) else None
                if price is None:
                    bad = f"`{key}` must be a number of dollars per million tokens, 0 or more"
                    break
                values[_CONFIG_PRICES[key]] = price
            elif key in _CONFIG_FLAGS:
                if not isinstance(value, bool):
                    bad = f"`{key}` must be true or false"
                    break
                values[_CONFIG_FLAGS[key]] = value
            else:
                problems.append(f"{where}: unknown key `{key}` ignored")
        if bad is not None:
            problems.append(f"{where}: {bad}; entry skipped")
            continue
        found.append(ModelInfo(id=model_id, source=SOURCE_CONFIG, **values))
    kept = dedupe(found)
    if len(kept) < len(found):
        problems.append("`models`: ids that differ only by case: the first one is used")
    return kept, problems


# -- combining -----------------------------------------------------------------------------------

_VALUE_FIELDS = tuple(f.name for f in fields(ModelInfo) if f.name not in ("id", "source"))


def dedupe(models: Iterable[ModelInfo]) -> list[ModelInfo]:
    """One entry per case-insensitive id, the first one given (spelling and values)."""
    seen: dict[str, ModelInfo] = {}
    for model in models:
        seen.setdefault(model.key, model)
    return list(seen.values())


def merge(*sources: Iterable[ModelInfo]) -> list[ModelInfo]:
    """Combine sources given highest precedence first, field by field: a field unknown in a
    higher source falls through to a lower one. Ids match case-insensitively; the entry lists in
    the order ids were first met, spelled as first met."""
    merged: dict[str, ModelInfo] = {}
    for source in sources:
        for model in dedupe(source):
            known = merged.get(model.key)
            merged[model.key] = model if known is None else _fill(known, model)
    return list(merged.values())


def _fill(high: ModelInfo, low: ModelInfo) -> ModelInfo:
    """`high` with its unknown fields taken from `low`."""
    changes = {
        name: getattr(low, name)
        for name in _VALUE_FIELDS
        if getattr(high, name) is None and getattr(low, name) is not None
    }
    if not changes:
        return high
    sources = [s for s in high.source.split("+") if s]
    sources += [s for s in low.source.split("+") if s and s not in sources]
    return replace(high, source="+".join(sources), **changes)
