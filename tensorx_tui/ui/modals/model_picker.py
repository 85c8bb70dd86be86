"""Pick a model of any configured endpoint, narrowed by a fuzzy filter.

Each endpoint's models are listed under a header (when there is more than one), with their context
window, prices and capabilities (ui/model_choices.py builds the rows). The catalogs load in the
background (profile_endpoints.py): the list fills in as each arrives. Model ids come from servers:
they are shown as plain `Content`, never parsed as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tensorx_tui.core.sanitize import one_line
from tensorx_tui.profile_endpoints import ProfileEndpoint, ProfileEndpoints
from tensorx_tui.ui.model_choices import (
    ModelChoice,
    PickerGroup,
    PickerRow,
    groups_of,
    legend,
    picker_rows,
)

_DEFAULT_ROW_CELLS = 60  # before the list has a size
_ROW_GUTTER = 4  # the list's padding (2) and its scrollbar (2)
LIST_ROWS = 16  # the most rows the list takes on a tall terminal
# Rows of the screen besides the list: the dialog's border (2) and padding (2), the title and its
# margin (2), the filter box (3), the status line (1), and the footer (1). See app.tcss.
CHROME_ROWS = 11


class ModelPickerModal(ModalScreen[ModelChoice | None]):
    """Dismisses with the chosen model (or the typed text, on the endpoint in use, when nothing
    matches), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, endpoints: ProfileEndpoints, current: str) -> None:
        super().__init__(classes="modal")
        self.endpoints = endpoints
        self.current = ModelChoice(endpoints.current.name, current)
        self.rows: list[PickerRow] = []

    def compose(self) -> ComposeResult:
        now = one_line(self.current.model)
        several = len(self.endpoints.all()) > 1
        where = f" on {one_line(self.endpoints.current.label)}" if several else ""
        with Vertical(classes="dialog wide picker"):
            yield Label(Content.assemble("Model (now ", (now, "bold"), where, ")"))
            yield Input(placeholder="type to filter; enter picks", id="model-filter")
            yield Static(Content("Loading models…"), id="model-status")
            yield OptionList(id="model-list")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.fit_list(self.app.size.height)
        self.endpoints.subscribe(self.endpoint_changed)
        self.endpoints.load_others()
        self.refill()

    def on_unmount(self) -> None:
        self.endpoints.unsubscribe(self.endpoint_changed)

    def endpoint_changed(self, _entry: ProfileEndpoint) -> None:
        if self.is_attached:
            self.refill(keep=True)

    def on_resize(self, event: events.Resize) -> None:
        self.fit_list(event.size.height)
        self.refill(keep=True)

    def fit_list(self, screen_rows: int) -> None:
        """Let the list take what the terminal has left (at least 3 rows, at most LIST_ROWS) so
        the whole dialog shows, and keep the highlighted model in view."""
        options = self.query_one(OptionList)
        options.styles.max_height = max(3, min(LIST_ROWS, screen_rows - CHROME_ROWS))
        self.call_after_refresh(self.show_highlighted)

    def show_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            options.scroll_to_highlight()

    @on(Input.Changed, "#model-filter")
    def filter_changed(self) -> None:
        self.refill(keep=False)

    def refill(self, *, keep: bool = False) -> None:
        """Rebuild the rows. `keep`: the highlighted model stays highlighted (a catalog arrived,
        the size changed); otherwise the best match is (the model in use with no filter)."""
        query = self.query_one(Input).value.strip()
        options = self.query_one(OptionList)
        width = options.size.width - _ROW_GUTTER if options.size.width else _DEFAULT_ROW_CELLS
        groups = groups_of(self.endpoints)
        chosen = self.chosen()
        self.rows = picker_rows(groups, query, width)
        self.show_status(groups, query)
        options.clear_options()
        options.add_options(
            Option(row.content, id=str(index), disabled=row.choice is None)
            for index, row in enumerate(self.rows)
        )
        choices = [row.choice for row in self.rows]
        wanted = chosen if keep and chosen is not None else None if query else self.current
        if wanted is not None and wanted in choices:
            options.highlighted = choices.index(wanted)
        else:
            options.highlighted = next((i for i, c in enumerate(choices) if c is not None), None)
        # Scrolled to once the list has its size: set before layout, it may be out of view.
        self.call_after_refresh(self.show_highlighted)

    def show_status(self, groups: list[PickerGroup], query: str) -> None:
        status = self.query_one("#model-status", Static)
        models = [m for g in groups for m in g.models]
        matching = sum(1 for row in self.rows if row.choice is not None)
        if not models:
            failed = all(g.error for g in groups)
            status.set_class(failed, "error")
            loading = any(g.note == "loading models…" for g in groups)
            text = "Loading models…" if loading else "Type a model id and press enter."
            status.update(Content(text))
            return
        status.set_class(False, "error")
        shown = f"{matching} of {len(models)}" if query else str(len(models))
        key = legend(models)
        status.update(Content(f"{shown} models" + (f" · {key}" if key else "")))

    def chosen(self) -> ModelChoice | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not 0 <= index < len(self.rows):
            return None
        return self.rows[index].choice

    def action_move(self, step: int) -> None:
        """Up and down skip the headers and notes."""
        options = self.query_one(OptionList)
        selectable = [i for i, row in enumerate(self.rows) if row.choice is not None]
        if not selectable:
            return
        now = options.highlighted
        if now is None:
            options.highlighted = selectable[0 if step > 0 else -1]
            return
        after = [i for i in selectable if (i > now if step > 0 else i < now)]
        if after:
            options.highlighted = after[0] if step > 0 else after[-1]

    @on(Input.Submitted, "#model-filter")
    def choose_highlighted(self) -> None:
        choice = self.chosen()
        if choice is not None:
            self.dismiss(choice)
            return
        typed = self.query_one(Input).value.strip()
        if typed:
            self.dismiss(ModelChoice(self.current.profile, typed))

    @on(OptionList.OptionSelected)
    def choose_clicked(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or -1)
        if 0 <= index < len(self.rows) and self.rows[index].choice is not None:
            self.dismiss(self.rows[index].choice)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
