"""Transcripts: a conversation as Markdown (to read) or JSON (to keep, share and import back).

JSON shape (`FORMAT`):

    {"format": "tensorx-chat/1",
     "conversation": {"id", "title", "created_at", "updated_at", "profile", "base_url", "model",
                      "system", "params"},
     "messages": [<OpenAI chat message> + {"tensorx": {<what OpenAI's format has no room for>}}],
     "alternatives": [<the same>]}          # only when the conversation has branches

The messages array is the active branch, a valid OpenAI `messages` list as it is (the system
prompt first, marked with `"tensorx": {"system_prompt": true}`); a refusal is OpenAI's own
`refusal` field of an assistant message; reasoning, states, usage, timings and errors live in each
message's "tensorx" object. A conversation with branches (edited questions, regenerated replies)
also has "alternatives": every message off the active branch; then each message's "tensorx" has
its `id` (its number in the order messages were made, from 1) and its `parent` (null: a first
message). Export → import → export gives the same bytes, branches included.
Import also accepts a plain OpenAI transcript: `{"messages": [...]}` or a bare list of messages,
and transcripts written before branches, whose edited-away messages were marked "superseded".
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from tensorx_tui.core.reply import ErrorInfo, ReplyState, ToolCall
from tensorx_tui.store import transcript_attachments
from tensorx_tui.store.db import StoreError, format_time, parse_time
from tensorx_tui.store.records import (
    ROLES,
    Conversation,
    ConversationMeta,
    StoredMessage,
    clean_title,
    redact_base_url,
)
from tensorx_tui.store.transcript_markdown import to_markdown
from tensorx_tui.store.tree import parents_from_superseded

FORMAT: Final = "tensorx-chat/1"
ExportFormat = Literal["md", "json"]


class TranscriptError(StoreError):
    """A transcript that cannot be imported; the message says where and why."""


# -- JSON export -----------------------------------------------------------------------------------


def _message_json(m: StoredMessage, numbers: dict[int, int] | None) -> dict[str, Any]:
    """`numbers`: message id -> its number in the transcript, when the tree is written."""
    out: dict[str, Any] = {"role": m.role}
    meta: dict[str, Any] = {"created_at": format_time(m.created_at)}
    if numbers is not None and m.id is not None:
        meta["id"] = numbers[m.id]
        meta["parent"] = None if m.parent_id is None else numbers.get(m.parent_id)
    if m.role == "assistant":
        out["content"] = m.content or None
        if m.refusal:
            out["refusal"] = m.refusal
        if m.tool_calls:
            out["tool_calls"] = [c.to_openai() for c in m.tool_calls]
        meta.update(
            model=m.model,
            state=str(m.state),
            finish_reason=m.finish_reason,
            reasoning=m.reasoning,
            usage=m.usage,
            timings=m.timings,
            error=m.error.to_json() if m.error else None,
        )
    else:
        out["content"] = m.content
        if m.role == "tool":
            out["tool_call_id"] = m.tool_call_id or ""
        if m.attachments:
            meta["attachments"] = transcript_attachments.to_json(m.attachments)
    if m.tool_meta:
        meta["tool"] = m.tool_meta
    out["tensorx"] = meta
    return out


def to_json_data(conversation: Conversation) -> dict[str, Any]:
    meta = conversation.meta
    messages: list[dict[str, Any]] = []
    if meta.system:
        messages.append(
            {"role": "system", "content": meta.system, "tensorx": {"system_prompt": True}}
        )
    path = conversation.path()
    numbers: dict[int, int] | None = None
    alternatives: list[dict[str, Any]] = []
    if len(path) != len(conversation.messages):
        numbers = {m.id: n for n, m in enumerate(conversation.messages, 1) if m.id is not None}
        on_path = {id(m) for m in path}
        alternatives = [
            _message_json(m, numbers) for m in conversation.messages if id(m) not in on_path
        ]
    messages.extend(_message_json(m, numbers) for m in path)
    branches = {"alternatives": alternatives} if numbers is not None else {}
    return {
        "format": FORMAT,
        "conversation": {
            "id": meta.id,
            "title": meta.title,
            "created_at": format_time(meta.created_at),
            "updated_at": format_time(meta.updated_at),
            "profile": meta.profile,
            "base_url": redact_base_url(meta.base_url),
            "model": meta.model,
            "system": meta.system,
            "params": meta.params,
        },
        "messages": messages,
        **branches,
    }


def to_json(conversation: Conversation) -> str:
    return json.dumps(to_json_data(conversation), ensure_ascii=False, indent=2) + "\n"


# -- JSON import -----------------------------------------------------------------------------------


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        shown = "null" if value is None else type(value).__name__
        raise TranscriptError(f"{where}: expected {names}, got {shown}")
    return value


def _optional(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    return None if value is None else _expect(value, kind, where)


def _time(value: Any, where: str, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        return parse_time(_expect(value, str, where))
    except ValueError as exc:
        raise TranscriptError(f"{where}: not an ISO-8601 time: {value!r}") from exc


def _text_content(value: Any, where: str) -> str:
    """Message content: a string, null, or OpenAI's list of parts (the text parts are kept)."""
    if value is None:
        return ""
    if isinstance(value, list):
        parts = []
        for i, part in enumerate(value):
            part = _expect(part, dict, f"{where}[{i}]")
            if part.get("type") == "text":
                parts.append(_expect(part.get("text"), str, f"{where}[{i}].text"))
        return "".join(parts)
    return str(_expect(value, str, where))


