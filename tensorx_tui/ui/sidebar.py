"""The saved-conversations sidebar: a filter box (full-text search) over a list, newest first.

Only a page of conversations is in the list at a time (`PAGE`, more as the highlight nears the
end), so 10,000 saved conversations cost what 200 do. Titles and snippets are untrusted text:
they become `Content` (never markup) with control characters replaced one for one, so the
search's highlight offsets still point at the matched words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Final

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tensorx_tui.core.sanitize import one_line
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.records import ConversationId, ConversationSummary, SearchHit
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.modals.rename import RenameModal
from tensorx_tui.ui.sidebar_rows import summary_prompt

PAGE: Final = 200
SEARCH_LIMIT: Final = 100
FILTER_DEBOUNCE_S: Final = 0.15

StoreSource = Callable[[], Store | None]


class ConversationList(OptionList):
    """The list. Typing here refines the filter: a word typed while the list has the focus
    (someone expecting the filter) must never run a command, so rename and delete sit on keys
    nobody types inside a word (F2, Delete)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "rename", "Rename"),
        Binding("delete", "delete", "Delete"),
    ]

    def action_rename(self) -> None:
        self.query_ancestor(ConversationSidebar).rename_highlighted()

    def action_delete(self) -> None:
        self.query_ancestor(ConversationSidebar).delete_highlighted()

    def action_cursor_up(self) -> None:
        if not self.highlighted:  # on the first row (or none): up goes back to the filter
            # set_focus, not focus(): that would queue the move behind keys already typed.
            self.screen.set_focus(self.query_ancestor(ConversationSidebar).filter_input)
            return
        super().action_cursor_up()

    def on_key(self, event: events.Key) -> None:
        """A printable key (or backspace) edits the filter, at its end, and moves there."""
        sidebar = self.query_ancestor(ConversationSidebar)
        if sidebar.dialog_open:
            # Typed on after F2 or Delete, before the dialog took the focus: the keys are the
            # dialog's (an Enter there is Cancel's), never the list's (an Enter here opens).
            event.stop()
            event.prevent_default()
            self.app.post_message(event.copy())
            return
        if event.key in ("f2", "delete"):
            # Run here, in this key's turn, not as a binding (bindings run later, in the app,
            # against whatever has the focus then): the dialog must count as open before this
            # widget reads the next key, which may already wait in its queue.
            event.stop()
            event.prevent_default()
            if event.key == "f2":
                self.action_rename()
            else:
                self.action_delete()
            return
        if event.key != "backspace" and not (event.is_printable and event.character):
            return
        event.stop()
        event.prevent_default()
        box = sidebar.filter_input
        # Inserted here, in this key's turn: keys typed after it may already wait in this
        # widget's queue, and they must land after it, in order.
        box.cursor_position = len(box.value)
        if event.key == "backspace":
            box.action_delete_left()
        else:
            box.insert_text_at_cursor(event.character or "")
        self.screen.set_focus(box)


class FilterInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "to_list", "List", show=False),
    ]

    def action_to_list(self) -> None:
        # set_focus, not focus(): that would queue the move behind keys already typed,
        # and a key typed right after would land in the filter box.
        self.screen.set_focus(self.query_ancestor(ConversationSidebar).option_list)


