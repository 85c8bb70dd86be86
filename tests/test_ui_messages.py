"""Pilot tests of the message widgets, fed StreamEvents directly (no network)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tensorx_tui.core.events import (
    ContentDelta,
)
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.ui.conversation import ConversationView
from tensorx_tui.ui.messages import AssistantMessage

HOSTILE = "[bold]x[/bold] [@click=app.quit]q [/nope] \x1b[2J\x1b]52;c;AAAA\x07 end"


class ConvApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationView()


def screen_text(app: App[None]) -> str:
    """Everything visible: the rendered lines of the whole screen."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def stream(
    msg: AssistantMessage,
    conv: ConversationView,
    chunks: list[str],
    reply: Reply,
    *,
    extra: tuple[object, ...] = (),
) -> None:
    for chunk in chunks:
        msg.apply(ContentDelta(chunk))
    for event in extra:
        msg.apply(event)  # type: ignore[arg-type]
    await conv.finish_assistant(msg, reply)


async def test_content_renders_and_fence_is_highlighted_after_finish() -> None:
    text = "# Title\n\nSome **bold** text.\n\n```python\ndef f(x):\n    return x\n```\n\nAfter.\n"
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant("demo")
        for i in range(0, len(text), 3):
            msg.apply(ContentDelta(text[i : i + 3]))
        await pilot.pause(0.2)
        reply = Reply(content=text, finish_reason="stop", state=ReplyState.COMPLETE)
        await conv.finish_assistant(msg, reply)
        await pilot.pause()
        assert msg.reply_text == text
        assert msg.body.source == text
        shown = screen_text(app)
        assert "Title" in shown and "def f(x):" in shown and "After." in shown
        assert "**bold**" not in shown  # formatted, not source
        assert msg.code_blocks == ["def f(x):\n    return x\n"]
        # One widget for the finished body; its fence is a highlighted Syntax.
        pieces = msg.body.query(Static)
        assert len(pieces) == 1
        line = next(
            strip for strip in app.screen._compositor.render_strips() if "def f(x):" in strip.text
        )
        colors = {seg.style.color for seg in line if seg.style is not None and seg.text.strip()}
        assert len(colors) >= 2  # keyword and name coloured differently
