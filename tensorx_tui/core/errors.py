"""Human messages for failed requests: provider error bodies and transport failures.

The provider's own words are the most useful thing to show, so a body is mined for them in the
shapes met in the wild; when there are none, the status line is the message ("HTTP 502 Bad
Gateway"). Everything returned here is cleaned of control characters and escape sequences (a body
is untrusted text that ends up on a terminal) and kept to a sane length.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from tensorx_tui.core.retry import reset_time
from tensorx_tui.core.sanitize import strip_unsafe
from tensorx_tui.core.secret import redact_url

MAX_MESSAGE = 2000  # a JSON error message longer than this is cut
MAX_TEXT = 300  # a plain-text body is usually a traceback or a proxy page: keep the start

# Whole ANSI escape sequences go first (so their parameters do not stay behind as text); then
# every other unsafe character, by the one table in core.sanitize.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_SPACES = re.compile(r"\s+")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class ProviderError:
    message: str
    type: str | None = None
    code: str | None = None


def clean_text(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` without escape sequences or control characters (newlines and tabs kept), stripped,
    and cut at `limit` characters with an ellipsis."""
    text = strip_unsafe(_ANSI.sub("", text.replace("\r\n", "\n"))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def status_line(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"HTTP {status} {phrase}"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of the API key replaced (some providers echo the key back)."""
    if secret and len(secret) >= 4 and secret in text:
        return text.replace(secret, "****")
    return text


# TensorX (LiteLLM) writes an absent type, param or code as the string "None".
_ABSENT = frozenset({"", "none", "null"})


def _as_code(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str | int | float):
        text = str(value)
        return None if text.strip().lower() in _ABSENT else text
    return None


def _as_type(value: Any) -> str | None:
    if not isinstance(value, str) or value.strip().lower() in _ABSENT:
        return None
    return value


def _from_error_value(error: Any, outer: dict[str, Any]) -> ProviderError | None:
    """The `error` member: an object with a message, or a bare string."""
    kind = outer.get("type")
    if isinstance(error, str) and error.strip():
        return ProviderError(clean_text(error), _as_type(kind), _as_code(outer.get("code")))
    if not isinstance(error, dict):
        return None
    message = error.get("message")
    if not (isinstance(message, str) and message.strip()):
        message = error.get("detail") if isinstance(error.get("detail"), str) else None
    if not message:
        message = json.dumps(error, ensure_ascii=False) if error else None
    if not message:
        return None
    # OpenRouter: a generic "Provider returned error" with the upstream's words in metadata.raw.
    metadata = error.get("metadata")
    if isinstance(metadata, dict):
        raw = metadata.get("raw")
        provider = metadata.get("provider_name")
        if isinstance(raw, str) and raw.strip() and raw not in message:
            origin = f" ({provider})" if isinstance(provider, str) and provider else ""
            message = f"{message}{origin}: {raw}"
    kind = _as_type(error.get("type")) or _as_type(kind)
    return ProviderError(
        clean_text(message),
        kind,
        _as_code(error.get("code", outer.get("code"))),
    )


def _from_detail(detail: Any) -> str | None:
    """FastAPI/vLLM `detail`: a string, or a list of validation errors {loc, msg}."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict) and isinstance(item.get("msg"), str):
                loc = item.get("loc")
                where = (
                    ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) and loc else ""
                )
                parts.append(f"{where}: {item['msg']}" if where else item["msg"])
        if parts:
            return "; ".join(parts)
    if isinstance(detail, dict):
        msg = detail.get("message") or detail.get("msg")
        if isinstance(msg, str):
            return msg
    return None


def error_from_json(value: Any) -> ProviderError | None:
    """The provider's error in a parsed JSON body, or None if the body names none."""
    if isinstance(value, list):
        # Gemini's OpenAI layer wraps the error object in a list.
        for item in value:
            found = error_from_json(item)
            if found is not None:
                return found
        return None
    if not isinstance(value, dict):
        return None
    if "error" in value and value["error"] not in (None, "", {}):
        found = _from_error_value(value["error"], value)
        if found is not None:
            return found
    kind = _as_type(value.get("type"))
    message = value.get("message")
    if isinstance(message, str) and message.strip():
        return ProviderError(clean_text(message), kind, _as_code(value.get("code")))
    if "detail" in value:
        detail = _from_detail(value["detail"])
        if detail:
            return ProviderError(clean_text(detail), kind, _as_code(value.get("code")))
    return None


def _looks_like_html(content_type: str, text: str) -> bool:
    if "html" in content_type:
        return True
    head = text[:200].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body"))


def _html_summary(status: int, text: str) -> str:
    """A status line plus the page's title (or first heading) when it says more than the status."""
    line = status_line(status)
    phrase = line.split(" ", 2)[-1].lower()
    for pattern in (_TITLE, _H1):
        match = pattern.search(text)
        if match:
            title = clean_text(_SPACES.sub(" ", html.unescape(_TAG.sub("", match.group(1)))), 160)
            # A title like "502 Bad Gateway" only repeats the status line.
            rest = title.lower().replace(str(status), "").strip(" -:|")
            if rest and rest != phrase:
                return f"{line}: {title}"
            break
    return f"{line} (an HTML error page)"


def parse_error_body(status: int, content_type: str, body: bytes) -> ProviderError:
    """The message for a failed response: the provider's own words when it has any."""
    text = body.decode("utf-8", "replace").lstrip("\ufeff")
    stripped = text.strip()
    if not stripped:
        return ProviderError(status_line(status))
    if stripped[:1] in "{[" or "json" in content_type:
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):
            value = None
        if value is not None:
            found = error_from_json(value)
            if found is not None:
                return found
            return ProviderError(f"{status_line(status)}: {clean_text(stripped, MAX_TEXT)}")
    if _looks_like_html(content_type.lower(), stripped):
        return ProviderError(_html_summary(status, stripped))
    one_line = _SPACES.sub(" ", stripped)
    return ProviderError(clean_text(one_line, MAX_TEXT))


