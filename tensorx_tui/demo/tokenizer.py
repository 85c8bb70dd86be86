"""The demo server's tokenizer: one simple rule used for pacing, streaming and usage counts.

A token is one of:
  - a word (letters, digits, underscore), with at most one leading space attached: " world";
  - one punctuation or symbol character, with at most one leading space attached: " (";
  - a run of other whitespace (newlines, indentation, several spaces).

Joining the tokens gives back the text exactly, so the streamed pieces ARE the tokens and
`completion_tokens` equals the number of pieces sent (see docs/demo.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_TOKEN_RE = re.compile(r" ?\w+| ?[^\w\s]|\s+")


def tokenize(text: str) -> list[str]:
    """Split text into tokens; "".join(tokenize(t)) == t for every string."""
    return _TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    return sum(1 for _ in _TOKEN_RE.finditer(text))


def message_text(message: Any) -> str:
    """All the text one request message carries: content (string or text parts) and tool calls."""
    if not isinstance(message, dict):
        return ""
    pieces: list[str] = []
    content = message.get("content")
    if isinstance(content, str):
        pieces.append(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                pieces.append(part["text"])
    for key in ("reasoning_content", "reasoning"):
        if isinstance(message.get(key), str):
            pieces.append(message[key])
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                name = function.get("name")
                arguments = function.get("arguments")
                if isinstance(name, str):
                    pieces.append(name)
                if isinstance(arguments, str):
                    pieces.append(arguments)
                elif arguments is not None:
                    pieces.append(json.dumps(arguments))
    return "\n".join(pieces)


def prompt_tokens(messages: Iterable[Any]) -> int:
    """Prompt tokens: the tokens of every message's text, with no per-message overhead."""
    return sum(count_tokens(message_text(m)) for m in messages)
