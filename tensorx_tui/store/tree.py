"""A conversation as a tree: every message has a parent (None for the first ones), alternatives
are siblings, and the conversation follows one branch, from a root to its *active leaf*.

Pure Python, no SQL: the store saves `parent_id` and the active leaf, this module answers the
questions about them (the path, a message's siblings, where a branch leads), for the engine, the
transcripts and the UI alike.

"Order" is the order messages were made: the list order given (the store's `seq`). A branch that
is picked leads to its newest message: after editing or regenerating, flipping back to an
alternative shows the conversation as it was continued from there most recently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tensorx_tui.store.records import StoredMessage


class MessageTree:
    """Messages linked by `parent_id`, with the active leaf. Messages must have ids; a parent
    comes before its children."""

    def __init__(
        self, messages: Iterable[StoredMessage] = (), active_leaf: int | None = None
    ) -> None:
        self.messages: list[StoredMessage] = []
        self._by_id: dict[int, StoredMessage] = {}
        self._position: dict[int, int] = {}
        self._children: dict[int | None, list[int]] = {}
        for message in messages:
            self._index(message)
        self.active_leaf = active_leaf if active_leaf in self._by_id else self._newest()

    def _index(self, message: StoredMessage) -> None:
        if message.id is None:
            raise ValueError("a message in a tree needs an id")
        parent = message.parent_id if message.parent_id in self._by_id else None
        message.parent_id = parent  # a parent that is not there (damaged data): a new root
        self._position[message.id] = len(self.messages)
        self.messages.append(message)
        self._by_id[message.id] = message
        self._children.setdefault(parent, []).append(message.id)

    def _newest(self) -> int | None:
        return self.messages[-1].id if self.messages else None

    def __len__(self) -> int:
        return len(self.messages)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._by_id

    def get(self, message_id: int) -> StoredMessage:
        return self._by_id[message_id]

    def add(self, message: StoredMessage) -> None:
        """A new message (under `message.parent_id`), which becomes the active leaf."""
        self._index(message)
        self.active_leaf = message.id

    def children(self, parent_id: int | None) -> list[StoredMessage]:
        return [self._by_id[i] for i in self._children.get(parent_id, ())]

    def siblings(self, message_id: int) -> list[StoredMessage]:
        """The alternatives at this message's place, itself included, oldest first."""
        return self.children(self._by_id[message_id].parent_id)

    def path(self, leaf: int | None = None) -> list[StoredMessage]:
        """From a root down to `leaf` (the active leaf by default)."""
        node = self.active_leaf if leaf is None else leaf
        out: list[StoredMessage] = []
        while node is not None:
            message = self._by_id[node]
            out.append(message)
            node = message.parent_id
        out.reverse()
        return out

    def path_ids(self) -> set[int]:
        return {m.id for m in self.path() if m.id is not None}

    def newest_leaf(self, message_id: int) -> int:
        """The newest message of the branch that starts at `message_id` (itself when nothing
        follows it): where picking this alternative leads."""
        newest = message_id
        pending = [message_id]
        while pending:
            node = pending.pop()
            if self._position[node] > self._position[newest]:
                newest = node
            pending.extend(self._children.get(node, ()))
        return newest

    def choose(self, message_id: int) -> int:
        """Follow the branch through `message_id`; returns the new active leaf."""
        self.active_leaf = self.newest_leaf(message_id)
        return self.active_leaf

    def sibling(self, message_id: int, step: int) -> int | None:
        """The alternative `step` places after (or before) this one, None past the ends."""
        ids = self._children.get(self._by_id[message_id].parent_id, [])
        index = ids.index(message_id) + step
        return ids[index] if 0 <= index < len(ids) else None

    def position(self, message_id: int) -> tuple[int, int]:
        """(n, of): this message is alternative n (from 1) of `of` at its place."""
        ids = self._children.get(self._by_id[message_id].parent_id, [])
        return ids.index(message_id) + 1, len(ids)


def parents_from_superseded(messages: Sequence[StoredMessage], superseded: Sequence[bool]) -> None:
    """Give a linear history written before the tree its parents (`parent_id`), in place.

    Edit-and-resend used to keep the replaced exchange in the line, marked superseded: such an
    exchange becomes an alternative branch at the place it was asked, and the messages in force
    form the active path. The same rule as schema migration 6, for transcripts of that time.
    Messages must have ids.
    """
    tip: int | None = None  # the last message in force so far
    previous: int | None = None
    for message, replaced in zip(messages, superseded, strict=True):
        if replaced and message.role != "user":
            message.parent_id = previous  # the rest of a replaced exchange
        else:
            message.parent_id = tip
        if not replaced:
            tip = message.id
        previous = message.id
