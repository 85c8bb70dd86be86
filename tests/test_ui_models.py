"""Knowing the model in the chat UI: the picker's windows, prices and capabilities, the context
meter, what each reply cost, today's spend, and every configured endpoint in one picker.

Pilot tests press real keys against the demo server on 127.0.0.1 (it serves /v1/model/info and
reports cached tokens); the row and meter texts are tested as plain functions first.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from ui_app_support import SIZE, chat, client_factory, demo_app, reply_done, screen_text, wait_for

from tensorx_tui.core.cost import context_use, format_cost
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.open_endpoint import EndpointHandle
from tensorx_tui.settings import Settings, load_settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.context_meter import ContextMeter, meter_content, tokens_text
from tensorx_tui.ui.modals.model_picker import ModelPickerModal
from tensorx_tui.ui.model_choices import (
    ModelChoice,
    PickerGroup,
    marks_text,
    picker_rows,
    price_text,
    prices_text,
    window_text,
)
from tensorx_tui.ui.transcript import Notice
from tensorx_tui.ui.transcript.cost_line import cost_text, cost_variants

# -- the texts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "text"),
    [
        (131_072, "128k"),
        (128_000, "128k"),
        (163_840, "160k"),
        (200_000, "200k"),
        (1_048_576, "1M"),
        (1_000_000, "1M"),
        (24_576, "24k"),
        (1_536, "1.5k"),
        (999, "999"),
        (None, ""),
    ],
)
def test_window_text_is_how_windows_are_quoted(tokens: int | None, text: str) -> None:
    assert window_text(tokens) == text


def test_prices_and_marks_show_only_what_is_known() -> None:
    assert [price_text(p) for p in (0.27, 1.1, 15, 0.0075, 0)] == [
        "$0.27",
        "$1.10",
        "$15",
        "$0.0075",
        "$0",
    ]
    full = ModelInfo("m", 131_072, None, 0.27, 1.1, None, True, False, True)
    assert prices_text(full) == "$0.27/$1.10"
    assert marks_text(full) == "T   R"
    half = ModelInfo("m", input_price=0.5)
    assert prices_text(half) == "$0.50/?"
    unknown = ModelInfo("m")
    assert prices_text(unknown) == ""
    assert marks_text(unknown).strip() == ""  # unknown is never shown as a capability


def test_picker_rows_put_headers_only_over_several_endpoints_and_keep_ids_plain() -> None:
    hostile = "evil/[bold]x[/bold][/nope]"
    models = [ModelInfo("demo", 131_072, None, 0.27, 1.1, 0.07, True, True, False)]
    one = picker_rows([PickerGroup("a", "a · host", [*models, ModelInfo(hostile)])], "", 60)
    assert [r.choice for r in one] == [ModelChoice("a", "demo"), ModelChoice("a", hostile)]
    assert "128k" in one[0].content.plain and "$0.27/$1.10" in one[0].content.plain
    assert one[1].content.plain.startswith(hostile)  # shown as typed, not parsed as markup

    groups = [
        PickerGroup("a", "a · host-a", models, current=True),
        PickerGroup("b", "b · host-b", models),
        PickerGroup("c", "c · host-c", [], "Could not list models: no API key", error=True),
    ]
    rows = picker_rows(groups, "", 60)
    texts = [r.content.plain.strip() for r in rows]
    assert texts[0].startswith("a · host-a") and "in use" in texts[0]
    assert [r.choice for r in rows if r.choice] == [
        ModelChoice("a", "demo"),
        ModelChoice("b", "demo"),
    ]
    assert "Could not list models: no API key" in texts
    # Filtering leaves out the groups without a match, but still says why one has no models.
    filtered = [r.content.plain.strip() for r in picker_rows(groups, "zzz", 60)]
    assert filtered == ["c · host-c", "Could not list models: no API key"]


def test_rows_fit_the_width_and_columns_line_up() -> None:
    models = [
        ModelInfo("a-very-long-model-id-that-will-not-fit-in-the-row", 131_072, None, 0.27, 1.1),
        ModelInfo("short", 24_576, None, 15.0, 75.0),
    ]
    rows = picker_rows([PickerGroup(None, "x", models)], "", 50)
    plains = [r.content.plain for r in rows]
    assert all(len(p) <= 50 for p in plains)
    assert "…" in plains[0]
    assert plains[0].index("128k") + 4 == plains[1].index("24k") + 3  # right-aligned


def test_meter_text_and_levels() -> None:
    assert [tokens_text(n) for n in (950, 12_345, 123_456, 1_234_567)] == [
        "950",
        "12.3k",
        "123k",
        "1.2M",
    ]
    use = context_use(12_345, 131_072)
    assert use is not None
    assert meter_content(use).plain == "ctx 12.3k/128k 9%"
    meter = ContextMeter()
    meter.window = 24_576
    meter.tokens = 20_000
    assert meter.warning_due() and not meter.warning_due()  # once
    meter.reset()
    assert meter.content() is not None and meter.content().plain == "ctx 24k"  # type: ignore[union-attr]
    meter.window = None
    assert meter.content() is None  # no window known, no meter


def test_cost_text() -> None:
    info = ModelInfo("m", input_price=1.0, output_price=2.0, cached_input_price=0.25)
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 100,
        "prompt_tokens_details": {"cached_tokens": 800},
    }
    reply = Reply(usage=usage, cost=0.0006)
    assert cost_text(reply, 0.0123, info) == (
        "cost $0.0006 · saved $0.0006 by cache · conversation $0.0123"
    )
    assert cost_text(Reply(usage=usage, cost=None), None, info) == ""
    assert cost_text(Reply(cost=0.01), None, None) == "cost $0.01"
    shorter = [v.plain for v in cost_variants(reply, 0.0123, info)]
    assert shorter == [
        "cost $0.0006 · saved $0.0006 by cache · conversation $0.0123",
        "cost $0.0006 · saved $0.0006 · conv $0.0123",
        "cost $0.0006 · conv $0.0123",
        "cost $0.0006",
    ]
    assert cost_variants(Reply(usage=usage), None, info) == []


# -- in the app, against the demo server ---------------------------------------------------------


def meter(app: ChatApp) -> str:
    """The context meter as drawn on the prompt's border ("" when none)."""
    found = re.search(r"ctx [^─╯]*", screen_text(app))
    return found.group(0).strip() if found else ""


