"""A message body that renders Markdown while it streams, at a flat cost per token.

The text is cut by `MarkdownBlockStream` (see there for why). Closed blocks become formatted
`Static` pieces mounted once and never touched again; the frozen drafts of a very long open block
are plain pieces mounted once; only the small tail is updated on each flush. `finish()` replaces
everything with one `Static` of the whole text (one widget in later layouts) unless it is long.
"""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.visual import visualize
from textual.widget import Widget
from textual.widgets import Static

from tensorx_tui.ui.markdown.block_stream import Flush, MarkdownBlockStream
from tensorx_tui.ui.markdown.layout_cache import ZeroHeight, virtual_size_without_relayout
from tensorx_tui.ui.markdown.render import formatted, plain, plain_code


class _Piece(Static):
    """One rendered stretch of the body."""

    virtual_size = virtual_size_without_relayout()  # see layout_cache.py


class _PieceGroup(Vertical):
    """Closed pieces in groups: a relayout re-measures a full group from its cached arrangement."""

    virtual_size = virtual_size_without_relayout()  # see layout_cache.py

    def compose(self) -> ComposeResult:
        yield ZeroHeight()  # see layout_cache.py


_GROUP_SIZE = 8
TAIL_STEP = 4  # lines; see _update_tail
COLLAPSE_MAX_CHARS = 12_000  # see finish


class StreamingMarkdown(Widget):
    virtual_size = virtual_size_without_relayout()  # see layout_cache.py
    DEFAULT_CSS = """
    StreamingMarkdown { height: auto; layout: vertical; }
    StreamingMarkdown _PieceGroup { height: auto; }
    StreamingMarkdown _Piece { height: auto; }
    StreamingMarkdown _Piece.-closed { margin-bottom: 1; }
    StreamingMarkdown _Piece.-final { margin-bottom: 0; }
    StreamingMarkdown _Piece.-empty { display: none; }
    """

    def __init__(
        self, text: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._stream = MarkdownBlockStream()
        self._initial = text
        self._tail = _Piece(classes="-tail -empty")
        self._drafts = _PieceGroup(classes="-drafts")
        self._group: _PieceGroup | None = None
        self._tail_height = 0
        self._finished = False

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

    def _dark(self) -> bool:
        return self.app.current_theme.dark

    def compose(self) -> ComposeResult:
        if self._initial:
            # A finished message from history: one parse, one widget.
            self._stream.feed(self._initial)
            self._stream.finish()
            self._finished = True
            yield _Piece(formatted(self._initial, dark=self._dark()), classes="-final")
        else:
            yield self._drafts
            yield self._tail

    def feed(self, text: str) -> None:
        """Queue sanitised text; nothing is rendered until `flush`."""
        self._stream.feed(text)

    async def flush(self) -> None:
        """Render what was fed since the last flush (call at most ~20 times a second)."""
        if self._finished or not self._stream.has_pending:
            return
        await self._apply(self._stream.flush())

    async def _apply(self, change: Flush) -> None:
        dark = self._dark()
        if change.drop_drafts:
            await self._drafts.query_children(_Piece).remove()
        for text in change.closed:
            if self._group is None or len(self._group.children) > _GROUP_SIZE:
                self._group = _PieceGroup()
                await self.mount(self._group, before=self._drafts)
            await self._group.mount(_Piece(formatted(text, dark=dark), classes="-closed"))
        if change.drafts:
            drafts = [
                _Piece(self._draft_renderable(text, change.tail_kind, dark), classes="-draft")
                for text in change.drafts
            ]
            await self._drafts.mount_all(drafts)
        self._update_tail(
            self._tail_renderable(change, dark), relayout=bool(change.closed or change.drafts)
        )
        self._tail.set_class(not change.tail.strip(), "-empty")

    def _update_tail(self, renderable: RenderableType, *, relayout: bool) -> None:
        """Repaint the tail; relayout only when its height crosses a step of TAIL_STEP lines.

        A relayout walks every widget on the screen and repaints every container around the
        reply (~50 ms with 100 earlier messages); a repaint touches only the tail. Growing in
        steps (the tail keeps up to TAIL_STEP - 1 blank lines of room) cuts relayouts ~4x.
        """
        tail = self._tail
        width = tail.size.width
        if width <= 0:
            tail.update(renderable)  # not laid out yet: let Textual measure it
            return
        lines = visualize(tail, renderable).get_height(tail.styles, width)  # type: ignore[arg-type]
        height = -(-max(lines, 1) // TAIL_STEP) * TAIL_STEP
        if height == self._tail_height and not relayout:
            tail.update(renderable, layout=False)
            return
        self._tail_height = height
        tail.styles.height = height
        tail.update(renderable)

    @staticmethod
    def _draft_renderable(text: str, kind: str, dark: bool) -> RenderableType:
        return plain_code(text, dark=dark) if kind == "fence" else plain(text)

    @staticmethod
    def _tail_renderable(change: Flush, dark: bool) -> RenderableType:
        if change.tail_kind == "fence":
            return plain_code(change.tail, dark=dark)
        if change.drafting:
            return plain(change.tail)
        return formatted(change.tail, dark=dark)

    async def finish(self) -> None:
        """Close every block; a short body is collapsed into one formatted widget.

        Collapsing re-renders the whole text once (exact Markdown semantics, one widget in later
        layouts), which is cheap for the usual reply. A long one (`COLLAPSE_MAX_CHARS`) keeps its
        already rendered pieces and only closes the open block, so the end of a 20,000-token
        reply costs what its last block costs, not what the whole document costs.
        """
        if self._finished:
            return
        self._finished = True
        change = self._stream.finish()
        text = self._stream.text
        if len(text) > COLLAPSE_MAX_CHARS:
            await self._apply(change)
            await self._tail.remove()
            await self._drafts.remove()
            return
        final = _Piece(formatted(text, dark=self._dark()), classes="-final")
        with self.app.batch_update():
            await self.remove_children()
            if text.strip():
                await self.mount(final)
