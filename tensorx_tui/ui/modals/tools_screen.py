"""The Tools screen: each MCP server with its state and tools, the `--tools FILE` tools, and
switches to leave a server or one tool out of this conversation's requests.

It follows the servers live: the app calls `refresh_list()` on every change. Server names,
descriptions and schemas are the servers' own words: shown as Content, never parsed as markup.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from tensorx_tui.chat.offered_tools import OfferedTools, ToolKind, function_name
from tensorx_tui.core.sanitize import one_line

if TYPE_CHECKING:
    from tensorx_tui.tools import ServerStatus, ToolInfo

STDERR_LINES_SHOWN = 6
_STATE_STYLE = {
    "starting": "bold $text-warning",
    "ready": "bold $text-success",
    "failed": "bold $text-error",
    "stopped": "$text-muted",
}


def parameters_summary(schema: Any, limit: int = 150) -> str:
    """ "city: string, unit?: celsius|fahrenheit" (`?`: optional), from a JSON schema."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not properties:
        return "no parameters"
    required = schema.get("required")
    required = set(required) if isinstance(required, list) else set()
    parts = []
    for name, spec in properties.items():
        kind = "any"
        if isinstance(spec, dict):
            if isinstance(spec.get("enum"), list):
                kind = "|".join(str(v) for v in spec["enum"])
            elif isinstance(spec.get("type"), str | list):
                kind = spec["type"] if isinstance(spec["type"], str) else "|".join(spec["type"])
        parts.append(f"{name}{'' if name in required else '?'}: {kind}")
    return one_line(", ".join(parts), limit)


def _switch(on: bool) -> tuple[str, str]:
    return ("[✓] ", "bold $text-success") if on else ("[ ] ", "$text-muted")


def wrapped(text: str, width: int, indent: str, style: str = "", lines: int = 2) -> list[Content]:
    """`text` on at most `lines` lines, each starting with `indent` (a wrapped Content would
    start its second line at the left edge)."""
    room = max(12, width - len(indent))
    cut = textwrap.wrap(one_line(text, 2000), room, max_lines=lines, placeholder=" …")
    return [Content.styled(indent + line, style) for line in cut or [""]]


def _tool_prompt(on: bool, name: str, description: str, schema: Any, width: int) -> Content:
    lines = [Content.assemble("    ", _switch(on), (one_line(name, 60), "bold"))]
    lines += wrapped(description or "(no description)", width, " " * 8)
    lines += wrapped(parameters_summary(schema), width, " " * 8, "$text-muted")
    return Content("\n").join(lines)


