"""Ask the user whether one MCP tool call may run: allow once, for this session, always (saved
to the config file), or deny, with a reason the model is told."""

from __future__ import annotations

import json
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from tensorx_tui.chat.tool_loop import ApprovalRequest, Decision
from tensorx_tui.core.sanitize import one_line, safe_terminal_text

_SCOPES: dict[str, Literal["once", "session", "saved"]] = {
    "allow-once": "once",
    "allow-session": "session",
    "allow-saved": "saved",
}
ARGUMENTS_SHOWN = 20_000  # characters; the box scrolls, but a megabyte would stall the layout


def arguments_text(request: ApprovalRequest) -> str:
    """Pretty-printed arguments, terminal-safe (raw text with a note when not JSON)."""
    if request.arguments_error is not None:
        text = request.call.arguments_text or "(empty)"
        note = f"\n(not valid JSON: {request.arguments_error}; the call would fail)"
    else:
        text = json.dumps(request.arguments, indent=2, ensure_ascii=False)
        note = ""
    if len(text) > ARGUMENTS_SHOWN:
        text = text[:ARGUMENTS_SHOWN] + f"\n… {len(text) - ARGUMENTS_SHOWN:,} more characters"
    return safe_terminal_text(text + note)


class ToolApprovalModal(ModalScreen[Decision]):
    """Dismissed with the user's `Decision` (esc denies)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "deny", "Deny")]

    def __init__(self, request: ApprovalRequest, *, save_problem: str | None = None) -> None:
        """`save_problem`: why "always" cannot be saved to the config file (None: it can)."""
        super().__init__(classes="modal")
        self.request = request
        self.save_problem = save_problem

    def compose(self) -> ComposeResult:
        request = self.request
        server = one_line(request.server, 60) or "(no server)"
        dialog = Vertical(classes="dialog wide", id="approval")
        dialog.border_title = "Run this tool?"
        with dialog:
            yield Label(
                Content.assemble(
                    ("MCP server ", "$text-muted"),
                    (server, "bold"),
                    ("  tool ", "$text-muted"),
                    (one_line(request.tool, 80), "bold $accent"),
                ),
                id="approval-tool",
            )
            with VerticalScroll(classes="tool-arguments", id="approval-arguments"):
                yield Static(Content(arguments_text(request)))
            yield Label("Deny with a reason (optional, told to the model; enter denies):")
            yield Input(placeholder="reason", id="deny-reason")
            with Horizontal(classes="buttons", id="approval-buttons"):
                yield Button("Allow once", variant="primary", id="allow-once", compact=True)
                yield Button("Always this session", id="allow-session", compact=True)
                yield Button(
                    "Always (save to config)",
                    id="allow-saved",
                    compact=True,
                    disabled=self.save_problem is not None,
                )
                yield Button("Deny", variant="error", id="deny", compact=True)
            if self.save_problem is not None:
                note = "Not saved to the config: " + one_line(self.save_problem, 200)
                yield Static(Content(note), id="approval-save-note")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#allow-once", Button).focus()

    @property
    def reason(self) -> str:
        return self.query_one("#deny-reason", Input).value.strip()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        scope = _SCOPES.get(event.button.id or "")
        if scope is not None:
            self.dismiss(Decision(True, scope=scope))
        else:
            self.action_deny()

    @on(Input.Submitted, "#deny-reason")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_deny()

    def action_deny(self) -> None:
        self.dismiss(Decision.deny(self.reason))
