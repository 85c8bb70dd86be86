"""What the store hands out: conversation summaries, full conversations, messages, search hits.

Plain dataclasses, no SQL. A stored assistant message converts to and from the core `Reply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, Timings, ToolCall
from tensorx_tui.core.sanitize import blank_unsafe
from tensorx_tui.core.secret import SECRET_NAME, redact_url
from tensorx_tui.store.tree import MessageTree

ConversationId = str

ROLES: Final = frozenset({"system", "user", "assistant", "tool"})
TITLE_MAX: Final = 80


def clean_title(text: str) -> str:
    """One line of plain text: control characters and line breaks become spaces; TITLE_MAX long."""
    line = " ".join(blank_unsafe(text).split())
    if len(line) > TITLE_MAX:
        line = line[: TITLE_MAX - 1].rstrip() + "…"
    return line


def redact_base_url(url: str | None) -> str | None:
    """A base URL as the store saves it and transcripts show it: without credentials
    (`?api-key=`, `user:password@`); a transcript is shared, so it is redacted again on export."""
    return redact_url(url) if url else url


def redact_params(params: dict[str, Any]) -> dict[str, Any]:
    """Request parameters minus entries whose name looks like a credential (api_key, headers)."""
    return {k: v for k, v in params.items() if not SECRET_NAME.search(k) and k.lower() != "headers"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One row of the history list: cheap to load by the hundred."""

    id: ConversationId
    title: str
    created_at: datetime
    updated_at: datetime
    model: str | None
    profile: str | None
    message_count: int
    cost: float | None = None
    """Dollars: the sum of the replies' costs that are known (None when none is)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "model": self.model,
            "profile": self.profile,
            "messages": self.message_count,
            "cost": self.cost,
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A conversation matching a search, with a snippet of the newest matching text.

    `snippet` is plain text (never markup); `highlights` are (start, end) offsets into it of the
    matched terms, for the UI to style. `message_id` is None when only the title matched.
    """

    conversation: ConversationSummary
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    message_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {**self.conversation.to_json(), "snippet": self.snippet}


@dataclass(slots=True)
class ConversationMeta:
    id: ConversationId
    title: str
    created_at: datetime
    updated_at: datetime
    profile: str | None = None
    base_url: str | None = None
    model: str | None = None
    system: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def timings_to_json(timings: Timings) -> dict[str, float] | None:
    """Monotonic timestamps mean nothing in another process: keep offsets from the request."""
    start = timings.request_sent
    if start is None:
        return None
    marks = {
        "first_byte_s": timings.first_byte,
        "first_token_s": timings.first_token,
        "last_token_s": timings.last_token,
        "finished_s": timings.finished,
    }
    return {k: round(v - start, 6) for k, v in marks.items() if v is not None}


def timings_from_json(data: dict[str, Any] | None) -> Timings:
    if not data:
        return Timings()

    def mark(name: str) -> float | None:
        value = data.get(name)
        return float(value) if isinstance(value, int | float) else None

    return Timings(
        request_sent=0.0,
        first_byte=mark("first_byte_s"),
        first_token=mark("first_token_s"),
        last_token=mark("last_token_s"),
        finished=mark("finished_s"),
    )


