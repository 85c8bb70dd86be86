"""What the chat screen knows of the model in use, and which endpoint it talks to.

- the model catalogs load in the background (profile_endpoints.py); when the one in use arrives,
  replies get priced and the context meter learns the window;
- after each reply: the context meter (under the prompt), its one-time warning, today's spend (in
  the status line);
- the model picker (ctrl+o) over every configured endpoint; a model of another profile switches
  this conversation to that endpoint (and is saved so), a new conversation goes back to the
  endpoint the app started with, an opened one to the one it was saved with.

The screen owns one `ModelFacts` and calls it at those moments; the rules of what is sent and
saved stay in the engine (chat/).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tensorx_tui.chat.pricing import Pricing
from tensorx_tui.core.cost import context_tokens, format_cost
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import Reply
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.core.secret import redact_url
from tensorx_tui.open_endpoint import EndpointHandle
from tensorx_tui.profile_endpoints import ProfileEndpoint, ProfileEndpoints
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.records import ConversationMeta
from tensorx_tui.ui.context_meter import ContextMeter, warning_text
from tensorx_tui.ui.modals.model_picker import ModelPickerModal
from tensorx_tui.ui.model_choices import ModelChoice

if TYPE_CHECKING:
    from tensorx_tui.ui.chat_screen import ChatScreen


def start_of_today() -> datetime:
    """Local midnight (the store compares in UTC; "today" is the user's own day)."""
    return datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


class ModelFacts:
    def __init__(self, screen: ChatScreen, endpoints: ProfileEndpoints) -> None:
        self.screen = screen
        self.endpoints = endpoints
        self.meter = ContextMeter()
        # Replies are priced with the catalog in hand: one still loading leaves a cost unknown
        # rather than hold the reply back.
        self.pricing = Pricing(endpoints.current.catalog)
        screen.engine.pricing = self.pricing

    # -- the catalog ----------------------------------------------------------------------------

    def start(self) -> None:
        """On mount: listen for catalogs, and show today's spend once the store is open."""
        self.endpoints.subscribe(self.endpoint_changed)
        self.screen.conversation.model_info = self.info_for_reply
        self.refresh_meter()
        self.screen.call_after_refresh(self.refresh_today)

    def stop(self) -> None:
        self.endpoints.unsubscribe(self.endpoint_changed)

    def endpoint_changed(self, entry: ProfileEndpoint) -> None:
        if entry is self.endpoints.current:
            self.pricing.catalog = entry.catalog
            self.refresh_meter()

    def info(self, *model_ids: str | None) -> ModelInfo | None:
        catalog = self.endpoints.current.catalog
        return catalog.find(*model_ids) if catalog is not None else None

    def info_for_reply(self, reply: Reply) -> ModelInfo | None:
        return self.info(reply.model, self.screen.state.model)

    # -- after each reply -----------------------------------------------------------------------

    async def reply_finished(self, reply: Reply) -> None:
        tokens = context_tokens(reply.usage)
        if tokens is not None:  # a reply without usage leaves the last measure standing
            self.meter.tokens = tokens
        self.refresh_meter()
        use = self.meter.use
        if use is not None and self.meter.warning_due():
            model = one_line(self.screen.state.model, 80)
            await self.screen.conversation.add_notice(warning_text(use, model), severity="warning")
        self.refresh_today()

    def refresh_meter(self) -> None:
        info = self.info(self.screen.state.model)
        self.meter.window = info.max_input_tokens if info is not None else None
        self.screen.prompt.border_subtitle = self.meter.content()

    def refresh_today(self) -> None:
        store = self.screen.get_store()
        if store is None:
            return
        try:
            spent = store.cost_since(start_of_today())
        except StoreError:
            return  # the spend is a nicety: saving reports store trouble itself
        self.screen.status.set_spend("" if spent is None else f"today {format_cost(spent)}")

    # -- conversations --------------------------------------------------------------------------

    def conversation_new(self) -> None:
        """After `engine.new()`: back to the endpoint the app started with."""
        start = self.endpoints.start_entry
        if start is not self.endpoints.current:
            self.use(start)
            self.screen.status.set_model(self.screen.state.model)
        self.meter.reset()
        self.refresh_meter()

    def before_open(self, meta: ConversationMeta) -> None:
        """Before `engine.open(saved)`: the endpoint the conversation was saved with, when it is
        still configured at the same URL; else the one the app started with."""
        entry = self.endpoints.find(meta.profile) if meta.profile else None
        usable = (
            entry is not None
            and entry.settings is not None
            and entry.problem is None
            and redact_url(entry.settings.base_url) == meta.base_url
        )
        target = entry if usable and entry is not None else self.endpoints.start_entry
        if target is not self.endpoints.current:
            self.use(target)

    def conversation_opened(self, last_reply: Reply | None) -> None:
        self.meter.reset(context_tokens(last_reply.usage) if last_reply is not None else None)
        self.refresh_meter()

    # -- picking a model ------------------------------------------------------------------------

    def pick_model(self) -> None:
        self.screen.app.push_screen(
            ModelPickerModal(self.endpoints, self.screen.state.model), self.chosen
        )

    def chosen(self, choice: ModelChoice | None) -> None:
        if choice is None:
            return
        screen = self.screen
        entry = self.endpoints.find(choice.profile)
        if entry is None or entry.settings is None:
            return
        if entry is not self.endpoints.current:
            handle = self.use(entry)
            screen.engine.switch_endpoint(
                handle.client,
                profile=entry.name,
                base_url=entry.settings.base_url,
                model=choice.model,
            )
            where = f" on {entry.label}" + (f" ({entry.host})" if entry.host else "")
        elif choice.model != screen.state.model:
            screen.engine.set_model(choice.model)
            where = ""
        else:
            return
        screen.status.set_model(choice.model)
        screen.notify(f"Model: {one_line(choice.model)}{where}", markup=False)
        self.refresh_meter()

    def use(self, entry: ProfileEndpoint) -> EndpointHandle:
        """Requests go to `entry` from now on (nothing saved here); returns its handle."""
        settings = entry.settings
        if settings is None:
            raise ValueError(f"profile {entry.label} has no settings")
        screen = self.screen
        handle = self.endpoints.switch(entry)
        screen.engine.use_endpoint(handle.client, profile=entry.name, base_url=settings.base_url)
        screen.engine.state.reasoning_with_tool_calls = settings.reasoning_with_tool_calls
        screen.client = handle.client
        self.pricing.catalog = entry.catalog
        screen.status.set_endpoint(entry.name, settings.base_url)
        return handle
