"""Saving a reply while it streams, cheaply: at most one checkpoint per interval, and a final save.

    recorder = ReplyRecorder.start(store, conv_id, model=model)   # row saved as "interrupted"
    async with client.stream(request) as stream:
        async for event in stream:
            ...
            recorder.update(stream.reply)        # a clock read; a write at most once a second
    recorder.finish(stream.reply)                # the real state (complete / cancelled / error ...)

`update` only writes when an event arrives. If a stream can go quiet while text is unsaved, call
`flush_if_due()` from a timer too (`autoflush()` is such a timer for asyncio), so a crash loses at
most the last interval.

Another instance may hold the write lock longer than the busy timeout. A checkpoint then waits for
the next interval; the final save is kept and tried again (`retry_final()`) for up to `patience`
seconds, so a reply is not dropped because the database was busy for a moment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from tensorx_tui.core.reply import Reply
from tensorx_tui.store.conversations import ACTIVE, Parent, Store
from tensorx_tui.store.db import StoreError, is_busy
from tensorx_tui.store.records import ConversationId

CHECKPOINT_INTERVAL_S: Final = 1.0
# How long a final save is tried again while another instance holds the database: longer than any
# sane transaction of another tensorx-chat, short enough that `ask` does not hang at exit for long.
FINAL_SAVE_PATIENCE_S: Final = 30.0


class ReplyRecorder:
    def __init__(
        self,
        store: Store,
        message_id: int,
        *,
        interval: float = CHECKPOINT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        patience: float = FINAL_SAVE_PATIENCE_S,
    ) -> None:
        self.store = store
        self.message_id = message_id
        self.interval = interval
        self.patience = patience
        self._clock = clock
        self._last_saved = clock()
        self._pending: Reply | None = None
        self.checkpoints = 0  # how many times the reply was written mid-stream
        self.finished = False
        self._final: Reply | None = None  # the final state, not written yet (the database was busy)
        self._busy_since: float | None = None
        self.last_error: StoreError | None = None

    @classmethod
    def start(
        cls,
        store: Store,
        conv_id: ConversationId,
        *,
        model: str | None = None,
        interval: float = CHECKPOINT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        patience: float = FINAL_SAVE_PATIENCE_S,
        parent: Parent = ACTIVE,
    ) -> ReplyRecorder:
        """Create the reply's row (state "interrupted") and a recorder for it, under `parent`
        (by default it continues the active branch)."""
        message_id = store.start_reply(conv_id, model=model, parent=parent)
        return cls(store, message_id, interval=interval, clock=clock, patience=patience)

    def update(self, reply: Reply) -> bool:
        """Note the reply's latest state (the live object is fine: it is read when saved).
        Saves it when the last save is `interval` old; returns True when it saved."""
        self._pending = reply
        return self.flush_if_due()

    def flush_if_due(self) -> bool:
        if self._pending is None or self.finished:
            return False
        if self._clock() - self._last_saved < self.interval:
            return False
        return self.flush()

    def flush(self) -> bool:
        """Checkpoint now if anything is unsaved. A locked database (another instance busy past
        the busy timeout) skips this checkpoint: the text stays pending for the next one."""
        reply = self._pending
        if reply is None or self.finished:
            return False
        try:
            # Not waiting for a busy database: the next checkpoint comes within a second anyway,
            # and waiting out the busy timeout stalled the stream (and the UI's event loop).
            self.store.checkpoint_reply(self.message_id, reply, wait=False)
        except StoreError:
            self._last_saved = self._clock()  # retry after one more interval, not on every token
            return False
        self._pending = None
        self._last_saved = self._clock()
        self.checkpoints += 1
        return True

    def finish(self, reply: Reply) -> bool:
        """Save the final reply with its state; no checkpoint follows. False when the database
        is busy (another instance holds the write lock past the busy timeout): the reply is kept
        for `retry_final()`. Raises StoreError when it cannot be saved for another reason."""
        self._pending = None
        self.finished = True
        self._final = reply
        # The first try does not wait out the busy timeout: the UI calls this on its event loop.
        return self.retry_final(wait=False)

    def retry_final(self, *, wait: bool = True) -> bool:
        """Write the final reply if it is still unsaved; True once it is on disk. `wait`: wait
        the store's busy timeout for another writer (off the UI's loop: see ConversationLog)."""
        reply = self._final
        if reply is None:
            return True
        try:
            self.store.finish_reply(self.message_id, reply, wait=wait)
        except StoreError as exc:
            if not is_busy(exc):
                self._final = None
                raise
            self.last_error = exc
            if self._busy_since is None:
                self._busy_since = self._clock()
            return False
        self._final = None
        return True

    @property
    def unsaved(self) -> bool:
        """The final reply is waiting for the database."""
        return self._final is not None

    @property
    def out_of_patience(self) -> bool:
        """The database has been busy for `patience` seconds since the first failed try."""
        since = self._busy_since
        return self.unsaved and since is not None and self._clock() - since >= self.patience

    async def autoflush(self) -> None:
        """Run as a task beside the stream (cancel it when the stream ends): saves pending text
        even while no event arrives."""
        while not self.finished:
            await asyncio.sleep(self.interval / 2)
            self.flush_if_due()
