"""Saving one conversation as it happens (the engine's calls into the store).

    log = ConversationLog(store, on_error=warn)      # store None: every call is a no-op
    log.add_user(text, meta, parent)  # creates the conversation at the first message, commits
    log.start_reply(model, parent)    # the reply's row, "interrupted" until finished
    async with log.recording():       # checkpoints while the stream is quiet, too
        for each event: log.update(stream.reply)
    log.finish(stream.reply)          # complete / cancelled / error / interrupted
    log.add_tool_result(call_id, text, parent=parent)
    log.set_active_leaf(message_id)   # another branch is followed
    log.fork(message_id)              # a new conversation: the branch up to there

Each `add` returns the saved message's id (None when not saved); `parent` is the message it
follows (None: the first; by default the conversation's active leaf).

A store error is reported once through `on_error` and saving stops for this conversation (a
half-saved conversation, a reply without its question, would be worse than none); `switch()` to
another conversation tries again. Never imports textual.

Except a busy database (another instance holds the write lock past the busy timeout) at the final
save: that reply is kept and tried again, in the background while an event loop runs and by
`settle()` at exit, for the recorder's patience; the user hears of it only if it finally fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.reply import Reply
from tensorx_tui.store.conversations import ACTIVE, KEEP, Parent, Store, _Keep
from tensorx_tui.store.db import StoreError
from tensorx_tui.store.recorder import CHECKPOINT_INTERVAL_S, ReplyRecorder
from tensorx_tui.store.records import ConversationId


def _try_all(recorders: list[ReplyRecorder]) -> list[tuple[ReplyRecorder, bool | StoreError]]:
    """Each recorder's final save tried once: saved (True), still busy (False), or failed."""
    results: list[tuple[ReplyRecorder, bool | StoreError]] = []
    for recorder in recorders:
        try:
            results.append((recorder, recorder.retry_final()))
        except StoreError as exc:
            results.append((recorder, exc))
    return results


@dataclass
class NewConversation:
    """What a conversation is created with when its first message is saved."""

    profile: str | None
    base_url: str | None
    model: str
    system: str = ""
    params: dict[str, Any] = field(default_factory=dict)


