"""What an error value from a stream says: any JSON value (an object in one of several providers'
shapes, a string, anything else) read as (message, HTTP-like status, type, code), never raising."""

from __future__ import annotations

import json
from typing import Any


def describe_error(error: Any) -> tuple[str, int | None, str | None, str | None]:
    """(message, HTTP-like status, type, code) of any error value."""
    if isinstance(error, str):
        return error or "Unknown error.", None, None, None
    if not isinstance(error, dict):
        return json_text(error), None, None, None
    message = error.get("message")
    if not (message and isinstance(message, str)):
        message = error.get("content")  # old llama.cpp
    if not (message and isinstance(message, str)):
        message = json_text(error) if error else "Unknown error."
    raw_code = error.get("code")
    code = (
        None if raw_code is None else raw_code if isinstance(raw_code, str) else json_text(raw_code)
    )
    status = None
    for candidate in (raw_code, error.get("status")):
        if type(candidate) is int and 100 <= candidate <= 599:
            status = candidate
            break
        # OpenRouter and TensorX send the status as a string: "429".
        if (
            isinstance(candidate, str)
            and len(candidate) == 3
            and candidate.isascii()
            and candidate.isdigit()
            and 100 <= int(candidate) <= 599
        ):
            status = int(candidate)
            break
    kind = error.get("type")
    return message, status, kind if isinstance(kind, str) else None, code


def json_text(value: Any) -> str:
    """JSON text of a value that came from json.loads (so serialisable), never raising."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return repr(value)
