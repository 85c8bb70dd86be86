"""The demo's answer to a message with attachments: what it received, so attaching is testable
offline (and visible in the demo): each image's format, pixel size and byte size, read from the
data URL it was sent as; each named text file's name and size, read from its fenced block.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from tensorx_tui.demo.image_header import image_format_and_size

_DATA_URL = re.compile(r"data:([\w.+/-]+);base64,", re.ASCII)
# Enough base64 to reach a JPEG's frame header behind its EXIF data.
_HEAD_CHARS = 4 * 1024 * 1024
# How the client names a text file it sends (core/content_parts.py FILE_HEADER).
_FILE_LINE = re.compile(r"^Attached file: (?P<name>.+) \((?P<size>\d+) bytes\)$", re.MULTILINE)
_MARKDOWN = re.compile(r"[`*_\[\]<>#|\\~]")


def received(message: Any) -> list[str]:
    """One line per attachment the user message carries (empty when it carries none)."""
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return []
    lines: list[str] = []
    images = 0
    for part in message["content"]:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            for match in _FILE_LINE.finditer(part["text"]):
                name = _MARKDOWN.sub(r"\\\g<0>", match["name"])
                lines.append(f"a text file **{name}**, {int(match['size']):,} bytes")
        elif part.get("type") == "image_url":
            images += 1
            lines.append(f"image {images}: {_describe_image(part.get('image_url'))}")
    return lines


def _describe_image(value: Any) -> str:
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str):
        return "no URL I could read"
    match = _DATA_URL.match(url)
    if match is None:
        return "a link, not inline data (the demo does not fetch links)"
    encoded = url[match.end() :]
    size = len(encoded) * 3 // 4 - len(encoded) + len(encoded.rstrip("="))
    head = encoded[: _HEAD_CHARS - _HEAD_CHARS % 4]
    try:
        found = image_format_and_size(base64.b64decode(head, validate=True))
    except (binascii.Error, ValueError):
        found = None
    if found is None:
        return f"{size:,} bytes I could not read as an image"
    kind, width, height = found
    return f"{kind}, {width}×{height} pixels, {size:,} bytes"


def attachments_reply(message: Any) -> str | None:
    """The reply describing what was attached, or None when nothing was."""
    lines = received(message)
    if not lines:
        return None
    what = "one attachment" if len(lines) == 1 else f"{len(lines)} attachments"
    listing = "\n".join(f"- {line}" for line in lines)
    return (
        f"I received {what}:\n\n{listing}\n\n"
        "I'm the offline demo, so I can tell what arrived but not what is in it."
    )
