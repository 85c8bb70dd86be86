"""Every configured endpoint: its own settings and key, and its catalog loaded on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tensorx_tui.open_endpoint import EndpointHandle
from tensorx_tui.profile_endpoints import ProfileEndpoints, profile_settings
from tensorx_tui.settings import Settings, load_settings

CONFIG = """
api_key_env = "MAIN_KEY"

[profiles.local]
base_url = "http://127.0.0.1:9/v1"

[profiles.router]
base_url = "https://router.example/v1"
api_key_env = "ROUTER_KEY"

[profiles.borrower]
base_url = "https://other.example/v1"

[profiles.broken]
tools = "missing-tools.json"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_a_key_given_at_start_stays_with_the_start_endpoint(config: Path) -> None:
    env = {"MAIN_KEY": "main-key", "ROUTER_KEY": "router-key"}
    start = load_settings({"config": str(config), "api_key": "flag-key"}, env)
    assert start.profiles == ("local", "router", "borrower", "broken")
    router, problem = profile_settings(start, "router", env)
    assert router is not None and problem is None
    assert router.api_key is not None and router.api_key.reveal() == "router-key"
    # A profile with its own host and no key of its own gets none: never the flag's or TensorX's.
    borrower, problem = profile_settings(start, "borrower", env)
    assert borrower is not None and borrower.api_key is None
    assert problem == "no API key: give [profiles.borrower] its own api_key_env"
    local, problem = profile_settings(start, "local", env)
    assert local is not None and local.api_key is None and problem is None  # loopback: no key
    broken, problem = profile_settings(start, "broken", env)
    assert broken is None and problem is not None and "missing-tools.json" in problem


def test_catalogs_load_per_profile_and_a_failure_says_why(config: Path) -> None:
    seen: list[tuple[str, str | None]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization")))
        if request.url.host == "127.0.0.1":
            return httpx.Response(500, json={"error": {"message": "local is down"}})
        return httpx.Response(200, json={"data": [{"id": "m-" + request.url.host}]})

    def factory(settings: Settings) -> EndpointHandle:
        return EndpointHandle(settings, httpx.MockTransport(handle))

    env = {"MAIN_KEY": "main-key", "ROUTER_KEY": "router-key"}
    start = load_settings({"config": str(config), "profile": "router"}, env)

    async def run() -> None:
        endpoints = ProfileEndpoints(start, factory, env=env, disk_cache=False)
        changed: list[str] = []
        endpoints.subscribe(lambda entry: changed.append(entry.label))
        endpoints.start(factory(start))
        endpoints.load_others()
        await asyncio.gather(*(e._task for e in endpoints.entries if e._task is not None))
        by_name = {e.name: e for e in endpoints.entries}
        assert [e.name for e in endpoints.entries] == ["router", "local", "borrower", "broken"]
        router = by_name["router"]
        assert router.catalog is not None and [m.id for m in router.catalog.listed] == [
            "m-router.example"
        ]
        assert by_name["local"].failure is not None and "local is down" in by_name["local"].failure
        assert by_name["borrower"].catalog is None  # no key: never asked
        assert sorted(changed) == ["local", "router"]
        await endpoints.aclose()

    asyncio.run(run())
    assert ("router.example", "Bearer router-key") in seen
    assert all(auth is None for host, auth in seen if host != "router.example")