class ConversationSidebar(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
    ]

    @dataclass
    class OpenRequested(Message):
        conv_id: ConversationId
        message_id: int | None = None  # a search hit: the message found (its branch is shown)

    @dataclass
    class Deleted(Message):
        conv_id: ConversationId

    class CloseRequested(Message):
        pass

    def __init__(self, store: StoreSource, *, id: str | None = "sidebar") -> None:
        super().__init__(id=id)
        self._store = store
        self._summaries: dict[ConversationId, ConversationSummary] = {}
        self._hits: dict[ConversationId, SearchHit] = {}
        self._loaded = 0  # conversations of the unfiltered list shown so far
        self._total = 0
        self._query = ""
        self._debounce: Timer | None = None
        self._dialog_open = False  # rename or delete asks: one dialog at a time
        self.current_id: ConversationId | None = None

    def compose(self) -> ComposeResult:
        # No select-all on focus: a key typed in the list is added to the filter, and the
        # next one must not replace it.
        yield FilterInput(
            placeholder="Filter (full text)…", id="sidebar-filter", select_on_focus=False
        )
        yield ConversationList(id="sidebar-list", markup=False)
        yield Static(Content(""), id="sidebar-status")

    @property
    def filter_input(self) -> Input:
        return self.query_one("#sidebar-filter", Input)

    @property
    def option_list(self) -> ConversationList:
        return self.query_one("#sidebar-list", ConversationList)

    @property
    def is_open(self) -> bool:
        return self.display

    @property
    def dialog_open(self) -> bool:
        """A rename or delete dialog of this sidebar is open (or opening)."""
        return self._dialog_open

    def open(self) -> None:
        self.display = True
        self.reload()
        self.filter_input.focus()

    def close(self) -> None:
        self.display = False
        self.post_message(self.CloseRequested())

    def action_close(self) -> None:
        self.close()

    # -- loading ----------------------------------------------------------------------------

    def reload_if_open(self) -> None:
        """After a conversation changed: the list follows, when it is shown."""
        if self.is_open:
            self.reload()

    def reload(self) -> None:
        """Fill the list again from the store (the filter's matches, or the newest page)."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        store = self._store()
        keep = self.highlighted_id
        self._summaries.clear()
        self._hits.clear()
        self._loaded = self._total = 0
        options: list[Option] = []
        try:
            if store is None:
                self._set_status("Conversations are not being saved.")
            elif self._query.strip():
                hits = store.search(self._query, limit=SEARCH_LIMIT)
                options = [self._option(h.conversation, h) for h in hits]
                more = "+" if len(hits) >= SEARCH_LIMIT else ""
                self._set_status(f"{len(hits)}{more} matching")
            else:
                self._total = store.count_conversations()
                summaries = store.list_conversations(limit=PAGE)
                self._loaded = len(summaries)
                options = [self._option(s) for s in summaries]
                self._set_status(self._count_text())
        except StoreError as exc:
            self._set_status(f"Cannot read conversations: {one_line(str(exc), 200)}")
        listing = self.option_list
        listing.set_options(options)
        if options:
            index = listing.get_option_index(keep) if keep in self._summaries else 0
            listing.highlighted = index

    def _count_text(self) -> str:
        if not self._total:
            return "No saved conversations yet."
        shown = f"{self._loaded:,} of {self._total:,}" if self._loaded < self._total else ""
        noun = "conversation" if self._total == 1 else "conversations"
        return shown + " shown" if shown else f"{self._total:,} {noun}"

    def _option(self, summary: ConversationSummary, hit: SearchHit | None = None) -> Option:
        self._summaries[summary.id] = summary
        if hit is not None:
            self._hits[summary.id] = hit
        prompt = summary_prompt(summary, hit, current=summary.id == self.current_id)
        return Option(prompt, id=summary.id)

    def _load_more(self) -> None:
        store = self._store()
        if store is None or self._query.strip() or self._loaded >= self._total:
            return
        try:
            summaries = store.list_conversations(limit=PAGE, offset=self._loaded)
        except StoreError as exc:
            self._set_status(f"Cannot read conversations: {one_line(str(exc), 200)}")
            return
        # Another instance may have added conversations meanwhile: skip ones already listed.
        fresh = [s for s in summaries if s.id not in self._summaries]
        self._loaded += len(summaries)
        self.option_list.add_options([self._option(s) for s in fresh])
        self._set_status(self._count_text())

    def _set_status(self, text: str) -> None:
        self.query_one("#sidebar-status", Static).update(Content(text))

    @property
    def highlighted_id(self) -> ConversationId | None:
        listing = self.option_list
        if listing.highlighted is None or not listing.option_count:
            return None
        return listing.get_option_at_index(listing.highlighted).id

    def mark_current(self, conv_id: ConversationId | None) -> None:
        """Show which conversation is open (▸)."""
        previous, self.current_id = self.current_id, conv_id
        for changed in (previous, conv_id):
            if changed is not None and changed in self._summaries:
                prompt = summary_prompt(
                    self._summaries[changed], self._hits.get(changed), current=changed == conv_id
                )
                self.option_list.replace_option_prompt(changed, prompt)

    # -- events -----------------------------------------------------------------------------

    @on(Input.Changed, "#sidebar-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(FILTER_DEBOUNCE_S, self.reload)

    @on(Input.Submitted, "#sidebar-filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._debounce is not None:  # Enter before the debounce fired: search now
            self.reload()
        conv_id = self.highlighted_id
        if conv_id is not None:
            self.post_message(self.OpenRequested(conv_id, self._hit_message(conv_id)))

    @on(OptionList.OptionSelected, "#sidebar-list")
    def option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            conv_id = event.option.id
            self.post_message(self.OpenRequested(conv_id, self._hit_message(conv_id)))

    def _hit_message(self, conv_id: ConversationId) -> int | None:
        """The message a search found in this conversation (None: no search, or the title)."""
        hit = self._hits.get(conv_id) if self._query.strip() else None
        return None if hit is None else hit.message_id

    @on(OptionList.OptionHighlighted, "#sidebar-list")
    def option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index >= self.option_list.option_count - 10:
            self._load_more()

    # -- rename / delete --------------------------------------------------------------------

    def rename_highlighted(self) -> None:
        conv_id = self.highlighted_id
        store = self._store()
        if conv_id is None or store is None or self._dialog_open:
            return
        summary = self._summaries[conv_id]

        def renamed(title: str | None) -> None:
            self._dialog_open = False
            if not title:
                return
            try:
                store.rename(conv_id, title)
            except StoreError as exc:
                self.notify(one_line(str(exc), 300), severity="error", markup=False)
                return
            self.reload()

        self._dialog_open = True
        self.app.push_screen(RenameModal(summary.title), renamed)

    def delete_highlighted(self) -> None:
        conv_id = self.highlighted_id
        store = self._store()
        if conv_id is None or store is None or self._dialog_open:
            return
        title = one_line(self._summaries[conv_id].title or "(untitled)", 80)

        def answered(yes: bool | None) -> None:
            self._dialog_open = False
            if not yes:
                return
            try:
                store.delete(conv_id)
            except StoreError as exc:
                self.notify(one_line(str(exc), 300), severity="error", markup=False)
                return
            listing = self.option_list
            index = listing.highlighted
            listing.remove_option(conv_id)
            del self._summaries[conv_id]
            self._total = max(0, self._total - 1)
            self._loaded = max(0, self._loaded - 1)
            if listing.option_count and index is not None:
                listing.highlighted = min(index, listing.option_count - 1)
            if not self._query.strip():
                self._set_status(self._count_text())
            listing.focus()
            self.post_message(self.Deleted(conv_id))

        self._dialog_open = True
        self.app.push_screen(
            ConfirmModal(f"Delete “{title}” and all its messages?", yes="Delete"), answered
        )
