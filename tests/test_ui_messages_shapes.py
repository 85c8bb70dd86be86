"""Pilot tests of the assistant message for the newer reply shapes: refusals, an inline thought
revealed late (ContentReclassified), and the usage details in the footer."""

from __future__ import annotations

from test_ui_messages import HOSTILE, ConvApp, screen_text

from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    ReasoningDelta,
    RefusalDelta,
    UsageUpdated,
)
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.ui.conversation import ConversationView
from tensorx_tui.ui.transcript.panels import RefusalPanel, usage_text


async def test_a_streamed_refusal_is_shown_as_the_reply_under_a_label_never_as_markup() -> None:
    app = ConvApp()
    async with app.run_test(size=(120, 30)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant("gpt")
        msg.apply(RefusalDelta("I can't help with "))
        await msg.flush_now()
        await pilot.pause()
        assert "I can't help with" in screen_text(app)  # live, before the end
        msg.apply(RefusalDelta(HOSTILE))
        reply = Reply(
            refusal="I can't help with " + HOSTILE, finish_reason="stop", state=ReplyState.COMPLETE
        )
        await conv.finish_assistant(msg, reply)
        await pilot.pause()
        shown = screen_text(app)
        assert "refusal" in shown
        assert "[bold]x[/bold] [@click=app.quit]q [/nope]" in shown
        assert "\x1b" not in shown and "␛[2J" in shown
        assert len(msg.query(RefusalPanel)) == 1
        assert msg.reply_text == ""  # the refusal is not answer content


async def test_a_saved_refusal_is_shown_from_history() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = app.query_one(ConversationView)
        reply = Reply(refusal="No, sorry.", finish_reason="stop", state=ReplyState.COMPLETE)
        await conv.add_finished_assistant(reply)
        await pilot.pause()
        shown = screen_text(app)
        assert "refusal" in shown and "No, sorry." in shown


async def test_a_plain_reply_mounts_no_refusal_panel() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        msg.apply(ContentDelta("hello"))
        await conv.finish_assistant(msg, Reply(content="hello", state=ReplyState.COMPLETE))
        await pilot.pause()
        assert msg.refusal is None and not msg.query(RefusalPanel)


async def test_reclassified_content_moves_to_the_reasoning_and_the_answer_restarts() -> None:
    thought = "Okay, the user asks for 2+2.\nThat is MARKER_THOUGHT.\n"
    app = ConvApp()
    async with app.run_test(size=(100, 40)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant("qwen3")
        msg.apply(ContentDelta(thought[:20]))
        await msg.flush_now()
        msg.apply(ContentDelta(thought[20:]))
        await msg.flush_now()
        assert "MARKER_THOUGHT" in msg.body.source  # streamed live as the answer at first
        msg.apply(ContentReclassified(thought))
        msg.apply(ContentDelta("The answer is **4**."))
        await msg.flush_now()
        assert msg.body.source == "The answer is **4**."
        assert msg.reasoning.text == thought
        reply = Reply(
            content="The answer is **4**.",
            reasoning=thought,
            finish_reason="stop",
            state=ReplyState.COMPLETE,
        )
        await conv.finish_assistant(msg, reply)
        msg.reasoning.collapsed = False
        await pilot.pause()
        shown = screen_text(app)
        assert "The answer is 4." in shown
        assert shown.count("MARKER_THOUGHT") == 1  # in the reasoning only, not left in the body
        assert msg.reply_text == "The answer is **4**."


async def test_reclassified_before_any_render_and_with_earlier_reasoning_events() -> None:
    app = ConvApp()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        msg.apply(ContentDelta("thinking\n"))
        msg.apply(ContentReclassified("thinking\n"))
        msg.apply(ReasoningDelta("more\n"))
        msg.apply(ContentDelta("answer"))
        reply = Reply(content="answer", reasoning="thinking\nmore\n", state=ReplyState.COMPLETE)
        await conv.finish_assistant(msg, reply)
        await pilot.pause()
        assert msg.body.source == "answer" and msg.reasoning.text == "thinking\nmore\n"


async def test_footer_names_cached_and_reasoning_tokens() -> None:
    usage = {
        "prompt_tokens": 2000,
        "completion_tokens": 900,
        "total_tokens": 2900,
        "prompt_tokens_details": {"cached_tokens": 1234},
        "completion_tokens_details": {"reasoning_tokens": 567},
    }
    assert usage_text(usage, 2900) == (
        "prompt 2,000 · completion 900 · total 2,900 · 1,234 cached · 567 reasoning"
        " · conversation 2,900"
    )
    app = ConvApp()
    async with app.run_test(size=(140, 30)) as pilot:
        conv = app.query_one(ConversationView)
        msg = await conv.add_assistant(None)
        msg.apply(UsageUpdated(usage))
        reply = Reply(content="x", usage=usage, finish_reason="stop", state=ReplyState.COMPLETE)
        msg.apply(ContentDelta("x"))
        await conv.finish_assistant(msg, reply)
        await pilot.pause()
        assert "1,234 cached · 567 reasoning" in screen_text(app)
