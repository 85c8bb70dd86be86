"""Paths typed or pasted into the prompt, and path completion (pure functions, no app)."""

from __future__ import annotations

from pathlib import Path

from images import png

from tensorx_tui.core.attachments import attachment_from_bytes
from tensorx_tui.ui.attachment_chips import chip_text, chips_line
from tensorx_tui.ui.path_completion import complete_path, longest_completion
from tensorx_tui.ui.prompt_paths import at_token, attach_tokens, pasted_image_path


def tree(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("x")
    (tmp_path / "src" / "maths").mkdir()
    (tmp_path / "notes.md").write_text("x")
    (tmp_path / "notes.py").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "shot.png").write_bytes(png(2, 2))
    (tmp_path / "my shot.png").write_bytes(png(2, 2))
    return tmp_path


def test_completion(tmp_path: Path) -> None:
    cwd = tree(tmp_path)
    assert complete_path("src/ma", cwd) == ["src/main.py", "src/maths/"]
    assert longest_completion("src/ma", cwd) == "src/ma"
    assert longest_completion("no", cwd) == "notes."
    assert longest_completion("src/mai", cwd) == "src/main.py"
    assert ".hidden" not in complete_path("", cwd) and complete_path(".h", cwd) == [".hidden"]
    assert complete_path(str(cwd / "sr"), Path("/")) == [str(cwd / "src") + "/"]
    assert complete_path("missing/x", cwd) == []


def test_at_tokens(tmp_path: Path) -> None:
    cwd = tree(tmp_path)
    assert at_token("explain @src/ma") == "src/ma"
    assert at_token("mail me@host") is None  # an @ inside a word is not a path
    assert at_token("look @") == ""
    assert at_token("@notes.py and more") is None  # the cursor is past it
    found = attach_tokens("see @notes.py, @someone and @src/main.py", cwd)
    assert [(t, p.name) for t, p in found] == [("@src/main.py", "main.py")]  # "notes.py," no file


def test_pasted_image_paths(tmp_path: Path) -> None:
    cwd = tree(tmp_path)
    shot = cwd / "shot.png"
    assert pasted_image_path(str(shot), cwd) == shot
    assert pasted_image_path(f"'{cwd / 'my shot.png'}'", cwd) == cwd / "my shot.png"
    assert pasted_image_path(f"file://{cwd}/my%20shot.png", cwd) == cwd / "my shot.png"
    assert pasted_image_path("shot.png", cwd) == shot
    assert pasted_image_path("notes.py", cwd) is None  # not an image: pasted as text
    assert pasted_image_path("shot.png\nshot.png", cwd) is None
    assert pasted_image_path("just some words", cwd) is None


def test_chips_show_hostile_names_as_plain_text() -> None:
    attachment = attachment_from_bytes("[red]x[/red]\x1b[2J.txt", b"hi")
    assert chip_text(attachment).startswith("+ [red]x[/red]")
    assert "\x1b" not in chips_line([attachment]).plain