def _tool_calls(value: Any, where: str) -> list[ToolCall]:
    calls = []
    for i, raw in enumerate(_optional(value, list, where) or []):
        here = f"{where}[{i}]"
        raw = _expect(raw, dict, here)
        function = _expect(raw.get("function"), dict, f"{here}.function")
        arguments = function.get("arguments", "")
        calls.append(
            ToolCall(
                id=_optional(raw.get("id"), str, f"{here}.id"),
                name=_expect(function.get("name"), str, f"{here}.function.name"),
                arguments=_expect(arguments, (str, dict, list), f"{here}.function.arguments"),
            )
        )
    return calls


def _error(value: Any, where: str) -> ErrorInfo | None:
    if value is None:
        return None
    if isinstance(value, str):
        return ErrorInfo(value)
    value = _expect(value, dict, where)
    return ErrorInfo(
        message=_expect(value.get("message"), str, f"{where}.message"),
        status=_optional(value.get("status"), int, f"{where}.status"),
        type=_optional(value.get("type"), str, f"{where}.type"),
    )


def _timings(value: Any, where: str) -> dict[str, float] | None:
    timings = _optional(value, dict, where)
    if timings is None:
        return None
    for name, seconds in timings.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TranscriptError(f"{where}.{name}: expected a number of seconds")
    return dict(timings)


def _message_from_json(raw: Any, where: str, default_time: datetime) -> StoredMessage:
    raw = _expect(raw, dict, where)
    role = raw.get("role")
    if role not in ROLES:
        raise TranscriptError(f"{where}.role: expected one of {sorted(ROLES)}, got {role!r}")
    extra = _optional(raw.get("tensorx"), dict, f"{where}.tensorx") or {}
    state_text = _optional(extra.get("state"), str, f"{where}.tensorx.state") or "complete"
    try:
        state = ReplyState(state_text)
    except ValueError as exc:
        raise TranscriptError(f"{where}.tensorx.state: unknown state {state_text!r}") from exc
    reasoning = extra.get("reasoning", raw.get("reasoning_content", raw.get("reasoning")))
    try:
        attached = transcript_attachments.from_json(extra.get("attachments"))
        attached = attached or transcript_attachments.from_content_parts(raw.get("content"))
    except transcript_attachments.AttachmentJSONError as exc:
        raise TranscriptError(f"{where}.tensorx.attachments{exc}") from None
    return StoredMessage(
        id=_optional(extra.get("id"), int, f"{where}.tensorx.id"),
        parent_id=_optional(extra.get("parent"), int, f"{where}.tensorx.parent"),
        role=role,
        content=_text_content(raw.get("content"), f"{where}.content"),
        reasoning=_optional(reasoning, str, f"{where}.tensorx.reasoning") or "",
        refusal=_optional(raw.get("refusal"), str, f"{where}.refusal") or "",
        tool_calls=_tool_calls(raw.get("tool_calls"), f"{where}.tool_calls"),
        tool_call_id=_optional(raw.get("tool_call_id"), str, f"{where}.tool_call_id"),
        finish_reason=_optional(extra.get("finish_reason"), str, f"{where}.tensorx.finish_reason"),
        usage=_optional(extra.get("usage"), dict, f"{where}.tensorx.usage"),
        timings=_timings(extra.get("timings"), f"{where}.tensorx.timings"),
        state=state,
        error=_error(extra.get("error"), f"{where}.tensorx.error"),
        model=_optional(extra.get("model"), str, f"{where}.tensorx.model"),
        created_at=_time(extra.get("created_at"), f"{where}.tensorx.created_at", default_time),
        tool_meta=_optional(extra.get("tool"), dict, f"{where}.tensorx.tool"),
        attachments=attached if role == "user" else (),
    )


# No transcript needs more nesting than this (a message's usage or tool arguments are a few levels
# deep). Deeper input is refused before anything else: json.loads gives up near 1,000 levels with
# a RecursionError, and a few hundred levels that it does parse would fail when saved again.
MAX_DEPTH: Final = 64


