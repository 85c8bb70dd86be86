"""The key footer, fitted to the terminal: on a narrow one the lesser keys step aside.

Textual's Footer lays every key in one row and lets the rest run past the edge, so at 80 columns
"^q Quit" was cut off. Here keys are left out, least important first, until the row fits; they all
stay bound, and the command palette (always shown) lists every action.
"""

from __future__ import annotations

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
    def compose(self) -> ComposeResult:
        widgets: list[Widget] = list(super().compose())
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
