"""Attachments in transcripts: JSON carries them (base64) and imports them back; Markdown names
them and writes the files beside the export."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from images import png

from tensorx_tui.core.attachments import attachment_from_bytes
from tensorx_tui.core.reply import Reply
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.transcripts import (
    TranscriptError,
    conversation_from_json,
    export_to_file,
    to_json,
)

PNG = png(32, 16)


def saved(store: Store) -> str:
    conv = store.create_conversation(model="demo")
    store.add_user_message(
        conv,
        "look at these",
        [
            attachment_from_bytes("shot.png", PNG),
            attachment_from_bytes("../../etc/passwd `x`.txt", b"root:x:0:0\n"),
        ],
    )
    store.add_reply(conv, Reply(content="I see", model="demo"))
    return conv


def test_json_export_import_export_keeps_the_attachments(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a") as store:
        text = to_json(store.load_conversation(saved(store)))
    user = json.loads(text)["messages"][0]
    assert user["content"] == "look at these"
    [image, notes] = user["tensorx"]["attachments"]
    assert base64.b64decode(image["data"]) == PNG
    assert (image["name"], image["kind"], image["mime"], image["size"]) == (
        "shot.png",
        "image",
        "image/png",
        len(PNG),
    )
    assert notes["kind"] == "text"
    with Store.open(tmp_path / "b") as other:
        conv = other.import_conversation(conversation_from_json(text))
        restored = other.load_conversation(conv)
        assert [a.data for a in restored.messages[0].attachments] == [PNG, b"root:x:0:0\n"]
        assert to_json(restored) == text


def test_a_damaged_attachment_is_refused_with_where(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        data = json.loads(to_json(store.load_conversation(saved(store))))
    data["messages"][0]["tensorx"]["attachments"][0]["data"] = base64.b64encode(PNG[:-1]).decode()
    with pytest.raises(TranscriptError, match=r"messages\[0\].tensorx.attachments\[0\]: .*sha256"):
        conversation_from_json(json.dumps(data))
    data["messages"][0]["tensorx"]["attachments"][0]["data"] = "not base64!"
    with pytest.raises(TranscriptError, match=r"attachments\[0\]"):
        conversation_from_json(json.dumps(data))


def test_a_plain_openai_transcript_brings_its_inline_images() -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    conversation = conversation_from_json(
        json.dumps(
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is it"},
                        {"type": "image_url", "image_url": {"url": url}},
                        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                    ],
                }
            ]
        )
    )
    [user] = conversation.messages
    assert user.content == "what is it"
    assert [(a.name, a.data) for a in user.attachments] == [("image-1", PNG)]


def test_markdown_names_them_and_writes_them_beside_the_export(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db") as store:
        conversation = store.load_conversation(saved(store))
    out = tmp_path / "out"
    out.mkdir()
    path = export_to_file(conversation, out / "talk.md", "md")
    folder = out / "talk-files"
    assert sorted(p.name for p in folder.iterdir()) == ["1-shot.png", "2-etc-passwd-x-.txt"]
    assert (folder / "1-shot.png").read_bytes() == PNG
    text = path.read_text()
    assert "- [`shot.png`](talk-files/1-shot.png) · PNG 32×16 · " in text
    assert "[``../../etc/passwd `x`.txt``](talk-files/2-etc-passwd-x-.txt) · text · 11 B" in text
    # Nothing escaped the folder.
    assert sorted(p.name for p in out.iterdir()) == ["talk-files", "talk.md"]
