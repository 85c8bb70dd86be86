"""How the store's records become SQLite rows, and rows records: the column lists and
statements the Store uses, and the conversions both ways (JSON columns, times, errors)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, ToolCall
from tensorx_tui.store.db import format_time, parse_time
from tensorx_tui.store.records import (
    ConversationMeta,
    ConversationSummary,
    StoredMessage,
    redact_params,
    timings_to_json,
)

SUMMARY_COLUMNS: Final = """
    c.id, c.title, c.created_at, c.updated_at, c.model, c.profile,
    (SELECT count(*) FROM messages m WHERE m.conversation_pk = c.pk),
    (SELECT sum(m.cost) FROM messages m WHERE m.conversation_pk = c.pk AND m.cost IS NOT NULL)
"""


def summary(row: sqlite3.Row | tuple[Any, ...]) -> ConversationSummary:
    return ConversationSummary(
        id=row[0],
        title=row[1],
        created_at=parse_time(row[2]),
        updated_at=parse_time(row[3]),
        model=row[4],
        profile=row[5],
        message_count=row[6],
        cost=row[7],
    )


def meta(row: tuple[Any, ...]) -> ConversationMeta:
    """From `pk, id, title, created_at, updated_at, profile, base_url, model, system, params`."""
    return ConversationMeta(
        id=row[1],
        title=row[2],
        created_at=parse_time(row[3]),
        updated_at=parse_time(row[4]),
        profile=row[5],
        base_url=row[6],
        model=row[7],
        system=row[8],
        params=json.loads(row[9]),
    )


def json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def params_json(params: dict[str, Any]) -> str:
    return json.dumps(redact_params(params), ensure_ascii=False, sort_keys=True)


def tool_calls_json(calls: list[ToolCall]) -> str | None:
    if not calls:
        return None
    return json.dumps(
        [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls], ensure_ascii=False
    )


def tool_calls_from_json(text: str | None) -> list[ToolCall]:
    if not text:
        return []
    return [
        ToolCall(c.get("id"), c.get("name") or "", c.get("arguments", "")) for c in json.loads(text)
    ]


MESSAGE_COLUMNS: Final = """
    id, role, content, reasoning, tool_calls, tool_call_id, finish_reason, usage, timings,
    state, error, error_status, error_type, model, created_at, parent_id, tool_meta,
    refusal, cost
"""


def message(row: tuple[Any, ...]) -> StoredMessage:
    (mid, role, content, reasoning, calls, call_id, finish, usage, timings) = row[:9]
    (state, error, error_status, error_type, model, created_at) = row[9:15]
    (parent_id, tool_meta, refusal, cost) = row[15:]
    return StoredMessage(
        id=mid,
        role=role,
        content=content,
        reasoning=reasoning,
        refusal=refusal,
        tool_calls=tool_calls_from_json(calls),
        tool_call_id=call_id,
        finish_reason=finish,
        usage=json.loads(usage) if usage else None,
        timings=json.loads(timings) if timings else None,
        state=ReplyState(state),
        error=ErrorInfo(error, error_status, error_type) if error is not None else None,
        model=model,
        created_at=parse_time(created_at),
        parent_id=parent_id,
        tool_meta=json.loads(tool_meta) if tool_meta else None,
        cost=cost,
    )


UPDATE_REPLY_SQL: Final = """
    UPDATE messages SET content = ?, reasoning = ?, tool_calls = ?, finish_reason = ?, usage = ?,
        timings = ?, model = coalesce(?, model), state = ?, error = ?, error_status = ?,
        error_type = ?, refusal = ?, cost = ?
    WHERE id = ? AND role = 'assistant'
"""

INSERT_MESSAGE_SQL: Final = """
    INSERT INTO messages (conversation_pk, seq, role, content, reasoning, tool_calls, tool_call_id,
        finish_reason, usage, timings, state, error, error_status, error_type, model, created_at,
        parent_id, tool_meta, refusal, cost)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def error_values(error: ErrorInfo | None) -> tuple[str | None, int | None, str | None]:
    return (error.message, error.status, error.type) if error else (None, None, None)


def message_values(pk: int, seq: int, m: StoredMessage, parent: int | None) -> tuple[Any, ...]:
    """The row for `INSERT_MESSAGE_SQL`."""
    return (
        pk,
        seq,
        m.role,
        m.content,
        m.reasoning,
        tool_calls_json(m.tool_calls),
        m.tool_call_id,
        m.finish_reason,
        json_or_none(m.usage),
        json_or_none(m.timings),
        str(m.state),
        *error_values(m.error),
        m.model,
        format_time(m.created_at),
        parent,
        json_or_none(m.tool_meta),
        m.refusal,
        m.cost,
    )


def reply_values(message_id: int, reply: Reply, state: ReplyState) -> tuple[Any, ...]:
    """The parameters for `UPDATE_REPLY_SQL`."""
    return (
        reply.content,
        reply.reasoning,
        tool_calls_json(reply.tool_calls),
        reply.finish_reason,
        json_or_none(reply.usage),
        json_or_none(timings_to_json(reply.timings)),
        reply.model,
        str(state),
        *error_values(reply.error),
        reply.refusal,
        reply.cost,
        message_id,
    )
