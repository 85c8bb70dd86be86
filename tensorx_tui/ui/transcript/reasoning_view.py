"""The model's reasoning: a collapsible, open while it streams, closed once the answer starts."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import Collapsible, Static

# Long reasoning is split into pieces so each flush re-wraps only the last one.
_PIECE_CHARS = 2000


class ReasoningView(Collapsible):
    DEFAULT_CSS = """
    ReasoningView { display: none; height: auto; margin: 0 0 1 0; border: none; padding: 0; }
    ReasoningView.-shown { display: block; }
    ReasoningView Static { color: $text-muted; text-style: italic; }
    """

    def __init__(self) -> None:
        self._tail = Static(Text(""))
        # A Content title: a str title would be parsed as markup.
        super().__init__(self._tail, title=Content("Reasoning"), collapsed=False)  # type: ignore[arg-type]
        self._text = ""
        self._tail_start = 0
        self._pending: list[str] = []

    @property
    def text(self) -> str:
        return self._text + "".join(self._pending)

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def feed(self, text: str) -> None:
        self._pending.append(text)

    async def flush(self) -> None:
        if not self._pending:
            return
        self._text += "".join(self._pending)
        self._pending.clear()
        self.set_class(bool(self._text.strip()), "-shown")
        tail = self._text[self._tail_start :]
        if len(tail) > _PIECE_CHARS:
            cut = tail.rfind("\n", 0, len(tail) - 200) + 1
            if cut > 0:
                piece = Static(Text(tail[: cut - 1]))
                await self.query_one(Collapsible.Contents).mount(piece, before=self._tail)
                self._tail_start += cut
                tail = tail[cut:]
        self._tail.update(Text(tail))

    def show_all(self, text: str) -> None:
        """A finished reply's reasoning, shown collapsed."""
        self._text = text
        self._tail.update(Text(text))
        self.set_class(bool(text.strip()), "-shown")
        self.collapsed = True
