"""The SQLite connection: pragmas, migrations, transactions, and the on-disk time format."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from tensorx_tui.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILENAME: Final = "conversations.db"
# Another instance may hold the write lock for a moment (its own short transaction); wait for it
# rather than fail. Every transaction here is a handful of rows, so 5 s is generous.
BUSY_TIMEOUT_MS: Final = 5000
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"


class StoreError(Exception):
    """A problem with the conversation store the user can act on (message is safe to show)."""


def is_busy(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is SQLite saying another connection holds the lock
    past the busy timeout: the same write may well succeed a little later."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, sqlite3.OperationalError):
            code = getattr(current, "sqlite_errorcode", None)
            if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return True
            return "locked" in str(current) or "busy" in str(current)
        current = current.__cause__
    return False


def format_time(moment: datetime) -> str:
    """A moment as fixed-width ISO-8601 UTC text (sorts as text, exact round trip)."""
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def now_text() -> str:
    return format_time(datetime.now(UTC))


def connect(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at `path`."""
    try:
        conn = sqlite3.connect(
            path,
            # Transactions are explicit (`write()` below); autocommit mode otherwise.
            isolation_level=None,
            timeout=busy_timeout_ms / 1000,
            # The Store serialises access with its own lock, so a UI worker thread may use it.
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the conversation database {path}: {exc}") from exc
    try:
        _configure(conn, busy_timeout_ms)
        migrate(conn)
    except sqlite3.Error as exc:  # not a database, read-only, disk full, a broken migration
        conn.close()
        raise StoreError(f"cannot use the conversation database {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(f"the conversation database cannot use WAL journaling (got {mode!r})")
    # In WAL mode NORMAL still never corrupts the file; a power cut may lose the last commits,
    # a killed process does not (the WAL is in the OS page cache).
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this database lacks, each in its own write transaction.

    The version is read again inside the transaction so two instances starting at once on an old
    database do not both run the same migration.
    """
    if schema_version(conn) > SCHEMA_VERSION:
        raise StoreError(
            f"the conversation database was written by a newer tensorx-chat (schema "
            f"{schema_version(conn)}; this version knows up to {SCHEMA_VERSION})"
        )
    for target, statements in enumerate(MIGRATIONS, start=1):
        if schema_version(conn) >= target:
            continue
        with write(conn):
            if schema_version(conn) >= target:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One short write transaction. IMMEDIATE takes the write lock up front, so a concurrent writer
    waits on busy_timeout at BEGIN instead of failing later with SQLITE_BUSY on upgrade."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
