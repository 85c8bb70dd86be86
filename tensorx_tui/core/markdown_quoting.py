"""Markdown that holds any text: fences and inline code whose backticks outnumber every run of
backticks in the text, so the text can never close them early."""

from __future__ import annotations

import re
from typing import Final

_BACKTICKS: Final = re.compile(r"`+")


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def fence_for(text: str) -> str:
    """Backticks for a fenced block around `text` (at least three)."""
    return "`" * max(3, _longest_run(text) + 1)


def inline_code(text: str) -> str:
    """`text` as inline code (padded with a space where it starts or ends with a backtick)."""
    ticks = "`" * (_longest_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"
