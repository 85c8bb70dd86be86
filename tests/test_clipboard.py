"""ui/clipboard.py: a clipboard program when there is one, OSC 52 otherwise, and honest words.

The programs are fakes in a temporary PATH directory: shell scripts that write stdin to a file.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from tensorx_tui.ui.clipboard import (
    Copied,
    copied_message,
    copy_text,
    find_tool,
    osc52_caveat,
    run_tool,
)

# The fakes run with PATH set to their own directory only: they name their commands in full.
CAT, SLEEP = shutil.which("cat"), shutil.which("sleep")


def fake_program(directory: Path, name: str, body: str) -> Path:
    program = directory / name
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    return directory


def test_no_program_on_path_finds_none(bin_dir: Path) -> None:
    assert find_tool({"PATH": str(bin_dir)}) is None


def test_xclip_is_found_with_the_clipboard_selection(bin_dir: Path) -> None:
    program = fake_program(bin_dir, "xclip", f"{CAT} >/dev/null")
    tool = find_tool({"PATH": str(bin_dir)})
    assert tool is not None and tool.name == "xclip"
    assert tool.argv == (str(program), "-selection", "clipboard")


def test_wl_copy_only_in_a_wayland_session(bin_dir: Path) -> None:
    fake_program(bin_dir, "wl-copy", f"{CAT} >/dev/null")
    fake_program(bin_dir, "xsel", f"{CAT} >/dev/null")
    tool = find_tool({"PATH": str(bin_dir)})
    assert tool is not None and tool.name == "xsel"
    tool = find_tool({"PATH": str(bin_dir), "WAYLAND_DISPLAY": "wayland-0"})
    assert tool is not None and tool.name == "wl-copy"


async def test_copy_with_a_program_gives_it_the_text_on_stdin(
    bin_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clipboard.txt"
    fake_program(bin_dir, "xclip", f'{CAT} > "{out}"')
    sent: list[str] = []
    text = "héllo\nwörld ✓ [b]not markup[/b]"
    copied = await copy_text(text, sent.append, env={"PATH": str(bin_dir), "TMUX": "/tmp/t"})
    assert copied == Copied(True, "with xclip")
    assert out.read_text(encoding="utf-8") == text
    assert sent == []  # no OSC 52 when the program did it
    assert copied_message(copied, "the last reply", len(text)) == (
        f"Copied the last reply ({len(text)} characters) with xclip."
    )


async def test_a_failing_program_falls_back_to_osc52_and_says_why(bin_dir: Path) -> None:
    fake_program(bin_dir, "xclip", f"{CAT} >/dev/null; echo 'no display' >&2; exit 1")
    sent: list[str] = []
    copied = await copy_text("x", sent.append, env={"PATH": str(bin_dir)})
    assert sent == ["x"] and not copied.sure
    assert copied.how.startswith("to the terminal (OSC 52);")
    assert "xclip failed (exit status 1)" in copied.how
    assert copied_message(copied, "the code block", 1).startswith("Sent the code block (1 ")


def test_a_program_that_hangs_is_given_up(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tensorx_tui.ui.clipboard.TIMEOUT_S", 0.2)
    fake_program(bin_dir, "pbcopy", f"exec {SLEEP} 5")  # exec: the timeout kills the sleep
    tool = find_tool({"PATH": str(bin_dir)})
    assert tool is not None
    assert run_tool(tool, "x", {"PATH": str(bin_dir)}) == "pbcopy did not answer within 0.2 s"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TMUX": "/tmp/tmux-0/default,1,0"}, "tmux may need set-clipboard on"),
        ({"SSH_TTY": "/dev/pts/3"}, "over ssh"),
        ({"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}, "over ssh"),
        ({}, "the terminal decides"),
    ],
)
async def test_osc52_says_what_may_stop_it(env: dict[str, str], expected: str) -> None:
    assert expected in osc52_caveat(env)
    sent: list[str] = []
    copied = await copy_text("text", sent.append, env={"PATH": "", **env})
    assert sent == ["text"]
    message = copied_message(copied, "the last reply", 4)
    assert message.startswith("Sent the last reply (4 characters) to the terminal (OSC 52); ")
    assert expected in message
