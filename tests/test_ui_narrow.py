"""Narrow terminals: the status line and the footer degrade instead of running past the edge."""

from __future__ import annotations

from ui_app_support import chat, demo_app, reply_done, screen_text

from tensorx_tui.demo.server import DemoServer

LONG_MODEL = "demo-a-very-long-model-name-from-a-provider-2026-instruct-preview-v2"


def row_with(app_text: str, needle: str) -> str:
    (row,) = [line for line in app_text.splitlines() if needle in line]
    return row


async def test_at_80_columns_the_state_and_the_quit_key_stay_visible(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server, profile="work-account")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"hi", "enter")
        await reply_done(app)
        status_line = chat(app).status
        assert status_line.rate_limits  # the demo sends rate-limit headers
        status_line.set_model(LONG_MODEL)  # as the model picker does
        await pilot.pause()
        text = screen_text(app)
        status = row_with(text, " DEMO ")
        assert status.rstrip().endswith("● idle")  # the state is never cut off
        assert "…" in status and LONG_MODEL[:20] in status  # the model is cut, with an ellipsis
        footer = row_with(text, "^p palette")
        assert "^q Quit" in footer and "⏎ Send" in footer and "^r Regenerate" in footer


async def test_very_narrow_keeps_the_state_and_wide_shows_everything(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server, model=LONG_MODEL, profile="work-account")
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        status = chat(app).status
        status.set_state("error", "HTTP 502")
        await pilot.pause()
        row = row_with(screen_text(app), "DEMO")
        assert "● error" in row and "OFFLINE" not in row
        assert "^q Quit" in row_with(screen_text(app), "^p")
        await pilot.resize_terminal(200, 30)
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        row = row_with(text, "OFFLINE DEMO")
        assert "work-account" in row and LONG_MODEL[:59] in row and "127.0.0.1:" in row
        assert "● error HTTP 502" in row
        assert "^g Params" in row_with(text, "^p palette")
