"""One tool call: a collapsible titled with the function name and a one-line summary of its
arguments (`▶ get_weather city=Paris`, cut with … at the width), the arguments as highlighted JSON
inside."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.content import Content
from textual.widgets import Collapsible, Static

from tensorx_tui.core.sanitize import one_line
from tensorx_tui.core.sanitize import safe_terminal_text as safe_text

SUMMARY_CHARS = 300  # more than any terminal row; the title's CSS cuts it to the width


def arguments_summary(arguments: str) -> str:
    """ "city=Paris units=metric" for a JSON object's top-level keys (strings bare, anything else
    as compact JSON), the compact JSON of any other value, or "" when the text does not parse.
    One line of safe text: arguments come from the model."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except (ValueError, RecursionError):
        return ""

    def shown(item: object) -> str:
        if isinstance(item, str):
            return item
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))

    if isinstance(value, dict):
        text = " ".join(f"{key}={shown(item)}" for key, item in value.items())
    else:
        text = shown(value)
    return one_line(text, SUMMARY_CHARS)


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
    ToolCallView > CollapsibleTitle {
        max-width: 100%; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, name: str) -> None:
        self._args_view = Static(Text(""))
        # A Content title: a str title would be parsed as markup.
        super().__init__(self._args_view, title=self._make_title(name, final=False), collapsed=True)  # type: ignore[arg-type]
        self.call_name = name
        self.arguments = ""

    @staticmethod
    def _make_title(name: str, *, final: bool, arguments: str = "") -> Content:
        # Content, never markup: the name and the arguments are the model's text.
        label = one_line(name, 200) or "(unnamed tool)"
        if not final:
            return Content(label + " …")
        summary = arguments_summary(arguments)
        return Content.assemble(label, *((" ", (summary, "$text-muted")) if summary else ()))

    def set_name(self, name: str) -> None:
        if name != self.call_name:
            self.call_name = name
            self.title = self._make_title(name, final=False)  # type: ignore[assignment]

    def show_arguments(self, arguments: str, *, final: bool) -> None:
        self.arguments = arguments
        dark = self.app.current_theme.dark
        self._args_view.update(arguments_renderable(arguments, final=final, dark=dark))
        if final:
            title = self._make_title(self.call_name, final=True, arguments=arguments)
            self.title = title  # type: ignore[assignment]
