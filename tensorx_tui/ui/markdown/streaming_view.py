"""A message body that renders Markdown while it streams, at a flat cost per token and per frame.

The text is cut by `MarkdownBlockStream` (see there for why). This is one widget with no children
(Textual's line API): each closed block is rendered once into lines and kept; the frozen drafts
of a very long open block likewise; only the small tail is rendered again on each flush.

Why one widget and not a widget per piece: every relayout walks every widget on the screen and
repaints each container whose size changed, line by line (a relayout with 20 exchanges on screen
cost ~30 ms plus a ~16 ms full repaint). Here a flush changes only lines of this widget: it
repaints just the lines that changed, with no layout, unless the height crosses a step of
`HEIGHT_STEP` lines (the body keeps up to HEIGHT_STEP - 1 blank lines of room while it streams,
a step more while it grows fast, so a streaming code block relays out about once a second).
A block closing or a draft freezing moves lines from the tail to the kept part: no relayout.

`finish()` renders the whole text once more as one Markdown document (exact Markdown semantics)
unless it is long (`COLLAPSE_MAX_CHARS`): then only the open block is closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import RenderableType
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

from tensorx_tui.ui.markdown.block_stream import Flush, MarkdownBlockStream
from tensorx_tui.ui.markdown.layout_cache import (
    forget_resize_repaint,
    virtual_size_without_relayout,
)
from tensorx_tui.ui.markdown.render import formatted, plain, plain_code

HEIGHT_STEP = 4  # lines; see the module doc
FAST_GROWTH_S = 1.0  # growing again within this: a step more (relayouts at most ~1/s)
COLLAPSE_MAX_CHARS = 12_000  # see finish

Maker = Callable[[bool], RenderableType]  # dark theme? -> what to draw


@dataclass(slots=True)
class _Block:
    make: Maker
    # A blank line before it, as rich's Markdown puts between top-level blocks: set for every
    # block but the first (and for the first piece of a block drafted in pieces).
    separate: bool
    strips: list[Strip] | None = None  # rendered at the widget's current width (separator incl.)


def _markdown(text: str) -> Maker:
    return lambda dark: formatted(text, dark=dark)


def _plain_code(text: str, *, top: bool, bottom: bool) -> Maker:
    return lambda dark: plain_code(text, dark=dark, top=top, bottom=bottom)


def _plain(text: str) -> Maker:
    return lambda dark: plain(text)


class StreamingMarkdown(Widget):
    virtual_size = virtual_size_without_relayout()  # see layout_cache.py
    DEFAULT_CSS = "StreamingMarkdown { height: auto; }"

    def __init__(
        self, text: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._stream = MarkdownBlockStream()
        self._closed_blocks: list[_Block] = []
        self._drafts: list[_Block] = []
        self._tail: _Block | None = None
        self._kept: list[Strip] = []  # lines of the closed blocks, then of the drafts
        self._closed_lines = 0  # how many of `_kept` belong to closed blocks
        self._width = 0  # the width `_kept` and the blocks' strips were rendered at
        self._dark: bool | None = None
        self._height = 0  # lines this widget asks for
        self._grown_at = 0.0  # when the height last grew (monotonic)
        self._finished = False
        if text:
            # A finished message from history: one parse, one block.
            self._stream.feed(text)
            self._stream.finish()
            self._closed_blocks.append(_Block(_markdown(text), separate=False))
            self._finished = True

    @property
    def source(self) -> str:
        """Everything fed so far (sanitised text), flushed or not."""
        return self._stream.full_text

    @property
    def rendered_length(self) -> int:
        """How much of `source` has been rendered (for benchmarks and tests)."""
        return len(self._stream.text)

    @property
    def has_pending(self) -> bool:
        return self._stream.has_pending

    @property
    def block_count(self) -> int:
        """Rendered blocks kept (closed, drafts, tail): 1 for a finished short reply."""
        return len(self._closed_blocks) + len(self._drafts) + (self._tail is not None)

    @property
    def reserved_lines(self) -> int:
        """Lines this body asks for: its content plus, while streaming, room to grow into."""
        return self._height

    @property
    def line_count(self) -> int:
        """Lines of content (without the room kept for growth while streaming)."""
        return len(self._kept) + (len(self._tail.strips or []) if self._tail else 0)

    # -- feeding --------------------------------------------------------------------------------

    def feed(self, text: str) -> None:
        """Queue sanitised text; nothing is rendered until `flush`."""
        self._stream.feed(text)

    async def flush(self) -> None:
        """Render what was fed since the last flush (call at most ~20 times a second)."""
        if self._finished or not self._stream.has_pending:
            return
        self._apply(self._stream.flush())

    def _apply(self, change: Flush) -> None:
        # Lines before the tail (or before the drafts, when they are replaced) stay as they are.
        first_changed = self._closed_lines if change.drop_drafts else len(self._kept)
        before = self._lines_from(first_changed)
        if change.drop_drafts:
            self._drafts.clear()
            del self._kept[self._closed_lines :]
        for text in change.closed:
            block = _Block(_markdown(text), separate=bool(self._closed_blocks))
            self._closed_blocks.append(block)
            self._keep(block, closed=True)
        for text in change.drafts:
            if change.tail_kind == "fence":
                make = _plain_code(text, top=not self._drafts, bottom=False)
            else:
                make = _plain(text)
            block = _Block(make, separate=self._starts_a_block())
            self._drafts.append(block)
            self._keep(block, closed=False)
        self._tail = self._tail_block(change) if change.tail.strip() else None
        if self._tail is not None:
            self._render_block(self._tail)
        self._changed(first_changed, before)

    def _tail_block(self, change: Flush) -> _Block:
        separate = self._starts_a_block()
        if change.tail_kind == "fence":
            make = _plain_code(change.tail, top=not self._drafts, bottom=True)
        elif change.drafting:
            make = _plain(change.tail)
        else:
            make = _markdown(change.tail)
        return _Block(make, separate=separate)

    def _starts_a_block(self) -> bool:
        """A piece of the open block that needs the separator line: its first, after others."""
        return not self._drafts and bool(self._closed_blocks)

    def _lines_from(self, first: int) -> list[Strip]:
        tail = (self._tail.strips or []) if self._tail is not None else []
        return self._kept[first:] + tail if first <= len(self._kept) else tail

    def _keep(self, block: _Block, *, closed: bool) -> None:
        lines = self._render_block(block)
        if closed:
            # Closed blocks come before every draft: drafts are dropped when their block closes.
            assert len(self._kept) == self._closed_lines
            self._closed_lines += len(lines)
        self._kept += lines

    def _render_block(self, block: _Block) -> list[Strip]:
        if block.strips is None:
            if self._width <= 0:
                block.strips = []  # rendered at the first layout, when the width is known
                return block.strips
            strips = self._strips(block.make(self._is_dark()), self._width)
            # Rendered alone, a list, quote or table starts with the empty line rich's Markdown
            # puts between blocks (its inner paragraphs ask for it), and a rule ends with one:
            # that is the separator. Rendered after the block before it, so `_kept` ends there.
            empty_before = bool(self._kept) and self._kept[-1].cell_length == 0
            if block.separate and not empty_before and not (strips and not strips[0].cell_length):
                strips.insert(0, self._blank())
            block.strips = strips
        return block.strips

    def _strips(self, renderable: RenderableType, width: int) -> list[Strip]:
        visual = visualize(self, renderable)
        return Visual.to_strips(self, visual, width, None, self.visual_style)

    def _is_dark(self) -> bool:
        if self._dark is None:
            self._dark = self.app.current_theme.dark
        return self._dark

    # -- the end --------------------------------------------------------------------------------

    async def finish(self) -> None:
        """Close every block, in place (no await: the change reaches the screen in one frame).

        A short body is rendered once more as one Markdown document (exact Markdown semantics,
        one block); a long one (`COLLAPSE_MAX_CHARS`) keeps its rendered blocks and only closes
        the open one, so the end of a 20,000-token reply costs what its last block costs.
        """
        if self._finished:
            return
        self._finished = True
        change = self._stream.finish()
        text = self._stream.text
        if len(text) > COLLAPSE_MAX_CHARS:
            self._apply(change)
        else:
            self._closed_blocks = [_Block(_markdown(text), separate=False)] if text.strip() else []
            self._drafts.clear()
            self._tail = None
            self._kept.clear()
            self._closed_lines = 0
            for block in self._closed_blocks:
                self._keep(block, closed=True)
        self._changed(0)

    # -- Textual: size and lines ----------------------------------------------------------------

    def _changed(self, first_line: int, before: list[Strip] | None = None) -> None:
        """Repaint the lines from `first_line` on that differ from `before` (what they were);
        relayout only when the height must change."""
        old_height = self._height
        self._height = self._wanted_height()
        if self._height != old_height or self._width <= 0 or self.size.width != self._width:
            self.refresh(layout=True)
            return
        after = self._lines_from(first_line)
        same = 0
        if before is not None:
            # Usually only the last line or two of the tail changed: repaint just those.
            limit = min(len(before), len(after))
            while same < limit and before[same] == after[same]:
                same += 1
            end = max(len(before), len(after))
        else:
            end = self._height - first_line
        if end > same:
            self.refresh(Region(0, first_line + same, self._width, end - same))

    def _wanted_height(self) -> int:
        lines = self.line_count
        if self._finished or lines == 0:
            return lines
        if lines <= self._height < lines + 2 * HEIGHT_STEP:
            return self._height  # still fits, without too much room: no relayout
        height = -(-lines // HEIGHT_STEP) * HEIGHT_STEP
        now = time.monotonic()
        if height > self._height and now - self._grown_at < FAST_GROWTH_S:
            height += HEIGHT_STEP  # growing fast (a code block, a list): a step more of room
        self._grown_at = now
        return height

    def _render_all(self, width: int) -> None:
        """Render every block again (a new width or theme)."""
        self._width = width
        self._kept.clear()
        self._closed_lines = 0
        for block in (*self._closed_blocks, *self._drafts):
            block.strips = None
        for block in self._closed_blocks:
            self._keep(block, closed=True)
        for block in self._drafts:
            self._keep(block, closed=False)
        if self._tail is not None:
            self._tail.strips = None
            self._render_block(self._tail)
        self._height = self._wanted_height()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        self._dark = None
        if self._width > 0:
            self._render_all(self._width)
            self.refresh(layout=True)

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        width_before = self.size.width
        resized = super()._size_updated(size, virtual_size, container_size, layout)
        if resized:
            forget_resize_repaint(self, width_before)  # see layout_cache.py
        return resized

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width and width > 0:
            self._render_all(width)
        return self._height

    def render_line(self, y: int) -> Strip:
        if self.size.width != self._width and self.size.width > 0:
            self._render_all(self.size.width)  # resized without a layout asking our height
        kept = self._kept
        if y < len(kept):
            return kept[y]
        tail = self._tail.strips if self._tail is not None else None
        if tail and y - len(kept) < len(tail):
            return tail[y - len(kept)]
        return self._blank()

    def _blank(self) -> Strip:
        return Strip.blank(self._width, self.visual_style.rich_style)
