"""What never prints: the API key (a `Secret`), and the credentials a URL may carry."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value: only for the Authorization header."""
        return self._value

    def masked(self) -> str:
        """A hint safe to show: the last four characters at most, never the whole key."""
        v = self._value
        if len(v) < 12:
            return "****"
        return f"****{v[-4:]}"

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    __str__ = masked

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Refuse pickling: it would write the key somewhere we do not control.
        raise TypeError("Secret cannot be pickled")


# Names that carry credentials, in URL query strings and in request parameters. Matched as the
# last word of the name, so `max_tokens`, `top_k` and `api-version` stay.
SECRET_NAME: Final = re.compile(
    r"(?:^|[_.-])(?:api_?key|apikey|key|token|secret|passw(?:or)?d|pwd|auth(?:orization)?"
    r"|signature|sig|credentials?|cookie)$",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """`url` as it may be shown, logged or saved: no `user:password@`, no fragment, and no query
    parameter whose name looks like a credential (`?api-key=`, `?key=`, `?token=`,
    `?access_token=`); the rest (`?api-version=`) stays. The one place this rule lives."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparseable URL (a bad IPv6 literal): keep only what is surely safe
        return url.split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    host = parts.netloc.rpartition("@")[2]
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not SECRET_NAME.search(name)
    ]
    return urlunsplit((parts.scheme, host, parts.path, urlencode(kept), ""))


def url_secrets(url: str) -> list[str]:
    """The credential parts of `url` (user name, password, secret query values), to blank them
    out of any text that may quote the URL (an HTTP library's error message does)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        # The password, or the user name when it is alone (`https://KEY@host`, a common form).
        user, _, password = userinfo.partition(":")
        found += [userinfo, password or user]
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if SECRET_NAME.search(name) and value:
            found.append(value)
            raw = quote(value, safe="")
            if raw != value:
                found.append(raw)
    if parts.fragment:
        found.append(parts.fragment)
    # Longest first, so a password is blanked as a whole before the user:password pair is split.
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def redact_url_secrets(text: str, url: str) -> str:
    """`text` with every credential of `url` replaced by `***` (see `url_secrets`)."""
    for secret in url_secrets(url):
        text = text.replace(secret, "***")
    return text
