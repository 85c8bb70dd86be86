"""How one try of a request failed, and whether to try again (the error rules for streams).

Kept beside errors.py (which reads provider error bodies): these decide what a status, a transport
failure or an in-stream error means for the reply and the retry loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from tensorx_tui.core.errors import (
    ProviderError,
    clean_text,
    describe_transport_error,
    display_url,
    host_not_found,
    parse_error_body,
    status_line,
)
from tensorx_tui.core.events import StreamError
from tensorx_tui.core.reply import ReplyState
from tensorx_tui.core.retry import is_retryable_status, requested_wait, server_now

if TYPE_CHECKING:
    from tensorx_tui.core.endpoint import Endpoint

# Transport failures after which the request most likely never reached the model.
RETRYABLE_TRANSPORT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


@dataclass(slots=True)
class Failure:
    """Why one try ended without a reply."""

    error: StreamError
    retryable: bool
    state: ReplyState = ReplyState.ERROR


def status_failure(endpoint: Endpoint, response: httpx.Response, body: bytes) -> Failure:
    status = response.status_code
    found = parse_error_body(status, response.headers.get("content-type", ""), body)
    message = endpoint.redact(found.message)
    if message == status_line(status):
        if status in (401, 403) and not endpoint.has_key:
            message += " (no API key is set)"
        elif status in (404, 405):
            message += f" at {display_url(str(response.request.url))}"
        elif 300 <= status < 400 and response.headers.get("location"):
            # Redirects are not followed (the POST body would be lost): say where it points,
            # usually http -> https or a missing /v1.
            location = display_url(str(response.request.url.join(response.headers["location"])))
            message += f" (redirected to {location}: check the base URL)"
    now = server_now(response.headers, endpoint.wall_clock())
    wait = requested_wait(response.headers, found.message, now=now)
    return Failure(
        StreamError(message, status=status, type=found.type, code=found.code, retry_after=wait),
        retryable=is_retryable_status(status),
    )


def transport_failure(endpoint: Endpoint, exc: httpx.HTTPError) -> Failure:
    """Named by the base URL: the host and path the user configured, easiest to check."""
    # A host name that does not exist will not exist on the next try either.
    retryable = isinstance(exc, RETRYABLE_TRANSPORT) and not host_not_found(exc)
    message = describe_transport_error(exc, endpoint.base_url)
    return Failure(
        StreamError(endpoint.redact(message), type="connection"),
        retryable=retryable,
    )


def detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return clean_text(text, 200) if text else type(exc).__name__


def retry_reason(error: StreamError) -> str:
    message = error.message
    if error.status is not None and not message.startswith("HTTP "):
        message = f"{status_line(error.status)}: {message}"
    return clean_text(message, 200)


def bare_json_error(head: bytes) -> ProviderError | None:
    """The provider's error when an event stream's body is a plain JSON error object."""
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        return None
    found = parse_error_body(200, "application/json", head)
    return None if found.message.startswith(status_line(200)) else found


def status_from_code(code: str | None) -> int | None:
    if code is not None and len(code) == 3 and code.isdigit() and 100 <= int(code) <= 599:
        return int(code)
    return None
