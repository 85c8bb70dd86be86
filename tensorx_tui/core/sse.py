"""Incremental server-sent-events decoder on bytes (WHATWG HTML "event stream interpretation").

Differences from popular Python parsers (httpx-sse, the openai SDK), all on purpose:
- one leading BOM is stripped, even when its bytes are split across reads;
- a CR that ends a read ends the line at once (a following LF in the next read is swallowed), so the
  last event of a stream ending in CR is not held back waiting for bytes that never come;
- blocks with no `data` field (`event:`-only, `retry:`-only, `id:`-only) fire nothing;
- the text is always UTF-8 (a declared charset is ignored), invalid bytes become U+FFFD.

One deliberate extension: old llama.cpp servers (through 2025) report a mid-stream failure as a
non-standard `error: {...}` line, which a strict decoder drops, losing the message. Lines of a field
named exactly `error` are collected like `data` lines and fired, at the blank line, as a separate
`SSEEvent(event="error")` (after the block's ordinary event, if it had `data` too). Pass
`error_field=False` for the strict behaviour.

Speed: each read is decoded once and split with `str.split`; per-line work is a few string
operations. A line that arrives in thousands of tiny reads is kept as a list of pieces and joined
once, so cost stays linear in the bytes received.
"""

from __future__ import annotations

from codecs import utf_8_decode
from typing import NamedTuple


class SSEEvent(NamedTuple):
    """One dispatched event (immutable).

    `id` is the last event id in effect (it persists across events, as the spec says); `retry` is
    the reconnection time (ms) in effect: the last valid `retry:` value seen so far, or None.

    A NamedTuple rather than a frozen dataclass because one is built per event on the hot path and
    a tuple is about four times cheaper to create.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


_BOM = "\ufeff"
_new_event = tuple.__new__


class SSEDecoder:
    """Feed network reads with `feed(bytes)`; call `close()` at end of stream."""

    __slots__ = (
        "_bom_pending",
        "_data",
        "_error_field",
        "_errors",
        "_event_type",
        "_idle",
        "_line_parts",
        "_raw_tail",
        "_skip_lf",
        "last_event_id",
        "retry",
    )

    def __init__(self, *, error_field: bool = True) -> None:
        self._error_field = error_field
        # Bytes of an incomplete UTF-8 sequence at the end of the previous read.
        self._raw_tail = b""
        # True until the first decoded character has been seen (and a BOM dropped).
        self._bom_pending = True
        # The previous read ended with CR: an LF starting the next read belongs to that line end.
        self._skip_lf = False
        # Pieces of the line still being received (no line end yet).
        self._line_parts: list[str] = []
        self._data: list[str] = []
        self._errors: list[str] = []
        self._event_type = ""
        # Nothing pending at all (so a read can be decoded on its own): see `feed`.
        self._idle = False
        self.last_event_id: str | None = None
        self.retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        # Servers usually flush one event per token, so a read is often exactly one plain
        # `data: ...\n\n` event. With nothing pending, it is decoded right here.
        if self._idle and chunk[-2:] == b"\n\n" and chunk[:6] == b"data: ":
            body = chunk[6:-2]
            if b"\n" not in body and b"\r" not in body:
                try:
                    text: str | None = body.decode()
                except UnicodeDecodeError:
                    text = None  # invalid or split UTF-8: the general path replaces or waits
                if text is not None:
                    return [_new_event(SSEEvent, (text, "message", self.last_event_id, self.retry))]
        events = self._feed(chunk)
        self._idle = not (
            self._raw_tail
            or self._line_parts
            or self._data
            or self._errors
            or self._event_type
            or self._skip_lf
            or self._bom_pending
        )
        return events

    def _feed(self, chunk: bytes) -> list[SSEEvent]:
        if self._raw_tail:
            chunk = self._raw_tail + chunk
        text, used = utf_8_decode(chunk, "replace", False)
        self._raw_tail = chunk[used:] if used < len(chunk) else b""
        if not text:
            return []
        if self._bom_pending:
            self._bom_pending = False
            if text[0] == _BOM:
                text = text[1:]
                if not text:
                    return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            if text[-1] == "\r":
                self._skip_lf = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        elif "\n" not in text:
            # No line end in this read: keep the piece, do not rescan what came before.
            self._line_parts.append(text)
            return []
        lines = text.split("\n")
        if self._line_parts:
            self._line_parts.append(lines[0])
            lines[0] = "".join(self._line_parts)
            self._line_parts = []
        tail = lines.pop()
        if tail:
            self._line_parts.append(tail)
        return self._process(lines)

    def close(self) -> list[SSEEvent]:
        """End of stream: returns events still complete (a trailing CR line end), discards the rest.

        A CR at the end of a read already ended its line in `feed`, so nothing complete is pending:
        what remains is an unfinished event, which the spec says to discard.
        """
        self._raw_tail = b""
        self._line_parts = []
        self._data = []
        self._errors = []
        self._event_type = ""
        self._skip_lf = False
        self._idle = not self._bom_pending
        return []

    def _process(self, lines: list[str]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            # The overwhelmingly common line first: `data: {...}`.
            if line[:6] == "data: ":
                data.append(line[6:])
            elif not line:
                if data:
                    kind = self._event_type or "message"
                    fields = ("\n".join(data), kind, self.last_event_id, self.retry)
                    events.append(_new_event(SSEEvent, fields))
                    data = []
                if self._errors:
                    fields = ("\n".join(self._errors), "error", self.last_event_id, self.retry)
                    events.append(_new_event(SSEEvent, fields))
                    self._errors = []
                self._event_type = ""
            elif line[0] != ":":
                self._data = data
                self._field(line)
        self._data = data
        return events

    def _field(self, line: str) -> None:
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self.retry = int(value)
        elif name == "error" and self._error_field:
            self._errors.append(value)
