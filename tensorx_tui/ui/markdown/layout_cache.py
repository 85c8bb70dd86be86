"""A zero-height child that keeps a container's layout cacheable while a sibling grows.

Textual (8.2, `layout.py: get_content_height`) measures a container whose children all have
dynamic (auto) heights against its *parent's current height*. While a reply streams, its parent
grows on every flush, so every such container next to it (or inside it) would be re-arranged on
every flush even though nothing in it changed. With one fixed-height child the container is
measured against a constant and its cached arrangement is reused: the cost per flush stays flat.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget


class ZeroHeight(Widget):
    DEFAULT_CSS = "ZeroHeight { height: 0; }"


# `Widget.virtual_size` is declared with layout=True, so a widget whose size a layout pass has just
# changed asks for a second, identical pass (Textual 8.2 `Widget._size_updated`). Every flush that
# grows the reply by a line grows each ancestor, so every such flush cost two full layouts. Our
# message widgets take their size from the layout and never need that second pass.
def virtual_size_without_relayout() -> Reactive[Size]:
    """Use as `virtual_size = virtual_size_without_relayout()` in a widget class body."""
    return Reactive(Size(0, 0), layout=False)
