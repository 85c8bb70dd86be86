"""Attachments in transcripts.

JSON: a user message's `"tensorx"` object holds `"attachments"`: [{"name", "kind", "mime",
"size", "sha256", "data": <base64>}], in order; the OpenAI `content` stays the typed text. Import
also takes the `image_url` data-URL parts of a plain OpenAI transcript as attachments.
Markdown: each user message lists its attachments by name, and `write_files` puts the files in a
folder beside the export (`<export stem>-files/`), linked from that list.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tensorx_tui.core.attachments import Attachment, AttachmentError, attachment_from_bytes
from tensorx_tui.core.attachments import human_size as _size
from tensorx_tui.core.markdown_quoting import inline_code
from tensorx_tui.store.records import Conversation, StoredMessage

_DATA_URL = re.compile(r"data:[\w.+/-]+;base64,", re.ASCII)
_UNSAFE_FILE_CHARS = re.compile(r"[^\w.-]+", re.ASCII)


class AttachmentJSONError(ValueError):
    """An attachment entry that cannot be read (transcripts.py adds where it is)."""


def to_json(attachments: Sequence[Attachment]) -> list[dict[str, Any]]:
    return [
        {
            "name": a.name,
            "kind": a.kind,
            "mime": a.mime,
            "size": a.size,
            "sha256": a.sha256,
            "data": base64.b64encode(a.data).decode("ascii"),
        }
        for a in attachments
    ]


def from_json(value: Any) -> tuple[Attachment, ...]:
    """Our own `tensorx.attachments` list. The bytes decide the kind (as when attaching); a
    stated hash that does not match them is refused, so a damaged transcript is noticed."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AttachmentJSONError("expected a list")
    found = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), str):
            raise AttachmentJSONError(f"[{i}]: expected an object with base64 `data`")
        name = entry.get("name")
        name = name if isinstance(name, str) else f"attachment-{i + 1}"
        try:
            data = base64.b64decode(entry["data"], validate=True)
            attachment = attachment_from_bytes(name, data)
        except (binascii.Error, ValueError) as exc:
            raise AttachmentJSONError(f"[{i}]: {exc}") from None
        stated = entry.get("sha256")
        if stated is not None and stated != attachment.sha256:
            raise AttachmentJSONError(f"[{i}]: the data does not match its sha256")
        found.append(attachment)
    return tuple(found)


def from_content_parts(content: Any) -> tuple[Attachment, ...]:
    """Images sent inline in an OpenAI transcript's content parts (links are left out)."""
    if not isinstance(content, list):
        return ()
    found: list[Attachment] = []
    for part in content:
        image = part.get("image_url") if isinstance(part, dict) else None
        url = image.get("url") if isinstance(image, dict) else None
        match = _DATA_URL.match(url) if isinstance(url, str) else None
        if match is None or not isinstance(url, str):
            continue
        try:
            data = base64.b64decode(url[match.end() :], validate=True)
            found.append(attachment_from_bytes(f"image-{len(found) + 1}", data))
        except (binascii.Error, AttachmentError, ValueError) as exc:
            raise AttachmentJSONError(f"an image part: {exc}") from None
    return tuple(found)


# -- Markdown ------------------------------------------------------------------------------------


def files_dir(export: Path) -> Path:
    return export.with_name(f"{export.stem}-files")


def file_names(messages: Sequence[StoredMessage]) -> dict[tuple[int, int], str]:
    """(message index, position) -> a file name safe on every filesystem, unique in the folder."""
    names: dict[tuple[int, int], str] = {}
    count = 0
    for m, message in enumerate(messages):
        for p, attachment in enumerate(message.attachments):
            count += 1
            stem = _UNSAFE_FILE_CHARS.sub("-", attachment.name).strip(".-")[:80] or "file"
            names[m, p] = f"{count}-{stem}"
    return names


def markdown_list(
    attachments: Sequence[Attachment], names: Sequence[str] | None, folder: str | None
) -> str:
    """The list under a user message: name (a link when the files are written), kind, size."""
    lines = []
    for i, a in enumerate(attachments):
        label = inline_code(a.name)
        if names is not None and folder is not None:
            label = f"[{label}]({folder}/{names[i]})"
        kind = a.image.describe() if a.image else "text"
        lines.append(f"- {label} · {kind} · {_size(a.size)}")
    return "**Attachments:**\n\n" + "\n".join(lines)


def write_files(conversation: Conversation, folder: Path) -> None:
    """Write the attachments of the active branch (what the Markdown shows) into `folder`
    (created only when there is something to write)."""
    path = conversation.path()
    names = file_names(path)
    if not names:
        return
    folder.mkdir(exist_ok=True)
    for (m, p), name in names.items():
        (folder / name).write_bytes(path[m].attachments[p].data)
