"""80 columns (and 15 rows) are first-class: dialogs, reply footers and the key footer fit.

Real keys through Pilot; models come from an httpx MockTransport, replies from the demo server.
"""

from __future__ import annotations

import json

import httpx
from textual.widgets import OptionList
from ui_app_support import (
    chat,
    client_factory,
    demo_app,
    reply_done,
    screen_text,
    wait_for,
)

from tensorx_tui.core.reply import ToolCall
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import Settings
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.model_picker import ModelPickerModal
from tensorx_tui.ui.modals.tool_result import ToolResultModal
from tensorx_tui.ui.transcript import AssistantMessage

MODELS = [f"provider/model-{i:03d}" for i in range(300)]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def models_app(current: str = "provider/model-250") -> ChatApp:
    def handler(request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/models"):  # /model/info: this server has none
            return httpx.Response(404, json={"error": {"message": "not found"}})
        return httpx.Response(200, json={"object": "list", "data": [{"id": m} for m in MODELS]})

    settings = Settings(base_url="http://127.0.0.1:9/v1", model=current)
    return ChatApp(settings, client_factory=client_factory(httpx.MockTransport(handler)))


def dialog_fits(app: ChatApp) -> bool:
    """The whole dialog is on screen, above the footer."""
    dialog = app.screen.query_one(".dialog").region
    return dialog.y >= 0 and dialog.bottom <= app.size.height - 1


def highlighted_in_view(app: ChatApp) -> str:
    """The highlighted model, asserted to be on a visible row of the list."""
    picker = app.screen
    assert isinstance(picker, ModelPickerModal)
    options = picker.query_one(OptionList)
    choice = picker.chosen()
    assert options.highlighted is not None and choice is not None
    model = choice.model
    # Rows of the list that are on screen (the title and status line name the model too).
    dialog = app.screen.query_one(".dialog").region
    region = options.region.intersection(dialog).intersection(app.screen.region)
    rows = screen_text(app).splitlines()[region.y : region.bottom]
    assert any(model in row for row in rows), f"{model} is not in view: {rows}"
    return model


async def test_the_model_picker_fits_80x24_and_15_rows_with_300_models() -> None:
    app = models_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(lambda: "300 models" in screen_text(app))
        await pilot.pause()
        assert isinstance(app.screen, ModelPickerModal) and dialog_fits(app)
        assert highlighted_in_view(app) == "provider/model-250"  # the current one
        await pilot.press(*["down"] * 8)
        assert highlighted_in_view(app) == "provider/model-258"
        await pilot.resize_terminal(80, 15)
        await pilot.pause()
        assert dialog_fits(app)
        assert highlighted_in_view(app) == "provider/model-258"
        await pilot.press(*["up"] * 12)
        assert highlighted_in_view(app) == "provider/model-246"
        await pilot.press(*"model-29", "down")
        await pilot.pause()
        assert "of 300 models" in screen_text(app)
        assert highlighted_in_view(app).startswith("provider/model-29")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ModelPickerModal)
        assert app.chat is not None and app.chat.state.model.startswith("provider/model-29")


async def test_the_model_picker_opened_at_15_rows_shows_the_current_model() -> None:
    app = models_app("provider/model-123")
    async with app.run_test(size=(80, 15)) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(lambda: "300 models" in screen_text(app))
        await pilot.pause()
        assert dialog_fits(app)
        assert highlighted_in_view(app) == "provider/model-123"
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert dialog_fits(app)
        assert highlighted_in_view(app) == "provider/model-123"


# -- the tool-result dialog --------------------------------------------------------------------


async def test_the_tool_result_dialog_wraps_its_text_and_fits_80x24(
    demo_server: DemoServer,
) -> None:
    long_name = "search_the_company_knowledge_base_for_documents_" + "x" * 40
    query = "a very long query " * 8 + "https://example.com/" + "y" * 150
    call = ToolCall("c1", long_name, json.dumps({"query": query, "max_results": 10}))
    app = demo_app(demo_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ToolResultModal(call))
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.pause()
        text = screen_text(app)
        flat = "".join(line.strip(" │") for line in text.splitlines())
        assert long_name in flat  # wrapped, not cut at the dialog's edge
        assert "esc skips for now):" in text  # the hint is whole
        assert "y" * 40 in text  # the arguments wrap too
        assert dialog_fits(app)
        # Typed lines grow the result box; the dialog still fits, the arguments scroll.
        await pilot.press(*[key for _ in range(8) for key in ("x", "ctrl+j")])
        await pilot.pause()
        assert dialog_fits(app)
        box = app.screen.query_one("#tool-result").region
        assert box.bottom <= app.screen.query_one(".dialog").region.bottom


# -- the reply's usage line and the key footer at 80 columns -----------------------------------


def footer_row(app: ChatApp) -> str:
    return screen_text(app).splitlines()[-1]


async def test_a_replys_usage_line_fits_one_row_at_80_columns(demo_server: DemoServer) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"hello", "enter")
        await reply_done(app)
        await pilot.pause()
        footer = app.screen.query(AssistantMessage).last().footer
        # The usage line keeps to one row; what the reply cost is the row under it.
        assert footer.cost_line is not None and footer.size.height == 2
        (row,) = [line for line in screen_text(app).splitlines() if "TTFT" in line]
        assert "stop │ in " in row and " · out " in row and " · conv " in row
        await pilot.press("ctrl+b")  # the sidebar leaves the conversation 40 columns
        await pilot.pause()
        await pilot.pause()
        assert footer.size.height == 2
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.press("ctrl+b")
        await pilot.pause()
        await pilot.pause()
        assert footer.size.height == 2
        (row,) = [line for line in screen_text(app).splitlines() if "TTFT" in line]
        # The full form (a speed shows only when measured over enough time: not at speed 0).
        assert "prompt " in row and "completion " in row and "total " in row


async def test_the_readme_footer_claims_hold_at_80_columns(demo_server: DemoServer) -> None:
    """README: the footer shows keys that work right now; at 80 columns the lesser ones step
    aside, while send, cancel, answer tools, quit and ctrl+p always stay."""
    app = demo_app(demo_server, tools=[WEATHER_TOOL])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        row = footer_row(app)
        assert "⏎ Send" in row and "^q Quit" in row and row.endswith("^p palette")
        assert "Regenerate" not in row and "Answer tools" not in row  # nothing to do yet
        await pilot.press(*"weather in Paris", "enter")
        await wait_for(lambda: isinstance(app.screen, ToolResultModal))
        await pilot.press("escape")
        await reply_done(app)
        await pilot.pause()
        row = footer_row(app)
        for key in ("⏎ Send", "^t Answer tools", "^q Quit"):
            assert key in row
        assert row.endswith("^p palette")
        await pilot.press("ctrl+b", "down")
        await pilot.pause()
        row = footer_row(app)
        for key in ("f2 Rename", "del Delete", "esc Close", "^q Quit"):
            assert key in row
        assert row.endswith("^p palette")
    app = demo_app(demo_server, model="demo-fault-slow")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"story", "enter")
        await wait_for(lambda: chat(app).streaming)
        await pilot.pause()
        row = footer_row(app)
        assert "esc Cancel" in row and "^q Quit" in row and row.endswith("^p palette")
        await pilot.press("escape")
        await reply_done(app)
