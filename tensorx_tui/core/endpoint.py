"""An OpenAI-compatible endpoint: where requests go, with which key, retry policy and clocks.

    endpoint = Endpoint(http, base_url=..., api_key=Secret("...") or None)
    async with endpoint.stream(request) as stream:   # a ReplyStream (reply_stream.py)
        async for event in stream: ...
    await endpoint.list_models()                     # GET /models ids; raises APIError
    await endpoint.get_json("model/info")            # any GET under the base URL, parsed

Tests inject the `httpx.AsyncClient` (a MockTransport), the sleep, the clocks and the jitter.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from tensorx_tui import __version__
from tensorx_tui.core.errors import (
    MAX_TEXT,
    clean_text,
    describe_transport_error,
    display_url,
    error_from_json,
    parse_error_body,
    redact,
    status_line,
)
from tensorx_tui.core.request import ChatRequest
from tensorx_tui.core.secret import Secret, redact_url_secrets
from tensorx_tui.core.urls import join_path, url_problem

if TYPE_CHECKING:
    from tensorx_tui.core.reply_stream import ReplyStream

USER_AGENT = f"tensorx-chat/{__version__}"
MAX_ERROR_BODY = 64 * 1024  # an error page bigger than this says nothing more useful


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4  # total tries, first included
    base_delay: float = 0.5  # backoff: base * 2**(attempt-1), plus jitter
    max_delay: float = 20.0  # cap on any single wait, Retry-After included


class APIError(Exception):
    """A failed non-streaming call (GET /models). Carries the provider's own message."""

    def __init__(self, message: str, status: int | None = None, type: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type


class BadKey(ValueError):
    """The configured key cannot be sent in an HTTP header."""


def seconds(value: float) -> str:
    return f"{value:g}"


class Endpoint:
    """One configured endpoint: its URL, key, HTTP client, retry policy and clocks.

    Everything a request needs is public here; `ReplyStream` (reply_stream.py) uses only this.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: Secret | None,
        retry: RetryPolicy | None = None,
        idle_timeout: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        think_tags: bool = True,
    ) -> None:
        self.http = http
        self._base_url = base_url.strip().rstrip("/")
        self._api_key = api_key if api_key else None
        self.retry = retry or RetryPolicy()
        self.idle_timeout = idle_timeout
        self.sleep = sleep
        self.clock = clock
        # Wall-clock epoch seconds: for reset times given as dates (Retry-After, TensorX's text).
        self.wall_clock = wall_clock
        self.rand = rand  # backoff jitter in [0, 1)
        self.think_tags = think_tags  # split inline <think>…</think> from the answer

    def __repr__(self) -> str:
        key = self._api_key.masked() if self._api_key else None
        return f"Endpoint(base_url={display_url(self._base_url)!r}, api_key={key!r})"

    @property
    def base_url(self) -> str:
        return self._base_url

    def url(self, path: str) -> str:
        return join_path(self._base_url, path)

    def url_problem(self) -> str | None:
        """What makes the base URL unusable (checked before each request), or None."""
        problem = url_problem(self._base_url)
        return f"Invalid base URL {display_url(self._base_url)}: {problem}" if problem else None

    def headers(self, accept: str) -> dict[str, str]:
        """Request headers. Raises _BadKey (with a message that does not quote the key) when the
        key cannot go in a header: the HTTP layer's own error would print the header value."""
        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        if self._api_key:
            key = self._api_key.reveal()
            if not (key.isascii() and key.isprintable()) or key != key.strip():
                raise BadKey(
                    "The API key has surrounding spaces, line breaks or non-ASCII characters, "
                    "so it cannot be sent: check for a stray character from copying it"
                )
            headers["Authorization"] = f"Bearer {key}"
        return headers

    @property
    def has_key(self) -> bool:
        return self._api_key is not None

    def redact(self, message: str) -> str:
        """`message` with the key and the base URL's credentials blanked (providers sometimes
        echo the key; HTTP libraries and servers quote the URL)."""
        key = self._api_key.reveal() if self._api_key else None
        return redact_url_secrets(redact(message, key), self._base_url)

    def stream(self, request: ChatRequest) -> ReplyStream:
        # Deferred: reply_stream.py builds on this module.
        from tensorx_tui.core.reply_stream import ReplyStream

        return ReplyStream(self, request)

    async def get_json(self, path: str) -> Any:
        """GET `path` under the base URL (the same headers as a chat request, no retries) and
        return the parsed JSON. Raises APIError (its message without credentials)."""
        try:
            return await self._get_json(path)
        except APIError as exc:
            raise APIError(self.redact(exc.message), exc.status, exc.type) from None

    async def _get_json(self, path: str, not_found_note: str = "") -> Any:
        url = self.url(path)
        problem = self.url_problem()
        if problem:
            raise APIError(problem, type="invalid_url")
        secret = self._api_key.reveal() if self._api_key else None
        try:
            async with asyncio.timeout(self.idle_timeout):
                response = await self.http.get(url, headers=self.headers("application/json"))
        except TimeoutError:
            raise APIError(
                f"No response from {display_url(url)} within {seconds(self.idle_timeout)} s",
                type="timeout",
            ) from None
        except httpx.InvalidURL as exc:
            raise APIError(
                f"Invalid base URL {display_url(self._base_url)}: {exc}", type="invalid_url"
            ) from None
        except BadKey as exc:
            raise APIError(str(exc), type="invalid_api_key") from None
        except httpx.HTTPError as exc:
            raise APIError(
                redact(describe_transport_error(exc, self._base_url), secret), type="connection"
            ) from None
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        if not 200 <= status < 300:
            found = parse_error_body(status, content_type, response.content[:MAX_ERROR_BODY])
            message = redact(found.message, secret)
            if message == status_line(status) and status in (404, 405):
                message += f" at {display_url(url)}{not_found_note}"
            raise APIError(message, status=status, type=found.type)
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError):
            raise APIError(
                f"{display_url(url)} did not answer with JSON: "
                + clean_text(response.text, MAX_TEXT),
                status=status,
                type="invalid_response",
            ) from None

    async def list_models(self) -> list[str]:
        """GET /models ids, sorted. Raises APIError (its message without credentials)."""
        try:
            return await self._list_models()
        except APIError as exc:
            raise APIError(self.redact(exc.message), exc.status, exc.type) from None

    async def _list_models(self) -> list[str]:
        url = self.url("models")
        secret = self._api_key.reveal() if self._api_key else None
        value = await self._get_json("models", " (this server may not list models)")
        ids = _model_ids(value)
        if ids is None:
            error = error_from_json(value)
            if error is not None:
                raise APIError(redact(error.message, secret), status=200, type=error.type)
            raise APIError(
                f"{display_url(url)} answered with JSON that is not a model list",
                status=200,
                type="invalid_response",
            )
        return sorted(set(ids))


def _model_ids(value: Any) -> list[str] | None:
    """Ids from `{"data": [...]}`, a bare list, or Ollama's `{"models": [...]}`; None if neither."""
    items: Any
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict) and isinstance(value.get("data"), list):
        items = value["data"]
    elif isinstance(value, dict) and isinstance(value.get("models"), list):
        items = value["models"]
    else:
        return None
    ids: list[str] = []
    for item in items:
        if isinstance(item, str) and item:
            ids.append(item)
        elif isinstance(item, dict):
            for key in ("id", "model", "name"):
                found = item.get(key)
                if isinstance(found, str) and found:
                    ids.append(clean_text(found, 300))
                    break
    return ids