def display_url(url: str) -> str:
    """The URL to show in a message: without credentials (`core.secret.redact_url`), cleaned."""
    return clean_text(redact_url(url), 200)


def _root_causes(exc: BaseException) -> str:
    """All the text of an exception and its causes, lower-cased, to classify it."""
    seen: list[str] = []
    current: BaseException | None = exc
    depth = 0
    while current is not None and depth < 6:
        seen.append(f"{type(current).__name__} {current}")
        current = current.__cause__ or current.__context__
        depth += 1
    return " | ".join(seen).lower()


# Resolver answers that mean the name does not exist (glibc, macOS, Windows 11001), and ones that
# mean the lookup itself failed for now (no DNS server reachable: worth another try).
_NAME_NOT_FOUND = (
    "name or service not known",
    "nodename nor servname",
    "no address associated",
    "getaddrinfo failed",
    "no such host",
)
_NAME_LOOKUP_FAILED = ("temporary failure in name resolution", "name resolution", "gaierror")


def host_not_found(exc: BaseException) -> bool:
    """True when the host name does not resolve: trying again cannot help, so it is said at once."""
    causes = _root_causes(exc)
    return any(marker in causes for marker in _NAME_NOT_FOUND)


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return clean_text(_SPACES.sub(" ", text), 200) if text else type(exc).__name__


def describe_transport_error(exc: httpx.HTTPError, url: str) -> str:
    """A human message for a failure to talk to the server at all (or a broken connection)."""
    where = display_url(url)
    causes = _root_causes(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"Timed out connecting to {where}"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in causes or "errno 111" in causes or "errno 61" in causes:
            return f"Could not connect to {where}: connection refused"
        if host_not_found(exc):
            return f"Could not connect to {where}: host name not found (DNS)"
        if any(marker in causes for marker in _NAME_LOOKUP_FAILED):
            return f"Could not connect to {where}: the host name could not be looked up (DNS)"
        if "certificate" in causes or "ssl" in causes or "tls" in causes:
            return f"TLS error connecting to {where}: {_detail(exc)}"
        if "unreachable" in causes:
            return f"Could not connect to {where}: network unreachable"
        return f"Could not connect to {where}: {_detail(exc)}"
    if isinstance(exc, httpx.ReadTimeout | httpx.PoolTimeout | httpx.WriteTimeout):
        return f"Timed out waiting for {where}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"Connection dropped by {where}: {_detail(exc)}"
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.NetworkError):
        return f"Connection to {where} failed: {_detail(exc)}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"Invalid base URL {where}: {_detail(exc)}"
    return f"Request to {where} failed: {_detail(exc)}"


# -- account problems: the shared rules behind the hints of `ask` and the UI ----------------------

# How providers say the money ran out. TensorX disables a key when its prepaid balance falls below
# $0.05; LiteLLM (which TensorX runs) words it "ExceededTokenBudget: Current spend for token: …",
# "Budget has been exceeded! Current cost: …" (type "budget_exceeded", sometimes under a 401
# "Authentication Error"); OpenAI "insufficient_quota" (as a 429); OpenRouter 402 "Insufficient
# credits"; DeepSeek 402 "Insufficient Balance"; Anthropic "Your credit balance is too low".
_SEP = r"[\s_-]*"
_LOW_BALANCE = re.compile(
    "|".join(
        (
            rf"insufficient{_SEP}(?:funds|balance|credits?|quota)",
            rf"exceeded{_SEP}(?:token{_SEP})?budget",
            rf"budget{_SEP}(?:has{_SEP}been{_SEP})?exceeded",
            rf"over{_SEP}budget",
            rf"balance{_SEP}(?:is{_SEP})?too{_SEP}low",
            rf"low{_SEP}balance",
            rf"out{_SEP}of{_SEP}credits?",
            rf"requires?{_SEP}more{_SEP}credits?",
            rf"exceeded{_SEP}your{_SEP}current{_SEP}quota",
            rf"top{_SEP}up{_SEP}your",
        )
    ),
    re.IGNORECASE,
)

LOW_BALANCE_HINT = (
    "The key's balance is too low: top up your account (TensorX disables a key when its "
    "prepaid balance falls below $0.05; other providers call it a budget or credits)."
)


def is_low_balance(status: int | None, error_type: str | None, message: str) -> bool:
    """Whether a failed request says the account ran out of money (not that the key is wrong)."""
    if status == 402:  # Payment Required
        return True
    return bool(_LOW_BALANCE.search(f"{error_type or ''} {message}"))


def low_balance_hint(status: int | None, error_type: str | None, message: str) -> str | None:
    """The one rule both hint writers (ask and the UI) apply before the status-based ones."""
    return LOW_BALANCE_HINT if is_low_balance(status, error_type, message) else None


def describe_reset(message: str, *, now: float) -> str | None:
    """`resets at 20:38:07 UTC` from TensorX's 429 text (`Limit resets at: 2026-03-21 20:38:07
    UTC`), with the date when it is not within the next day of `now` (epoch seconds)."""
    when = reset_time(message)
    if when is None:
        return None
    if 0 <= when.timestamp() - now < 24 * 3600:
        return f"resets at {when:%H:%M:%S} UTC"
    return f"resets at {when:%Y-%m-%d %H:%M:%S} UTC"
