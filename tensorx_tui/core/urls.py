"""Checking an API base URL before it is used, and joining paths onto it.

Checked twice: when settings load (a clear message and exit 2 before anything is sent), and again
by the client before each request (a Settings built in code skips the first check). Without it a
port out of range reached the socket layer and came back as "ExceptionGroup (1 sub-exception)".
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from tensorx_tui.core.secret import redact_url

_SCHEMES = ("http", "https")


def url_problem(url: str) -> str | None:
    """What makes `url` unusable as an API base URL, in a few words; None when it is usable."""
    text = url.strip()
    if not text:
        return "it is empty"
    if any(c.isspace() for c in text):
        return "it contains spaces"
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    if parts.scheme.lower() not in _SCHEMES:
        shown = redact_url(text)
        return f"it must start with http:// or https:// (got {shown!r})"
    if not parts.hostname:
        return "it has no host name"
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        if raw.isdigit():
            return f"port {raw} is out of range (1-65535)"
        return f"the port {raw!r} is not a number"
    if port == 0:
        return "port 0 is out of range (1-65535)"
    return None


def has_no_path(url: str) -> bool:
    """True for `http://host:8080` (or with a lone `/`): OpenAI-compatible servers almost always
    answer under `/v1`, so a 404 there most likely means the path is missing."""
    try:
        return urlsplit(url).path in ("", "/")
    except ValueError:
        return False


def join_path(base_url: str, path: str) -> str:
    """`base_url` with `path` appended to its path; its query (`?api-version=`, a gateway's
    `?api-key=`) stays at the end instead of swallowing the path."""
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return f"{base_url.rstrip('/')}/{path.lstrip('/')}"
    joined = f"{parts.path.rstrip('/')}/{path.lstrip('/')}"
    return urlunsplit((parts.scheme, parts.netloc, joined, parts.query, parts.fragment))


def with_v1(base_url: str) -> str:
    """`http://host:8080` → `http://host:8080/v1` (shown redacted: it goes into a hint)."""
    return redact_url(join_path(base_url, "v1"))
