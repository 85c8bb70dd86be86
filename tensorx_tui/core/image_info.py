"""An image's format and pixel size, read from its header (PNG, JPEG, GIF, WebP).

No imaging library: only the few bytes each format puts first are read. Files are untrusted
(a truncated download, a renamed binary, something made to be hostile): every read is bounds
checked and a bad header is an `ImageError` with a plain message, never an IndexError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MIME: Final = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
# A JPEG's size is in its SOF segment, after any EXIF/ICC segments; a camera's can be ~100 kB in.
_JPEG_SCAN_LIMIT: Final = 4 * 1024 * 1024
# SOF0-SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class ImageError(ValueError):
    """The file starts like an image but its header cannot be read."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # "png" | "jpeg" | "gif" | "webp"
    width: int
    height: int

    @property
    def mime(self) -> str:
        return MIME[self.format]

    def describe(self) -> str:
        return f"{self.format.upper()} {self.width}×{self.height}"


def sniff_image(head: bytes) -> str | None:
    """The image format the first bytes announce, or None (not one of the four)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def image_info(data: bytes) -> ImageInfo:
    """Format and size of an image; ImageError when it is not one or its header is broken."""
    kind = sniff_image(data[:16])
    if kind is None:
        raise ImageError("not a PNG, JPEG, GIF or WebP image")
    width, height = _READERS[kind](data)
    if width <= 0 or height <= 0:
        raise ImageError(f"the {kind.upper()} header gives no pixel size")
    return ImageInfo(kind, width, height)


def _u16be(data: bytes, at: int) -> int:
    return int.from_bytes(_take(data, at, 2), "big")


def _take(data: bytes, at: int, size: int) -> bytes:
    if at < 0 or at + size > len(data):
        raise ImageError("the image is truncated: its header ends early")
    return data[at : at + size]


def _png(data: bytes) -> tuple[int, int]:
    if _take(data, 12, 4) != b"IHDR":
        raise ImageError("broken PNG: the first chunk is not IHDR")
    ihdr = _take(data, 16, 8)
    return int.from_bytes(ihdr[:4], "big"), int.from_bytes(ihdr[4:], "big")


def _gif(data: bytes) -> tuple[int, int]:
    screen = _take(data, 6, 4)
    return int.from_bytes(screen[:2], "little"), int.from_bytes(screen[2:], "little")


def _jpeg(data: bytes) -> tuple[int, int]:
    at = 2
    end = min(len(data), _JPEG_SCAN_LIMIT)
    while at < end:
        if data[at] != 0xFF:
            raise ImageError("broken JPEG: a segment does not start with a marker")
        while at < end and data[at] == 0xFF:  # fill bytes before a marker
            at += 1
        if at >= end:
            break
        marker = data[at]
        at += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before them
            raise ImageError("broken JPEG: no frame header before the image data")
        length = _u16be(data, at)
        if length < 2:
            raise ImageError("broken JPEG: a segment has an impossible length")
        if marker in _JPEG_SOF:
            frame = _take(data, at + 3, 4)
            return int.from_bytes(frame[2:], "big"), int.from_bytes(frame[:2], "big")
        at += length
    raise ImageError("the image is truncated: no JPEG frame header found")


def _webp(data: bytes) -> tuple[int, int]:
    chunk = _take(data, 12, 4)
    body = 20
    if chunk == b"VP8 ":
        frame = _take(data, body, 10)
        if frame[3:6] != b"\x9d\x01\x2a":
            raise ImageError("broken WebP: the VP8 frame has no start code")
        width = int.from_bytes(frame[6:8], "little") & 0x3FFF
        height = int.from_bytes(frame[8:10], "little") & 0x3FFF
        return width, height
    if chunk == b"VP8L":
        head = _take(data, body, 5)
        if head[0] != 0x2F:
            raise ImageError("broken WebP: the VP8L signature is missing")
        bits = int.from_bytes(head[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        head = _take(data, body, 10)
        return int.from_bytes(head[4:7], "little") + 1, int.from_bytes(head[7:10], "little") + 1
    raise ImageError("broken WebP: unknown first chunk")


_READERS: Final = {"png": _png, "jpeg": _jpeg, "gif": _gif, "webp": _webp}
