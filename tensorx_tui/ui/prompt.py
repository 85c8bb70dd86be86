"""The multi-line prompt: Enter sends, ctrl+j (or shift+enter) inserts a newline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea

from tensorx_tui.ui.path_completion import complete_path, expand, longest_completion
from tensorx_tui.ui.prompt_paths import at_token, pasted_image_path

BLINK_SECONDS = 10.0
"""The cursor blinks this long after the last key, then stays lit (as GNOME Terminal's blink
timeout does): each blink is a frame, and an app nobody is typing into should draw nothing."""

PLACEHOLDER = "Message…   enter sends · ctrl+j newline · ↑ recalls the last message"


class PromptInput(TextArea):
    """A TextArea where Enter sends. Up in an empty prompt recalls the last message sent."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: TextArea would otherwise take Enter for a newline before any binding runs.
        Binding("enter", "submit", "Send", priority=True),
        # ctrl+j works in every terminal; shift+enter only where the Kitty keyboard protocol is on.
        # priority, like Enter: a plain binding runs only after the key has gone round the app,
        # and letters typed after it (tmux send-keys, a fast typist) were inserted before it.
        Binding("ctrl+j,shift+enter", "newline", "Newline", show=False, priority=True),
        # Completes an `@path` being typed; anywhere else it moves the focus, as before.
        Binding("tab", "complete_path", "Complete", show=False, priority=True),
    ]
    allow_empty = False
    """Send even with no text (the screen sets it while attachments wait to be sent)."""
    cwd: Path = Path(".")
    """Where `@path` completion starts (the screen sets the working directory)."""

    @dataclass
    class PathCompletions(Message):
        """The `@path` being typed changed: its completions ([] when none or no @path)."""

        prompt: PromptInput
        typed: str | None
        choices: list[str]

        @property
        def control(self) -> PromptInput:
            return self.prompt

    @dataclass
    class PathChosen(Message):
        """Tab completed an `@path` to a file: the screen attaches it."""

        prompt: PromptInput
        path: Path

        @property
        def control(self) -> PromptInput:
            return self.prompt

    @dataclass
    class ImagePathPasted(Message):
        """A path to an image was pasted: the screen offers to attach it (else inserts `text`)."""

        prompt: PromptInput
        path: Path
        text: str

        @property
        def control(self) -> PromptInput:
            return self.prompt

    @dataclass
    class Submitted(Message):
        prompt: PromptInput
        text: str

        @property
        def control(self) -> PromptInput:
            return self.prompt

    @dataclass
    class RecallRequested(Message):
        """Up was pressed in an empty prompt: the screen answers with `recall()`."""

        prompt: PromptInput

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(self, *, id: str | None = None, placeholder: str = PLACEHOLDER) -> None:
        super().__init__(
            id=id, soft_wrap=True, tab_behavior="focus", compact=True, placeholder=placeholder
        )

    _held_steady = False  # by the screen, while a reply streams
    _blink_end: Timer | None = None

    def hold_cursor_steady(self, steady: bool) -> None:
        """A steady cursor while a reply streams (each blink repainted the prompt, two frames a
        second on top of the reply's); blinking again, for a while, when it ends."""
        self._held_steady = steady
        self._wake_cursor()

    def _wake_cursor(self) -> None:
        if self._blink_end is not None:
            self._blink_end.stop()
            self._blink_end = None
        self.cursor_blink = not self._held_steady
        if not self._held_steady:
            self._blink_end = self.set_timer(BLINK_SECONDS, self._rest_cursor)

    def _rest_cursor(self) -> None:
        self._blink_end = None
        self.cursor_blink = False

    def on_mount(self) -> None:
        self._wake_cursor()

    def on_key(self, event: events.Key) -> None:
        self._wake_cursor()  # not handled here: TextArea's own handler still gets the key

    def on_paste(self, event: events.Paste) -> None:
        self._wake_cursor()
        path = pasted_image_path(event.text, self.cwd)
        if path is not None:
            event.prevent_default()  # TextArea would insert it: the screen asks first
            self.post_message(self.ImagePathPasted(self, path, event.text))

    def action_submit(self) -> None:
        # A priority binding runs as soon as the app reads Enter, while keys typed just before it
        # (a fast typist, tmux send-keys, a paste without bracketed paste) may still wait in this
        # widget's queue. Queue the submit behind them so it sends the whole text.
        self.call_later(self._submit_now)

    def _submit_now(self) -> None:
        text = self.text
        if not text.strip() and not self.allow_empty:
            return
        self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        # Queued behind the keys already waiting in this widget, as the submit is.
        self.call_later(self.insert, "\n")

    def action_cursor_up(self, select: bool = False) -> None:
        if not self.text and not select:
            self.post_message(self.RecallRequested(self))
            return
        super().action_cursor_up(select)

    editing_last = False
    """A question was brought back to edit (↑, or `e` on an earlier one): sending makes a new
    branch there (chat_screen.send_prompt)."""

    editing_earlier = False
    """The question was picked to edit (`e`), not recalled with ↑: emptying the prompt does not
    end the edit (one often clears it to type the question anew); esc does
    (chat_screen.action_cancel)."""

    def set_editing_last(self, editing: bool, *, earlier: bool = False) -> None:
        self.editing_last = editing
        self.editing_earlier = editing and earlier
        if not editing:
            self.border_title = None
        elif earlier:
            self.border_title = "editing a message: Enter sends a new branch from it · esc cancels"
        else:
            self.border_title = (
                "editing the last message: Enter replaces it · clear the prompt to cancel"
            )

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if self.editing_last and not self.editing_earlier and not self.text:
            self.set_editing_last(False)  # cleared: a new message, not an edit
        self._report_completions()

    def _typed_path(self) -> str | None:
        row, column = self.cursor_location
        return at_token(self.document.get_line(row)[:column])

    def _report_completions(self) -> None:
        typed = self._typed_path()
        choices = complete_path(typed, self.cwd) if typed else []
        self.post_message(self.PathCompletions(self, typed, choices))

    def action_complete_path(self) -> None:
        typed = self._typed_path()
        if typed is None:
            self.screen.focus_next()
            return
        completed = longest_completion(typed, self.cwd) if typed else typed
        path = expand(completed, self.cwd)
        row, column = self.cursor_location
        start = (row, column - len(typed) - 1)  # the @ too
        if completed and not completed.endswith("/") and path.is_file():
            # One file: it becomes a chip, and the text names it (without the @).
            self.replace(path.name, start, (row, column))
            self.post_message(self.PathChosen(self, path))
        elif completed != typed:
            self.replace("@" + completed, start, (row, column))

    def recall(self, text: str) -> None:
        """Put `text` in the prompt with the cursor at its end, to edit and send again."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def take_text(self) -> str:
        """The prompt's text, clearing the prompt."""
        text = self.text
        self.clear()
        return text
