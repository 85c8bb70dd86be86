"""Small, real image files made in code (no imaging library): headers exactly as the formats say."""

from __future__ import annotations

import struct
import zlib


def png(width: int, height: int, *, noise: bool = False) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = bytes((x * 7) % 256 for x in range(width * 3))
    rows = b"".join(b"\0" + row for _ in range(height))
    if noise:  # incompressible: the file is as big as its pixels
        import random

        rng = random.Random(7)
        rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int, *, exif: int = 0) -> bytes:
    """SOI, an APP1 segment of `exif` bytes (sizes are after it, as in camera files), DQT-less
    SOF0 with the size, SOS, a few scan bytes, EOI: enough for any header reader."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    app1 = b"\xff\xe1" + struct.pack(">H", exif + 2) + b"E" * exif if exif else b""
    sof = (
        b"\xff\xc0"
        + struct.pack(">HBHHB", 17, 8, height, width, 3)
        + b"\x01\x22\0\x02\x11\x01\x03\x11\x01"
    )
    sos = b"\xff\xda" + struct.pack(">H", 12) + b"\x03\x01\0\x02\x11\x03\x11\0\x3f\0"
    return b"\xff\xd8" + app0 + app1 + b"\xff\xff" + sof + sos + b"\x12\x34" * 8 + b"\xff\xd9"


def gif(width: int, height: int) -> bytes:
    return (
        b"GIF89a" + struct.pack("<HH", width, height) + b"\0\0\0" + b",\0\0\0\0\1\0\1\0\0\2\2D\1\0;"
    )


def webp_vp8x(width: int, height: int) -> bytes:
    body = b"\0\0\0\0" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    chunk = b"VP8X" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"\x2f" + bits.to_bytes(4, "little") + b"\0" * 6
    chunk = b"VP8L" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def webp_vp8(width: int, height: int) -> bytes:
    body = b"\x10\x02\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\0" * 8
    chunk = b"VP8 " + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
