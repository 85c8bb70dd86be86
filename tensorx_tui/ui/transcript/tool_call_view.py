"""One tool call: a collapsible titled with the function name, its arguments as highlighted JSON."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.content import Content
from textual.widgets import Collapsible, Static

from tensorx_tui.core.sanitize import safe_terminal_text as safe_text


def arguments_renderable(arguments: str, *, final: bool, dark: bool = True) -> RenderableType:
    """Pretty JSON when the text parses, else the raw text (with a note once the call is done)."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except (ValueError, RecursionError) as exc:  # RecursionError: thousands of nested "["
        raw = Text(safe_text(arguments) or "(empty)")
        if not final:
            return raw
        note = Text(f"not valid JSON: {safe_text(str(exc))}", style="bold yellow")
        return Group(note, raw)
    pretty = safe_text(json.dumps(value, indent=2, ensure_ascii=False))
    return Syntax(pretty, "json", theme="monokai" if dark else "default", word_wrap=True)


class ToolCallView(Collapsible):
    DEFAULT_CSS = """
    ToolCallView { height: auto; margin: 0 0 1 0; padding: 0; border: none; }
    """

    def __init__(self, name: str) -> None:
        self._args_view = Static(Text(""))
        # A Content title: a str title would be parsed as markup.
        super().__init__(self._args_view, title=self._make_title(name, final=False), collapsed=True)  # type: ignore[arg-type]
        self.call_name = name
        self.arguments = ""

    @staticmethod
    def _make_title(name: str, *, final: bool) -> Content:
        label = safe_text(name) or "(unnamed tool)"
        return Content(label if final else label + " …")

    def set_name(self, name: str) -> None:
        if name != self.call_name:
            self.call_name = name
            self.title = self._make_title(name, final=False)  # type: ignore[assignment]

    def show_arguments(self, arguments: str, *, final: bool) -> None:
        self.arguments = arguments
        dark = self.app.current_theme.dark
        self._args_view.update(arguments_renderable(arguments, final=final, dark=dark))
        if final:
            self.title = self._make_title(self.call_name, final=True)  # type: ignore[assignment]
