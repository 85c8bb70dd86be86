"""The database schema as an ordered list of migrations.

`PRAGMA user_version` holds the number of migrations applied. A migration is only ever appended,
never edited: a database written by an older release is brought forward by running those it lacks.

Why the shapes are what they are:
- `conversations.pk` is an explicit INTEGER PRIMARY KEY because VACUUM may renumber an implicit
  rowid, and the external-content FTS index refers to rows by rowid. `id` is the short public name.
- Timestamps are fixed-width ISO-8601 UTC text (`2026-11-24T14:11:29.123456Z`): readable in the
  file, sortable as text, and round-trips exactly through JSON transcripts.
- Full-text search uses external-content FTS5 tables kept in sync by triggers: text is stored once.
  `remove_diacritics 2` lets "cafe" find "café"; unicode61 folds case for every script.
  Prefix indexes for 2 and 3 characters keep type-ahead queries (`ka*`) fast: without them FTS5
  merges the lists of every word with that prefix (bench, `ka*`: 70 ms without, 30 ms with).
"""

from __future__ import annotations

from typing import Final

_MIGRATION_1: Final = (
    """
    CREATE TABLE conversations (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        profile TEXT,
        base_url TEXT,
        model TEXT,
        system TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '{}'
    )
    """,
    "CREATE INDEX conversations_by_update ON conversations (updated_at DESC, pk DESC)",
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_pk INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
        content TEXT NOT NULL DEFAULT '',
        reasoning TEXT NOT NULL DEFAULT '',
        tool_calls TEXT,
        tool_call_id TEXT,
        finish_reason TEXT,
        usage TEXT,
        timings TEXT,
        state TEXT NOT NULL DEFAULT 'complete',
        error TEXT,
        model TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (conversation_pk, seq)
    )
    """,
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        content, reasoning,
        content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
    )
    """,
    """
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, content, reasoning)
        VALUES (new.id, new.content, new.reasoning);
    END
    """,
    """
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.id, old.content, old.reasoning);
    END
    """,
    """
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, reasoning ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.id, old.content, old.reasoning);
        INSERT INTO messages_fts (rowid, content, reasoning)
        VALUES (new.id, new.content, new.reasoning);
    END
    """,
    """
    CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title,
        content = 'conversations', content_rowid = 'pk',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
    )
    """,
    """
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title) VALUES (new.pk, new.title);
    END
    """,
    """
    CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title)
        VALUES ('delete', old.pk, old.title);
    END
    """,
    """
    CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title)
        VALUES ('delete', old.pk, old.title);
        INSERT INTO conversations_fts (rowid, title) VALUES (new.pk, new.title);
    END
    """,
)

# Version 2: an error kept only its message text; the HTTP status and the provider's error type are
# what tell a rate limit from a bad key, so they are kept too.
_MIGRATION_2: Final = (
    "ALTER TABLE messages ADD COLUMN error_status INTEGER",
    "ALTER TABLE messages ADD COLUMN error_type TEXT",
)

# Edit-and-resend kept the replaced exchange, marked superseded (until version 6: see there).
# A tool result run through MCP keeps how it ran (server, tool, approval, duration, error) as JSON.
_MIGRATION_3: Final = (
    "ALTER TABLE messages ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE messages ADD COLUMN tool_meta TEXT",
)

# Version 4: a refusal (OpenAI's `refusal`, sent instead of `content`) is kept apart from the
# content, so a refused reply is never mistaken for an empty answer. Not in the full-text index:
# indexing it would mean rebuilding messages_fts, and refusals are short boilerplate.
_MIGRATION_4: Final = ("ALTER TABLE messages ADD COLUMN refusal TEXT NOT NULL DEFAULT ''",)

# Version 5: what a reply cost, in dollars, worked out from its usage and the model's prices when
# it finished (prices change: a cost is a fact of its time, not recomputed). NULL when unknown.
# A reply's cost; the partial index covers the per-conversation sum the history list shows, so
# listing reads no message rows (without it, a page of 200 conversations read every message).
_MIGRATION_5: Final = (
    "ALTER TABLE messages ADD COLUMN cost REAL",
    "CREATE INDEX messages_cost ON messages (conversation_pk, cost) WHERE cost IS NOT NULL",
)

# Version 6: the conversation tree. Every message has a parent (NULL: the conversation starts
# there); siblings are alternatives (an edited question, a regenerated reply), and a conversation
# follows one branch, to its `active_leaf`. A history written before is one line, where an edit
# had marked the replaced exchange `superseded`: that exchange becomes an alternative branch at the
# place it was asked (its question's parent is the last message in force before it; the rest of
# it follows its own question), the messages in force become the active path, and `superseded` is
# cleared (the tree says it now; the column stays, unused, as SQLite keeps columns). Rules as
# `tree.parents_from_superseded`, which does the same for transcripts of that time.
_MIGRATION_6: Final = (
    "ALTER TABLE messages ADD COLUMN parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE",
    "ALTER TABLE conversations ADD COLUMN active_leaf INTEGER",
    """
    UPDATE messages SET parent_id = CASE
        WHEN superseded = 1 AND role != 'user' THEN (
            SELECT p.id FROM messages p
            WHERE p.conversation_pk = messages.conversation_pk AND p.seq < messages.seq
            ORDER BY p.seq DESC LIMIT 1)
        ELSE (
            SELECT p.id FROM messages p
            WHERE p.conversation_pk = messages.conversation_pk AND p.seq < messages.seq
                AND p.superseded = 0
            ORDER BY p.seq DESC LIMIT 1)
    END
    """,
    """
    UPDATE conversations SET active_leaf = coalesce(
        (SELECT m.id FROM messages m WHERE m.conversation_pk = conversations.pk
            AND m.superseded = 0 ORDER BY m.seq DESC LIMIT 1),
        (SELECT m.id FROM messages m WHERE m.conversation_pk = conversations.pk
            ORDER BY m.seq DESC LIMIT 1))
    """,
    "UPDATE messages SET superseded = 0 WHERE superseded != 0",
    "CREATE INDEX messages_by_parent ON messages (parent_id)",
)

# Version 7: attachments (files and images sent with a user message). Each content is stored
# once, keyed by its SHA-256 (the same screenshot sent in ten conversations is one blob); the
# link table keeps which message carried it, in which order, under which name. Kind, MIME type
# and pixel size are kept beside the bytes so listing a conversation's attachments reads no blob.
_MIGRATION_7: Final = (
    """
    CREATE TABLE attachments (
        sha256 TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('image', 'text')),
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        width INTEGER,
        height INTEGER,
        data BLOB NOT NULL
    )
    """,
    """
    CREATE TABLE message_attachments (
        message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES attachments (sha256),
        PRIMARY KEY (message_id, position)
    )
    """,
    "CREATE INDEX message_attachments_by_hash ON message_attachments (sha256)",
)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    _MIGRATION_1,
    _MIGRATION_2,
    _MIGRATION_3,
    _MIGRATION_4,
    _MIGRATION_5,
    _MIGRATION_6,
    _MIGRATION_7,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)
