"""Attachments in the core: kinds, image headers (also hostile ones), limits, content parts and
the streamed request body."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from images import gif, jpeg, png, webp_vp8, webp_vp8l, webp_vp8x

from tensorx_tui.core import attachments as attachments_module
from tensorx_tui.core.attachments import (
    AttachmentError,
    Limits,
    attachment_from_bytes,
    human_size,
    read_attachment,
)
from tensorx_tui.core.content_parts import DataURL, language_for, user_content
from tensorx_tui.core.image_info import ImageError, ImageInfo, image_info
from tensorx_tui.core.markdown_quoting import fence_for
from tensorx_tui.core.request_body import encode_body

VALID = {
    "png": png(640, 480),
    "jpeg": jpeg(1920, 1080, exif=5000),
    "gif": gif(320, 200),
    "webp-vp8x": webp_vp8x(4000, 3000),
    "webp-vp8l": webp_vp8l(300, 17),
    "webp-vp8": webp_vp8(1024, 768),
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("png", ImageInfo("png", 640, 480)),
        ("jpeg", ImageInfo("jpeg", 1920, 1080)),
        ("gif", ImageInfo("gif", 320, 200)),
        ("webp-vp8x", ImageInfo("webp", 4000, 3000)),
        ("webp-vp8l", ImageInfo("webp", 300, 17)),
        ("webp-vp8", ImageInfo("webp", 1024, 768)),
    ],
)
def test_image_sizes_are_read_from_the_headers(name: str, expected: ImageInfo) -> None:
    assert image_info(VALID[name]) == expected


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_truncation_of_an_image_is_a_clear_refusal(name: str) -> None:
    data = VALID[name]
    for cut in range(len(data)):
        try:
            image_info(data[:cut])
        except ImageError as exc:
            assert str(exc)
        # Some prefixes hold the whole header: then the size must be right, not garbage.
        else:
            assert image_info(data[:cut]) == image_info(data)


def test_a_jpeg_without_a_frame_header_is_refused() -> None:
    with pytest.raises(ImageError, match="no frame header"):
        image_info(b"\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x02")
    with pytest.raises(ImageError, match="impossible length"):
        image_info(b"\xff\xd8\xff\xe0\x00\x00")


@settings(deadline=None, max_examples=300)
@given(prefix=st.sampled_from(sorted(VALID)), tail=st.binary(max_size=64), at=st.integers(0, 60))
def test_hostile_image_bytes_never_raise_anything_but_a_refusal(
    prefix: str, tail: bytes, at: int
) -> None:
    data = VALID[prefix][:at] + tail
    try:
        attachment = attachment_from_bytes("x", data, Limits())
    except AttachmentError as exc:
        assert str(exc).startswith("x: ")
    else:
        assert attachment.kind in ("image", "text")


def test_read_attachment_kinds(tmp_path: Path) -> None:
    (tmp_path / "shot.dat").write_bytes(VALID["png"])  # the content decides, not the name
    (tmp_path / "notes.py").write_text("print('hi')\n")
    image = read_attachment(tmp_path / "shot.dat")
    assert (image.kind, image.mime, image.size) == ("image", "image/png", len(VALID["png"]))
    assert image.image == ImageInfo("png", 640, 480)
    text = read_attachment(tmp_path / "notes.py")
    assert (text.kind, text.name, text.text()) == ("text", "notes.py", "print('hi')\n")


def test_refusals_name_the_file_and_the_reason(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x7fELF\x00\x01")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "big.txt").write_text("x" * 2000)
    (tmp_path / "big.png").write_bytes(png(200, 200, noise=True))
    (tmp_path / "huge.txt").write_text("x" * 9000)
    limits = Limits(image=5000, text=1000)
    cases = {
        "blob.bin": "a binary file",
        "latin1.txt": "a binary file",
        "big.txt": "over the text file limit (1.0 kB)",
        "big.png": "over the image limit (5.0 kB)",
        "huge.txt": "9.0 kB is over the text file limit (1.0 kB)",
        "missing.txt": "no such file",
        ".": "is a directory",
    }
    for name, reason in cases.items():
        with pytest.raises(AttachmentError) as caught:
            read_attachment(tmp_path / name, limits)
        assert reason in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    with pytest.raises(AttachmentError, match="cannot read it"):
        read_attachment(path)


def test_a_file_that_cannot_be_opened_is_refused_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The permission test above cannot run as root (CI's user): the same refusal, by an open()
    # that fails as a file without read permission makes it fail.
    path = tmp_path / "secret.txt"
    path.write_text("x")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(attachments_module, "open", denied, raising=False)
    with pytest.raises(AttachmentError, match="cannot read it \\(Permission denied\\)"):
        read_attachment(path)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(AttachmentError, match="not a regular file"):
        read_attachment(tmp_path / "pipe")


def test_hostile_names_are_cleaned() -> None:
    attachment = attachment_from_bytes("\x1b[31mred\x1b]0;title\x07.txt\n", b"hi")
    assert "\x1b" not in attachment.name and "\n" not in attachment.name
    assert "\x07" not in attachment.describe()


def test_fences_outgrow_the_files_backticks() -> None:
    assert fence_for("no ticks") == "```"
    assert fence_for("a ```` b ` c") == "`````"
    assert language_for("main.PY") == "python" and language_for("Dockerfile") == "dockerfile"
    assert language_for("README") == ""


def test_user_content_parts() -> None:
    notes = attachment_from_bytes("notes.md", b"# T\n```sh\nls\n```\n")
    shot = attachment_from_bytes("shot.png", VALID["png"])
    assert user_content("hi", []) == "hi"
    content = user_content("look", [shot, notes])
    assert content == [
        {
            "type": "text",
            "text": "look\n\nAttached file: notes.md (17 bytes)\n````markdown\n"
            "# T\n```sh\nls\n```\n````",
        },
        {"type": "image_url", "image_url": {"url": DataURL("image/png", VALID["png"])}},
    ]
    url = content[1]["image_url"]["url"]
    expected = "data:image/png;base64," + base64.b64encode(VALID["png"]).decode()
    assert str(url) == expected and url.length == len(expected)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 196607, 196608, 196609, 500_000])
def test_the_streamed_body_is_the_json_of_the_whole_url(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    payload = {"messages": [{"content": [{"image_url": {"url": DataURL("image/gif", data)}}]}]}
    body = encode_body(payload)
    whole = body.whole()
    assert body.streams and body.length == len(whole)
    url = json.loads(whole)["messages"][0]["content"][0]["image_url"]["url"]
    assert url == "data:image/gif;base64," + base64.b64encode(data).decode()


def test_a_body_without_images_is_what_httpx_json_writes() -> None:
    payload = {"model": "m", "messages": [{"role": "user", "content": 'é "q" \u2028'}]}
    body = encode_body(payload)
    assert not body.streams
    assert (
        body.whole()
        == json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    )


def test_text_that_looks_like_a_placeholder_stays_text() -> None:
    payload = {"a": "x:0", "b": DataURL("image/png", b"abc")}
    assert json.loads(encode_body(payload).whole()) == {
        "a": "x:0",
        "b": "data:image/png;base64,YWJj",
    }


def test_human_sizes() -> None:
    assert [human_size(n) for n in (999, 1000, 81_234, 20 * 1024 * 1024)] == [
        "999 B",
        "1.0 kB",
        "81.2 kB",
        "21.0 MB",
    ]
