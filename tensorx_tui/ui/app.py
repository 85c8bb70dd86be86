"""The Textual app: `ChatApp(settings, client_factory=, open_store=)` and `run_chat(settings)`.

Nothing happens at import. The HTTP client is made when the app starts (from the injected factory,
so tests can hand in a MockTransport) and closed when it stops; so are the configured MCP servers
(started in the background, so the first frame never waits; with none configured the MCP SDK is
never imported). Conversations are saved only when
an `open_store` is given (`run_chat` gives `Store.open`): a Settings built in code has no data
dir of its own, and saving into the current directory by accident is never wanted.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from tensorx_tui.core.sanitize import one_line
from tensorx_tui.open_endpoint import EndpointHandle, open_endpoint
from tensorx_tui.profile_endpoints import ProfileEndpoints
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.records import ConversationId
from tensorx_tui.ui.chat_screen import ChatScreen
from tensorx_tui.ui.commands import chat_commands
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.modals.tools_screen import ToolsScreen
from tensorx_tui.ui.preferences import FILE_NAME as PREFERENCES_FILE
from tensorx_tui.ui.preferences import save_theme, saved_theme

if TYPE_CHECKING:
    from tensorx_tui.tools import ServerStatus, ToolServers

ClientFactory = Callable[[Settings], EndpointHandle]
StoreOpener = Callable[[Path], Store]


@dataclass
class ToolServerChanged(Message):
    """An MCP server changed state or tools (ToolServers calls back on the event loop)."""

    status: ServerStatus


class ChatApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "tensorx-chat"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        client_factory: ClientFactory = open_endpoint,
        *,
        open_store: StoreOpener | None = None,
        preferences: Path | None = None,
        conversation: ConversationId | None = None,
    ) -> None:
        """`preferences`: the file where the UI remembers things (the theme) between runs;
        None remembers nothing (a Settings built in code has no data dir of its own)."""
        super().__init__()
        self._open_first = conversation  # a saved conversation to show at start (chat -c)
        self.settings = settings
        self.client_factory = client_factory
        self.handle: EndpointHandle | None = None
        self.endpoints: ProfileEndpoints | None = None
        self._open_store = open_store
        self._preferences = preferences
        self._starting = True  # until the keys that came in during start-up are handled
        self._store: Store | None = None
        self._store_tried = False
        self._chat_screen: ChatScreen | None = None
        self.tool_servers: ToolServers | None = None

    def get_store(self) -> Store | None:
        """The store in settings.data_dir, opened once at the first need. One that cannot be
        opened (read-only, not a database, newer schema) is said once; the app goes on unsaved."""
        if not self._store_tried:
            self._store_tried = True
            if self._open_store is not None:
                try:
                    self._store = self._open_store(self.settings.data_dir)
                except StoreError as exc:
                    self.notify(
                        "Conversations will not be saved: " + one_line(str(exc), 500),
                        severity="warning",
                        markup=False,
                        timeout=12,
                    )
        return self._store

    async def on_mount(self) -> None:
        self.apply_theme(self.settings.theme)
        if not self.settings.theme and self._preferences is not None:
            remembered = saved_theme(self._preferences)
            if remembered in self.available_themes:  # one since removed is simply forgotten
                self.theme = remembered
        # Watched from here on: only a theme picked while the app runs is remembered.
        self.watch(self, "theme", self._remember_theme, init=False)
        self.handle = self.client_factory(self.settings)
        self.tool_servers = self._start_tool_servers()
        # Every configured endpoint; the one in use loads its model catalog after the first frame.
        self.endpoints = ProfileEndpoints(
            self.settings, self.client_factory, disk_cache=self._open_store is not None
        )
        chat = ChatScreen(
            self.settings,
            self.handle.client,
            self.get_store,
            tool_servers=self.tool_servers,
            endpoints=self.endpoints,
        )
        self._chat_screen = chat
        # Keys typed before the first frame wait in the app's queue, which runs only once this
        # method returns: mount the chat and focus its prompt first, or they go wherever focus
        # lands first (the hidden sidebar filter was the first focusable widget).
        await self.push_screen(chat)
        chat.set_focus(chat.prompt)
        if self._open_first is not None:
            await chat.open_conversation(self._open_first)
        self.call_after_refresh(self.endpoints.start, self.handle)
        self.call_after_refresh(_load_reply_modules)
        if self.tool_servers is not None:
            # After the first frame: loading the MCP SDK (~1 s of imports, in a thread) holds
            # the interpreter lock, and drawn before it the first frame would wait for it.
            self.call_after_refresh(self.tool_servers.start)
        # Queued behind the keys already read: when it runs, start-up typing is all handled.
        self.call_later(self._started)

    def _started(self) -> None:
        self._starting = False

    def _start_tool_servers(self) -> ToolServers | None:
        settings = self.settings
        if not settings.mcp_servers:
            return None
        from tensorx_tui.tools import ToolServers

        def changed(status: ServerStatus) -> None:
            self.post_message(ToolServerChanged(status))

        servers = ToolServers(
            settings.mcp_servers, start_timeout=settings.mcp_start_timeout, on_change=changed
        )
        return servers  # started after the first frame (on_mount)

    def on_tool_server_changed(self, event: ToolServerChanged) -> None:
        """An open Tools screen follows every change; a server that fails says so."""
        for screen in self.screen_stack:
            if isinstance(screen, ToolsScreen):
                screen.refresh_list()
        status = event.status
        if status.state.value == "failed":
            self.notify(
                f"MCP server {one_line(status.name, 40)} failed:"
                f" {one_line(status.reason or '', 200)} (ctrl+f shows the tools)",
                severity="warning",
                markup=False,
                timeout=10,
            )

    async def on_event(self, event: events.Event) -> None:
        if self._starting and isinstance(event, events.Key) and event.key == "ctrl+j":
            # Typed before Textual put the terminal in raw mode: the tty's line discipline
            # (ICRNL) turned the Enter (CR) into LF, which reads as ctrl+j, a newline. Nobody
            # means a newline in the first instant; they meant to send what they typed.
            event = events.Key("enter", "\r")
        await super().on_event(event)

    def apply_theme(self, theme: str | None) -> None:
        if not theme:
            return
        if theme in self.available_themes:
            self.theme = theme
        else:
            known = ", ".join(sorted(self.available_themes))
            self.notify(
                f"Unknown theme {theme!r}; known: {known}", severity="warning", markup=False
            )

    def _remember_theme(self, theme: str) -> None:
        if self._preferences is None:
            return
        try:
            save_theme(self._preferences, theme)
        except OSError as exc:
            self.notify(
                f"Cannot remember the theme: {one_line(str(exc), 300)}",
                severity="warning",
                markup=False,
            )
            return
        configured = self.settings.theme
        if configured and configured != theme:
            self.notify(
                f"Theme {theme} remembered, but the configured theme ({configured}, from --theme"
                " or the config file) is used at start.",
                markup=False,
                timeout=8,
            )

    async def on_unmount(self) -> None:
        if self.tool_servers is not None:
            # Every server ends with its whole process group (a server's `node`, `uvx`...).
            await self.tool_servers.aclose()
        if self.endpoints is not None:
            await self.endpoints.aclose()  # every client, the first one's too
        elif self.handle is not None:
            await self.handle.aclose()
        chat = self._chat_screen
        if chat is not None:
            # A reply whose final save waits on a database another process holds is written
            # when the lock clears (or given up on, with a warning), before the store closes.
            chat.saving.settle()
        if self._store is not None:
            self._store.close()

    @property
    def chat(self) -> ChatScreen | None:
        screen = self.screen_stack[1] if len(self.screen_stack) > 1 else None
        return screen if isinstance(screen, ChatScreen) else None

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.chat is not None:
            yield from chat_commands(self.chat)

    async def action_quit(self) -> None:
        """ctrl+q quits, after asking when a reply is streaming (its text would be lost) or tools
        run (they would be cut off)."""
        chat = self.chat
        unfinished = chat.unfinished_work if chat is not None else None
        if unfinished is None:
            self.exit(0)
            return
        what = unfinished[0]

        async def answered(quit_anyway: bool | None) -> None:
            if quit_anyway and chat is not None:
                # Cancel first, while the screen still stands: the partial reply is shown and
                # saved as cancelled, instead of the worker dying with the widgets at exit.
                await chat.stop_reply()
                self.exit(0)

        await self.push_screen(ConfirmModal(f"{what}. Quit anyway?", yes="Quit"), answered)


def _load_reply_modules() -> None:
    """Import what the first reply needs (the stream reader, ~20 ms of imports) after the first
    frame, not between the first Enter and its request leaving."""
    importlib.import_module("tensorx_tui.core.reply_stream")


def run_chat(settings: Settings, *, conversation: ConversationId | None = None) -> int:
    """Run the chat UI until the user quits (showing saved `conversation` first, when given);
    the exit status for the CLI."""
    app = ChatApp(
        settings,
        open_store=Store.open,
        preferences=settings.data_dir / PREFERENCES_FILE,
        conversation=conversation,
    )
    result = app.run()
    return int(result or app.return_code or 0)
