"""A request's JSON body, written without copying attached images.

`json.dumps` of a message holding a 20 MB image as a data URL builds the 27 MB base64 string, the
JSON text around it, and the bytes of that (measured ~5x the file at the peak). Here each image
stays as its raw bytes (a `DataURL`); the JSON around it is dumped with a placeholder in its place,
and the body is written piece by piece, base64-encoding the image as it goes. The length is known
in advance, so the body is sent with a Content-Length (servers that refuse chunked uploads are
common), not chunked.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from tensorx_tui.core.content_parts import DataURL


@dataclass(frozen=True, slots=True)
class RequestBody:
    pieces: tuple[bytes | DataURL, ...]

    @property
    def length(self) -> int:
        return sum(len(p) if isinstance(p, bytes) else p.length for p in self.pieces)

    @property
    def streams(self) -> bool:
        """Whether there is an image to stream (otherwise `whole()` is as cheap)."""
        return any(isinstance(p, DataURL) for p in self.pieces)

    def chunks(self) -> Iterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from piece.pieces()

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks():
            yield chunk

    def whole(self) -> bytes:
        return b"".join(self.chunks())


def encode_body(payload: Any) -> RequestBody:
    """`payload` as JSON (as httpx's `json=` writes it), images streamed from their bytes."""
    found: list[DataURL] = []
    # A random mark cannot be forged by text in the request (a user could type any fixed one).
    mark = secrets.token_hex(16)

    def placeholder(value: Any) -> str:
        if isinstance(value, DataURL):
            found.append(value)
            return f"{mark}:{len(found) - 1}"
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    text = json.dumps(
        payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=placeholder
    )
    if not found:
        return RequestBody((text.encode("utf-8"),))
    pieces: list[bytes | DataURL] = []
    cut = re.compile(rf'"{mark}:(\d+)"')
    start = 0
    for match in cut.finditer(text):
        pieces.append(text[start : match.start()].encode("utf-8") + b'"')
        pieces.append(found[int(match.group(1))])
        pieces.append(b'"')
        start = match.end()
    pieces.append(text[start:].encode("utf-8"))
    return RequestBody(tuple(pieces))
