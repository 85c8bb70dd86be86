"""The two reaches into Textual's layout internals that keep a streaming reply cheap (Textual 8.2).

Both are pinned by tests (tests/test_textual_internals.py), so an upgrade that changes what they
rely on fails there instead of quietly costing CPU.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget


# `Widget.virtual_size` is declared with layout=True (and repaint=True), so a widget whose size a
# layout pass has just changed asks for a second, identical pass and a repaint of its whole region
# (`Widget._size_updated`). Every flush that grows the reply by a step grows each ancestor, so
# every such flush cost two layouts and two full repaints. Our message widgets take their size
# from the layout, and the layout pass has already painted every region that moved or grew.
def virtual_size_without_relayout() -> Reactive[Size]:
    """Use as `virtual_size = virtual_size_without_relayout()` in a widget class body."""
    return Reactive(Size(0, 0), layout=False, repaint=False)


def forget_resize_repaint(widget: Widget, width_before: int) -> None:
    """Call after `Widget._size_updated` of a widget that draws its own lines and has no border:
    when only its height changed, the repaint of its whole region that Textual queues is dropped.

    The layout pass that resized it has painted its new region already; the queued repaint would
    be painted in the next frame (every line of the body on screen, ~10 ms and ~15 kB of terminal
    output), because the body is refreshed again at the next flush.
    """
    if widget.size.width == width_before:
        widget._repaint_regions.clear()
