"""Copying text, and saying truthfully how it was copied.

Textual's `copy_to_clipboard` writes an OSC 52 sequence and cannot know whether the terminal put
the text on the clipboard: many terminals ignore OSC 52, tmux passes it on only with
`set-clipboard on`, and over ssh it reaches the local terminal, not the remote clipboard. So a
clipboard program is used when one is on PATH (its exit status says whether it worked), and OSC 52
is the fallback, described as what it is.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

TIMEOUT_S: Final = 2.0  # a clipboard program answers at once; one that hangs must not freeze us


@dataclass(frozen=True)
class Tool:
    name: str
    argv: tuple[str, ...]  # argv[0] is the program's full path


# In order of preference; wl-copy only in a Wayland session (it fails without one).
_TOOLS: Final[Sequence[tuple[str, tuple[str, ...], str | None]]] = (
    ("wl-copy", (), "WAYLAND_DISPLAY"),
    ("xclip", ("-selection", "clipboard"), None),
    ("xsel", ("--clipboard", "--input"), None),
    ("pbcopy", (), None),
)


def find_tool(env: Mapping[str, str]) -> Tool | None:
    """The first clipboard program usable here, found on env's PATH."""
    path = env.get("PATH", "")
    for name, args, needs in _TOOLS:
        if needs and not env.get(needs):
            continue
        found = shutil.which(name, path=path)
        if found:
            return Tool(name, (found, *args))
    return None


def run_tool(tool: Tool, text: str, env: Mapping[str, str]) -> str | None:
    """Give `text` to the program on stdin; None when it worked, else what went wrong."""
    try:
        # Output to /dev/null, not pipes: xclip and wl-copy leave a child behind that serves the
        # clipboard, and it would hold a pipe open until the timeout.
        result = subprocess.run(
            tool.argv,
            input=text.encode("utf-8"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(env),
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{tool.name} did not answer within {TIMEOUT_S:g} s"
    except OSError as exc:
        return f"{tool.name} could not run: {exc.strerror or exc}"
    if result.returncode != 0:
        return f"{tool.name} failed (exit status {result.returncode})"
    return None


def osc52_caveat(env: Mapping[str, str]) -> str:
    """What may keep an OSC 52 copy from reaching the clipboard here."""
    if env.get("TMUX"):
        return "tmux may need set-clipboard on"
    if env.get("SSH_TTY") or env.get("SSH_CONNECTION"):
        return "over ssh it reaches your clipboard only if your terminal allows OSC 52"
    return "the terminal decides whether it reaches the clipboard"


@dataclass(frozen=True)
class Copied:
    """How the text went: `sure` when a program confirmed it is on the clipboard."""

    sure: bool
    how: str  # "with xclip", or "to the terminal (OSC 52); tmux may need set-clipboard on"


async def copy_text(
    text: str, osc52: Callable[[str], None], env: Mapping[str, str] | None = None
) -> Copied:
    """Copy with a clipboard program if there is one (in a thread: it is a subprocess), else
    (or if it fails) hand the text to `osc52` (the app's `copy_to_clipboard`)."""
    env = os.environ if env is None else env
    tool = find_tool(env)
    problem = None
    if tool is not None:
        problem = await asyncio.to_thread(run_tool, tool, text, env)
        if problem is None:
            return Copied(True, f"with {tool.name}")
    osc52(text)
    how = f"to the terminal (OSC 52); {osc52_caveat(env)}"
    return Copied(False, f"{how} ({problem})" if problem else how)


def copied_message(copied: Copied, what: str, characters: int) -> str:
    """ "Copied the last reply (120 characters) with xclip." or "Sent the last reply (…) to the
    terminal (OSC 52); tmux may need set-clipboard on." """
    verb = "Copied" if copied.sure else "Sent"
    return f"{verb} {what} ({characters:,} characters) {copied.how}."