async def test_catalog_loads_in_the_background_and_replies_show_cost(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: "ctx 128k" in meter(app))
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        first = chat(app).last_reply
        assert first is not None and first.cost is not None and first.cost > 0
        await pilot.press(*"show me some code", "enter")
        await reply_done(app)
        await pilot.pause()
        text = screen_text(app)
        # The second request repeats the first exchange: the demo reports it as cached.
        assert "saved" in text and "by cache" in text
        assert "conversation $" in text
        reply = chat(app).last_reply
        assert reply is not None and reply.usage is not None
        tokens = reply.usage["prompt_tokens"] + reply.usage["completion_tokens"]
        assert meter(app).startswith(f"ctx {tokens}/128k")
        assert "ctx " in text


async def test_picker_shows_window_prices_and_capabilities(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(lambda: "models" in screen_text(app))
        text = screen_text(app)
        demo_row = next(line for line in text.splitlines() if " demo " in line + " ")
        assert "128k" in demo_row and "$0.27/$1.10" in demo_row and "T V" in demo_row
        assert "T tools V vision R reasoning" in text
        await pilot.press(*"long", "enter")
        await pilot.pause()
        assert chat(app).state.model == "demo-long"
        assert "ctx 24k" in meter(app)


async def test_a_nearly_full_window_warns_once(demo_server: DemoServer) -> None:
    app = demo_app(demo_server, model="demo-long")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: "ctx 24k" in meter(app))
        await pilot.press(*"the document please", "enter")
        await reply_done(app)
        await pilot.pause()
        screen = chat(app)
        use = screen.facts.meter.use
        assert use is not None and use.level in ("warn", "full")
        notices = [
            n for n in screen.conversation.query(Notice) if "context window" in str(n.content)
        ]
        assert len(notices) == 1 and notices[0].severity == "warning"
        assert "%" in meter(app)


async def test_today_spend_comes_from_the_store(demo_server: DemoServer, tmp_path: Path) -> None:
    # A reply saved before today does not count; one of today does.
    with Store.open(tmp_path) as store:
        old = store.create_conversation(model="demo")
        store.add_reply(old, Reply(content="x", cost=0.5, state=ReplyState.COMPLETE))
        assert store.cost_since(datetime.now(UTC) - timedelta(days=1)) == 0.5
        assert store.cost_since(datetime.now(UTC) + timedelta(minutes=1)) is None
    config = Settings(base_url=demo_server.base_url, model="demo", demo=True, data_dir=tmp_path)
    app = ChatApp(config, client_factory=client_factory(), open_store=Store.open)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: "today $0.50" in screen_text(app))
        await pilot.press(*"hi", "enter")
        await reply_done(app)
        reply = chat(app).last_reply
        assert reply is not None and reply.cost is not None
        await wait_for(lambda: f"today {format_cost(0.5 + reply.cost)}" in screen_text(app))


