"""The full-text search over an open connection: the newest matching message of each
conversation (and title matches), then their summaries, newest first. `search.py` makes the
query from what the user typed and reads the snippets; the Store holds the lock."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Final

from tensorx_tui.store import row_mapping
from tensorx_tui.store.records import SearchHit
from tensorx_tui.store.search import MARK_END, MARK_START, split_marks

SNIPPET_TOKENS: Final = 16


def newest_hits(conn: sqlite3.Connection, expr: str, limit: int) -> list[SearchHit]:
    """Up to `limit` conversations matching FTS5 expression `expr` (see `Store.search`).
    Called inside the Store's read lock."""
    # conversation pk -> (newest matching message id or None for a title match, marked text)
    found: dict[int, tuple[int | None, str]] = {}
    newest_first = conn.execute(
        "SELECT messages_fts.rowid, m.conversation_pk,"
        " snippet(messages_fts, -1, ?, ?, '…', ?) FROM messages_fts"
        " JOIN messages m ON m.id = messages_fts.rowid"
        " WHERE messages_fts MATCH ? ORDER BY messages_fts.rowid DESC",
        (MARK_START, MARK_END, SNIPPET_TOKENS, expr),
    )
    with closing(newest_first):  # stopping early: finish the statement now
        for message_id, pk, marked in newest_first:
            if pk not in found:
                found[pk] = (message_id, marked)
                if len(found) >= limit:
                    break
    for pk, marked in conn.execute(
        "SELECT rowid, highlight(conversations_fts, 0, ?, ?) FROM conversations_fts"
        " WHERE conversations_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
        (MARK_START, MARK_END, expr, limit),
    ):
        found.setdefault(pk, (None, marked))
    if not found:
        return []
    marks = ", ".join("?" * len(found))
    rows = conn.execute(
        f"SELECT {row_mapping.SUMMARY_COLUMNS}, c.pk FROM conversations c"
        f" WHERE c.pk IN ({marks})"
        " ORDER BY c.updated_at DESC, c.pk DESC LIMIT ?",
        (*found, limit),
    ).fetchall()
    hits: list[SearchHit] = []
    for row in rows:
        message_id, marked = found[row[-1]]
        snippet, spans = split_marks(marked)
        hits.append(SearchHit(row_mapping.summary(row), snippet, spans, message_id))
    return hits
