"""File path completion for the attach dialog and `@path` in the prompt (no Textual here).

    complete_path("src/ma", cwd)  -> ["src/main.py", "src/maths/"]
    longest_completion("src/ma", cwd) -> "src/ma" (two choices) / "src/main.py" (one)

Directories end with "/"; hidden entries are offered only when the typed name starts with ".";
`~` is the home directory. A directory that cannot be listed completes to nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_CHOICES = 200  # a huge directory: the first ones, sorted; enough to keep typing


def expand(text: str, cwd: Path) -> Path:
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else cwd / path


def complete_path(text: str, cwd: Path) -> list[str]:
    head, _, stem = text.rpartition("/")
    directory = expand(head + "/" if head or text.startswith("/") else ".", cwd)
    prefix = head + "/" if head or text.startswith("/") else ""
    try:
        with os.scandir(directory) as entries:
            names = []
            for entry in entries:
                if not entry.name.startswith(stem) or (
                    entry.name.startswith(".") and not stem.startswith(".")
                ):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                names.append(entry.name + ("/" if is_dir else ""))
                if len(names) >= MAX_CHOICES:
                    break
    except OSError:
        return []
    return [prefix + name for name in sorted(names)]


def longest_completion(text: str, cwd: Path) -> str:
    """`text` completed as far as every choice agrees (itself when nothing matches)."""
    choices = complete_path(text, cwd)
    if not choices:
        return text
    # By character, not by path component: "no" completes to "notes" between notes.py and notes.md.
    common = os.path.commonprefix(choices)  # noqa: RUF071
    return common if len(common) > len(text) else text
