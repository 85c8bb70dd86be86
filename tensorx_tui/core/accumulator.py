"""Turns decoded chat-completion chunks into typed events and one final Reply.

Deterministic and total: any JSON value is accepted, nothing raises, and the result depends only on
the sequence of payloads (so on the bytes, whatever the network boundaries). The shapes met in the
wild (see shared/protocol.md) are normalised here:

- usage on any chunk (also `choices: []`), merged key by key; a later `null` never erases it;
- `reasoning_content`, else `reasoning` (never both, so servers sending both are not doubled);
  OpenRouter's `reasoning_details` text and summary parts only when neither is present (encrypted
  parts are opaque: never text);
- content as a list of typed parts (Mistral): `text` parts are answer, `thinking` parts reasoning,
  `refusal` parts refusal;
- inline `<think>…</think>` in the content (models served without a reasoning parser) is split
  into reasoning and answer as it streams, by the rule in think_tags.py (`think_tags=False` turns
  it off); an implicit thought closed late gives a ContentReclassified event;
- `refusal` (delta or message) is kept apart from the content, with RefusalDelta events;
- Groq's usage in `x_groq.usage` counts when the chunk has no `usage`;
- tool-call fragments are routed to dense 0-based positions: by wire `index` when there is one (a
  NEW id on a known index starts a new call), else to the current call (a new id, or a name arriving
  when the current call's arguments are already complete JSON, starts a new one). Repeated ids and
  names are kept once (a known id without an index goes back to its call); arguments sent as an
  object stay an object; a fragment that repeats the whole complete arguments string (vLLM's final
  flush) is ignored;
- the legacy `function_call` is a tool call, unless the stream also sends `tool_calls`;
- a non-streamed completion (`choices[0].message`) fed as one chunk gives the same reply;
- errors (`{"error": {...}}`, `{"error": "text"}`, `{"object": "error", ...}`, `finish_reason:
  "error"`, an `event: error` SSE event) become one StreamError and the ERROR state.

Non-JSON data in an ordinary event is ignored and counted in `ignored_data` (proxies send stray
heartbeats); non-JSON data in an `event: error` event is the error message.

Hot path: a content chunk costs a few dict look-ups, one list append and one small event (and,
while a `</think>` could still end an implicit thought, one scan of the delta for "<"). The text
is kept as a list of parts and joined only when `reply.content` (or `reasoning`, `tool_calls`) is
read: `accumulator.reply` is one live object, always current, that can be read on every event at no
cost and whose text costs one join per read after a change.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from json.decoder import JSONDecoder
from json.scanner import make_scanner
from typing import Any, cast

from tensorx_tui.core.error_values import describe_error, json_text
from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    Finished,
    ReasoningDelta,
    RefusalDelta,
    StreamError,
    StreamEvent,
    ToolCallDelta,
    UsageUpdated,
)
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, ToolCall
from tensorx_tui.core.think_tags import BUSY, CONTENT, REASONING, WATCH, Op, ThinkTagSplitter
from tensorx_tui.core.tool_call_parts import CallParts, joined

_loads = json.loads
_GENERIC_ERROR = 'The provider ended the reply with an error (finish_reason "error").'


class _LiveReply(Reply):
    """A Reply whose text fields are joined from the accumulator's parts when they are read.

    Everything else about Reply (fields, to_json, equality between live replies) is unchanged;
    assigning `content`, `reasoning`, `refusal` or `tool_calls` works too (the value replaces the
    parts).
    """

    __slots__ = (
        "_calls",
        "_calls_dirty",
        "_content_parts",
        "_reasoning_parts",
        "_refusal_parts",
        "_tool_calls",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._content_parts: list[str] = []
        self._reasoning_parts: list[str] = []
        self._refusal_parts: list[str] = []
        self._calls: list[CallParts] = []
        self._calls_dirty = False
        self._tool_calls: list[ToolCall] = []
        super().__init__(*args, **kwargs)

    @property
    def content(self) -> str:
        return joined(self._content_parts)

    @content.setter
    def content(self, value: str) -> None:
        self._content_parts[:] = [value] if value else []

    @property
    def reasoning(self) -> str:
        return joined(self._reasoning_parts)

    @reasoning.setter
    def reasoning(self, value: str) -> None:
        self._reasoning_parts[:] = [value] if value else []

    @property
    def refusal(self) -> str:
        return joined(self._refusal_parts)

    @refusal.setter
    def refusal(self, value: str) -> None:
        self._refusal_parts[:] = [value] if value else []

    @property
    def tool_calls(self) -> list[ToolCall]:
        if self._calls_dirty:
            self._calls_dirty = False
            self._tool_calls[:] = [call.to_tool_call() for call in self._calls]
        return self._tool_calls

    @tool_calls.setter
    def tool_calls(self, value: list[ToolCall]) -> None:
        self._tool_calls = value
        self._calls_dirty = False


class Accumulator:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, think_tags: bool = True
    ) -> None:
        """`think_tags=False` leaves `<think>` tags in the content as text (see think_tags.py)."""
        self._clock = clock
        self._reply = reply = _LiveReply()
        # The reply's own lists, appended to on the hot path.
        self._content = reply._content_parts
        self._reasoning = reply._reasoning_parts
        self._refusal = reply._refusal_parts
        # The inline-reasoning splitter, and its mode (PASS 0, WATCH 1, BUSY 2) for the hot path.
        self._tags = ThinkTagSplitter(lambda: reply.content) if think_tags else None
        self._tag_mode = self._tags.mode if self._tags is not None else 0
        self._calls = reply._calls
        self._by_index: dict[int, int] = {}  # wire index -> position of its current call
        self._by_id: dict[str, int] = {}  # tool-call id -> position
        self._current: int | None = None  # position of the call a fragment without index continues
        self._tool_calls_seen = False
        self._usage: dict[str, Any] | None = None
        self._finish_reason: str | None = None
        self._error: ErrorInfo | None = None
        self._done_marker = False
        self._done = False
        self._finished = False
        # Ordinary events whose data was not JSON (ignored).
        self.ignored_data = 0
        # The scanner json.loads uses (C), with the default decoder's settings; one per instance
        # because it keeps a key memo between its own calls.
        self._scan = make_scanner(cast(Any, JSONDecoder()))

    # ----------------------------------------------------------------------------- public API

    @property
    def reply(self) -> Reply:
        """The reply so far: one live object, current whenever its fields are read."""
        return self._reply

    @property
    def done(self) -> bool:
        """True once `[DONE]` was seen or an error ended the stream."""
        return self._done

    def feed_data(self, data: str, event: str = "message") -> list[StreamEvent]:
        """One SSE `data` payload (JSON text or `[DONE]`) and its SSE event type. Never raises.

        Payloads arriving after `done` are ignored.
        """
        if self._done:
            return []
        if event == "error":
            return self._error_event(data)
        if data == "[DONE]" or (len(data) < 64 and data.strip() == "[DONE]"):
            self._done = self._done_marker = True
            return self._release_tags() if self._tag_mode == BUSY else []
        try:
            chunk = self._parse(data)
        except (ValueError, RecursionError):
            self.ignored_data += 1
            return []
        if type(chunk) is dict:
            return self._chunk(chunk)
        return self.feed(chunk)

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """One parsed JSON chunk (any JSON value). Never raises."""
        if self._done:
            return []
        if isinstance(chunk, dict):
            return self._chunk(chunk)
        events: list[StreamEvent] = []
        if isinstance(chunk, list):
            # Gemini's compatibility layer wraps error bodies in a list.
            for item in chunk:
                if isinstance(item, dict) and not self._done:
                    events += self._chunk(item)
        return events

    def _parse(self, text: str) -> Any:
        """`json.loads(text)`, faster: the C scanner that json.loads ends in, called directly.

        json.loads spends about a third of its time on a type check and two whitespace regex
        matches; for the usual `{...}` payload those are skipped. Anything unusual (leading or
        trailing junk, empty text) goes through json.loads itself, for the same result or error.
        """
        try:
            value, end = self._scan(text, 0)
        except StopIteration:
            return _loads(text)
        if end != len(text) and text[end:].strip(" \t\n\r"):
            return _loads(text)  # raises "Extra data"
        return value

    def finish(self, state: ReplyState | None = None) -> Reply:
        """Close the reply: `state` forces cancelled/error; otherwise complete if a finish_reason or
        [DONE] was seen, else interrupted. Idempotent (the first call decides)."""
        r = self.reply
        if self._finished:
            return r
        self._finished = True
        if self._tag_mode == BUSY:
            self._release_tags()  # into the reply only: the stream is over, no one reads events
        if state is not None:
            r.state = state
        elif self._error is not None:
            r.state = ReplyState.ERROR
        elif self._finish_reason is not None or self._done_marker:
            r.state = ReplyState.COMPLETE
        else:
            r.state = ReplyState.INTERRUPTED
        if r.timings.finished is None:
            r.timings.finished = self._clock()
        return r

    # ----------------------------------------------------------------------------- chunks

    def _chunk(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        reply = self._reply
        if reply.model is None:
            model = chunk.get("model")
            if isinstance(model, str) and model:
                reply.model = model
        tokens = False
        choices = chunk.get("choices")
        if type(choices) is list:
            for choice in choices:
                if type(choice) is not dict or choice.get("index"):
                    continue  # n > 1: only the first choice (index 0 or none) is shown
                delta = choice.get("delta")
                if type(delta) is dict:
                    content = delta.get("content")
                    if type(content) is str and len(delta) == 1:
                        # The hot path: a plain content delta.
                        if content:
                            mode = self._tag_mode  # 1 is WATCH (a literal: no global look-up)
                            if (mode == 1 and "<" not in content) or not mode:
                                self._content.append(content)
                                events.append(ContentDelta(content))
                            else:
                                self._tagged(content, events)
                            tokens = True
                    else:
                        tokens = self._delta(delta, events, None) or tokens
                elif isinstance(delta, dict):
                    tokens = self._delta(delta, events, None) or tokens
                else:
                    message = choice.get("message")
                    if isinstance(message, dict):
                        tokens = self._delta(message, events, 0) or tokens
                    else:
                        text = choice.get("text")  # legacy /completions shape
                        if isinstance(text, str) and text:
                            self._add_content(text, events)
                            tokens = True
                reason = choice.get("finish_reason")
                if reason and isinstance(reason, str) and reason != self._finish_reason:
                    if self._tag_mode == BUSY:
                        events += self._release_tags()
                    self._finish_reason = reply.finish_reason = reason
                    events.append(Finished(reason))
                    if reason == "error" and choice.get("error") is not None:
                        self._record_error(choice["error"], events)
        elif chunk.get("object") == "error":
            self._record_error(chunk, events)  # vLLM's error body (it has no choices)
        usage = chunk.get("usage")
        if usage is None and "x_groq" in chunk:
            groq = chunk["x_groq"]
            usage = groq.get("usage") if isinstance(groq, dict) else None
        if usage and isinstance(usage, dict):
            self._merge_usage(usage, events)
        error = chunk.get("error")
        if error is not None and error is not False and error != "":
            self._record_error(error, events)
        if self._finish_reason == "error" and self._error is None:
            self._record_error(_GENERIC_ERROR, events)
        if tokens:
            now = self._clock()
            timings = reply.timings
            if timings.first_token is None:
                timings.first_token = now
            timings.last_token = now
        return events

    def _delta(self, delta: dict[str, Any], events: list[StreamEvent], whole: int | None) -> bool:
        """Apply one `delta` (or a whole `message` when `whole` is 0); True if it carried tokens."""
        tokens = False
        content = delta.get("content")
        if content:
            if type(content) is str:
                self._add_content(content, events)
                tokens = True
            elif isinstance(content, list):
                tokens = self._content_parts(content, events)
        reasoning = delta.get("reasoning_content")
        if not reasoning or type(reasoning) is not str:
            other = delta.get("reasoning")
            if other is not None or reasoning is not None:
                reasoning = other
            elif "reasoning_details" in delta:
                reasoning = _details_text(delta["reasoning_details"])
        if reasoning and type(reasoning) is str:
            self._add_reasoning(reasoning, events)
            tokens = True
        refusal = delta.get("refusal")
        if refusal and type(refusal) is str:
            self._add_refusal(refusal, events)
            tokens = True
        tool_calls = delta.get("tool_calls")
        if tool_calls is not None:
            if isinstance(tool_calls, list) and tool_calls:
                self._tool_calls_seen = True
                for i, fragment in enumerate(tool_calls):
                    if isinstance(fragment, dict):
                        default = None if whole is None else whole + i
                        tokens = self._tool_fragment(fragment, default, events) or tokens
        elif "function_call" in delta and not self._tool_calls_seen:
            legacy = delta["function_call"]
            if isinstance(legacy, dict):
                tokens = self._tool_fragment({"function": legacy}, None, events) or tokens
        return tokens

    def _content_parts(self, parts: list[Any], events: list[StreamEvent]) -> bool:
        """Content as a list of typed parts (Mistral): text parts, and `thinking` parts."""
        tokens = False
        for part in parts:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "text":
                text = part.get("text")
                if isinstance(text, str) and text:
                    self._add_content(text, events)
                    tokens = True
            elif kind == "thinking":
                text = _details_text(part.get("thinking"))
                if text:
                    self._add_reasoning(text, events)
                    tokens = True
            elif kind == "refusal":
                text = part.get("refusal")
                if isinstance(text, str) and text:
                    self._add_refusal(text, events)
                    tokens = True
        return tokens

    # ----------------------------------------------------------------------------- text

    def _add_content(self, text: str, events: list[StreamEvent]) -> None:
        mode = self._tag_mode
        if not mode or (mode == WATCH and "<" not in text):
            self._content.append(text)
            events.append(ContentDelta(text))
        else:
            self._tagged(text, events)

    def _add_reasoning(self, text: str, events: list[StreamEvent]) -> None:
        if self._tag_mode and self._tags is not None:
            self._apply(self._tags.reasoning_arrived(), events)
        self._reasoning.append(text)
        events.append(ReasoningDelta(text))

    def _add_refusal(self, text: str, events: list[StreamEvent]) -> None:
        self._refusal.append(text)
        events.append(RefusalDelta(text))

    def _tagged(self, text: str, events: list[StreamEvent]) -> None:
        """Content through the inline-reasoning splitter."""
        if self._tags is not None:
            self._apply(self._tags.feed(text), events)

    def _release_tags(self) -> list[StreamEvent]:
        """The splitter's held text, released as the stream ends."""
        events: list[StreamEvent] = []
        if self._tags is not None:
            self._apply(self._tags.flush(), events)
        return events

    def _apply(self, ops: list[Op], events: list[StreamEvent]) -> None:
        for kind, text in ops:
            if kind == CONTENT:
                self._content.append(text)
                events.append(ContentDelta(text))
            elif kind == REASONING:
                self._reasoning.append(text)
                events.append(ReasoningDelta(text))
            else:  # RECLASSIFY: the content so far was an implicit thought
                moved = joined(self._content)
                if moved:
                    self._content.clear()
                    self._reasoning.append(moved)
                    events.append(ContentReclassified(moved))
        if self._tags is not None:
            self._tag_mode = self._tags.mode

    def _merge_usage(self, usage: dict[str, Any], events: list[StreamEvent]) -> None:
        # Always a new dict: earlier UsageUpdated events keep the values they carried.
        merged = dict(self._usage) if self._usage else {}
        for key, value in usage.items():
            if value is not None:
                merged[key] = value
        if merged and merged != self._usage:
            self._usage = self._reply.usage = merged
            events.append(UsageUpdated(merged))

    # ----------------------------------------------------------------------------- tool calls

    def _tool_fragment(
        self, fragment: dict[str, Any], default_index: int | None, events: list[StreamEvent]
    ) -> bool:
        index = fragment.get("index")
        if type(index) is not int:
            index = default_index
        call_id = fragment.get("id")
        if not (call_id and isinstance(call_id, str)):
            call_id = None
        function = fragment.get("function")
        name: Any = None
        arguments: Any = None
        if isinstance(function, dict):
            name = function.get("name")
            arguments = function.get("arguments")
        if not (name and isinstance(name, str)):
            name = None

        if index is not None:
            position = self._by_index.get(index)
        elif call_id is not None and call_id in self._by_id:
            position = self._by_id[call_id]
        else:
            position = self._current
        changed = False
        if position is None or not self._same_call(
            self._calls[position], call_id, name, index is None
        ):
            if call_id is None and name is None and arguments in (None, ""):
                return False  # an empty fragment (`{}`, `{"index": -1}`) is not a call to make
            position = len(self._calls)
            self._calls.append(CallParts())
            if index is not None:
                self._by_index[index] = position
            changed = True
        call = self._calls[position]
        self._current = position
        if call_id is not None and call.id is None:
            call.id = call_id
            self._by_id.setdefault(call_id, position)
            changed = True
        if name is not None and call.name is None:
            call.name = name
            changed = True
        added = self._add_arguments(call, arguments)
        if added is None:
            changed = True
            added = ""
        if not (changed or added):
            return False
        self._reply._calls_dirty = True
        events.append(ToolCallDelta(position, call.id, call.name, added))
        return True

    @staticmethod
    def _same_call(call: CallParts, call_id: str | None, name: str | None, no_index: bool) -> bool:
        if call_id is not None and call.id is not None:
            return call_id == call.id
        if name is not None and call.name is not None and name != call.name:
            return False
        # Without an index, a named fragment after complete arguments is the next whole call.
        return not (no_index and name is not None and call.is_complete_json())

    @staticmethod
    def _add_arguments(call: CallParts, arguments: Any) -> str | None:
        """Append `arguments`; returns the text added, or None when an object replaced them."""
        if arguments is None or arguments == "":
            return ""
        if isinstance(arguments, dict | list):
            if call.obj is None and not call.parts:
                call.obj = arguments
                return json_text(arguments)
            if call.obj == arguments:
                return ""  # the same object repeated
            if call.obj is not None or call.text() == json_text(arguments):
                call.obj = arguments
                call.parts = []
                call.length = 0
                return None
        text = arguments if isinstance(arguments, str) else json_text(arguments)
        if call.obj is not None:
            # Text after an object: continue from the object's text so nothing is lost.
            call.parts = [json_text(call.obj)]
            call.length = len(call.parts[0])
            call.obj = None
        if len(text) == call.length and text == call.text() and call.is_complete_json():
            return ""  # vLLM's final flush repeating the whole, already complete, arguments
        call.parts.append(text)
        call.length += len(text)
        return text

    # ----------------------------------------------------------------------------- errors

    def _error_event(self, data: str) -> list[StreamEvent]:
        """Data of an `event: error` SSE event, or of old llama.cpp's non-standard `error:` line."""
        payload: Any
        try:
            payload = _loads(data)
        except (ValueError, RecursionError):
            payload = data.strip() or "The server sent an error event without details."
        if isinstance(payload, dict) and payload.get("error") is not None:
            payload = payload["error"]
        events: list[StreamEvent] = []
        self._record_error(payload, events)
        return events

    def _record_error(self, error: Any, events: list[StreamEvent]) -> None:
        if self._error is not None:
            return  # the first error is the one to show
        if self._tag_mode == BUSY:
            events += self._release_tags()
        message, status, kind, code = describe_error(error)
        self._error = ErrorInfo(message=message, status=status, type=kind)
        self._reply.error = self._error
        self._reply.state = ReplyState.ERROR
        self._done = True
        events.append(StreamError(message=message, status=status, type=kind, code=code))


def _details_text(details: Any) -> str:
    """Text of OpenRouter `reasoning_details` (or Mistral `thinking` parts): a string or a list."""
    if isinstance(details, str):
        return details
    if not isinstance(details, list):
        return ""
    pieces = []
    for item in details:
        if isinstance(item, dict) and item.get("type") != "reasoning.encrypted":
            text = item.get("text")
            if not isinstance(text, str):
                text = item.get("summary")
            if isinstance(text, str):
                pieces.append(text)
    return "".join(pieces)
