"""Pilot tests of the message widgets, fed StreamEvents directly (no network)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tensorx_tui.core.events import (
    ContentDelta,
    Finished,
    ReasoningDelta,
    StreamError,
    ToolCallDelta,
    UsageUpdated,
)
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, Timings, ToolCall
from tensorx_tui.ui.conversation import ConversationView
from tensorx_tui.ui.markdown.streaming_view import COLLAPSE_MAX_CHARS
from tensorx_tui.ui.transcript import AssistantMessage
from tensorx_tui.ui.transcript.tool_call_view import ToolCallView

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
            if i % 30 == 0:
                await msg.flush_now()  # rendered while streaming, as the timer would
        reply = Reply(content=text, finish_reason="stop", state=ReplyState.COMPLETE)
        await conv.finish_assistant(msg, reply)
        await pilot.pause()
        assert msg.reply_text == text
        assert msg.body.source == text
        shown = screen_text(app)
        assert "Title" in shown and "def f(x):" in shown and "After." in shown
        assert "**bold**" not in shown  # formatted, not source
        assert msg.code_blocks == ["def f(x):\n    return x\n"]
        # The finished body is one block in one widget; its fence is a highlighted Syntax.
        assert msg.body.block_count == 1 and not msg.body.children
        line = next(
            strip for strip in app.screen._compositor.render_strips() if "def f(x):" in strip.text
        )
        colors = {seg.style.color for seg in line if seg.style is not None and seg.text.strip()}
        assert len(colors) >= 2  # keyword and name coloured differently


async def test_open_fence_streams_plain_and_is_highlighted_once_closed() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        msg.apply(ContentDelta("Intro.\n\n```python\ndef f(x):\n    return x\n"))
        await msg.flush_now()
        await pilot.pause()

        def colours() -> set[object]:
            line = next(s for s in app.screen._compositor.render_strips() if "def f(x):" in s.text)
            return {seg.style.color for seg in line if seg.style is not None and seg.text.strip()}

        assert len(colours()) == 1  # still open: plain, not highlighted on every token
        msg.apply(ContentDelta("```\n\nAfter the fence.\n"))
        await msg.flush_now()
        await pilot.pause()
        assert len(colours()) >= 2  # closed: highlighted once


async def test_reasoning_shows_while_streaming_and_collapses_when_the_answer_starts() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant("demo-reasoner")
        assert not msg.reasoning.display or not msg.reasoning.has_class("-shown")
        msg.apply(ReasoningDelta("Let me think about "))
        msg.apply(ReasoningDelta("this carefully."))
        await msg.flush_now()
        await pilot.pause()
        assert msg.reasoning.has_class("-shown") and not msg.reasoning.collapsed
        assert "this carefully." in screen_text(app)
        msg.apply(ContentDelta("The answer is 4."))
        await msg.flush_now()
        await pilot.pause()
        assert msg.reasoning.collapsed
        assert "this carefully." not in screen_text(app)
        assert "The answer is 4." in screen_text(app)
        assert msg.reasoning.text == "Let me think about this carefully."


async def test_tool_call_is_a_collapsed_collapsible_named_after_the_function() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        args = '{"city": "Paris", "days": 3}'
        msg.apply(ToolCallDelta(0, "call_1", "get_weather", args[:9]))
        await msg.flush_now()
        view = msg.query_one(ToolCallView)
        assert view.arguments == args[:9]  # arguments render live, before the call is complete
        msg.apply(ToolCallDelta(0, "call_1", "get_weather", args[9:]))
        msg.apply(Finished("tool_calls"))
        reply = Reply(
            tool_calls=[ToolCall("call_1", "get_weather", args)],
            finish_reason="tool_calls",
            state=ReplyState.COMPLETE,
        )
        await conv.finish_assistant(msg, reply)
        await pilot.pause()
        assert view._title.label.plain == "get_weather city=Paris days=3"  # name and arguments
        assert view.collapsed
        assert '"Paris"' not in screen_text(app)
        view.collapsed = False
        await pilot.pause()
        shown = screen_text(app)
        assert '  "city": "Paris",' in shown and '  "days": 3' in shown  # pretty-printed
        assert "not valid JSON" not in shown


async def test_invalid_tool_arguments_show_raw_text_with_a_note() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        msg.apply(ToolCallDelta(0, "c", "search", '{"q": "unterminated'))
        reply = Reply(
            tool_calls=[ToolCall("c", "search", '{"q": "unterminated')],
            finish_reason="tool_calls",
            state=ReplyState.COMPLETE,
        )
        await conv.finish_assistant(msg, reply)
        view = msg.query_one(ToolCallView)
        view.collapsed = False
        await pilot.pause()
        shown = screen_text(app)
        assert "not valid JSON" in shown and '{"q": "unterminated' in shown


async def test_footer_shows_usage_running_total_timing_and_length_warning() -> None:
    app = ConvApp()
    async with app.run_test(size=(120, 40)) as pilot:
        conv = app.query_one(ConversationView)
        first = Reply(content="one", state=ReplyState.COMPLETE, finish_reason="stop")
        first.usage = {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}
        await conv.add_finished_assistant(first)
        msg = await conv.add_assistant("demo")
        usage = {"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46}
        reply = Reply(
            content="cut",
            finish_reason="length",
            usage=usage,
            state=ReplyState.COMPLETE,
            timings=Timings(request_sent=0.0, first_token=0.25, last_token=2.25),
        )
        await stream(msg, conv, ["cut"], reply, extra=(UsageUpdated(usage), Finished("length")))
        await pilot.pause()
        shown = screen_text(app)
        assert "prompt 12 · completion 34 · total 46 · conversation 76" in shown
        assert "cut at the token limit" in shown
        assert "TTFT 0.25 s" in shown and "17.0 tok/s" in shown
        assert conv.total_tokens == 76


async def test_hostile_text_is_shown_literally_everywhere_and_the_app_survives() -> None:
    app = ConvApp()
    async with app.run_test(size=(120, 50)) as pilot:
        conv = app.query_one(ConversationView)
        await conv.add_user(HOSTILE)
        await conv.add_notice(HOSTILE, severity="warning")
        msg = await conv.add_assistant(HOSTILE)
        msg.apply(ReasoningDelta(HOSTILE))
        await msg.flush_now()
        msg.apply(ToolCallDelta(0, "x", HOSTILE, HOSTILE))
        msg.apply(ContentDelta(HOSTILE + "\n"))
        msg.apply(StreamError(HOSTILE, status=500))
        reply = Reply(
            content=HOSTILE + "\n",
            reasoning=HOSTILE,
            tool_calls=[ToolCall("x", HOSTILE, HOSTILE)],
            state=ReplyState.ERROR,
            error=ErrorInfo(HOSTILE, status=500),
        )
        await conv.finish_assistant(msg, reply)
        msg.reasoning.collapsed = False
        msg.query_one(ToolCallView).collapsed = False
        await pilot.pause()
        shown = screen_text(app)
        assert app.is_running
        assert "\x1b" not in shown and "\x07" not in shown
        assert shown.count("[bold]x[/bold] [@click=app.quit]q [/nope]") >= 6
        assert "␛[2J" in shown  # the escape made visible, not executed
        assert msg.reply_text == HOSTILE + "\n"  # kept byte for byte for the clipboard


async def test_rendered_source_equals_the_content_for_any_chunking() -> None:
    text = (
        "Para one with `code`.\n\n- a\n- b\n\n1. x\n2. y\n\n| h | i |\n|---|---|\n| 1 | 2 |\n\n"
        "```\nplain\n```\n\n> quote\n> more\n\nEnd \u00e9\u4e2d\U0001f600\r\n"
    )
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        for size in (1, 2, 7, 50):
            msg = await conv.add_assistant(None)
            for i in range(0, len(text), size):
                msg.apply(ContentDelta(text[i : i + size]))
                if i % 11 == 0:
                    await msg.flush_now()
            await conv.finish_assistant(msg, Reply(content=text, state=ReplyState.COMPLETE))
            assert msg.reply_text == text
            assert msg.body.source == text.replace("\r", "")  # CR dropped by the sanitiser
        await pilot.pause()


async def test_view_follows_the_bottom_until_the_user_scrolls_up() -> None:
    app = ConvApp()
    async with app.run_test(size=(80, 20)) as pilot:
        conv = app.query_one(ConversationView)
        for i in range(15):
            await conv.add_user(f"message {i}")
        await pilot.pause()
        assert conv.scroll_y == conv.max_scroll_y > 0
        conv.scroll_home(animate=False)
        conv.release_anchor()
        await pilot.pause()
        msg = await conv.add_assistant(None)
        msg.apply(ContentDelta("new text\n\n" * 5))
        await msg.flush_now()
        await pilot.pause()
        assert conv.scroll_y == 0  # the user's position is kept
        conv.follow_bottom()
        await pilot.pause()
        assert conv.scroll_y == conv.max_scroll_y


async def test_a_long_reply_keeps_its_pieces_at_the_end_and_loses_no_text() -> None:
    paragraphs = [f"Paragraph {i}: " + "lorem ipsum dolor sit amet " * 20 for i in range(40)]
    text = "\n\n".join(paragraphs) + "\n\n```python\nprint('last')\n```\n"
    assert len(text) > COLLAPSE_MAX_CHARS
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        for i in range(0, len(text), 40):
            msg.apply(ContentDelta(text[i : i + 40]))
            if i % 2000 == 0:
                await msg.flush_now()
        await conv.finish_assistant(msg, Reply(content=text, state=ReplyState.COMPLETE))
        await pilot.pause()
        assert msg.body.block_count > 1  # kept as rendered, not rendered again as a whole
        assert msg.body.source == text and msg.body.rendered_length == len(text)
        line = next(s for s in app.screen._compositor.render_strips() if "print('last')" in s.text)
        colors = {seg.style.color for seg in line if seg.style is not None and seg.text.strip()}
        assert len(colors) >= 2  # the final block was closed and highlighted


def test_deeply_nested_tool_arguments_render_raw_instead_of_raising() -> None:
    # 100k "[" makes json.loads raise RecursionError (not ValueError); the view must not crash.
    import io

    from rich.console import Console

    from tensorx_tui.ui.transcript.tool_call_view import arguments_renderable

    console = Console(width=80, record=True, file=io.StringIO())
    console.print(arguments_renderable("[" * 100_000, final=True))
    assert "not valid JSON" in console.export_text()[:200]


async def test_angle_brackets_and_html_in_a_reply_are_shown_not_dropped() -> None:
    # CommonMark's HTML rules made "Vec<String>" render as "Vec" and a <div> block vanish.
    text = "Use Vec<String> or <b>x</b> <script>alert(1)</script>\n\n<div>\nblock html\n</div>\n"
    app = ConvApp()
    async with app.run_test(size=(120, 30)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        await stream(msg, conv, [text], Reply(content=text, state=ReplyState.COMPLETE))
        await pilot.pause()
        shown = screen_text(app)
        assert "Use Vec<String> or <b>x</b> <script>alert(1)</script>" in shown
        assert "<div>" in shown and "block html" in shown


async def test_many_tool_calls_in_one_flush_are_mounted_at_once(monkeypatch: object) -> None:
    # One awaited mount per call relaid out the growing list each time: 500 calls took ~40 s.
    from textual.containers import Vertical

    mounts: list[int] = []
    original = Vertical.mount

    def counting_mount(self: Vertical, *widgets: object, **kwargs: object) -> object:
        if self.id == "tool-calls":
            mounts.append(len(widgets))
        return original(self, *widgets, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Vertical, "mount", counting_mount)  # type: ignore[attr-defined]
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        for i in range(60):
            msg.apply(ToolCallDelta(i, f"c{i}", f"fn{i}", f'{{"i": {i}}}'))
        await msg.flush_now()
        await pilot.pause()
        assert mounts == [60]
        assert len(msg.query(ToolCallView)) == 60


async def test_error_panel_shows_a_real_status_but_not_the_200_of_a_mid_stream_error() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = app.query_one(ConversationView)
        for status, message in ((429, "slow down"), (200, "upstream broke")):
            msg = await conv.add_assistant("demo")
            msg.apply(ContentDelta("partial "))
            reply = Reply(
                content="partial ",
                state=ReplyState.ERROR,
                error=ErrorInfo(message=message, status=status),
            )
            await conv.finish_assistant(msg, reply)
        await pilot.pause()
        text = screen_text(app)
        assert "Error (HTTP 429): slow down" in text
        assert "Error: upstream broke" in text and "Error 200" not in text


async def test_a_streaming_reply_keeps_the_conversation_out_of_full_collections() -> None:
    # Everything alive when a reply starts is frozen for the garbage collector until it ends
    # (ConversationView.add_assistant says why); nothing stays frozen after it.
    import gc

    app = ConvApp()
    async with app.run_test(size=(60, 20)) as pilot:
        conv = app.query_one(ConversationView)
        await conv.add_user("hello")
        assert gc.get_freeze_count() == 0
        msg = await conv.add_assistant(None)
        assert gc.get_freeze_count() > 1000
        msg.apply(ContentDelta("hi"))
        await conv.finish_assistant(msg, Reply(content="hi", state=ReplyState.COMPLETE))
        assert gc.get_freeze_count() == 0
        await pilot.pause()
