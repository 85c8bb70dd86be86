"""An httpx transport that sends requests to the real network (loopback servers in the tests)
and remembers each request's JSON body, to check exactly what a client sent."""

from __future__ import annotations

import json
from typing import Any

import httpx


class RecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.bodies: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(await request.aread()))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
