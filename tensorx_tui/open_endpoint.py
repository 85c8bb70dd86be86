"""The endpoint the settings describe, with the HTTP client it runs on, and their lifetime.

    async with open_endpoint(settings) as endpoint:    # a core Endpoint
        async with endpoint.stream(request) as stream: ...

For a long-lived endpoint (the TUI), keep the handle and close it when done:

    handle = open_endpoint(settings)
    handle.client.stream(...)
    await handle.aclose()
"""

from __future__ import annotations

from types import TracebackType

import httpx

from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.settings import Settings

# The Endpoint's own idle timer (settings.idle_timeout) gives the friendly message; this read
# timeout is only a backstop in case a read blocks outside that timer (e.g. GET /models).
_READ_BACKSTOP_EXTRA_S = 10.0


class EndpointHandle:
    """A Endpoint plus the httpx.AsyncClient it runs on; closing the handle closes both."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.idle_timeout + _READ_BACKSTOP_EXTRA_S,
            write=30.0,
            pool=settings.connect_timeout,
        )
        self.http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,  # a redirect would drop the POST body; show it as an error
        )
        self.client = Endpoint(
            self.http,
            base_url=settings.base_url,
            api_key=settings.api_key,
            idle_timeout=settings.idle_timeout,
            think_tags=settings.think_tags,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Endpoint:
        return self.client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def open_endpoint(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> EndpointHandle:
    """A handle usable as `async with open_endpoint(settings) as client:` (see the module doc).

    `transport` lets tests inject an `httpx.MockTransport`.
    """
    return EndpointHandle(settings, transport)
