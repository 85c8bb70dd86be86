"""What the demo server says about its models at `GET /v1/model/info` (LiteLLM's shape, as
TensorX serves it), and the prompt-cache rule behind its `cached_tokens`.

The numbers are made up but shaped like TensorX's: prices per token, a cached-input price about a
quarter of the input price. `demo-long` has a small window on purpose: one of its long replies
(about 20,000 tokens) fills more than 80 % of it, so the context warning can be seen offline; it
also has no cached price, so the "billed as ordinary input" fallback shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tensorx_tui.demo import faults
from tensorx_tui.demo.scripts import DEMO, DEMO_LONG, DEMO_REASONER
from tensorx_tui.demo.tokenizer import prompt_tokens

_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class DemoModel:
    context: int
    max_output: int
    input_per_million: float
    output_per_million: float
    cached_per_million: float | None
    tools: bool
    vision: bool
    reasoning: bool


_CHAT = DemoModel(131_072, 8_192, 0.27, 1.10, 0.07, tools=True, vision=True, reasoning=False)

DEMO_MODELS: dict[str, DemoModel] = {
    DEMO: _CHAT,
    DEMO_REASONER: DemoModel(
        163_840, 32_768, 0.55, 2.19, 0.14, tools=True, vision=False, reasoning=True
    ),
    DEMO_LONG: DemoModel(
        24_576, 32_768, 0.15, 0.60, None, tools=False, vision=False, reasoning=False
    ),
    # The fault models are `demo` underneath.
    **dict.fromkeys(faults.FAULT_MODELS, _CHAT),
}


def _per_token(per_million: float | None) -> float | None:
    # Rounded so the JSON shows 2.7e-07, not 2.7000000000000004e-07.
    return None if per_million is None else round(per_million / _MILLION, 15)


def model_info_entry(model_id: str, model: DemoModel) -> dict[str, Any]:
    return {
        "model_name": model_id,
        "litellm_params": {"model": f"tensorx-demo/{model_id}"},
        "model_info": {
            "id": f"demo-{model_id}",
            "mode": "chat",
            "max_tokens": model.max_output,
            "max_input_tokens": model.context,
            "max_output_tokens": model.max_output,
            "input_cost_per_token": _per_token(model.input_per_million),
            "output_cost_per_token": _per_token(model.output_per_million),
            "cache_read_input_token_cost": _per_token(model.cached_per_million),
            "supports_function_calling": model.tools,
            "supports_vision": model.vision,
            "supports_reasoning": model.reasoning,
            "supports_prompt_caching": model.cached_per_million is not None,
        },
    }


def model_info_payload(models: tuple[str, ...]) -> dict[str, Any]:
    """The body of `GET /v1/model/info`, listing `models` in that order."""
    return {"data": [model_info_entry(m, DEMO_MODELS[m]) for m in models if m in DEMO_MODELS]}


def cached_prompt_tokens(messages: list[Any]) -> int:
    """The demo's prompt cache: every message before the last one is a prefix seen before (the
    system prompt, the conversation so far), so its tokens count as a cache hit."""
    return prompt_tokens(messages[:-1]) if len(messages) > 1 else 0
