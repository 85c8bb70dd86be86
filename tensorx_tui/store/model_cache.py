"""The endpoint's model metadata kept on disk for a day, so `ask` does not fetch it every time.

    cache = ModelCache.in_data_dir(settings.data_dir)
    catalog = await cached_catalog(endpoint.get_json, settings.models, cache, settings.base_url)

One JSON file per endpoint in `<data_dir>/model-cache/`, named by a hash of the base URL with
any credential removed (a key in `?api-key=` or `user:key@` never reaches the name or the file).
Only what the endpoint said is cached; the config is laid over it at every load, so an edited
price applies at once. A file that is missing, expired, corrupt or unreadable is no cache: the
metadata is fetched again. Files are written atomically (a temporary file renamed over the old
one) and readable by the user only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from tensorx_tui.core.model_catalog import Catalog, GetJson, load_catalog
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.secret import redact_url

DEFAULT_TTL_S: Final = 24 * 3600.0
CACHE_DIRNAME: Final = "model-cache"
_FORMAT: Final = 1
_MAX_FILE_BYTES: Final = 16 * 1024 * 1024


def cache_key(base_url: str) -> str:
    """The file name's stem for an endpoint: a hash of its URL without credentials."""
    cleaned = (redact_url(base_url.strip()) or "").rstrip("/")
    return hashlib.sha256(cleaned.encode("utf-8")).hexdigest()[:32]


class ModelCache:
    def __init__(
        self,
        directory: Path,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.ttl_s = ttl_s
        self._clock = clock  # wall-clock epoch seconds (injected in tests)

    @classmethod
    def in_data_dir(cls, data_dir: Path, **kwargs: Any) -> ModelCache:
        return cls(Path(data_dir) / CACHE_DIRNAME, **kwargs)

    def path_for(self, base_url: str) -> Path:
        return self.directory / f"{cache_key(base_url)}.json"

    def load(self, base_url: str) -> Catalog | None:
        """The cached endpoint data (no config laid over), or None when there is no fresh,
        readable cache for `base_url`."""
        path = self.path_for(base_url)
        try:
            with path.open("rb") as file:
                raw = file.read(_MAX_FILE_BYTES + 1)
        except OSError:
            return None
        if len(raw) > _MAX_FILE_BYTES:
            return None
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        return self._catalog(value)

    def _catalog(self, value: Any) -> Catalog | None:
        if not isinstance(value, dict) or value.get("format") != _FORMAT:
            return None
        fetched = value.get("fetched_at")
        if isinstance(fetched, bool) or not isinstance(fetched, int | float):
            return None
        age = self._clock() - fetched
        if not 0 <= age <= self.ttl_s:  # expired, or written by a clock ahead of ours
            return None
        models, sources = value.get("models"), value.get("sources")
        if not isinstance(models, list) or not isinstance(sources, list):
            return None
        entries = [m for m in (ModelInfo.from_json(item) for item in models) if m is not None]
        return Catalog(
            endpoint=tuple(entries),
            sources=tuple(s for s in sources if isinstance(s, str)),
        )

    def save(self, base_url: str, catalog: Catalog) -> bool:
        """Keep what the endpoint said; False when it could not be written (no cache then)."""
        payload = {
            "format": _FORMAT,
            "base_url": redact_url(base_url),
            "fetched_at": self._clock(),
            "sources": list(catalog.sources),
            "models": [m.to_json() for m in catalog.endpoint],
        }
        data = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_atomically(self.path_for(base_url), data)
        except OSError:
            return False
        return True


def _write_atomically(path: Path, data: bytes) -> None:
    # mkstemp creates the file with mode 0600; a reader sees the old file or the new, never half.
    fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


async def cached_catalog(
    get_json: GetJson,
    config_models: Iterable[ModelInfo],
    cache: ModelCache | None,
    base_url: str,
    *,
    refresh: bool = False,
) -> Catalog:
    """The catalog from a fresh cache, else fetched (and cached when the endpoint answered).
    `refresh` skips the cache read (`tensorx-chat models` always asks the endpoint)."""
    config = tuple(config_models)
    if cache is not None and not refresh:
        cached = cache.load(base_url)
        if cached is not None:
            return cached.with_config(config)
    catalog = await load_catalog(get_json, config)
    if cache is not None and catalog.answered:
        cache.save(base_url, catalog)
    return catalog
