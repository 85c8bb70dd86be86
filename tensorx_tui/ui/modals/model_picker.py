"""Pick a model from GET /models, narrowed by a fuzzy filter.

Model ids come from the server: they are shown as plain `Content`, never parsed as markup (Textual's
own `Matcher.highlight` parses its candidate as markup, so the highlighting is done here).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import FuzzySearch
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tensorx_tui.core.endpoint import APIError
from tensorx_tui.core.sanitize import one_line

ModelLoader = Callable[[], Awaitable[list[str]]]

LIST_ROWS = 16  # the most rows the list takes on a tall terminal
# Rows of the screen besides the list: the dialog's border (2) and padding (2), the title and its
# margin (2), the filter box (3), the status line (1), and the footer (1). See app.tcss.
CHROME_ROWS = 11


def rank_models(query: str, models: list[str]) -> list[tuple[str, Content]]:
    """Models matching `query` (a subsequence, any case), best first, each with its highlight."""
    if not query:
        return [(m, Content(one_line(m))) for m in models]
    search = FuzzySearch()
    scored = []
    for index, model in enumerate(models):
        score, offsets = search.match(query, model)
        if score > 0:
            content = Content(model)
            for offset in offsets:
                content = content.stylize("bold reverse", offset, offset + 1)
            scored.append((-score, index, model, content))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(model, content) for _, _, model, content in scored]


class ModelPickerModal(ModalScreen[str | None]):
    """Dismisses with the chosen model id (or the typed text when nothing matches), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, load_models: ModelLoader, current: str) -> None:
        super().__init__(classes="modal")
        self.load_models = load_models
        self.current = current
        self.models: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(Content.assemble("Model (now ", (one_line(self.current), "bold"), ")"))
            yield Input(placeholder="type to filter; enter picks", id="model-filter")
            yield Static(Content("Loading models…"), id="model-status")
            yield OptionList(id="model-list")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.fit_list(self.app.size.height)
        self.load()

    def on_resize(self, event: events.Resize) -> None:
        self.fit_list(event.size.height)

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

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one("#model-status", Static)
        try:
            self.models = await self.load_models()
        except APIError as exc:
            status.update(
                Content(
                    f"Could not list models: {one_line(exc.message)}\n"
                    "Type a model id and press enter."
                )
            )
            status.add_class("error")
            return
        self.refill()

    @on(Input.Changed, "#model-filter")
    def refill(self) -> None:
        query = self.query_one(Input).value.strip()
        options = self.query_one(OptionList)
        ranked = rank_models(query, self.models)
        if self.models:
            shown = f"{len(ranked)} of {len(self.models)}" if query else str(len(self.models))
            self.query_one("#model-status", Static).update(Content(f"{shown} models"))
        options.clear_options()
        options.add_options(Option(content, id=model) for model, content in ranked)
        if ranked:
            ids = [model for model, _ in ranked]
            options.highlighted = (
                ids.index(self.current) if not query and self.current in ids else 0
            )
            # Scrolled to once the list has its size: set before layout, it may be out of view.
            self.call_after_refresh(self.show_highlighted)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(Input.Submitted, "#model-filter")
    def choose_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
            return
        typed = self.query_one(Input).value.strip()
        if typed:
            self.dismiss(typed)

    @on(OptionList.OptionSelected)
    def choose_clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
