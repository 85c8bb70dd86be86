"""Pins on the Textual internals the UI relies on: an upgrade that changes them fails here loudly,
instead of laying out wrong or cutting the footer.

- `layout_cache.virtual_size_without_relayout` replaces `Widget.virtual_size`, declared in Textual
  8.2 as a layout reactive that makes a widget whose size changed ask for a second layout pass
  (and a repaint of all of it);
- `layout_cache.forget_resize_repaint` drops the full repaint `Widget._size_updated` queues for
  a widget whose height a layout pass changed (the streaming body);
- `footer._key_cells` repeats the arithmetic of the Footer's CSS (key padding, compact mode, the
  command palette's border), to know which keys fit a row.
"""

from __future__ import annotations

import textual
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget

from tensorx_tui.settings import Settings
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.footer import ChatFooter, _is_key, _key_cells
from tensorx_tui.ui.markdown.layout_cache import virtual_size_without_relayout
from tensorx_tui.ui.markdown.streaming_view import StreamingMarkdown


def test_textual_is_the_version_these_pins_were_measured_on() -> None:
    major, minor = (int(part) for part in textual.__version__.split(".")[:2])
    assert (major, minor) >= (8, 2) and major < 9


def test_virtual_size_is_still_a_layout_reactive_we_replace_with_a_plain_one() -> None:
    original = Widget.__dict__["virtual_size"]
    assert isinstance(original, Reactive)
    assert original._layout is True  # the second pass we avoid
    assert original._default == Size(0, 0) or callable(original._default)
    ours = virtual_size_without_relayout()
    assert isinstance(ours, Reactive) and ours._layout is False
    assert original._repaint is True and ours._repaint is False


async def _keys_fit_their_measured_width(compact: bool) -> None:
    # The real app: its stylesheet shapes the footer's keys too.
    settings = Settings(base_url="http://127.0.0.1:9/v1", api_key=None, demo=True)
    app = ChatApp(settings)
    async with app.run_test(size=(90 if compact else 120, 12)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(ChatFooter)
        assert footer.compact is compact
        keys = [w for w in footer.query(Widget) if _is_key(w)]
        assert keys, "the Footer's key widgets are no longer told by `action` and `key_display`"
        for key in keys:
            # Our arithmetic must match the width Textual really gives each key.
            taken = key.outer_size.width + key.styles.margin.right
            assert taken == _key_cells(key, compact=compact), key


async def test_the_footer_arithmetic_matches_textuals_layout() -> None:
    await _keys_fit_their_measured_width(compact=False)


async def test_the_compact_footer_arithmetic_matches_textuals_layout() -> None:
    await _keys_fit_their_measured_width(compact=True)


async def test_a_height_only_resize_leaves_no_full_repaint_queued() -> None:
    # Textual queues a repaint of the whole widget when its size changes (`_size_updated`), on top
    # of the layout pass that already painted it; the body drops it (forget_resize_repaint).
    class Plain(Widget):
        virtual_size = virtual_size_without_relayout()  # else a second layout pass hides it
        DEFAULT_CSS = "Plain { height: 3; }"

    class Both(App[None]):
        def compose(self) -> ComposeResult:
            yield StreamingMarkdown()
            yield Plain()

    app = Both()
    async with app.run_test(size=(60, 30)) as pilot:
        body, plain = app.query_one(StreamingMarkdown), app.query_one(Plain)
        body.feed("one line")
        await body.flush()
        await pilot.pause()
        body.feed("\n\n" + "more words " * 40)  # taller, same width
        await body.flush()
        plain.styles.height = 5
        await pilot.pause()
        assert plain._repaint_regions  # what Textual does: a full repaint left queued
        assert not body._repaint_regions