# -- every endpoint in one picker ----------------------------------------------------------------


class Recorder:
    """A client factory whose transports note (method, URL, Authorization) of every request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []

    def factory(self, settings: Settings) -> EndpointHandle:
        seen = self.seen

        class Noting(httpx.AsyncHTTPTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                seen.append(
                    (request.method, str(request.url), request.headers.get("authorization"))
                )
                return await super().handle_async_request(request)

        return client_factory(Noting())(settings)


def posts(log: io.StringIO) -> int:
    return log.getvalue().count('"POST /v1/chat/completions')


async def test_a_model_of_another_profile_switches_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = io.StringIO(), io.StringIO()
    first = DemoServer(port=0, speed=0, verbose=True, log=logs[0]).start()
    second = DemoServer(port=0, speed=0, verbose=True, log=logs[1]).start()
    try:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[profiles.one]\nbase_url = "{first.base_url}"\napi_key_env = "ONE_KEY"\n'
            f'[profiles.two]\nbase_url = "{second.base_url}"\napi_key_env = "TWO_KEY"\n'
            '[profiles.far]\nbase_url = "https://far.example/v1"\napi_key_env = "FAR_KEY"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("ONE_KEY", "key-one")
        monkeypatch.setenv("TWO_KEY", "key-two")
        monkeypatch.delenv("FAR_KEY", raising=False)
        settings = load_settings(
            {"config": str(config), "profile": "one", "data_dir": str(tmp_path), "model": "demo"}
        )
        recorder = Recorder()
        app = ChatApp(settings, client_factory=recorder.factory, open_store=Store.open)
        async with app.run_test(size=(100, 40)) as pilot:
            screen = chat(app)
            await pilot.press("ctrl+o")
            await wait_for(lambda: isinstance(app.screen, ModelPickerModal))
            picker = app.screen
            assert isinstance(picker, ModelPickerModal)

            def listed() -> list[str]:
                return [row.content.plain.strip() for row in picker.rows]

            await wait_for(lambda: sum(t.startswith("demo-reasoner") for t in listed()) == 2)
            assert listed()[0].startswith("one · 127.0.0.1") and "in use" in listed()[0]
            assert any(t.startswith("two · 127.0.0.1") for t in listed())
            # Why, instead of models.
            assert "no API key: set FAR_KEY (api_key_env of [profiles.far])" in listed()
            await pilot.press(*"reasoner")
            await pilot.pause()
            # Filtered, both endpoints' rows are on the screen.
            assert "two · 127.0.0.1" in screen_text(app)
            assert picker.chosen() == ModelChoice("one", "demo-reasoner")
            await pilot.press("down")
            assert picker.chosen() == ModelChoice("two", "demo-reasoner")
            await pilot.press("enter")
            await pilot.pause()
            assert screen.engine.profile == "two" and screen.engine.base_url == second.base_url
            assert screen.state.model == "demo-reasoner"
            assert "two" in screen_text(app).splitlines()[-2]  # the status line
            before = posts(logs[0])
            await pilot.press(*"why", "enter")
            await reply_done(app)
            reply = screen.last_reply
            assert reply is not None and reply.state == ReplyState.COMPLETE
            assert posts(logs[1]) == 1 and posts(logs[0]) == before
            sent = [(url, auth) for method, url, auth in recorder.seen if method == "POST"]
            assert sent == [(second.base_url + "/chat/completions", "Bearer key-two")]
            # Each key went only to its own server, the catalogs' GETs included.
            for _method, url, auth in recorder.seen:
                own = "Bearer key-one" if url.startswith(first.base_url) else "Bearer key-two"
                assert auth == own
            conv_id = screen.engine.conv_id
            assert conv_id is not None
            # A new conversation goes back to the endpoint the app started with...
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert screen.engine.profile == "one" and screen.engine.base_url == first.base_url
            # ... and opening the saved one goes back to where it was saved.
            await screen.open_conversation(conv_id)
            assert screen.engine.profile == "two" and screen.state.model == "demo-reasoner"
        with Store.open(tmp_path) as store:
            meta = store.load_conversation(conv_id).meta
        assert (meta.profile, meta.base_url, meta.model) == (
            "two",
            second.base_url,
            "demo-reasoner",
        )
    finally:
        first.stop()
        second.stop()
