"""The conversation engine: one conversation's messages and settings, a turn at a time, saved as
it goes. Headless (no textual, no rich): the chat UI and `ask` both drive it, so neither keeps its
own copy of what is sent, what is saved, or how a saved conversation continues.

    engine = ChatEngine(endpoint, log, defaults, profile=..., base_url=...)
    engine.open(saved)                    # continue a saved conversation (chat/settings.py rule)
    engine.add_user("hi")                 # committed to the store before the request
    async with engine.turn() as turn:     # leaving the block early cancels the turn
        async for event in turn:          # TurnStarted, the core's StreamEvents, ReplyFinished
            ...
    turn.reply                            # live; final once iteration ends (also when cancelled)
    engine.pending_tool_calls             # calls of a complete reply that wait for results
    engine.add_tool_result(call, text)
    engine.pricing = Pricing(...)          # optional: each finished reply gets its .cost
    engine.switch_endpoint(other, profile=..., base_url=..., model=...)   # for this conversation

The conversation is a tree (store/tree.py): `engine.tree` holds every message of every branch,
and what is sent is the active branch only. Branching:

    engine.edit(message_id, text)         # a new question beside an earlier one (then a turn)
    engine.regenerate()                   # the next turn's reply goes beside the last one
    engine.flip(message_id, +1 / -1)      # follow the next / previous alternative at a place
    engine.choose(message_id)             # follow the branch through a message (a search hit)
    engine.fork(message_id)               # a new saved conversation: the branch up to there

Cancelling the task that iterates a turn closes the connection; the reply is saved as cancelled
with its text, then the CancelledError goes on.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from tensorx_tui.chat.events import ReplyFinished, SaveFailed, TurnStarted
from tensorx_tui.chat.pricing import Pricing
from tensorx_tui.chat.saving import ConversationLog, NewConversation
from tensorx_tui.chat.settings import NO_OVERRIDES, Overrides, TurnSettings, continued_settings
from tensorx_tui.chat.state import SKIPPED_TOOL_RESULT, ConversationState
from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.events import StreamEvent
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, ToolCall
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.store.records import Conversation, ConversationId, StoredMessage, openai_history
from tensorx_tui.store.tree import MessageTree

TurnEvent = TurnStarted | StreamEvent | ReplyFinished
ToolSource = Callable[[], "list[dict[str, Any]] | None"]
"""The tool definitions to offer with the next request (None or [] for none)."""


class ReplySource(Protocol):
    """What the engine needs of the endpoint: a reply stream for a request."""

    def stream(self, request: ChatRequest) -> Any: ...


class ChatEngine:
    def __init__(
        self,
        endpoint: ReplySource,
        log: ConversationLog,
        defaults: TurnSettings,
        *,
        profile: str | None,
        base_url: str,
        tools: list[dict[str, Any]] | None = None,
        tool_source: ToolSource | None = None,
        reasoning_with_tool_calls: bool = True,
        on_save_failed: Callable[[SaveFailed], None] | None = None,
        pricing: Pricing | None = None,
    ) -> None:
        self.endpoint = endpoint
        # The model prices a finished reply's cost is worked out with (before it is saved).
        self.pricing = pricing
        # Asked at each request, when given, instead of the fixed `tools`: MCP servers become
        # ready (or are switched off) while the conversation goes on.
        self.tool_source = tool_source
        self.log = log
        self.defaults = defaults
        self.profile = profile
        self.base_url = base_url
        self.state = ConversationState(
            model=defaults.model,
            system=defaults.system,
            temperature=defaults.temperature,
            max_tokens=defaults.max_tokens,
            tools=tools,
            reasoning_with_tool_calls=reasoning_with_tool_calls,
        )
        self._on_save_failed = on_save_failed
        log.on_error = self._save_failed
        self.current_turn: Turn | None = None  # the latest turn (a Ctrl-C reads its reply)
        # Every message of every branch. Ids are the store's; messages that were not saved get
        # negative ones of their own.
        self.tree = MessageTree()
        self._unsaved_ids = 0
        # What the store holds for this conversation's settings, to save only real changes.
        self._saved_settings: tuple[str, str, dict[str, Any]] | None = None

    # -- the conversation ---------------------------------------------------------------------

    @property
    def conv_id(self) -> ConversationId | None:
        return self.log.conv_id

    @property
    def saving(self) -> bool:
        return self.log.saving

    @property
    def settings(self) -> TurnSettings:
        state = self.state
        return TurnSettings(state.model, state.system, state.temperature, state.max_tokens)

    def _apply(self, settings: TurnSettings) -> None:
        self.state.model = settings.model
        self.state.system = settings.system
        self.state.temperature = settings.temperature
        self.state.max_tokens = settings.max_tokens

    def _save_failed(self, message: str) -> None:
        if self._on_save_failed is not None:
            self._on_save_failed(SaveFailed(message))

    def new(self) -> None:
        """Start over: a new conversation, created in the store at its first message."""
        self.state.clear()
        self.tree = MessageTree()
        self._apply(self.defaults)
        self.log.switch(None)
        self._saved_settings = None

    def open(self, saved: Conversation, overrides: Overrides = NO_OVERRIDES) -> None:
        """Continue a saved conversation: its history is what the next request sends, with the
        settings `continued_settings` gives (the same rule for the UI and `ask -c`)."""
        self.state.clear()
        self._apply(continued_settings(saved.meta, self.base_url, self.defaults, overrides))
        if all(m.id is not None for m in saved.messages):
            self.tree = saved.tree()
        else:  # built in memory, never saved: one line, in order
            self.tree = MessageTree()
            for message in saved.messages:
                self._grow(replace(message), None)
        self._follow_tree()
        self.log.switch(saved.id)
        meta = saved.meta
        # As saved: settings that now differ (another endpoint, a flag) are saved at the next send.
        self._saved_settings = (meta.model or "", meta.system, meta.params)

    def set_model(self, model: str) -> None:
        self.state.model = model
        self.save_settings()

    def use_endpoint(self, endpoint: ReplySource, *, profile: str | None, base_url: str) -> None:
        """Send the next requests to `endpoint`; nothing is saved (before `open` or `new`)."""
        self.endpoint = endpoint
        self.profile = profile
        self.base_url = base_url

    def switch_endpoint(
        self, endpoint: ReplySource, *, profile: str | None, base_url: str, model: str
    ) -> None:
        """Talk to another endpoint from the next request on (a model of another profile was
        picked): the conversation keeps its messages and parameters, and is saved with the new
        profile, base URL and model so that continuing it later goes to the same place."""
        self.use_endpoint(endpoint, profile=profile, base_url=base_url)
        self.state.model = model
        self.save_settings()
        self.log.update_settings(profile=profile, base_url=base_url)

    def set_params(
        self, system: str | None, temperature: float | None, max_tokens: int | None
    ) -> None:
        self.state.system = system
        self.state.temperature = temperature
        self.state.max_tokens = max_tokens
        self.save_settings()

    def save_settings(self) -> None:
        """Save model / system prompt / parameters to the conversation when they changed."""
        now = self.settings.saved_form()
        if self.log.conv_id is None or now == self._saved_settings:
            return
        model, system, params = now
        self.log.update_settings(model=model, system=system, params=params)
        self._saved_settings = now

    # -- what the user does -------------------------------------------------------------------

    def add_user(self, text: str, attachments: Sequence[Attachment] = ()) -> None:
        """The user's message, committed before the request is sent (the conversation is created
        at its first message). Tool calls still waiting are answered as skipped first.
        `attachments` (core/attachments.py) are saved with it and sent as content parts."""
        self.skip_pending_tool_calls()
        self.state.add_user(text, attachments)
        self.save_settings()
        model, system, params = self.settings.saved_form()
        created = self.log.conv_id is None
        new = NewConversation(self.profile, self.base_url, model, system, params)
        saved_id = self.log.add_user(text, new, self._saved_parent(), attachments)
        self._grow(
            StoredMessage(role="user", content=text, attachments=tuple(attachments)), saved_id
        )
        if created and self.log.conv_id is not None:
            self._saved_settings = (model, system, params)

    def last_user_text(self) -> str | None:
        return self.state.last_user_text()

    # -- branches -------------------------------------------------------------------------------

    def _saved_parent(self) -> int | None:
        """The message a new one follows, as the store knows it (unsaved ones are not there)."""
        leaf = self.tree.active_leaf
        return leaf if leaf is not None and leaf > 0 else None

    def _grow(self, message: StoredMessage, saved_id: int | None) -> int:
        """Add a message to the tree under the active leaf; returns its id."""
        if saved_id is None:
            self._unsaved_ids -= 1
            saved_id = self._unsaved_ids
        message.id = saved_id
        message.parent_id = self.tree.active_leaf
        self.tree.add(message)
        return saved_id

    def _follow_tree(self) -> None:
        """What is sent becomes the active branch (after it changed)."""
        path = self.tree.path()
        self.state.replace_history(
            openai_history(path, reasoning_with_tool_calls=self.state.reasoning_with_tool_calls)
        )

    def path(self) -> list[StoredMessage]:
        """The active branch, as saved (what the UI shows)."""
        return self.tree.path()

    def _last_user(self) -> StoredMessage | None:
        return next((m for m in reversed(self.tree.path()) if m.role == "user"), None)

    def edit(self, message_id: int, text: str, more: Sequence[Attachment] = ()) -> bool:
        """A new version of an earlier question: `text` goes beside it (the old one and all that
        followed stay, as an alternative branch) and becomes what is sent; run a turn next.
        The question's attachments stay with it, `more` are added.
        False when `message_id` is not a question in this conversation."""
        if message_id not in self.tree or self.tree.get(message_id).role != "user":
            return False
        old = self.tree.get(message_id)
        self.tree.active_leaf = old.parent_id
        self._follow_tree()
        self.add_user(text, (*old.attachments, *more))
        return True

    def edit_last(self, text: str, more: Sequence[Attachment] = ()) -> bool:
        """Edit-and-resend the last question (see `edit`). False when there is none yet."""
        last = self._last_user()
        return last is not None and last.id is not None and self.edit(last.id, text, more)

    def can_regenerate(self) -> bool:
        return self.state.can_regenerate()

    def regenerate(self) -> bool:
        """The next turn answers the last question again; the replies it had stay, as an
        alternative (nothing is deleted)."""
        last = self._last_user()
        if last is None or last.id is None:
            return False
        self.tree.active_leaf = last.id
        self._follow_tree()
        return True

    def choose(self, message_id: int) -> bool:
        """Follow the branch through `message_id` (to its newest message). False when there is
        no such message."""
        if message_id not in self.tree:
            return False
        leaf = self.tree.choose(message_id)
        self._follow_tree()
        if leaf > 0:
            self.log.set_active_leaf(leaf)
        return True

    def flip(self, message_id: int, step: int) -> int | None:
        """Follow the alternative `step` places beside `message_id`; returns it (None past the
        first or the last, nothing changed)."""
        if message_id not in self.tree:
            return None
        other = self.tree.sibling(message_id, step)
        if other is not None:
            self.choose(other)
        return other

    def fork(self, message_id: int) -> ConversationId | None:
        """A new saved conversation with the branch up to `message_id` (None: not saved)."""
        if message_id not in self.tree or message_id < 0:
            return None
        return self.log.fork(message_id)

    # -- tool calls ---------------------------------------------------------------------------

    @property
    def pending_tool_calls(self) -> list[ToolCall]:
        return self.state.pending_tool_calls

    def add_tool_result(
        self, call: ToolCall, result: str, meta: dict[str, Any] | None = None
    ) -> None:
        """`meta`: how an MCP call ran (server, tool, approval, duration, error), saved with it."""
        self.state.add_tool_result(call, result)
        saved_id = self.log.add_tool_result(call.id, result, meta, parent=self._saved_parent())
        self._grow(
            StoredMessage(role="tool", content=result, tool_call_id=call.id, tool_meta=meta),
            saved_id,
        )

    def skip_pending_tool_calls(self) -> list[ToolCall]:
        """Answer every waiting call as skipped (so the next request stays valid)."""
        skipped = self.state.pending_tool_calls
        for call in skipped:
            self.add_tool_result(call, SKIPPED_TOOL_RESULT)
        return skipped

    # -- a turn -------------------------------------------------------------------------------

    def build_request(self) -> ChatRequest:
        request = self.state.build_request()
        if self.tool_source is not None:
            request.tools = self.tool_source() or None
        return request

    def turn(self) -> Turn:
        """One request and its streamed reply (iterate it; see the module doc)."""
        self.current_turn = Turn(self, self.state.model)
        return self.current_turn

    def _finish(self, reply: Reply, saved_id: int | None) -> bool:
        self.log.finish(reply)  # first: saved even if recording it in memory fails
        self.state.add_assistant(reply)
        self._grow(StoredMessage.from_reply(reply), saved_id)
        return self.log.saving


class Turn:
    """One request and its reply; iterate once."""

    def __init__(self, engine: ChatEngine, model: str) -> None:
        self.engine = engine
        self.model = model
        self.reply = Reply(model=model)
        self.finished = False
        self._events_gen: AsyncGenerator[TurnEvent, None] | None = None
        self._saved_id: int | None = None  # the reply's row

    def _finish(self, reply: Reply) -> bool:
        self.reply = reply
        self.finished = True
        return self.engine._finish(reply, self._saved_id)

    def __aiter__(self) -> AsyncIterator[TurnEvent]:
        if self._events_gen is None:
            self._events_gen = self._events()
        return self._events_gen

    async def aclose(self) -> None:
        """End the turn now (a driver that stops iterating early): the connection is closed and
        the reply saved as cancelled, with its text."""
        if self._events_gen is not None:
            await self._events_gen.aclose()

    async def __aenter__(self) -> Turn:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _events(self) -> AsyncGenerator[TurnEvent, None]:
        engine = self.engine
        request = engine.build_request()
        self._saved_id = engine.log.start_reply(self.model, engine._saved_parent())
        try:
            yield TurnStarted(self.model)
        except BaseException:
            # The driver stopped before the request left (closed or cancelled while it drew
            # the message): saved as a cancelled, empty reply, like a reply cancelled later.
            self._finish(Reply(model=self.model, state=ReplyState.CANCELLED))
            raise
        stream = engine.endpoint.stream(request)
        self.reply = stream.reply
        ended = False
        try:
            async with stream, engine.log.recording():
                async for event in stream:
                    engine.log.update(stream.reply)
                    yield event
            ended = True
        except Exception as exc:
            # A bug, not a provider error (those arrive as StreamError events): saved as an error
            # reply, then raised for the driver to report.
            reply = stream.reply
            reply.state = ReplyState.ERROR
            reply.error = ErrorInfo(f"Internal error: {exc!r}")
            self._finish(reply)
            raise
        finally:
            if not ended and not self.finished:
                # Cancelled (Esc, Ctrl-C) or abandoned by the driver: the client has closed the
                # connection; the text so far is kept as a cancelled reply.
                reply = stream.reply
                if reply.state is ReplyState.INTERRUPTED:
                    reply.state = ReplyState.CANCELLED
                self._finish(reply)
        try:
            if engine.pricing is not None:
                await engine.pricing.price(stream.reply, self.model)
        finally:
            saved = self._finish(stream.reply)  # also when cancelled while the prices load
        yield ReplyFinished(stream.reply, saved)
