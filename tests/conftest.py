"""Fixtures shared by the test modules (helpers that are plain functions live in ui_app_support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tensorx_tui.demo.server import DemoServer


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    """The project's demo server on a free loopback port, instant replies."""
    server = DemoServer(host="127.0.0.1", port=0, speed=0).start()
    yield server
    server.stop()
