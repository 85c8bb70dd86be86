"""Files attached to a user message: what kind each is, the size limits, reading them safely.

    limits = Limits(image=20 * MB, text=1 * MB)
    attachment = read_attachment(Path("shot.png"), limits)   # AttachmentError: a clear refusal
    attachment.kind, attachment.size, attachment.image        # "image", 81234, ImageInfo(png ...)

Two kinds go to a model: images (PNG, JPEG, GIF, WebP, told by their first bytes, not their
name) as image parts, and UTF-8 text as named, fenced blocks. Anything else is refused, as are
directories, unreadable paths and files over the limit: nothing is sent then.

The bytes are read once and never copied here; the request body streams their base64 (see
core/request_body.py), so a 20 MB image costs about 20 MB of memory, not five times that.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from tensorx_tui.core.image_info import ImageError, ImageInfo, image_info, sniff_image
from tensorx_tui.core.sanitize import one_line

MB: Final = 1024 * 1024
IMAGE_LIMIT: Final = 20 * MB
TEXT_LIMIT: Final = 1 * MB
NAME_LIMIT: Final = 120

AttachmentKind = Literal["image", "text"]


class AttachmentError(ValueError):
    """A file that cannot be attached, with a message saying which and why."""


@dataclass(frozen=True, slots=True)
class Limits:
    image: int = IMAGE_LIMIT
    text: int = TEXT_LIMIT


def human_size(size: int) -> str:
    """1 234 567 -> "1.2 MB": for chips and messages (1 kB = 1000 bytes, as file managers say)."""
    if size < 1000:
        return f"{size} B"
    for unit in ("kB", "MB", "GB"):
        size_f = size / 1000
        if size_f < 1000 or unit == "GB":
            return f"{size_f:.1f} {unit}" if size_f < 100 else f"{size_f:.0f} {unit}"
        size = int(size_f)
    raise AssertionError("unreachable")


def clean_name(name: str) -> str:
    """A file name as shown and sent: one line, no control characters or escape sequences."""
    return one_line(name, NAME_LIMIT) or "unnamed"


@dataclass(frozen=True, slots=True, eq=False)
class Attachment:
    name: str  # the file's base name, cleaned (clean_name)
    kind: AttachmentKind
    mime: str
    data: bytes
    sha256: str
    image: ImageInfo | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def text(self) -> str:
        return self.data.decode("utf-8")

    def describe(self) -> str:
        """ "shot.png · PNG 640×480 · 81.2 kB" (plain text, safe for a terminal)."""
        kind = self.image.describe() if self.image else "text"
        return f"{self.name} · {kind} · {human_size(self.size)}"


def read_attachment(path: Path | str, limits: Limits = Limits()) -> Attachment:
    """The file at `path` as an attachment, or AttachmentError saying why it cannot be one."""
    path = Path(path)
    shown = clean_name(str(path))
    try:
        info = path.stat()
    except FileNotFoundError:
        raise AttachmentError(f"{shown}: no such file") from None
    except OSError as exc:
        raise AttachmentError(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise AttachmentError(f"{shown}: is a directory (attach the files in it one by one)")
    if not stat.S_ISREG(info.st_mode):
        raise AttachmentError(f"{shown}: not a regular file")
    try:
        with open(path, "rb") as handle:
            # The first bytes say which limit applies: a 1 GB log is refused before it is read.
            head = handle.read(16)
            image = sniff_image(head) is not None
            limit = limits.image if image else limits.text
            if info.st_size > limit:
                raise AttachmentError(_over(shown, info.st_size, limit, image))
            # Never more than the limit, even if the file grows while it is read; read again
            # from the start rather than join `head` on (that would copy the whole file).
            handle.seek(0)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise AttachmentError(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    return attachment_from_bytes(os.path.basename(path) or str(path), data, limits, shown=shown)


def attachment_from_bytes(
    name: str, data: bytes, limits: Limits | None = None, *, shown: str | None = None
) -> Attachment:
    """Bytes as an attachment: kind by content, checked against `limits` (None: no limit,
    for attachments restored from the store or a transcript)."""
    name = clean_name(name)
    shown = shown or name
    kind = sniff_image(data[:16])
    if kind is not None:
        if limits is not None and len(data) > limits.image:
            raise AttachmentError(_over(shown, len(data), limits.image, True))
        try:
            info = image_info(data)
        except ImageError as exc:
            raise AttachmentError(f"{shown}: {exc}") from None
        return Attachment(name, "image", info.mime, data, _digest(data), info)
    if limits is not None and len(data) > limits.text:
        raise AttachmentError(_over(shown, len(data), limits.text, False))
    if b"\0" in data or not _is_utf8(data):
        raise AttachmentError(
            f"{shown}: a binary file; only text files and PNG, JPEG, GIF or WebP images "
            "can be attached"
        )
    return Attachment(name, "text", "text/plain", data, _digest(data))


def _over(shown: str, size: int, limit: int, image: bool) -> str:
    what = "image" if image else "text file"
    return f"{shown}: {human_size(size)} is over the {what} limit ({human_size(limit)})"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
