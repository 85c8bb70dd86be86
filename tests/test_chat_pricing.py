"""The engine prices each finished reply before saving it, from a catalog that may still load."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tensorx_tui.chat import ChatEngine, Pricing, ReplyFinished, TurnSettings
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.core.cost import compute_cost
from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.model_catalog import Catalog, load_catalog
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import Reply
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.store.conversations import Store


@pytest.fixture
async def endpoint(demo_server: DemoServer) -> AsyncIterator[Endpoint]:
    async with httpx.AsyncClient() as http:
        yield Endpoint(http, base_url=demo_server.base_url, api_key=None)


def engine_for(endpoint: Endpoint, store: Store, pricing: Pricing | None) -> ChatEngine:
    return ChatEngine(
        endpoint,
        ConversationLog(store, on_error=lambda message: None),
        TurnSettings("demo"),
        profile=None,
        base_url=endpoint.base_url,
        pricing=pricing,
    )


async def finished_reply(engine: ChatEngine, text: str) -> Reply:
    engine.add_user(text)
    async with engine.turn() as turn:
        events = [event async for event in turn]
    assert isinstance(events[-1], ReplyFinished)
    return events[-1].reply


async def test_a_reply_is_priced_from_the_demo_catalog_and_saved_with_its_cost(
    endpoint: Endpoint, tmp_path: Path
) -> None:
    pricing = Pricing()
    pricing.load_in_background(load_catalog(endpoint.get_json))
    with Store.open(tmp_path) as store:
        engine = engine_for(endpoint, store, pricing)
        first = await finished_reply(engine, "hello")
        second = await finished_reply(engine, "more please")
        info = pricing.info_for("demo")
        assert info is not None and info.input_price == 0.27
        for reply in (first, second):
            expected = compute_cost(reply.usage, info)
            assert expected is not None and reply.cost == float(expected.total) > 0
        # The second request repeats the first exchange: its prompt is mostly cached.
        assert second.usage is not None and second.usage["prompt_tokens_details"]["cached_tokens"]
        assert engine.conv_id is not None
        saved = store.load_conversation(engine.conv_id).messages
        assert [m.cost for m in saved] == [None, first.cost, None, second.cost]
    pricing.close()


async def test_without_pricing_the_cost_stays_unknown(endpoint: Endpoint, tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        reply = await finished_reply(engine_for(endpoint, store, None), "hello")
        assert reply.cost is None and reply.usage


async def test_a_catalog_that_does_not_come_in_time_leaves_the_cost_unknown(
    endpoint: Endpoint, tmp_path: Path
) -> None:
    never = asyncio.Event()

    async def stuck() -> Catalog:
        await never.wait()
        raise AssertionError("unreachable")

    pricing = Pricing(wait_s=0.01)
    pricing.load_in_background(stuck())
    with Store.open(tmp_path) as store:
        reply = await finished_reply(engine_for(endpoint, store, pricing), "hello")
    assert reply.cost is None
    pricing.close()
    assert pricing.catalog is None


async def test_a_ready_catalog_and_the_reported_model_id() -> None:
    catalog = Catalog(config=(ModelInfo(id="Big/Model", input_price=1.0, output_price=2.0),))
    pricing = Pricing(catalog)
    reply = Reply(model="big/model", usage={"prompt_tokens": 1_000_000, "completion_tokens": 0})
    info = await pricing.price(reply, "an-alias-the-server-renamed")
    assert info is not None and reply.cost == 1.0
    assert await Pricing().price(reply, "x") is None and reply.cost is None


async def test_a_failed_load_is_no_catalog() -> None:
    async def broken() -> Catalog:
        raise RuntimeError("bug")

    pricing = Pricing()
    pricing.load_in_background(broken())
    assert await pricing.ready() is None
