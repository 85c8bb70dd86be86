"""Model metadata: each source's parser, the config table, precedence and case-insensitive ids."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorx_tui.core.model_info import (
    ModelInfo,
    merge,
    parse_config_models,
    parse_litellm_info,
    parse_models_list,
)

# The shape TensorX serves at /v1/model/info (LiteLLM's), prices per token.
LITELLM = {
    "data": [
        {
            "model_name": "deepseek/deepseek-chat-v3.1",
            "litellm_params": {"model": "openai/deepseek-chat"},
            "model_info": {
                "max_input_tokens": 163840,
                "max_output_tokens": 32768,
                "max_tokens": 32768,
                "input_cost_per_token": 2.7e-07,
                "output_cost_per_token": 1.1e-06,
                "cache_read_input_token_cost": 7e-08,
                "supports_function_calling": True,
                "supports_vision": False,
                "supports_reasoning": None,
            },
        },
        {
            "model_name": "deepseek/deepseek-r1-0528",
            "model_info": {"supports_reasoning": True, "input_cost_per_token": "5.5e-07"},
        },
    ]
}

# OpenRouter's /models entries: prices are strings of dollars per token.
OPENROUTER = {
    "data": [
        {
            "id": "qwen/qwen3-235b-a22b-2507",
            "context_length": 262144,
            "pricing": {"prompt": "0.00000013", "completion": "0.0000006", "input_cache_read": "0"},
            "top_provider": {"max_completion_tokens": 8192},
            "architecture": {"input_modalities": ["text", "image"]},
            "supported_parameters": ["tools", "tool_choice", "reasoning", "temperature"],
        },
        {
            "id": "openrouter/auto",
            "context_length": 2000000,
            "pricing": {"prompt": "-1", "completion": "-1"},
            "architecture": {"input_modalities": ["text"]},
            "supported_parameters": ["temperature"],
        },
    ]
}


def test_litellm_model_info() -> None:
    chat, r1 = parse_litellm_info(LITELLM)
    assert chat == ModelInfo(
        id="deepseek/deepseek-chat-v3.1",
        max_input_tokens=163840,
        max_output_tokens=32768,
        input_price=0.27,  # exactly: per token x 1,000,000 in Decimal, not 0.27000000000000003
        output_price=1.1,
        cached_input_price=0.07,
        supports_tools=True,
        supports_vision=False,
        supports_reasoning=None,
        source="model/info",
    )
    assert r1.id == "deepseek/deepseek-r1-0528"
    assert (r1.input_price, r1.output_price, r1.max_input_tokens) == (0.55, None, None)
    assert (r1.supports_reasoning, r1.supports_tools) == (True, None)


def test_litellm_legacy_max_tokens_is_not_taken_for_the_window() -> None:
    (model,) = parse_litellm_info(
        {"data": [{"model_name": "m", "model_info": {"max_tokens": 4096}}]}
    )
    assert model.max_input_tokens is None and model.max_output_tokens is None


def test_openrouter_models() -> None:
    qwen, auto = parse_models_list(OPENROUTER)
    assert qwen.max_input_tokens == 262144 and qwen.max_output_tokens == 8192
    assert (qwen.input_price, qwen.output_price, qwen.cached_input_price) == (0.13, 0.6, 0.0)
    assert (qwen.supports_tools, qwen.supports_vision, qwen.supports_reasoning) == (
        True,
        True,
        True,
    )
    assert qwen.source == "models"
    # "-1" means "varies" on OpenRouter: a negative price is no price.
    assert (auto.input_price, auto.output_price) == (None, None)
    # A list that does not name a capability says "no"; no list says "unknown".
    assert (auto.supports_tools, auto.supports_vision, auto.supports_reasoning) == (
        False,
        False,
        False,
    )


def test_plain_openai_models_list_has_ids_only() -> None:
    tensorx = {"object": "list", "data": [{"id": "z-ai/glm-5.1", "object": "model"}, "bare-id"]}
    glm, bare = parse_models_list(tensorx)
    assert (glm.id, bare.id) == ("z-ai/glm-5.1", "bare-id")
    assert glm == ModelInfo(id="z-ai/glm-5.1", source="models")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (True, None),
        (False, None),
        (-1e-6, None),
        ("-0.000001", None),
        (float("nan"), None),
        ("NaN", None),
        (float("inf"), None),
        ("Infinity", None),
        ("free", None),
        ("", None),
        ([1], None),
        ({"x": 1}, None),
        (0, 0.0),
        ("0", 0.0),
        (3e-06, 3.0),
        (" 0.000003 ", 3.0),
    ],
)
def test_malformed_prices_are_unknown(raw: Any, expected: float | None) -> None:
    entry = {"model_name": "m", "model_info": {"input_cost_per_token": raw}}
    (model,) = parse_litellm_info({"data": [entry]})
    assert model.input_price == expected


@pytest.mark.parametrize("raw", [0, -5, 1.5, "131072", True, None, float("nan"), 10**15])
def test_malformed_windows_are_unknown(raw: Any) -> None:
    (model,) = parse_models_list({"data": [{"id": "m", "context_length": raw}]})
    assert model.max_input_tokens is None


def test_capabilities_must_be_booleans() -> None:
    entry = {"model_name": "m", "model_info": {"supports_vision": "yes", "supports_reasoning": 1}}
    (model,) = parse_litellm_info({"data": [entry]})
    assert (model.supports_vision, model.supports_reasoning) == (None, None)


def test_hostile_or_blank_ids_are_skipped() -> None:
    listing = {"data": [{"id": "evil\x1b]0;title\x07"}, {"id": "  "}, {"id": ""}, {"id": 7}, {}]}
    assert parse_models_list(listing) == []
    assert parse_models_list({"data": [{"id": "x" * 301}]}) == []


def test_ids_differing_only_by_case_are_listed_once_first_spelling_kept() -> None:
    listing = {
        "data": [
            {"id": "moonshotai/Kimi-K2.6"},
            {"id": "moonshotai/kimi-k2.6", "context_length": 262144},
            {"id": "z-ai/glm-5.1"},
        ]
    }
    kimi, glm = parse_models_list(listing)
    assert kimi.id == "moonshotai/Kimi-K2.6" and glm.id == "z-ai/glm-5.1"
    assert kimi.max_input_tokens is None  # the first entry's values, not a mixture


# -- the config ------------------------------------------------------------------------------


def test_config_models_table() -> None:
    table = {
        "deepseek/deepseek-chat-v3.1": {
            "context": 131072,
            "input_price": 0.27,
            "output_price": 1.10,
            "cached_input_price": 0.07,
            "tools": True,
        },
        "local/llama": {"context": 8192, "vision": False, "reasoning": True, "max_output": 2048},
    }
    (chat, llama), problems = parse_config_models(table)
    assert problems == []
    assert chat == ModelInfo(
        id="deepseek/deepseek-chat-v3.1",
        max_input_tokens=131072,
        input_price=0.27,
        output_price=1.1,
        cached_input_price=0.07,
        supports_tools=True,
        source="config",
    )
    assert (llama.supports_vision, llama.supports_reasoning) == (False, True)
    assert llama.max_output_tokens == 2048


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"context": "big"}, "`context` must be a positive whole number"),
        ({"context": 0}, "`context` must be a positive whole number"),
        ({"input_price": -1}, "`input_price` must be a number"),
        ({"input_price": "0.27"}, "`input_price` must be a number"),
        ({"output_price": True}, "`output_price` must be a number"),
        ({"output_price": math.nan}, "`output_price` must be a number"),
        ({"tools": "yes"}, "`tools` must be true or false"),
    ],
)
def test_bad_config_entries_are_skipped_with_a_problem(entry: dict[str, Any], problem: str) -> None:
    kept, problems = parse_config_models({"bad/model": entry, "good/model": {"context": 1000}})
    assert [m.id for m in kept] == ["good/model"]
    (line,) = problems
    assert line.startswith("`models.bad/model`: ") and problem in line and "skipped" in line


def test_unknown_config_keys_are_ignored_with_a_problem() -> None:
    kept, problems = parse_config_models({"m": {"context": 1000, "colour": "red"}})
    assert kept[0].max_input_tokens == 1000
    assert problems == ["`models.m`: unknown key `colour` ignored"]


def test_config_that_is_not_tables() -> None:
    assert parse_config_models("nope")[0] == []
    kept, problems = parse_config_models({"m": 5})
    assert kept == [] and "must be a table" in problems[0]


# -- precedence ------------------------------------------------------------------------------


def test_precedence_is_field_by_field() -> None:
    config = [ModelInfo(id="M", input_price=0.2, source="config")]
    info = [
        ModelInfo(
            id="m", input_price=0.27, output_price=1.1, max_input_tokens=163840, source="model/info"
        )
    ]
    models = [
        ModelInfo(
            id="m",
            output_price=9.0,
            max_input_tokens=1,
            supports_vision=True,
            source="models",
        )
    ]
    (merged,) = merge(config, info, models)
    assert merged.id == "M"  # spelled as first met
    assert merged.input_price == 0.2  # config wins
    assert merged.output_price == 1.1  # /model/info beats /models
    assert merged.max_input_tokens == 163840
    assert merged.supports_vision is True  # unknown above: falls through to /models
    assert merged.source == "config+model/info+models"


def test_a_known_false_is_not_overridden_by_a_lower_true() -> None:
    (merged,) = merge(
        [ModelInfo(id="m", supports_tools=False)], [ModelInfo(id="m", supports_tools=True)]
    )
    assert merged.supports_tools is False


def test_merge_keeps_first_met_order_and_adds_new_ids() -> None:
    merged = merge([ModelInfo(id="b")], [ModelInfo(id="a"), ModelInfo(id="B")])
    assert [m.id for m in merged] == ["b", "a"]


def test_json_round_trip() -> None:
    (chat, _) = parse_litellm_info(LITELLM)
    assert ModelInfo.from_json(json.loads(json.dumps(chat.to_json()))) == chat
    assert ModelInfo.from_json({"id": "x", "input_price": "lots", "supports_tools": "y"}) == (
        ModelInfo(id="x")
    )
    assert ModelInfo.from_json(["x"]) is None and ModelInfo.from_json({"id": None}) is None


# -- totality --------------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["tools", "image", "reasoning", "-1", "1e-6", "NaN", "Infinity"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "data",
                    "id",
                    "model_name",
                    "model_info",
                    "pricing",
                    "prompt",
                    "completion",
                    "input_cache_read",
                    "context_length",
                    "max_input_tokens",
                    "input_cost_per_token",
                    "cache_read_input_token_cost",
                    "supports_vision",
                    "supported_parameters",
                    "architecture",
                    "input_modalities",
                    "top_provider",
                    "max_completion_tokens",
                    "context",
                    "input_price",
                    "tools",
                ]
            )
            | st.text(max_size=5),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


def _sane(model: ModelInfo) -> None:
    for price in (model.input_price, model.output_price, model.cached_input_price):
        assert price is None or (isinstance(price, float) and math.isfinite(price) and price >= 0)
    for count in (model.max_input_tokens, model.max_output_tokens):
        assert count is None or (type(count) is int and count > 0)
    for flag in (model.supports_tools, model.supports_vision, model.supports_reasoning):
        assert flag is None or type(flag) is bool
    assert model.id and model.id == model.id.strip()


@settings(deadline=None, max_examples=300)
@given(JSON)
def test_parsers_are_total_on_any_json(value: Any) -> None:
    for parse in (parse_litellm_info, parse_models_list):
        for model in parse(value):
            _sane(model)
        for model in parse({"data": [value]}):
            _sane(model)
    kept, problems = parse_config_models(value)
    assert all(isinstance(p, str) for p in problems)
    for model in kept:
        _sane(model)
    assert ModelInfo.from_json(value) is None or isinstance(ModelInfo.from_json(value), ModelInfo)


@pytest.mark.parametrize("raw", [10**400, "1e999", "9" * 60])
def test_prices_too_large_for_a_float_are_unknown(raw: Any) -> None:
    (model,) = parse_litellm_info({"data": [{"model_name": "m", "model_info": {
        "input_cost_per_token": raw}}]})  # fmt: skip
    assert model.input_price is None or math.isfinite(model.input_price)
    assert parse_config_models({"m": {"input_price": 10**400}})[0] == []
