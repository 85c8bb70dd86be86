"""The frames around the end of a streamed reply: no line drawn twice, nothing jumps, and the
status line and the message's own state line say the same thing in every frame.

Every frame the app paints is captured (the compositor's lines, read when Textual displays an
update), not just the screen once things settled.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from textual.app import App, ComposeResult
from ui_app_support import SIZE, chat, demo_app, reply_done, wait_for

from tensorx_tui.core.events import ContentDelta, Finished, ResponseStarted
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.ui import prompt as prompt_module
from tensorx_tui.ui.conversation import ConversationView
from tensorx_tui.ui.transcript import AssistantMessage
from tensorx_tui.ui.transcript.reply_progress import ReplyProgress

REPLY = (
    "Here is the plan, in three steps that each take a line or two of a narrow terminal.\n\n"
    "- first, measure where the time goes\n- second, change one thing\n- third, measure again\n\n"
    "```python\ndef measure(run):\n    return run()\n```\n\n"
    "And that is the last line of the reply."
)
LAST_LINE = "And that is the last line of the reply."


def lines(app: App[object]) -> list[str]:
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


@contextmanager
def frames_of(app: App[object]) -> Iterator[list[list[str]]]:
    """Every frame painted while inside the block, as screen lines."""
    captured: list[list[str]] = []
    display = app._display

    def capture(screen: object, renderable: object) -> None:
        display(screen, renderable)  # type: ignore[arg-type]
        if renderable is not None:
            captured.append(lines(app))

    app._display = capture  # type: ignore[method-assign]
    try:
        yield captured
    finally:
        app._display = display  # type: ignore[method-assign]


class ConvApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationView()


async def test_finishing_a_reply_moves_no_line_and_draws_none_twice() -> None:
    app = ConvApp()
    async with app.run_test(size=(70, 30)) as pilot:
        conv = app.query_one(ConversationView)
        for i in range(6):  # enough history that the view is scrolled to the bottom
            await conv.add_user(f"question {i}")
            await conv.add_finished_assistant(
                Reply(content=f"answer {i}\n\nwith a second paragraph", state=ReplyState.COMPLETE)
            )
        msg = await conv.add_assistant("demo")
        msg.apply(ResponseStarted(200))
        for i in range(0, len(REPLY), 7):
            msg.apply(ContentDelta(REPLY[i : i + 7]))
            if i % 35 == 0:
                await msg.flush_now()
                await pilot.pause()
        await msg.flush_now()
        msg.apply(Finished("stop"))
        await pilot.pause()
        streaming = lines(app)
        assert sum(LAST_LINE in line for line in streaming) == 1
        assert conv.scroll_y == conv.max_scroll_y > 0
        with frames_of(app) as frames:
            reply = Reply(content=REPLY, finish_reason="stop", state=ReplyState.COMPLETE)
            await conv.finish_assistant(msg, reply)
            await pilot.pause()
            await pilot.pause()
        assert frames, "finishing painted nothing"
        last_row = next(r for r, line in enumerate(streaming) if LAST_LINE in line)
        for frame in frames:
            assert sum(LAST_LINE in line for line in frame) == 1  # never drawn twice
            # No jump: every line of the reply's text is where it was while streaming.
            assert frame[: last_row + 1] == streaming[: last_row + 1]
        final = frames[-1]
        assert "finishing" not in "\n".join(final) and "stop" in final[last_row + 1]


async def test_status_line_and_message_agree_in_every_frame_through_the_end(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        with frames_of(app) as frames:
            await pilot.press(*"give me a short list", "enter")
            await reply_done(app)
            await pilot.pause()
        message = screen.query(AssistantMessage).last()
        last = message.reply_text.strip().splitlines()[-1].strip()
        word = {"connecting": "connecting…", "waiting": "waiting for the first token…"}
        for frame in frames:
            status = frame[-2]  # the status line, above the key footer
            states = [line.strip() for line in frame[:-2] if line.strip().startswith("● ")]
            if states:  # the message's own state line: the status line shows the same label
                (label,) = states
                assert label in status, (label, status)
            assert sum(last in line for line in frame) <= 1
            for key, shown in word.items():  # a phase shown only with its own words
                assert (f"● {key}" in status) <= (shown in status)
        final = frames[-1]
        assert "● idle" in final[-2]
        assert not any(line.strip().startswith("● ") for line in final[:-2])
        assert sum(last in line for line in final) == 1


async def test_the_placeholder_says_what_the_status_line_says_before_the_first_token() -> None:
    app = ConvApp()
    async with app.run_test(size=(70, 20)) as pilot:
        conv = app.query_one(ConversationView)
        progress = ReplyProgress()
        msg = await conv.add_assistant("demo", progress)
        await pilot.pause()
        assert "● connecting… 0 s" in "\n".join(lines(app))
        msg.apply(ResponseStarted(200))
        await pilot.pause()
        assert "● waiting for the first token… 0 s" in "\n".join(lines(app))
        assert msg.progress is progress


async def test_the_cursor_is_steady_while_a_reply_streams(demo_server: DemoServer) -> None:
    # Each blink repainted the prompt twice a second on top of the reply's frames.
    app = demo_app(demo_server, model="demo-fault-slow")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        assert screen.prompt.cursor_blink
        await pilot.press(*"story", "enter")
        await wait_for(lambda: screen.status.state == "streaming")
        assert not screen.prompt.cursor_blink
        await pilot.press("escape")
        await reply_done(app)
        assert screen.prompt.cursor_blink


async def test_the_cursor_rests_after_a_while_without_keys(
    demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An idle app draws nothing: the blink (a frame every half second) stops once nobody types.
    monkeypatch.setattr(prompt_module, "BLINK_SECONDS", 0.05)
    app = demo_app(demo_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await wait_for(lambda: not screen.prompt.cursor_blink)
        monkeypatch.setattr(prompt_module, "BLINK_SECONDS", 60.0)
        await pilot.press("h")
        assert screen.prompt.cursor_blink
        assert screen.prompt.text == "h"  # the key still reached the text
        monkeypatch.setattr(prompt_module, "BLINK_SECONDS", 0.05)
        await pilot.press("i")
        await wait_for(lambda: not screen.prompt.cursor_blink)