def _too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when `value` nests lists/objects more than `limit` deep (checked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def conversation_from_json(text: str) -> Conversation:
    """Parse a JSON transcript. Raises TranscriptError saying what is wrong and where."""
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise TranscriptError(
            f"the JSON is nested too deeply (more than {MAX_DEPTH} levels)"
        ) from exc
    except ValueError as exc:
        raise TranscriptError(f"not valid JSON: {exc}") from exc
    if _too_deep(data):
        raise TranscriptError(f"the JSON is nested too deeply (more than {MAX_DEPTH} levels)")
    if isinstance(data, list):
        data = {"messages": data}
    data = _expect(data, dict, "transcript")
    fmt = data.get("format")
    if fmt is not None and fmt != FORMAT:
        raise TranscriptError(f"format: this version reads {FORMAT!r}, the file says {fmt!r}")
    raw_messages = _expect(data.get("messages"), list, "messages")
    info = _optional(data.get("conversation"), dict, "conversation") or {}
    now = datetime.now(UTC)
    created = _time(info.get("created_at"), "conversation.created_at", now)
    messages = [
        _message_from_json(raw, f"messages[{i}]", created) for i, raw in enumerate(raw_messages)
    ]
    superseded = [_superseded(raw) for raw in raw_messages]
    system = _optional(info.get("system"), str, "conversation.system")
    first = raw_messages[0] if raw_messages else None
    if messages and messages[0].role == "system" and isinstance(first, dict):
        marked = (first.get("tensorx") or {}).get("system_prompt") is True
        # Our own exports mark the system prompt; in a plain OpenAI transcript the first system
        # message is the system prompt.
        if marked or system is None:
            system = system if system is not None else messages[0].content
            messages.pop(0)
            superseded.pop(0)
    raw_alternatives = _optional(data.get("alternatives"), list, "alternatives") or []
    alternatives = [
        _message_from_json(raw, f"alternatives[{i}]", created)
        for i, raw in enumerate(raw_alternatives)
    ]
    messages, active_leaf = _tree(messages, alternatives, superseded)
    first_user = next((m.content for m in messages if m.role == "user"), "")
    title = _optional(info.get("title"), str, "conversation.title")
    return Conversation(
        meta=ConversationMeta(
            id=_optional(info.get("id"), str, "conversation.id") or "",
            title=clean_title(title if title is not None else first_user),
            created_at=created,
            updated_at=_time(
                info.get("updated_at"),
                "conversation.updated_at",
                max((m.created_at for m in messages), default=created),
            ),
            profile=_optional(info.get("profile"), str, "conversation.profile"),
            base_url=_optional(info.get("base_url"), str, "conversation.base_url"),
            model=_optional(info.get("model"), str, "conversation.model"),
            system=system or "",
            params=_optional(info.get("params"), dict, "conversation.params") or {},
        ),
        messages=messages,
        active_leaf=active_leaf,
    )


def _superseded(raw: Any) -> bool:
    extra = raw.get("tensorx") if isinstance(raw, dict) else None
    return isinstance(extra, dict) and extra.get("superseded") is True


def _tree(
    path: list[StoredMessage], alternatives: list[StoredMessage], superseded: list[bool]
) -> tuple[list[StoredMessage], int | None]:
    """All the messages in the order they were made, linked, and the active leaf.

    A transcript with branches numbers its messages (`id`, `parent`); one without is a line,
    where an edit of the time before branches marked the replaced exchange "superseded"."""
    if any(m.id is not None for m in path) or alternatives:
        everything = path + alternatives
        numbers = [m.id for m in everything]
        if None in numbers or len(set(numbers)) != len(numbers):
            raise TranscriptError("messages: with alternatives, every message needs its own id")
        everything.sort(key=lambda m: m.id or 0)
        known: set[int | None] = {None}
        for m in everything:
            if m.parent_id not in known:
                raise TranscriptError(
                    f"message id {m.id}: its parent {m.parent_id} is not an earlier message"
                )
            known.add(m.id)
        return everything, (path[-1].id if path else None)
    for number, message in enumerate(path, 1):
        message.id = number
    parents_from_superseded(path, superseded)
    tip = [m.id for m, replaced in zip(path, superseded, strict=True) if not replaced]
    return path, (tip[-1] if tip else (path[-1].id if path else None))


def render(conversation: Conversation, fmt: ExportFormat) -> str:
    if fmt == "json":
        return to_json(conversation)
    if fmt == "md":
        return to_markdown(conversation)
    raise ValueError(f"unknown export format {fmt!r}")


def suggested_filename(conversation: Conversation, fmt: ExportFormat) -> str:
    """`tensorx-chat-<id>-<title-words>.<fmt>`: safe on every filesystem."""
    slug = re.sub(r"[^\w]+", "-", conversation.meta.title.lower(), flags=re.ASCII).strip("-")
    slug = slug[:40].rstrip("-")
    stem = f"tensorx-chat-{conversation.meta.id}" + (f"-{slug}" if slug else "")
    return f"{stem}.{fmt}"


def export_to_file(conversation: Conversation, path: Path, fmt: ExportFormat) -> Path:
    """Write the transcript; `path` may be a directory (the suggested name is used). Returns the
    file written."""
    if path.is_dir():
        path = path / suggested_filename(conversation, fmt)
    try:
        if fmt == "md" and any(m.attachments for m in conversation.messages):
            # The files go beside the transcript, linked from it by a relative path.
            folder = transcript_attachments.files_dir(path)
            transcript_attachments.write_files(conversation, folder)
            text = to_markdown(conversation, folder.name)
        else:
            text = render(conversation, fmt)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc}") from exc
    return path


def read_transcript(path: Path) -> Conversation:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"cannot read {path}: {exc}") from exc
    return conversation_from_json(text)
