"""Attachments in the database: stored once per content (SHA-256), linked to their messages.

Functions over an open connection, called inside the Store's transactions (conversations.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from tensorx_tui.core.attachments import Attachment, AttachmentKind
from tensorx_tui.core.image_info import MIME, ImageInfo
from tensorx_tui.store.records import StoredMessage

_FORMAT_OF_MIME = {mime: fmt for fmt, mime in MIME.items()}


def link(conn: sqlite3.Connection, message_id: int, attachments: Sequence[Attachment]) -> None:
    """Save `attachments` for a message (the bytes only when that content is new)."""
    for position, attachment in enumerate(attachments):
        image = attachment.image
        conn.execute(
            "INSERT OR IGNORE INTO attachments (sha256, kind, mime, size, width, height, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                attachment.sha256,
                attachment.kind,
                attachment.mime,
                attachment.size,
                image.width if image else None,
                image.height if image else None,
                attachment.data,
            ),
        )
        conn.execute(
            "INSERT INTO message_attachments (message_id, position, name, sha256)"
            " VALUES (?, ?, ?, ?)",
            (message_id, position, attachment.name, attachment.sha256),
        )


def fill(conn: sqlite3.Connection, messages: Sequence[StoredMessage]) -> None:
    """Give the user messages loaded from `conn` their attachments, in order."""
    found = _load(conn, [m.id for m in messages if m.role == "user" and m.id])
    for message in messages:
        if message.id in found:
            message.attachments = tuple(found[message.id])


def _load(conn: sqlite3.Connection, message_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """The attachments of these messages, in order, by message id (messages without any absent)."""
    found: dict[int, list[Attachment]] = {}
    ids = list(message_ids)
    # Bound the number of SQL variables (SQLite's limit is 32766; older builds 999).
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT l.message_id, l.name, a.sha256, a.kind, a.mime, a.width, a.height, a.data"
            " FROM message_attachments l JOIN attachments a ON a.sha256 = l.sha256"
            f" WHERE l.message_id IN ({marks}) ORDER BY l.message_id, l.position",
            chunk,
        )
        for message_id, name, sha, kind, mime, width, height, data in rows:
            found.setdefault(message_id, []).append(
                _attachment(name, sha, kind, mime, width, height, data)
            )
    return found


def _attachment(
    name: str,
    sha: str,
    kind: AttachmentKind,
    mime: str,
    width: int | None,
    height: int | None,
    data: bytes,
) -> Attachment:
    image = None
    if kind == "image" and mime in _FORMAT_OF_MIME:
        image = ImageInfo(_FORMAT_OF_MIME[mime], width or 0, height or 0)
    return Attachment(name, kind, mime, bytes(data), sha, image)


def forget_unused(conn: sqlite3.Connection) -> None:
    """Delete contents no message links to any more (after a conversation is deleted)."""
    conn.execute(
        "DELETE FROM attachments WHERE sha256 NOT IN (SELECT sha256 FROM message_attachments)"
    )
