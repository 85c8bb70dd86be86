"""The key footer, fitted to the terminal: on a narrow one the lesser keys step aside.

Textual's Footer lays every key in one row and lets the rest run past the edge, so at 80 columns
"^q Quit" was cut off. Here keys are left out, least important first, until the row fits; they all
stay bound, and the command palette (always shown) lists every action.

It is also rebuilt only when what it shows changes: Textual's Footer recomposes at every focus
change, and moving from one message to another (or switching branch) keeps the same keys.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer

# Actions whose keys are left out when the row is too narrow, first to go first. Keys not named
# here (send, cancel, quit, answer tools) always stay.
DROP_ORDER = (
    "attach_file",  # `@path` in the prompt and the command palette attach too
    "show_tools",
    "export",
    "edit_params",
    "copy_reply",
    "select_message",
    "pick_model",
    "toggle_sidebar",
    "new_conversation",
    "regenerate",
)
COMPACT_BELOW = 100  # columns: less padding between keys on narrower terminals


def _action_name(action: str) -> str:
    """ "export('md')" -> "export"."""
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


def _is_key(widget: Widget) -> bool:
    """One of the Footer's key widgets. Told by its attributes: the class (FooterKey) is not
    exported by textual.widgets, and private module imports break on upgrades."""
    return isinstance(getattr(widget, "action", None), str) and isinstance(
        getattr(widget, "key_display", None), str
    )


def _key_cells(key: Widget, *, compact: bool) -> int:
    """Cells a key takes in the row (FooterKey's and Footer's CSS in textual's Footer)."""
    display: str = getattr(key, "key_display", "")
    description: str = getattr(key, "description", "")
    label = cell_len(display) + (cell_len(description) + 1 if description else 0)
    # Padding 1 each side, or in compact mode a right margin of 1; the palette key keeps one
    # cell of padding in compact mode too.
    palette = 1 if compact and key.has_class("-command-palette") else 0
    return label + (1 if compact else 2) + palette


class ChatFooter(Footer):
    # What the keys shown were composed from; None: compose again whatever happens (nothing was
    # composed yet, e.g. before the bindings were ready).
    _composed_from: tuple[Any, ...] | None = None

    def _keys_input(self) -> tuple[Any, ...]:
        """Everything `compose` reads: the active bindings (with their enabled state and
        tooltip), the width, compact mode, whether the palette key shows."""
        bindings = tuple((b, on, tip) for _, b, on, tip in self.screen.active_bindings.values())
        width = self.size.width or self.app.size.width
        return (width, self.compact, self.show_command_palette, bindings)

    async def recompose(self) -> None:
        """perf: only when the keys would change. Each rebuild cost ~20 ms and a layout of the
        whole screen (~20-50 ms with a long conversation mounted), and Textual asks for one
        at every focus change: a branch switch asked for up to four."""
        shown = self._composed_from
        if shown is not None and self.is_attached and self._keys_input() == shown:
            return
        await super().recompose()

    def compose(self) -> ComposeResult:
        widgets: list[Widget] = list(super().compose())
        # Nothing composed: the bindings are not ready (reading them now could fail).
        self._composed_from = self._keys_input() if widgets else None
        width = self.size.width or self.app.size.width
        compact = self.compact

        def row_cells() -> int:
            return sum(_key_cells(w, compact=compact) for w in widgets if _is_key(w))

        for action in DROP_ORDER:
            if row_cells() <= width:
                break
            widgets = [
                w
                for w in widgets
                if not (_is_key(w) and _action_name(getattr(w, "action", "")) == action)
            ]
        yield from widgets

    def on_resize(self, event: Resize) -> None:
        compact = event.size.width < COMPACT_BELOW
        if compact != self.compact:
            self.compact = compact
        self.call_after_refresh(self.recompose)
