"""The Store: saved conversations in one SQLite database, written as things happen.

Every write is its own short transaction, committed before the call returns: the user's message
is on disk before the request is sent, and a streaming reply is saved as an "interrupted" row that
is checkpointed while it streams (see `ReplyRecorder`) and finished with its real state at the end.
Several app instances may share the database (WAL + busy timeout + IMMEDIATE transactions).

All methods are thread-safe (one lock per Store), so a UI may call them from a worker thread.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.store import attachments as stored_attachments
from tensorx_tui.store import db, fts_search, row_mapping
from tensorx_tui.store.db import StoreError, format_time, now_text, parse_time
from tensorx_tui.store.records import (
    Conversation,
    ConversationId,
    ConversationMeta,
    ConversationSummary,
    SearchHit,
    StoredMessage,
    clean_title,
    redact_base_url,
)
from tensorx_tui.store.search import match_query

_ID_BYTES: Final = 4  # 8 hex characters: short enough to type, prefixes resolve too
CHECKPOINT_BUSY_MS: Final = 50  # how long a mid-stream checkpoint waits for another writer


class ConversationNotFound(StoreError):
    pass


class _Keep:
    """Marks an argument of `update_conversation` that was not given."""


KEEP: Final = _Keep()


class _Active:
    """Marks a new message's parent as "the conversation's active leaf" (it continues the branch
    being followed)."""


ACTIVE: Final = _Active()
Parent = int | None | _Active
"""Where a new message goes: under a message (its id), at the start (None), or ACTIVE."""


class Store:
    def __init__(self, path: Path, *, busy_timeout_ms: int = db.BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._busy_ms = busy_timeout_ms
        self._conn = db.connect(self.path, busy_timeout_ms=busy_timeout_ms)

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """The store in `data_dir` (settings resolve it: --data-dir, TENSORX_DATA_DIR, the config
        file, the platform's user data dir), created private to the user."""
        directory = Path(data_dir)
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:  # a file where a directory goes
            raise StoreError(f"the data directory {directory} is not a directory") from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise StoreError(f"cannot use the data directory {directory}: {reason}") from exc
        return cls(directory / db.DB_FILENAME)

    @classmethod
    def open_existing(cls, data_dir: Path) -> Store | None:
        """The store in `data_dir`, or None when nothing was ever saved there (no file is
        created). A data dir that cannot be read is a StoreError, not "nothing saved"."""
        directory = Path(data_dir)
        try:
            existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
            if existing is not None and not existing.is_dir():  # a file on the way
                where = "" if existing == directory else f" ({existing} is a file)"
                raise StoreError(f"the data directory {directory} is not a directory{where}")
            if existing != directory:
                return None
            if not (directory / db.DB_FILENAME).exists():
                return None
        except OSError as exc:  # no permission to look inside
            reason = exc.strerror or str(exc)
            raise StoreError(f"cannot read the data directory {directory}: {reason}") from exc
        return cls(directory / db.DB_FILENAME)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Reading, and turning rows into records: a row this code cannot read (bad JSON, a bad
        time, an unknown state: a damaged or hand-edited file) is a StoreError, not a crash."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StoreError(f"conversation database error: {exc}") from exc
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                raise StoreError(
                    f"the conversation database {self.path} has a damaged entry: {exc}"
                ) from exc

    @contextmanager
    def _impatient(self) -> Iterator[None]:
        """Within: a busy database fails after CHECKPOINT_BUSY_MS instead of the busy timeout."""
        with self._lock:
            self._conn.execute(f"PRAGMA busy_timeout = {min(CHECKPOINT_BUSY_MS, self._busy_ms)}")
            try:
                yield
            finally:
                self._conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with db.write(self._conn) as conn:
                    yield conn
            except sqlite3.Error as exc:
                raise StoreError(f"conversation database error: {exc}") from exc

    @staticmethod
    def _pk(conn: sqlite3.Connection, conv_id: ConversationId) -> int:
        row = conn.execute("SELECT pk FROM conversations WHERE id = ?", (conv_id,)).fetchone()
        if row is None:
            raise ConversationNotFound(f"no conversation {conv_id!r}")
        return int(row[0])

    @staticmethod
    def _pk_and_leaf(conn: sqlite3.Connection, conv_id: ConversationId) -> tuple[int, int | None]:
        row = conn.execute(
            "SELECT pk, active_leaf FROM conversations WHERE id = ?", (conv_id,)
        ).fetchone()
        if row is None:
            raise ConversationNotFound(f"no conversation {conv_id!r}")
        return int(row[0]), row[1]

    @staticmethod
    def _new_id(conn: sqlite3.Connection) -> ConversationId:
        while True:
            candidate = secrets.token_hex(_ID_BYTES)
            if (
                conn.execute("SELECT 1 FROM conversations WHERE id = ?", (candidate,)).fetchone()
                is None
            ):
                return candidate

    # -- conversations ----------------------------------------------------------------------------

    def create_conversation(
        self,
        *,
        profile: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        system: str = "",
        params: dict[str, Any] | None = None,
        title: str = "",
    ) -> ConversationId:
        """A new, empty conversation. Its title comes from the first user message unless given."""
        now = now_text()
        with self._write() as conn:
            conv_id = self._new_id(conn)
            conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at, profile, base_url,"
                " model, system, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conv_id,
                    clean_title(title),
                    now,
                    now,
                    profile,
                    redact_base_url(base_url),
                    model,
                    system or "",
                    row_mapping.params_json(params or {}),
                ),
            )
        return conv_id

    def update_conversation(
        self,
        conv_id: ConversationId,
        *,
        model: str | _Keep | None = KEEP,
        system: str | _Keep = KEEP,
        params: dict[str, Any] | _Keep = KEEP,
        profile: str | _Keep | None = KEEP,
        base_url: str | _Keep | None = KEEP,
    ) -> None:
        """Change the settings a conversation continues with (the ones not given stay)."""
        changes: dict[str, Any] = {}
        if not isinstance(model, _Keep):
            changes["model"] = model
        if not isinstance(system, _Keep):
            changes["system"] = system
        if not isinstance(params, _Keep):
            changes["params"] = row_mapping.params_json(params)
        if not isinstance(profile, _Keep):
            changes["profile"] = profile
        if not isinstance(base_url, _Keep):
            changes["base_url"] = redact_base_url(base_url)
        if not changes:
            return
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._write() as conn:
            cur = conn.execute(
                f"UPDATE conversations SET {assignments} WHERE id = ?", (*changes.values(), conv_id)
            )
            if cur.rowcount == 0:
                raise ConversationNotFound(f"no conversation {conv_id!r}")

    def rename(self, conv_id: ConversationId, title: str) -> str:
        """Set the title (cleaned to one line of plain text); returns the title as saved.

        Renaming does not change `updated_at`: the list stays in the order of the talk.
        """
        cleaned = clean_title(title)
        if not cleaned:
            raise StoreError("a title cannot be empty")
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (cleaned, conv_id)
            )
            if cur.rowcount == 0:
                raise ConversationNotFound(f"no conversation {conv_id!r}")
        return cleaned

    def delete(self, conv_id: ConversationId) -> bool:
        """Delete a conversation and all its messages. False when there was no such conversation."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM conversations WHERE id = ?", (conv_id,))
            stored_attachments.forget_unused(conn)
            return cur.rowcount > 0

    # -- messages ---------------------------------------------------------------------------------

    def add_message(
        self, conv_id: ConversationId, message: StoredMessage, *, parent: Parent = ACTIVE
    ) -> int:
        """Add a message under `parent` (by default it continues the active branch) and commit
        it; it becomes the active leaf. Returns its id. The first user message names the
        conversation when it has no title yet."""
        created = format_time(message.created_at)
        with self._write() as conn:
            pk, active = self._pk_and_leaf(conn, conv_id)
            parent_id = active if isinstance(parent, _Active) else parent
            if parent_id is not None:
                self._check_message(conn, pk, parent_id)
            (seq,) = conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE conversation_pk = ?", (pk,)
            ).fetchone()
            cur = conn.execute(
                row_mapping.INSERT_MESSAGE_SQL,
                row_mapping.message_values(pk, seq, message, parent_id),
            )
            assert cur.lastrowid is not None
            stored_attachments.link(conn, cur.lastrowid, message.attachments)
            conn.execute(
                "UPDATE conversations SET updated_at = max(updated_at, ?), active_leaf = ?"
                " WHERE pk = ?",
                (created, cur.lastrowid, pk),
            )
            if message.role == "user":
                conn.execute(
                    "UPDATE conversations SET title = ? WHERE pk = ? AND title = ''",
                    (clean_title(message.content or _names(message.attachments)), pk),
                )
            return cur.lastrowid

    def add_user_message(
        self,
        conv_id: ConversationId,
        text: str,
        attached: Sequence[Attachment] = (),
        *,
        parent: Parent = ACTIVE,
    ) -> int:
        message = StoredMessage(role="user", content=text, attachments=tuple(attached))
        return self.add_message(conv_id, message, parent=parent)

    def add_tool_result(
        self,
        conv_id: ConversationId,
        tool_call_id: str,
        content: str,
        meta: dict[str, Any] | None = None,
        *,
        parent: Parent = ACTIVE,
    ) -> int:
        return self.add_message(
            conv_id,
            StoredMessage(role="tool", content=content, tool_call_id=tool_call_id, tool_meta=meta),
            parent=parent,
        )

    def start_reply(
        self, conv_id: ConversationId, *, model: str | None = None, parent: Parent = ACTIVE
    ) -> int:
        """The row a streaming reply is saved into. It says "interrupted" until `finish_reply`,
        so a crash mid-stream leaves it honestly marked."""
        return self.add_message(
            conv_id,
            StoredMessage(role="assistant", state=ReplyState.INTERRUPTED, model=model),
            parent=parent,
        )

    def checkpoint_reply(self, message_id: int, reply: Reply, *, wait: bool = True) -> None:
        """Save what a reply holds so far (state stays "interrupted"). With `wait=False` a busy
        database fails at once (see `finish_reply`)."""
        with self._impatient() if not wait else contextlib.nullcontext(), self._write() as conn:
            self._update_reply(conn, message_id, reply, ReplyState.INTERRUPTED)

    def finish_reply(self, message_id: int, reply: Reply, *, wait: bool = True) -> None:
        """Save the final reply with its real state, and mark the conversation updated. With
        `wait=False` a busy database fails at once (the caller tries again later, elsewhere)."""
        with self._impatient() if not wait else contextlib.nullcontext(), self._write() as conn:
            self._update_reply(conn, message_id, reply, reply.state)
            conn.execute(
                "UPDATE conversations SET updated_at = max(updated_at, ?) WHERE pk ="
                " (SELECT conversation_pk FROM messages WHERE id = ?)",
                (now_text(), message_id),
            )

    @staticmethod
    def _update_reply(
        conn: sqlite3.Connection, message_id: int, reply: Reply, state: ReplyState
    ) -> None:
        cur = conn.execute(
            row_mapping.UPDATE_REPLY_SQL, row_mapping.reply_values(message_id, reply, state)
        )
        if cur.rowcount == 0:
            raise StoreError(f"no assistant message {message_id}")

    def add_reply(self, conv_id: ConversationId, reply: Reply) -> int:
        """Save a whole reply at once (non-streaming callers)."""
        return self.add_message(conv_id, StoredMessage.from_reply(reply))

    # -- branches -------------------------------------------------------------------------------

    def set_active_leaf(self, conv_id: ConversationId, message_id: int) -> None:
        """Follow another branch: the one that ends at `message_id` (see store/tree.py for
        picking it). Does not change `updated_at`: looking around is not talking."""
        with self._write() as conn:
            pk = self._pk(conn, conv_id)
            self._check_message(conn, pk, message_id)
            conn.execute("UPDATE conversations SET active_leaf = ? WHERE pk = ?", (message_id, pk))

    def fork(self, conv_id: ConversationId, message_id: int) -> ConversationId:
        """A new conversation holding a copy of the branch up to `message_id` (the branches
        beside it are not copied), with the same settings; returns its id."""
        source = self.load_conversation(conv_id)
        tree = source.tree()
        if message_id not in tree:
            raise StoreError(f"no message {message_id} in conversation {conv_id!r}")
        path = tree.path(message_id)
        meta = source.meta
        copy = Conversation(
            meta=ConversationMeta(
                id="",
                title=clean_title(f"{meta.title} (fork)") if meta.title else "",
                created_at=parse_time(now_text()),
                updated_at=parse_time(now_text()),
                profile=meta.profile,
                base_url=meta.base_url,
                model=meta.model,
                system=meta.system,
                params=meta.params,
            ),
            # Without ids: import_conversation links them as one line, in order. Without costs:
            # the copy spent nothing, and the spending totals ("today") must not count it twice.
            messages=[replace(m, id=None, parent_id=None, cost=None) for m in path],
        )
        return self.import_conversation(copy)

    @staticmethod
    def _check_message(conn: sqlite3.Connection, pk: int, message_id: int) -> None:
        row = conn.execute(
            "SELECT 1 FROM messages WHERE id = ? AND conversation_pk = ?", (message_id, pk)
        ).fetchone()
        if row is None:
            raise StoreError(f"no message {message_id} in this conversation")

    # -- reading ----------------------------------------------------------------------------------

    def list_conversations(self, limit: int = 200, offset: int = 0) -> list[ConversationSummary]:
        """Newest first (by last message)."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {row_mapping.SUMMARY_COLUMNS} FROM conversations c"
                " ORDER BY c.updated_at DESC, c.pk DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            return [row_mapping.summary(r) for r in rows]

    def count_conversations(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT count(*) FROM conversations").fetchone()[0])

    def get_summary(self, conv_id: ConversationId) -> ConversationSummary:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {row_mapping.SUMMARY_COLUMNS} FROM conversations c WHERE c.id = ?",
                (conv_id,),
            ).fetchone()
            if row is None:
                raise ConversationNotFound(f"no conversation {conv_id!r}")
            return row_mapping.summary(row)

    def cost_since(self, moment: datetime) -> float | None:
        """Dollars of the replies saved since `moment` whose cost is known, in every
        conversation (the chat UI's "today"); None when none is known."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT sum(cost) FROM messages WHERE role = 'assistant' AND created_at >= ?",
                (format_time(moment),),
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def latest_conversation_id(self) -> ConversationId | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM conversations ORDER BY updated_at DESC, pk DESC LIMIT 1"
            ).fetchone()
        return None if row is None else str(row[0])

    def resolve_id(self, text: str) -> ConversationId:
        """An exact id, or a unique prefix of one (as typed on a command line)."""
        text = text.strip().lower()
        if not text:
            raise StoreError("no conversation id given")
        # Escape LIKE wildcards: the prefix is taken literally.
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id FROM conversations WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 3",
                (text, pattern),
            ).fetchall()
        ids = [str(r[0]) for r in rows]
        if text in ids:
            return text
        if not ids:
            raise ConversationNotFound(f"no conversation {text!r}")
        if len(ids) > 1:
            raise StoreError(f"{text!r} matches several conversations; type more of the id")
        return ids[0]

    def load_conversation(self, conv_id: ConversationId) -> Conversation:
        with self._read() as conn:
            row = conn.execute(
                "SELECT pk, id, title, created_at, updated_at, profile, base_url, model, system,"
                " params, active_leaf FROM conversations WHERE id = ?",
                (conv_id,),
            ).fetchone()
            if row is None:
                raise ConversationNotFound(f"no conversation {conv_id!r}")
            rows = conn.execute(
                f"SELECT {row_mapping.MESSAGE_COLUMNS} FROM messages"
                " WHERE conversation_pk = ? ORDER BY seq",
                (row[0],),
            ).fetchall()
            messages = [row_mapping.message(r) for r in rows]
            stored_attachments.fill(conn, messages)
            return Conversation(meta=row_mapping.meta(row), messages=messages, active_leaf=row[10])

    def search(self, query: str, limit: int = 100) -> list[SearchHit]:
        """Conversations whose title or a message (content or reasoning) matches, newest first,
        each with a snippet of its newest matching message. See `search.match_query` for the
        syntax; text FTS5 cannot use gives an empty list, never an error.

        "Newest" is found by walking the matching messages from the newest row back and stopping
        at `limit` conversations, so a broad query costs about the same as a narrow one. (A
        conversation imported after newer ones were written counts as recent in that walk.)"""
        expr = match_query(query)
        if expr is None:
            return []
        with self._read():
            try:
                return fts_search.newest_hits(self._conn, expr, limit)
            except sqlite3.OperationalError:
                # match_query quotes everything, so this is not expected; a query is still
                # never worth a crash.
                return []

    # -- import -----------------------------------------------------------------------------------

    def import_conversation(self, conversation: Conversation) -> ConversationId:
        """Save a whole conversation (from a transcript) in one transaction, timestamps, branches
        and active branch kept. Messages without ids are taken as one line, in order.

        Its id is kept when free; otherwise it gets a new one (returned)."""
        meta = conversation.meta
        with self._write() as conn:
            taken = conn.execute("SELECT 1 FROM conversations WHERE id = ?", (meta.id,)).fetchone()
            conv_id = self._new_id(conn) if taken or not meta.id else meta.id
            cur = conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at, profile, base_url,"
                " model, system, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conv_id,
                    clean_title(meta.title),
                    format_time(meta.created_at),
                    format_time(meta.updated_at),
                    meta.profile,
                    redact_base_url(meta.base_url),
                    meta.model,
                    meta.system,
                    row_mapping.params_json(meta.params),
                ),
            )
            pk = cur.lastrowid
            assert pk is not None
            linear = any(m.id is None for m in conversation.messages)
            saved: dict[int | None, int] = {}  # the transcript's ids -> the rows'
            previous: int | None = None
            for seq, message in enumerate(conversation.messages, 1):
                parent = previous if linear else saved.get(message.parent_id)
                row = conn.execute(
                    row_mapping.INSERT_MESSAGE_SQL,
                    row_mapping.message_values(pk, seq, message, parent),
                )
                previous = row.lastrowid
                if message.id is not None and previous is not None:
                    saved[message.id] = previous
                if message.attachments and previous is not None:
                    stored_attachments.link(conn, previous, message.attachments)
            active = previous if linear else saved.get(conversation.active_leaf, previous)
            conn.execute("UPDATE conversations SET active_leaf = ? WHERE pk = ?", (active, pk))
        return conv_id


def _names(attached: Sequence[Attachment]) -> str:
    """A title for a first message that is only attachments."""
    return ", ".join(a.name for a in attached)