class ConversationLog:
    def __init__(
        self,
        store: Store | None,
        conv_id: ConversationId | None = None,
        *,
        on_error: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.conv_id = conv_id
        self.on_error = on_error
        self.failed = False
        self.recorder: ReplyRecorder | None = None
        # Final saves the database was too busy for, and the task trying them again.
        self.unsaved: list[ReplyRecorder] = []
        self.retrying: asyncio.Task[None] | None = None
        self._clock = clock
        self._sleep = sleep

    @property
    def saving(self) -> bool:
        return self.store is not None and not self.failed

    def _fail(self, what: str, exc: StoreError) -> None:
        self.failed = True
        self.recorder = None
        self.on_error(f"{what}: {exc}")

    def switch(self, conv_id: ConversationId | None) -> None:
        """Save into another conversation from now on (None: a new one, created at its first
        message)."""
        self.conv_id = conv_id
        self.failed = False
        self.recorder = None

    def add_user(
        self,
        text: str,
        new: NewConversation,
        parent: Parent = ACTIVE,
        attachments: Sequence[Attachment] = (),
    ) -> int | None:
        """Commit the user's message (call it before the request is sent)."""
        if not self.saving or self.store is None:
            return None
        try:
            if self.conv_id is None:
                self.conv_id = self.store.create_conversation(
                    profile=new.profile,
                    base_url=new.base_url,
                    model=new.model,
                    system=new.system,
                    params=new.params,
                )
            return self.store.add_user_message(self.conv_id, text, attachments, parent=parent)
        except StoreError as exc:
            self._fail("the conversation is not saved", exc)
            return None

    def start_reply(self, model: str | None, parent: Parent = ACTIVE) -> int | None:
        if not self.saving or self.store is None or self.conv_id is None:
            return None
        try:
            self.recorder = ReplyRecorder.start(
                self.store, self.conv_id, model=model, clock=self._clock, parent=parent
            )
        except StoreError as exc:
            self._fail("the reply is not saved", exc)
            return None
        return self.recorder.message_id

    def update(self, reply: Reply) -> None:
        """After each stream event: cheap (a clock read), a checkpoint at most once a second."""
        if self.recorder is not None:
            self.recorder.update(reply)

    @asynccontextmanager
    async def recording(self) -> AsyncIterator[None]:
        """Around the stream: also checkpoints while no event arrives."""
        recorder = self.recorder
        if recorder is None:
            yield
            return
        task = asyncio.create_task(recorder.autoflush())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def finish(self, reply: Reply) -> None:
        """Save the final reply with its real state (kept and tried again if the database is
        busy, see the module doc)."""
        recorder, self.recorder = self.recorder, None
        if recorder is None or recorder.finished:
            return
        try:
            saved = recorder.finish(reply)
        except StoreError as exc:
            self._fail("the reply was not saved", exc)
            return
        if not saved:
            self.unsaved.append(recorder)
            self._retry_in_background()

    def retry_unsaved(self) -> bool:
        """Try the waiting final saves once more; True when none is left waiting. One that is
        out of patience is reported (the only time the user hears of it) and dropped."""
        self._settle(_try_all(list(self.unsaved)))
        return not self.unsaved

    def settle(
        self,
        sleep: Callable[[float], None] = time.sleep,
        interval: float = CHECKPOINT_INTERVAL_S,
    ) -> None:
        """At exit: retry the waiting final saves until they are written or out of patience."""
        while not self.retry_unsaved():
            sleep(interval)

    def _settle(self, results: list[tuple[ReplyRecorder, bool | StoreError]]) -> None:
        for recorder, result in results:
            if recorder not in self.unsaved:  # settled meanwhile (by the other path)
                continue
            if result is True:
                self.unsaved.remove(recorder)
            elif isinstance(result, StoreError):
                self.unsaved.remove(recorder)
                self.on_error(f"the reply was not saved: {result}")
            elif recorder.out_of_patience:
                self.unsaved.remove(recorder)
                self.on_error(
                    f"the reply was not saved: the database stayed busy ({recorder.last_error})"
                )

    def _retry_in_background(self) -> None:
        """While an event loop runs (the UI), retry every interval off the loop's thread: each
        try may wait the whole busy timeout, which would freeze the screen."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (`ask` after its stream): settle() at exit does it
        if self.retrying is None or self.retrying.done():
            self.retrying = asyncio.create_task(self._retry_loop())

    async def _retry_loop(self) -> None:
        while self.unsaved:
            await self._sleep(CHECKPOINT_INTERVAL_S)
            waiting = list(self.unsaved)
            results = await asyncio.to_thread(_try_all, waiting)
            self._settle(results)

    def add_tool_result(
        self,
        tool_call_id: str | None,
        content: str,
        meta: dict[str, Any] | None = None,
        *,
        parent: Parent = ACTIVE,
    ) -> int | None:
        if not self.saving or self.store is None or self.conv_id is None:
            return None
        try:
            return self.store.add_tool_result(
                self.conv_id, tool_call_id or "", content, meta, parent=parent
            )
        except StoreError as exc:
            self._fail("the tool result is not saved", exc)
            return None

    def set_active_leaf(self, message_id: int) -> None:
        """Another branch is followed from now on (it ends at `message_id`)."""
        if not self.saving or self.store is None or self.conv_id is None:
            return
        try:
            self.store.set_active_leaf(self.conv_id, message_id)
        except StoreError as exc:
            self._fail("the branch followed is not saved", exc)

    def fork(self, message_id: int) -> ConversationId | None:
        """A new conversation with the branch up to `message_id`; None when not saved (said
        through on_error; saving this conversation goes on)."""
        if not self.saving or self.store is None or self.conv_id is None:
            return None
        try:
            return self.store.fork(self.conv_id, message_id)
        except StoreError as exc:
            self.on_error(f"the fork is not saved: {exc}")
            return None

    def update_settings(
        self,
        *,
        model: str | _Keep = KEEP,
        system: str | _Keep = KEEP,
        params: dict[str, Any] | _Keep = KEEP,
        profile: str | _Keep | None = KEEP,
        base_url: str | _Keep | None = KEEP,
    ) -> None:
        """The model, system prompt, parameters or endpoint the conversation continues with."""
        if not self.saving or self.store is None or self.conv_id is None:
            return
        try:
            self.store.update_conversation(
                self.conv_id,
                model=model,
                system=system,
                params=params,
                profile=profile,
                base_url=base_url,
            )
        except StoreError as exc:
            self._fail("the conversation settings are not saved", exc)