@dataclass(slots=True)
class StoredMessage:
    """One message as saved. `state` is meaningful for assistant replies; others are complete."""

    role: str
    content: str = ""
    reasoning: str = ""
    refusal: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, float] | None = None
    state: ReplyState = ReplyState.COMPLETE
    error: ErrorInfo | None = None
    model: str | None = None
    created_at: datetime = field(default_factory=_utc_now)
    id: int | None = None
    parent_id: int | None = None
    """The message this one answers or follows (None: the conversation starts here). Siblings
    are alternatives: an edited question, a regenerated reply (see store/tree.py)."""
    # A tool result's run: {"server", "tool", "approval", "duration_s", "is_error"} (MCP tools).
    tool_meta: dict[str, Any] | None = None
    cost: float | None = None
    """Dollars, for an assistant reply whose model's prices were known when it finished."""
    attachments: tuple[Attachment, ...] = ()
    """Files and images sent with a user message, in order."""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown message role {self.role!r}")

    @classmethod
    def from_reply(cls, reply: Reply, *, created_at: datetime | None = None) -> StoredMessage:
        return cls(
            role="assistant",
            content=reply.content,
            reasoning=reply.reasoning,
            refusal=reply.refusal,
            tool_calls=[ToolCall(c.id, c.name, c.arguments) for c in reply.tool_calls],
            finish_reason=reply.finish_reason,
            usage=dict(reply.usage) if reply.usage is not None else None,
            timings=timings_to_json(reply.timings),
            state=reply.state,
            error=reply.error,
            model=reply.model,
            created_at=created_at or _utc_now(),
            cost=reply.cost,
        )

    def to_reply(self) -> Reply:
        return Reply(
            content=self.content,
            reasoning=self.reasoning,
            refusal=self.refusal,
            tool_calls=[ToolCall(c.id, c.name, c.arguments) for c in self.tool_calls],
            finish_reason=self.finish_reason,
            usage=dict(self.usage) if self.usage is not None else None,
            model=self.model,
            state=self.state,
            error=self.error,
            timings=timings_from_json(self.timings),
            cost=self.cost,
        )

    def to_openai(self) -> dict[str, Any]:
        """The message in OpenAI chat format (assistant ones as `Reply.to_openai_message`)."""
        if self.role == "assistant":
            return self.to_reply().to_openai_message()
        msg: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.attachments:
            # Kept apart from the text: chat/state.py makes them content parts when sending.
            msg["attachments"] = self.attachments
        if self.role == "tool":
            msg["tool_call_id"] = self.tool_call_id or ""
        return msg


@dataclass(slots=True)
class Conversation:
    """A saved conversation: every message of every branch (in the order they were made) and the
    active branch's last message. Messages built in memory without ids read as one line."""

    meta: ConversationMeta
    messages: list[StoredMessage]
    active_leaf: int | None = None

    @property
    def id(self) -> ConversationId:
        return self.meta.id

    def tree(self) -> MessageTree:
        return MessageTree(self.messages, self.active_leaf)

    def path(self) -> list[StoredMessage]:
        """The active branch, from the first message to the active leaf."""
        if any(m.id is None for m in self.messages):
            return list(self.messages)
        return self.tree().path()

    def to_openai_messages(
        self, *, with_system: bool = False, reasoning_with_tool_calls: bool = True
    ) -> list[dict[str, Any]]:
        """The history to send when continuing this conversation: its active branch."""
        out: list[dict[str, Any]] = []
        if with_system and self.meta.system:
            out.append({"role": "system", "content": self.meta.system})
        out.extend(openai_history(self.path(), reasoning_with_tool_calls=reasoning_with_tool_calls))
        return out


def openai_history(
    path: list[StoredMessage], *, reasoning_with_tool_calls: bool = True
) -> list[dict[str, Any]]:
    """A branch's messages as sent to continue it.

    Left out, because an endpoint would reject them (the same rules as the engine's
    ConversationState): assistant replies that produced nothing (an error before the first
    token), tool calls of a reply that did not complete (they may be cut in half), and tool
    calls that never got a result.
    """
    answered = {m.tool_call_id for m in path if m.role == "tool" and m.tool_call_id}
    out: list[dict[str, Any]] = []
    for message in path:
        if message.role != "assistant":
            out.append(message.to_openai())
            continue
        reply = message.to_reply()
        complete = reply.state is ReplyState.COMPLETE
        reply.tool_calls = [c for c in reply.tool_calls if complete and c.id and c.id in answered]
        if not reply.content and not reply.refusal and not reply.tool_calls:
            continue
        out.append(reply.to_openai_message(reasoning_with_tool_calls=reasoning_with_tool_calls))
    return out
