"""What makes a shown message one the user can pick: focus (ctrl+↑ from the prompt, then ↑ ↓),
and the keys that act on it. The keys call the chat screen's branch actions (ui/branches.py),
so the footer shows them while a message has focus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

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


def mark_message(widget: Widget | None, message_id: int, position: tuple[int, int]) -> None:
    """Tell a shown message which saved one it is, and where it stands among alternatives."""
    if widget is None:
        return
    widget.message_id = message_id  # type: ignore[attr-defined]
    show = getattr(widget, "show_position", None)
    if show is not None:
        show(position)


def position_mark(position: tuple[int, int] | None) -> str:
    """`‹ 2/3 ›` for the second of three alternatives at a place; "" when there is one."""
    if position is None or position[1] < 2:
        return ""
    return f"‹ {position[0]}/{position[1]} ›"


# The printable keys bound above: any other one typed on a picked message goes to the prompt.
_BOUND: Final = frozenset({"e", "f", "left_square_bracket", "right_square_bracket"})


@dataclass
class TypedAway(Message):
    """A letter typed while a message had focus: meant for the prompt (the chat screen puts it
    there), so a sentence typed after picking a message does not fire its one-letter keys."""

    character: str


def typed_for_the_prompt(event: events.Key) -> str | None:
    """The character of a key a picked message does not use itself (for `TypedAway`)."""
    if event.key in _BOUND or not event.is_printable or not event.character:
        return None
    return event.character


class SelectableMessage:
    """The key handling the message widgets share (a mixin: Textual merges BINDINGS only from
    widget classes, so each widget names MESSAGE_BINDINGS itself)."""

    def on_key(self, event: events.Key) -> None:
        character = typed_for_the_prompt(event)
        if character is not None:
            event.stop()
            self.post_message(TypedAway(character))  # type: ignore[attr-defined]
