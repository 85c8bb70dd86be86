"""Every endpoint the user configured, at once: the one the app started with and each
`[profiles.NAME]`, each with its own settings (so its own key), HTTP client and model catalog.

    endpoints = ProfileEndpoints(settings, open_endpoint)
    endpoints.start(handle)          # in the event loop: the current endpoint's catalog loads
    endpoints.load_others()          # the other profiles' catalogs (when the model picker opens)
    endpoints.subscribe(callback)    # called with the entry whenever its catalog or state changes
    endpoints.open(entry)            # its EndpointHandle, made at the first need
    await endpoints.aclose()         # loads cancelled, clients closed

Each profile's settings come from the config file as `--profile NAME` would give them, without
the command line's flags: a `--api-key` or `--base-url` given at start belongs to the endpoint
the app started with, so the TensorX key is never sent to another host by a profile switch. A
profile whose key is missing, or that does not load, says why instead of listing models. In demo
mode only the demo server is listed: nothing leaves the machine.

No textual here: the UI subscribes and is told in the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tensorx_tui.core.model_catalog import MODELS_PATH, Catalog
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.open_catalog import model_cache_for
from tensorx_tui.open_endpoint import EndpointHandle
from tensorx_tui.settings import Settings, SettingsError, load_settings
from tensorx_tui.store.model_cache import cached_catalog

HandleFactory = Callable[[Settings], EndpointHandle]
Listener = Callable[["ProfileEndpoint"], None]

DEFAULT_LABEL = "default"  # the header of the endpoint the app started with, when no profile


@dataclass(eq=False)
class ProfileEndpoint:
    """One endpoint of the picker: a profile (or the settings the app started with)."""

    name: str | None
    """The profile's name; None for top-level settings without a profile."""
    settings: Settings | None
    problem: str | None = None
    """Why this endpoint cannot be used (no key, a profile that does not load); safe to show."""
    catalog: Catalog | None = None
    loading: bool = False
    load_error: str | None = None
    """Why the last load failed outright (the next one may work)."""
    handle: EndpointHandle | None = field(default=None, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.name if self.name is not None else DEFAULT_LABEL

    @property
    def host(self) -> str:
        """Host and port of its base URL (never userinfo), or "" when it has none."""
        if self.settings is None:
            return ""
        return urlsplit(self.settings.base_url).netloc.rsplit("@", 1)[-1]

    @property
    def failure(self) -> str | None:
        """Why the catalog lists nothing: the problem, or the listing's own error."""
        if self.problem is not None:
            return self.problem
        if self.load_error is not None and not self.loading:
            return self.load_error
        catalog = self.catalog
        if catalog is None or catalog.answered or self.loading:
            return None
        error = catalog.errors.get(MODELS_PATH) or next(iter(catalog.errors.values()), None)
        if error is None:
            return "the endpoint lists no models"
        status = f" (HTTP {error.status})" if error.status else ""
        return one_line(error.message, 300) + status


def key_problem(settings: Settings, name: str | None) -> str | None:
    """A short reason when the endpoint needs a key and has none (one line, for the picker)."""
    if settings.api_key or not settings.needs_key:
        return None
    variable = settings.api_key_env
    if variable is None:
        # A profile with its own base_url must name its own key: no other key goes there.
        return f"no API key: give [profiles.{name}] its own api_key_env"
    return f"no API key: set {variable}" + (f" (api_key_env of [profiles.{name}])" if name else "")


def profile_settings(
    start: Settings, name: str, env: Mapping[str, str] | None = None
) -> tuple[Settings | None, str | None]:
    """The settings of profile `name` as the config file gives them (no flags of this run), and
    a problem when it cannot be used."""
    flags: dict[str, object] = {
        "config": str(start.config_path) if start.config_path else os.devnull,
        "profile": name,
        "data_dir": str(start.data_dir),
    }
    try:
        settings = load_settings(flags, env)
    except SettingsError as exc:
        return None, one_line(str(exc), 300)
    return settings, key_problem(settings, name)


class ProfileEndpoints:
    def __init__(
        self,
        settings: Settings,
        factory: HandleFactory,
        *,
        env: Mapping[str, str] | None = None,
        disk_cache: bool = True,
    ) -> None:
        """`disk_cache`: keep catalogs in the data dir for a day (off for settings built in
        code, whose data dir is the current directory)."""
        self.factory = factory
        self.disk_cache = disk_cache
        self.current = ProfileEndpoint(settings.profile, settings)
        self.start_entry = self.current
        self.entries: list[ProfileEndpoint] = [self.current]
        self._env = env
        self._others_read = settings.demo or not settings.profiles
        self._start_settings = settings
        self._listeners: list[Listener] = []
        self._closed = False

    # -- who is told --------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _changed(self, entry: ProfileEndpoint) -> None:
        for listener in list(self._listeners):
            listener(entry)

    # -- the entries --------------------------------------------------------------------------

    def _read_others(self) -> None:
        """The other profiles' entries, read from the config file once (at the first need)."""
        if self._others_read:
            return
        self._others_read = True
        start = self._start_settings
        for name in start.profiles:
            if name == start.profile:
                continue
            settings, problem = profile_settings(start, name, self._env)
            self.entries.append(ProfileEndpoint(name, settings, problem))

    def all(self) -> list[ProfileEndpoint]:
        """Every entry: the one the app started with first, then the config file's profiles."""
        self._read_others()
        return self.entries

    def find(self, name: str | None) -> ProfileEndpoint | None:
        """The entry of profile `name` (None: the top-level one, if the app started so)."""
        self._read_others()
        return next((e for e in self.entries if e.name == name), None)

    def open(self, entry: ProfileEndpoint) -> EndpointHandle:
        """The entry's endpoint and HTTP client, made at the first need."""
        if entry.settings is None:
            raise ValueError(f"profile {entry.label} has no settings")
        if entry.handle is None:
            entry.handle = self.factory(entry.settings)
        return entry.handle

    def switch(self, entry: ProfileEndpoint) -> EndpointHandle:
        """Make `entry` the endpoint requests go to; its client (made if needed)."""
        handle = self.open(entry)
        self.current = entry
        self.load(entry)
        return handle

    # -- catalogs -----------------------------------------------------------------------------

    def start(self, handle: EndpointHandle) -> None:
        """The current endpoint's client (the app made it); its catalog starts loading."""
        self.current.handle = handle
        settings = self.current.settings
        self.current.problem = key_problem(settings, self.current.name) if settings else None
        self.load(self.current)

    def load_others(self) -> None:
        """Load the catalog of every endpoint that has none yet, or whose load failed."""
        self._read_others()
        for entry in self.entries:
            self.load(entry)

    def load(self, entry: ProfileEndpoint) -> None:
        """Start loading `entry`'s catalog unless it is loaded, loading, or cannot be."""
        if self._closed or entry.loading or entry.problem is not None or entry.settings is None:
            return
        if entry.catalog is not None and entry.catalog.answered:
            return
        entry.loading, entry.load_error = True, None
        entry._task = asyncio.ensure_future(self._load(entry, entry.settings))

    async def _load(self, entry: ProfileEndpoint, settings: Settings) -> None:
        try:
            handle = self.open(entry)
            cache = model_cache_for(settings) if self.disk_cache else None
            entry.catalog = await cached_catalog(
                handle.client.get_json, settings.models, cache, settings.base_url
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the catalog is optional: a failure is shown, never raised
            entry.load_error = f"the models could not be listed: {one_line(repr(exc), 200)}"
        finally:
            entry.loading = False
        self._changed(entry)

    async def aclose(self) -> None:
        """Cancel the loads and close every client (the current one too)."""
        self._closed = True
        self._listeners.clear()
        for entry in self.entries:
            task = entry._task
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if entry.handle is not None:
                await entry.handle.aclose()
