"""What makes a shown message one the user can pick: focus (ctrl+↑ from the prompt, then ↑ ↓),
and the keys that act on it. The keys call the chat screen's branch actions (ui/branches.py),
so the footer shows them while a message has focus."""

from __future__ import annotations

from typing import Final

from textual.binding import Binding, BindingType

MESSAGE_BINDINGS: Final[list[BindingType]] = [
    Binding("up", "screen.select_message(-1)", "Previous", show=False),
    Binding("down", "screen.select_message(1)", "Next", show=False),
    Binding("e", "screen.edit_message", "Edit"),
    Binding("left_square_bracket,ctrl+left", "screen.flip(-1)", "‹ Alt", key_display="["),
    Binding("right_square_bracket,ctrl+right", "screen.flip(1)", "Alt ›", key_display="]"),
    Binding("f", "screen.fork", "Fork"),
    Binding("escape", "screen.leave_message", "Prompt"),
]

SELECTED_CSS: Final = "background: $boost; border-left: thick $accent;"


def position_mark(position: tuple[int, int] | None) -> str:
    """`‹ 2/3 ›` for the second of three alternatives at a place; "" when there is one."""
    if position is None or position[1] < 2:
        return ""
    return f"‹ {position[0]}/{position[1]} ›"