class ToolsScreen(ModalScreen[None]):
    HINT = "space/enter: on/off (this conversation) · r: restart a failed server"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("space", "switch", "On/off"),
        Binding("r", "restart", "Restart server"),
    ]

    def __init__(self, offered: OfferedTools) -> None:
        super().__init__(classes="modal")
        self.offered = offered
        self._targets: dict[str, tuple[ToolKind, str]] = {}

    def compose(self) -> ComposeResult:
        dialog = Vertical(classes="dialog wide", id="tools-dialog")
        dialog.border_title = Content("Tools")
        with dialog:
            yield Label(Content(self.HINT))
            yield OptionList(id="tools-list")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_list()
        self.query_one(OptionList).focus()

    def on_resize(self) -> None:
        self.refresh_list()  # the text is wrapped to the list's width

    @property
    def _width(self) -> int:
        """Cells for an option's text (its padding and the scrollbar left out)."""
        width = self.query_one(OptionList).scrollable_content_region.width - 2
        return width if width >= 20 else 72

    def refresh_list(self) -> None:
        """Rebuild the list from the servers' current state, keeping the highlighted row."""
        option_list = self.query_one(OptionList)
        highlighted = option_list.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        self._targets.clear()
        options: list[Option | None] = []
        servers = self.offered.servers
        for index, status in enumerate(servers.statuses() if servers is not None else []):
            if options:
                options.append(None)
            options += self._server_options(index, status)
        if self.offered.file_tools:
            if options:
                options.append(None)
            options += self._file_options()
        if not options:
            options.append(
                Option(
                    Content(
                        "No tools. Add an MCP server to the config file ([mcp.servers.NAME] with"
                        " command = ... or url = ...), or give --tools FILE."
                    ),
                    disabled=True,
                )
            )
        option_list.set_options(options)
        if keep is not None and keep in self._targets:
            option_list.highlighted = option_list.get_option_index(keep)
        elif option_list.highlighted is None:
            option_list.action_first()

    def _server_options(self, index: int, status: ServerStatus) -> list[Option | None]:
        on = self.offered.is_on("server", status.name)
        state = status.state.value
        head: list[str | tuple[str, str]] = [
            _switch(on),
            (one_line(status.name, 40), "bold"),
            "  ",
            (state, _STATE_STYLE.get(state, "")),
        ]
        if status.tools:
            count = len(status.tools)
            head.append((f" · {count} tool{'s' if count != 1 else ''}", "$text-muted"))
        width = self._width
        lines = [Content.assemble(*head), *wrapped(status.where, width, "    ", "$text-muted")]
        if status.reason:
            lines += wrapped(status.reason, width, "    ", "$text-error", lines=4)
        tail = status.stderr_tail.splitlines()[-STDERR_LINES_SHOWN:]
        if tail and state in ("failed", "stopped"):
            lines.append(Content.styled("    its last output:", "$text-muted"))
            lines += [wrapped(ln, width, "    │ ", "$text-muted", lines=1)[0] for ln in tail]
        option_id = f"server-{index}"
        self._targets[option_id] = ("server", status.name)
        options: list[Option | None] = [Option(Content("\n").join(lines), id=option_id)]
        options += [self._tool_option(index, n, tool, on) for n, tool in enumerate(status.tools)]
        return options

    def _tool_option(self, index: int, n: int, tool: ToolInfo, server_on: bool) -> Option:
        option_id = f"tool-{index}-{n}"
        self._targets[option_id] = ("tool", tool.namespaced)
        on = server_on and self.offered.is_on("tool", tool.namespaced)
        prompt = _tool_prompt(on, tool.name, tool.description, tool.input_schema, self._width)
        # A switched-off server's tools are greyed: its own switch decides.
        return Option(prompt, id=option_id, disabled=not server_on)

    def _file_options(self) -> list[Option | None]:
        title = Content.assemble(
            ("--tools FILE", "bold"), ("  answered by hand: you type each result", "$text-muted")
        )
        options: list[Option | None] = [Option(title, disabled=True)]
        for n, definition in enumerate(self.offered.file_tools):
            name = function_name(definition)
            function = definition.get("function")
            function = function if isinstance(function, dict) else {}
            description = function.get("description")
            option_id = f"file-{n}"
            self._targets[option_id] = ("file", name)
            prompt = _tool_prompt(
                self.offered.is_on("file", name),
                name or "(unnamed)",
                description if isinstance(description, str) else "",
                function.get("parameters"),
                self._width,
            )
            options.append(Option(prompt, id=option_id))
        return options

    def _highlighted_target(self) -> tuple[ToolKind, str] | None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None or option.disabled:
            return None
        return self._targets.get(option.id)

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_switch()

    def action_switch(self) -> None:
        target = self._highlighted_target()
        if target is not None:
            self.offered.toggle(*target)
            self.refresh_list()

    def action_restart(self) -> None:
        target = self._highlighted_target()
        servers = self.offered.servers
        if target is None or target[0] != "server" or servers is None:
            return
        if servers.status(target[1]).state.value in ("failed", "stopped"):
            servers.restart(target[1])  # its change is shown through refresh_list
        else:
            self.notify("Only a failed or stopped server restarts.", markup=False)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
