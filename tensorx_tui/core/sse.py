"""Incremental server-sent-events decoder on bytes (WHATWG HTML rules). INTERFACE STUB."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed network reads with `feed(bytes)`; call `close()` at end of stream."""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        raise NotImplementedError

    def close(self) -> list[SSEEvent]:
        """End of stream: returns events still complete (a trailing CR line end), discards the rest."""
        raise NotImplementedError
