"""The model's reasoning: a collapsible, open while it streams, closed once the answer starts.

Its header says how much there is: "Reasoning · 1,234 chars", and while it streams live how long
it took from its first to its latest piece ("· 4.2 s"; a saved reply does not know that).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.content import Content
from textual.widgets import Collapsible, Static

# Long reasoning is split into pieces so each flush re-wraps only the last one.
_PIECE_CHARS = 2000


def reasoning_title(chars: int, seconds: float | None = None) -> Content:
    duration = f" · {seconds:.1f} s" if seconds is not None else ""
    return Content(f"Reasoning · {chars:,} chars{duration}")


class ReasoningView(Collapsible):
    clock: ClassVar[Callable[[], float]] = time.monotonic
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
        # When the first and the latest pieces arrived. One piece (a saved reply given whole)
        # says nothing about time.
        self._first_at: float | None = None
        self._latest_at = 0.0
        self._pieces = 0

    @property
    def text(self) -> str:
        return self._text + "".join(self._pending)

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def feed(self, text: str) -> None:
        self._pending.append(text)
        self._pieces += 1
        now = type(self).clock()
        if self._first_at is None:
            self._first_at = now
        self._latest_at = now

    async def flush(self) -> None:
        if not self._pending:
            return
        self._text += "".join(self._pending)
        self._pending.clear()
        self.set_class(bool(self._text.strip()), "-shown")
        first = self._first_at
        seconds = self._latest_at - first if self._pieces > 1 and first is not None else None
        self.title = reasoning_title(len(self._text), seconds)  # type: ignore[assignment]
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
        self.title = reasoning_title(len(text))  # type: ignore[assignment]
        self.collapsed = True
