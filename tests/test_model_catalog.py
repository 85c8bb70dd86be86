"""Loading the catalog from /model/info and /models (either may fail), and its disk cache."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from tensorx_tui.core.endpoint import APIError, Endpoint
from tensorx_tui.core.model_catalog import Catalog, load_catalog
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.secret import Secret
from tensorx_tui.store.model_cache import DEFAULT_TTL_S, ModelCache, cache_key, cached_catalog

KEY = "sk-catalog-test-SECRET-0123456789"

MODEL_INFO = {
    "data": [
        {
            "model_name": "moonshotai/kimi-k2.6",
            "model_info": {
                "max_input_tokens": 262144,
                "input_cost_per_token": 6e-07,
                "output_cost_per_token": 2.5e-06,
                "supports_function_calling": True,
            },
        },
        {"model_name": "deepseek/deepseek-chat-v3.1", "model_info": {"max_input_tokens": 163840}},
    ]
}
MODELS = {
    "object": "list",
    "data": [
        {"id": "moonshotai/Kimi-K2.6", "context_length": 1},
        {"id": "moonshotai/kimi-k2.6"},
        {"id": "deepseek/deepseek-chat-v3.1", "pricing": {"prompt": "0.00000027"}},
        {"id": "z-ai/glm-5.1"},
    ],
}


def fake_endpoint(answers: dict[str, Any]) -> Any:
    """A get_json: the answer for a path, raised when it is an exception."""
    asked: list[str] = []

    async def get_json(path: str) -> Any:
        asked.append(path)
        answer = answers[path]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    get_json.asked = asked  # type: ignore[attr-defined]
    return get_json


async def test_both_sources_merge_with_model_info_first() -> None:
    config = [ModelInfo(id="DeepSeek/DeepSeek-Chat-V3.1", output_price=1.1, source="config")]
    catalog = await load_catalog(
        fake_endpoint({"model/info": MODEL_INFO, "models": MODELS}), config
    )
    assert catalog.sources == ("model/info", "models") and catalog.errors == {}
    assert [m.id for m in catalog.listed] == [
        "deepseek/deepseek-chat-v3.1",
        "moonshotai/Kimi-K2.6",  # the listing's first spelling, listed once
        "z-ai/glm-5.1",
    ]
    kimi = catalog.get("MOONSHOTAI/KIMI-K2.6")
    assert kimi is not None and kimi.id == "moonshotai/Kimi-K2.6"
    assert kimi.max_input_tokens == 262144  # /model/info beats the listing's 1
    assert (kimi.input_price, kimi.output_price, kimi.supports_tools) == (0.6, 2.5, True)
    chat = catalog.get("deepseek/deepseek-chat-v3.1")
    assert chat is not None
    assert chat.output_price == 1.1  # from the config
    assert chat.input_price == 0.27  # unknown above: from /models
    assert chat.max_input_tokens == 163840
    assert chat.source == "config+model/info+models"
    assert catalog.find("nope", None, "z-ai/GLM-5.1") == catalog.get("z-ai/glm-5.1")
    assert catalog.get("unknown/model") is None


async def test_a_missing_model_info_endpoint_is_just_missing() -> None:
    not_found = APIError("HTTP 404 Not Found at http://x/v1/model/info", status=404)
    catalog = await load_catalog(fake_endpoint({"model/info": not_found, "models": MODELS}))
    assert catalog.answered and catalog.sources == ("models",)
    assert catalog.errors["model/info"].status == 404
    assert "404" in catalog.errors["model/info"].message
    assert len(catalog.listed) == 3


@pytest.mark.parametrize("garbage", ["<html>", 42, None, {"data": "x"}, [[1]], {"error": "x"}])
async def test_garbage_from_a_source_is_no_source(garbage: Any) -> None:
    catalog = await load_catalog(fake_endpoint({"model/info": garbage, "models": MODELS}))
    assert catalog.sources == ("models",) and "model/info" in catalog.errors


async def test_an_error_object_in_a_200_keeps_its_message() -> None:
    body = {"error": {"message": "Authentication Error, ExceededTokenBudget", "type": "auth"}}
    catalog = await load_catalog(fake_endpoint({"model/info": body, "models": body}))
    assert not catalog.answered
    assert catalog.errors["models"].message == "Authentication Error, ExceededTokenBudget"


async def test_only_model_info_still_lists_models() -> None:
    catalog = await load_catalog(
        fake_endpoint({"model/info": MODEL_INFO, "models": RuntimeError("boom")})
    )
    assert [m.id for m in catalog.listed] == ["deepseek/deepseek-chat-v3.1", "moonshotai/kimi-k2.6"]
    assert catalog.errors["models"].message == "boom"


async def test_nothing_answered_keeps_the_config() -> None:
    failed = fake_endpoint({"model/info": APIError("x", 404), "models": APIError("y", 401)})
    catalog = await load_catalog(failed, [ModelInfo(id="local", input_price=0.1)])
    assert not catalog.answered and catalog.listed == []
    assert catalog.get("LOCAL") == ModelInfo(id="local", input_price=0.1)
    assert catalog.errors["models"].status == 401


async def test_an_empty_listing_is_an_answer() -> None:
    catalog = await load_catalog(fake_endpoint({"model/info": {"data": []}, "models": []}))
    assert catalog.sources == ("model/info", "models") and catalog.listed == []


# -- Endpoint.get_json, the adaptor ----------------------------------------------------------


def make_client(handler: Any) -> Endpoint:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Endpoint(http, base_url="http://api.test/v1/", api_key=Secret(KEY))


async def test_get_json_sends_the_key_and_parses() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=MODEL_INFO)

    assert await make_client(handler).get_json("model/info") == MODEL_INFO
    (request,) = seen
    assert str(request.url) == "http://api.test/v1/model/info"
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_get_json_raises_on_http_errors_without_retrying() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, json={"error": {"message": f"down, key {KEY}"}})

    with pytest.raises(APIError) as info:
        await make_client(handler).get_json("model/info")
    assert info.value.status == 503 and KEY not in info.value.message
    assert len(calls) == 1


async def test_catalog_through_the_client_with_a_404_model_info() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json=MODELS)
        return httpx.Response(404, text="")

    catalog = await load_catalog(make_client(handler).get_json)
    assert catalog.sources == ("models",)
    assert catalog.errors["model/info"].status == 404


# -- the disk cache ----------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


BASE = "https://api.tensorx.ai/v1"


async def test_cache_is_used_until_it_expires(tmp_path: Path) -> None:
    clock = Clock()
    cache = ModelCache.in_data_dir(tmp_path, clock=clock)
    endpoint = fake_endpoint({"model/info": MODEL_INFO, "models": MODELS})
    first = await cached_catalog(endpoint, [], cache, BASE)
    assert len(endpoint.asked) == 2

    clock.now += DEFAULT_TTL_S - 1
    config = [ModelInfo(id="z-ai/glm-5.1", input_price=0.5)]
    again = await cached_catalog(endpoint, config, cache, BASE)
    assert len(endpoint.asked) == 2  # served from the disk
    assert again.listed[:2] == first.listed[:2]
    glm = again.get("z-ai/glm-5.1")
    assert glm is not None and glm.input_price == 0.5
    assert again.sources == first.sources

    clock.now += 2  # now older than a day
    await cached_catalog(endpoint, [], cache, BASE)
    assert len(endpoint.asked) == 4

    await cached_catalog(endpoint, [], cache, BASE, refresh=True)
    assert len(endpoint.asked) == 6


async def test_cache_file_is_private_keyless_and_per_endpoint(tmp_path: Path) -> None:
    cache = ModelCache.in_data_dir(tmp_path, clock=Clock())
    url = f"https://user:{KEY}@api.tensorx.ai/v1?api-key={KEY}"
    await cached_catalog(
        fake_endpoint({"model/info": MODEL_INFO, "models": MODELS}), [], cache, url
    )
    (path,) = (tmp_path / "model-cache").iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert KEY not in text and KEY not in path.name
    assert json.loads(text)["base_url"] == "https://api.tensorx.ai/v1"
    # Keyed by the endpoint without its credentials: the same file for the clean URL.
    assert path == cache.path_for(BASE)
    assert cache_key(BASE) != cache_key("http://127.0.0.1:8000/v1")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


async def test_a_failed_fetch_is_not_cached(tmp_path: Path) -> None:
    cache = ModelCache.in_data_dir(tmp_path, clock=Clock())
    failed = fake_endpoint({"model/info": APIError("x", 404), "models": APIError("y", 500)})
    assert not (await cached_catalog(failed, [], cache, BASE)).answered
    assert not (tmp_path / "model-cache").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"format": 1}',
        b'{"format": 2, "fetched_at": 1800000000, "sources": [], "models": []}',
        b'{"format": 1, "fetched_at": "today", "sources": [], "models": []}',
        b'{"format": 1, "fetched_at": 1900000000, "sources": [], "models": []}',  # future
        b'{"format": 1, "fetched_at": 1800000000, "sources": "x", "models": []}',
        b"\xff\xfe garbage",
        b"[" * 100_000,
    ],
)
def test_a_corrupt_cache_is_no_cache(tmp_path: Path, content: bytes) -> None:
    cache = ModelCache.in_data_dir(tmp_path, clock=Clock())
    cache.directory.mkdir(parents=True)
    cache.path_for(BASE).write_bytes(content)
    assert cache.load(BASE) is None


def test_cache_entries_that_are_not_models_are_dropped(tmp_path: Path) -> None:
    cache = ModelCache.in_data_dir(tmp_path, clock=Clock())
    cache.directory.mkdir(parents=True)
    payload = {
        "format": 1,
        "fetched_at": 1_800_000_000.0,
        "sources": ["models", 3],
        "models": [{"id": "ok", "input_price": -1}, {"id": None}, "x"],
    }
    cache.path_for(BASE).write_text(json.dumps(payload))
    loaded = cache.load(BASE)
    assert loaded == Catalog(endpoint=(ModelInfo(id="ok"),), sources=("models",))


def test_an_unreadable_or_unwritable_cache_is_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "model-cache"
    blocker.write_text("a file where the directory should be")
    cache = ModelCache.in_data_dir(tmp_path, clock=Clock())
    assert cache.load(BASE) is None
    assert cache.save(BASE, Catalog(sources=("models",))) is False
