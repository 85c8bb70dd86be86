"""The conversation being chatted, in memory: OpenAI-format messages plus its own settings.

Pure Python (no Textual) so the rules are unit-tested: what is sent, which tool calls still wait
for a result. Another branch followed (the engine's tree) replaces the history whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.content_parts import user_content
from tensorx_tui.core.reply import Reply, ReplyState, ToolCall
from tensorx_tui.core.request import ChatRequest, with_system

# Sent for a tool call the user chose not to answer, so the next request stays valid (OpenAI rejects
# an assistant `tool_calls` message that is not followed by one `tool` message per call).
SKIPPED_TOOL_RESULT = "(no result: the user skipped this tool call)"


@dataclass
class ConversationState:
    model: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    tools: list[dict[str, Any]] | None = None
    reasoning_with_tool_calls: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)
    """Everything but the system prompt, in order, as sent to the API."""
    _pending: list[ToolCall] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.messages

    @property
    def pending_tool_calls(self) -> list[ToolCall]:
        """Tool calls of the last assistant reply that have no result yet."""
        return list(self._pending)

    def add_user(self, text: str, attachments: Sequence[Attachment] = ()) -> None:
        """`attachments` ride along under an "attachments" key (the typed text stays the content):
        they become content parts only in the request (`wire_messages`)."""
        self.skip_pending_tool_calls()
        message: dict[str, Any] = {"role": "user", "content": text}
        if attachments:
            message["attachments"] = tuple(attachments)
        self.messages.append(message)

    def last_user_attachments(self) -> tuple[Attachment, ...]:
        for message in reversed(self.messages):
            if message["role"] == "user":
                return tuple(message.get("attachments", ()))
        return ()

    def add_assistant(self, reply: Reply) -> None:
        """Record a reply. A reply with nothing in it (an error before any token) is not sent back.

        Tool calls wait for results only when the reply finished normally: a cancelled or broken
        reply's calls may be cut in half, so they are not sent back at all.
        """
        complete_calls = reply.tool_calls if reply.state == ReplyState.COMPLETE else []
        if not reply.content and not reply.refusal and not complete_calls:
            self._pending = []
            return
        message = reply.to_openai_message(reasoning_with_tool_calls=self.reasoning_with_tool_calls)
        if not complete_calls:
            message.pop("tool_calls", None)
            message.pop("reasoning_content", None)
        self.messages.append(message)
        self._pending = list(complete_calls)

    def add_tool_result(self, call: ToolCall, result: str) -> None:
        self.messages.append({"role": "tool", "tool_call_id": call.id or "", "content": result})
        self._pending = [c for c in self._pending if c is not call]

    def skip_pending_tool_calls(self) -> None:
        for call in self.pending_tool_calls:
            self.add_tool_result(call, SKIPPED_TOOL_RESULT)

    def last_user_text(self) -> str | None:
        for message in reversed(self.messages):
            if message["role"] == "user":
                return str(message["content"])
        return None

    def can_regenerate(self) -> bool:
        return self.last_user_text() is not None

    def replace_history(self, messages: list[dict[str, Any]]) -> None:
        """Another branch is followed: these are the messages sent from now on (they come from
        the saved tree, where unanswered tool calls are already left out)."""
        self.messages[:] = messages
        self._pending = []

    def clear(self) -> None:
        self.messages.clear()
        self._pending = []

    def build_request(self) -> ChatRequest:
        return ChatRequest(
            model=self.model,
            messages=with_system(self.system, wire_messages(self.messages)),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            tools=self.tools or None,
        )


def wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as sent: a user message's attachments become content parts."""
    out: list[dict[str, Any]] = []
    for message in messages:
        attachments = message.get("attachments")
        if attachments:
            message = {k: v for k, v in message.items() if k != "attachments"}
            message["content"] = user_content(str(message["content"]), attachments)
        out.append(message)
    return out
