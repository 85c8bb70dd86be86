"""80 columns (and 15 rows) are first-class: dialogs, reply footers and the key footer fit.

Real keys through Pilot; models come from an httpx MockTransport, replies from the demo server.
"""

from __future__ import annotations

import httpx
from textual.widgets import OptionList
from ui_app_support import client_factory, screen_text, wait_for

from tensorx_tui.settings import Settings
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.model_picker import ModelPickerModal

MODELS = [f"provider/model-{i:03d}" for i in range(300)]


def models_app(current: str = "provider/model-250") -> ChatApp:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/models")
        return httpx.Response(200, json={"object": "list", "data": [{"id": m} for m in MODELS]})

    settings = Settings(base_url="http://127.0.0.1:9/v1", model=current)
    return ChatApp(settings, client_factory=client_factory(httpx.MockTransport(handler)))


def picker_fits(app: ChatApp) -> bool:
    """The whole dialog is on screen, above the footer."""
    dialog = app.screen.query_one(".dialog").region
    return dialog.y >= 0 and dialog.bottom <= app.size.height - 1


def highlighted_in_view(app: ChatApp) -> str:
    """The highlighted model, asserted to be on a visible row of the list."""
    options = app.screen.query_one(OptionList)
    assert options.highlighted is not None
    model = str(options.get_option_at_index(options.highlighted).id)
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
        assert isinstance(app.screen, ModelPickerModal) and picker_fits(app)
        assert highlighted_in_view(app) == "provider/model-250"  # the current one
        await pilot.press(*["down"] * 8)
        assert highlighted_in_view(app) == "provider/model-258"
        await pilot.resize_terminal(80, 15)
        await pilot.pause()
        assert picker_fits(app)
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
        assert picker_fits(app)
        assert highlighted_in_view(app) == "provider/model-123"
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert picker_fits(app)
        assert highlighted_in_view(app) == "provider/model-123"
