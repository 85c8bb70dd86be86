"""Every chat action in the command palette (next to Textual's own: theme, keys, quit...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from tensorx_tui.ui.chat_screen import ChatScreen

# (title, help, action on the chat screen)
CHAT_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("New conversation", "Start over with an empty conversation (ctrl+n)", "new_conversation"),
    (
        "Cancel reply",
        "Stop the streaming reply, keeping its text, or the running tool calls (esc)",
        "cancel",
    ),
    ("Regenerate reply", "Ask again for the last reply (ctrl+r)", "regenerate"),
    ("Switch model", "Pick a model from the endpoint's list (ctrl+o)", "pick_model"),
    ("Edit parameters", "System prompt, temperature, max_tokens (ctrl+g)", "edit_params"),
    (
        "Copy reply or code block",
        "Copy the last reply or one of its code blocks (ctrl+l)",
        "copy_reply",
    ),
    (
        "Answer tool calls",
        "Give the results of the model's pending tool calls (ctrl+t)",
        "answer_tools",
    ),
    (
        "Tools",
        "MCP servers and their tools: switch one off for this conversation (ctrl+f)",
        "show_tools",
    ),
    (
        "Attach a file",
        "An image or a text file for the next message (alt+a; or type @path in the prompt)",
        "attach_file",
    ),
    ("Jump to bottom", "Follow the conversation again (ctrl+down)", "follow_bottom"),
    (
        "Saved conversations",
        "Show or hide the sidebar: type to filter, enter opens, F2 renames, Delete deletes"
        " (ctrl+b)",
        "toggle_sidebar",
    ),
    ("Rename conversation", "Give this conversation another title", "rename_conversation"),
    (
        "Export as Markdown",
        "Write this conversation to <data dir>/exports as Markdown (ctrl+s)",
        "export('md')",
    ),
    (
        "Export as JSON",
        "Write this conversation to <data dir>/exports as JSON (importable)",
        "export('json')",
    ),
    (
        "Recall last message",
        "Put the last message back in the prompt (↑ in an empty prompt)",
        "recall",
    ),
)


def chat_commands(screen: ChatScreen) -> Iterator[SystemCommand]:
    """The commands that make sense right now (the same rule as the footer's keys)."""
    for title, help_text, action in CHAT_COMMANDS:
        if screen.check_action(action.partition("(")[0], ()) is not True:
            continue

        async def run(action: str = action) -> None:
            await screen.run_action(action)

        yield SystemCommand(title, help_text, run)
