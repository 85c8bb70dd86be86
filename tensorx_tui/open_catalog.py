"""The model catalog for the endpoint the settings describe: windows, prices, capabilities.

    catalog = await open_catalog(endpoint, settings)                 # the day-old cache if fresh
    catalog = await open_catalog(endpoint, settings, refresh=True)   # always ask (`models`)

What the endpoint says (`/model/info`, `/models`) is cached in the data dir; the settings'
`[models."id"]` tables are laid over it at every call. The demo gets no disk cache: its server is
local and listens on a new port every run (a file per run would pile up).
"""

from __future__ import annotations

from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.model_catalog import Catalog
from tensorx_tui.settings import Settings
from tensorx_tui.store.model_cache import ModelCache, cached_catalog


def model_cache_for(settings: Settings) -> ModelCache | None:
    return None if settings.demo else ModelCache.in_data_dir(settings.data_dir)


async def open_catalog(endpoint: Endpoint, settings: Settings, *, refresh: bool = False) -> Catalog:
    return await cached_catalog(
        endpoint.get_json,
        settings.models,
        model_cache_for(settings),
        settings.base_url,
        refresh=refresh,
    )
