"""What the UI remembers between runs (the theme picked in the command palette), in one small JSON
file in the data dir (`ui.json`), never in the user's own config file.

A missing, unreadable or corrupt file means "nothing remembered": the app starts as if new.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Final

FILE_NAME: Final = "ui.json"


def load_preferences(path: Path) -> dict[str, Any]:
    """The saved preferences, or {} when there are none that can be read."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def saved_theme(path: Path) -> str | None:
    theme = load_preferences(path).get("theme")
    return theme if isinstance(theme, str) and theme else None


def save_theme(path: Path, theme: str) -> None:
    """Remember `theme`, keeping the file's other keys. Raises OSError."""
    preferences = load_preferences(path)
    preferences["theme"] = theme
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Written beside and renamed over: a crash mid-write leaves the old file, not half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ui-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(preferences, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
