"""Edit the conversation's system prompt, temperature and max_tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from tensorx_tui.core.params import parse_max_tokens, parse_temperature


@dataclass(frozen=True)
class Params:
    system: str | None
    temperature: float | None
    max_tokens: int | None


def parse_params(system: str, temperature: str, max_tokens: str) -> Params | str:
    """The parameters, or a message saying what is wrong. Empty fields mean "server default"."""
    temp: float | None = None
    if temperature.strip():
        parsed = parse_temperature(temperature)
        if isinstance(parsed, str):
            return parsed
        temp = parsed
    tokens: int | None = None
    if max_tokens.strip():
        count = parse_max_tokens(max_tokens)
        if isinstance(count, str):
            return count
        tokens = count
    return Params(system=system.strip() or None, temperature=temp, max_tokens=tokens)


class ParamsModal(ModalScreen[Params | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, current: Params) -> None:
        super().__init__(classes="modal")
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical(classes="dialog wide"):
            yield Label("System prompt (this conversation)")
            yield TextArea(c.system or "", id="system", soft_wrap=True, compact=True)
            with Horizontal(classes="fields"):
                yield Label("temperature")
                yield Input(
                    "" if c.temperature is None else str(c.temperature),
                    placeholder="default",
                    id="temperature",
                )
                yield Label("max_tokens")
                yield Input(
                    "" if c.max_tokens is None else str(c.max_tokens),
                    placeholder="default",
                    id="max-tokens",
                )
            yield Static("", id="params-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#system", TextArea).focus()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        result = parse_params(
            self.query_one("#system", TextArea).text,
            self.query_one("#temperature", Input).value,
            self.query_one("#max-tokens", Input).value,
        )
        if isinstance(result, str):
            self.query_one("#params-error", Static).update(Content(result))
            return
        self.dismiss(result)

    @on(Button.Pressed, "#cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
