"""The streaming body pays only for what changed: which lines are repainted, when it relays out.

The reaches into Textual's internals it relies on are pinned in test_textual_internals.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widget import Widget

from tensorx_tui.ui.markdown.streaming_view import HEIGHT_STEP, StreamingMarkdown

WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
]


class BodyApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StreamingMarkdown()


class Spy:
    """What the body asks Textual for: repainted line ranges and relayouts."""

    def __init__(self, body: StreamingMarkdown) -> None:
        self.regions: list[Region] = []
        self.layouts = 0
        refresh = body.refresh

        def spy(*regions: Region, **options: bool) -> Widget:
            self.regions += regions
            self.layouts += bool(options.get("layout"))
            return refresh(*regions, **options)

        body.refresh = spy  # type: ignore[method-assign]

    def reset(self) -> None:
        self.regions.clear()
        self.layouts = 0


async def test_a_flush_repaints_only_the_lines_that_changed_without_a_layout() -> None:
    app = BodyApp()
    async with app.run_test(size=(60, 30)) as pilot:
        body = app.query_one(StreamingMarkdown)
        body.feed("# Title\n\nFirst paragraph, closed.\n\n" + "word " * 30)
        await body.flush()
        await pilot.pause()
        spy = Spy(body)
        lines = body.line_count
        body.feed("more")  # the open paragraph's last line grows
        await body.flush()
        await pilot.pause()
        assert spy.layouts == 0
        assert [r.height for r in spy.regions] == [1]
        assert spy.regions[0].y == lines - 1  # that line, and nothing above it


async def test_the_height_grows_in_steps_and_a_closing_block_costs_no_layout() -> None:
    app = BodyApp()
    async with app.run_test(size=(40, 40)) as pilot:
        body = app.query_one(StreamingMarkdown)
        spy = Spy(body)
        layouts_at: list[int] = []
        for i in range(200):
            body.feed(WORDS[i % len(WORDS)] + (" " if i % 25 else ".\n\n"))
            await body.flush()
            await pilot.pause()
            assert body.reserved_lines % HEIGHT_STEP == 0
            assert 0 <= body.reserved_lines - body.line_count < 2 * HEIGHT_STEP
            if spy.layouts:
                layouts_at.append(body.line_count)
                spy.reset()
        # One layout per step of growth at most: paragraphs closing (8 of them) add none.
        assert len(layouts_at) <= body.reserved_lines // HEIGHT_STEP
        await body.finish()
        await pilot.pause()
        assert body.reserved_lines == body.line_count  # finished: no room kept


async def test_a_resize_rerenders_every_block_at_the_new_width() -> None:
    app = BodyApp()
    async with app.run_test(size=(80, 40)) as pilot:
        body = app.query_one(StreamingMarkdown)
        body.feed("A paragraph " * 20 + "\n\n```\ncode\n```\n\nTail " * 3)
        await body.flush()
        await pilot.pause()
        wide = body.line_count
        await pilot.resize_terminal(40, 40)
        await pilot.pause()
        assert body.line_count > wide
        assert all(strip.cell_length <= 40 for strip in body._kept)


BLOCKS = [
    "A paragraph with **bold**, `code` and a [link](https://example.com) that wraps around.",
    "# A heading",
    "- one\n- two\n  - nested\n- three",
    "1. first\n2. second",
    "```python\ndef f(x):\n    return x\n```",
    "| a | b |\n|---|--:|\n| 1 | 2 |\n| 3 | 4 |",
    "> quoted\n> twice",
    "---",
    "Closing words.",
]


@settings(deadline=None, max_examples=25)
@given(
    picks=st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=6),
    cut=st.integers(min_value=1, max_value=40),
)
async def test_streamed_lines_are_the_finished_lines(picks: list[str], cut: int) -> None:
    # Blocks rendered one by one (with the separators rich puts between them) look exactly like
    # the whole text rendered once at the end: finishing a reply moves no line.
    text = "\n\n".join(picks)
    app = BodyApp()
    async with app.run_test(size=(50, 80)) as pilot:
        body = app.query_one(StreamingMarkdown)
        for i in range(0, len(text), cut):
            body.feed(text[i : i + cut])
            await body.flush()
        await pilot.pause()
        streamed = [strip.text.rstrip() for strip in body._lines_from(0)]
        await body.finish()
        await pilot.pause()
        finished = [strip.text.rstrip() for strip in body._lines_from(0)]
        assert streamed == finished
