"""The models an endpoint offers, with what is known about each, from every source at once.

    catalog = await load_catalog(endpoint.get_json, settings.models)
    catalog.get("Moonshotai/KIMI-K2.6")      # case-insensitive; None when nothing is known
    catalog.listed                           # the endpoint's models, one per id, sorted

`get_json(path)` (Endpoint.get_json) performs an authenticated GET of `path` under the base URL
and returns the parsed JSON, raising on any failure; a source that fails (404 on a server without
LiteLLM, garbage, a timeout) is simply missing, and its error is kept in `errors` to say why.
Precedence, field by field: the user's config > `/model/info` > `/models`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tensorx_tui.core.errors import error_from_json
from tensorx_tui.core.model_info import (
    SOURCE_MODEL_INFO,
    SOURCE_MODELS,
    ModelInfo,
    merge,
    parse_litellm_info,
    parse_models_list,
)
from tensorx_tui.core.sanitize import one_line

GetJson = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """Why a source gave nothing: the message (safe to show) and, for HTTP errors, the status."""

    message: str
    status: int | None = None
    type: str | None = None


MODEL_INFO_PATH = "model/info"
MODELS_PATH = "models"


@dataclass(frozen=True, slots=True)
class Catalog:
    endpoint: tuple[ModelInfo, ...] = ()
    """What the endpoint said, merged (`/model/info` over `/models`); what the disk cache keeps."""
    config: tuple[ModelInfo, ...] = ()
    """The user's `[models."id"]` entries."""
    sources: tuple[str, ...] = ()
    """The endpoint sources that answered ("model/info", "models")."""
    errors: dict[str, SourceFailure] = field(default_factory=dict)
    """Why a source is missing, by source name ("model/info", "models")."""

    @property
    def entries(self) -> dict[str, ModelInfo]:
        """Every known model, keyed by `ModelInfo.key`: the config's values first, spelled as
        the endpoint spells the id (that is the id it accepts)."""
        spelled = {m.key: m.id for m in self.endpoint}
        merged = merge(self.config, self.endpoint)
        return {m.key: _respell(m, spelled.get(m.key, m.id)) for m in merged}

    @property
    def listed(self) -> list[ModelInfo]:
        """The endpoint's models (not config-only ones), with config values laid over, sorted
        by id without regard to case."""
        entries = self.entries
        return sorted((entries[m.key] for m in self.endpoint), key=lambda m: (m.key, m.id))

    @property
    def answered(self) -> bool:
        """Whether any endpoint source answered."""
        return bool(self.sources)

    def get(self, model_id: str) -> ModelInfo | None:
        """What is known about `model_id` (any case), or None."""
        return self.entries.get(model_id.casefold())

    def find(self, *model_ids: str | None) -> ModelInfo | None:
        """The first of `model_ids` that is known: the id requested, then the one the server
        reported in its reply (it may spell it differently)."""
        entries = self.entries
        for model_id in model_ids:
            if model_id and model_id.casefold() in entries:
                return entries[model_id.casefold()]
        return None

    def with_config(self, config: Iterable[ModelInfo]) -> Catalog:
        """The same endpoint data under another config (a cached catalog, fresh settings)."""
        return replace(self, config=tuple(config))


async def _fetch(get_json: GetJson, path: str) -> tuple[Any, SourceFailure | None]:
    try:
        return await get_json(path), None
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # any failure only means this source is missing: keep why
        # APIError (and its successors) carry `message`, `status` and `type`.
        message = getattr(exc, "message", None)
        text = message if isinstance(message, str) else str(exc) or type(exc).__name__
        status = getattr(exc, "status", None)
        kind = getattr(exc, "type", None)
        return None, SourceFailure(
            one_line(text, 1000),
            status if isinstance(status, int) and not isinstance(status, bool) else None,
            kind if isinstance(kind, str) else None,
        )


async def load_catalog(get_json: GetJson, config_models: Iterable[ModelInfo] = ()) -> Catalog:
    """Ask `/model/info` and `/models` (at the same time) and combine them with the config."""
    (info_json, info_error), (models_json, models_error) = await asyncio.gather(
        _fetch(get_json, MODEL_INFO_PATH), _fetch(get_json, MODELS_PATH)
    )
    from_info = parse_litellm_info(info_json) if info_error is None else []
    from_models = parse_models_list(models_json) if models_error is None else []
    errors: dict[str, SourceFailure] = {}
    sources: list[str] = []
    for name, error, parsed, raw in (
        (SOURCE_MODEL_INFO, info_error, from_info, info_json),
        (SOURCE_MODELS, models_error, from_models, models_json),
    ):
        if error is not None:
            errors[name] = error
        elif not parsed and not _empty_listing(raw):
            # A 200 that carries an error object says more than "no models".
            found = error_from_json(raw)
            message = one_line(found.message, 1000) if found else "the answer lists no models"
            errors[name] = SourceFailure(message, None, found.type if found else None)
        else:
            sources.append(name)
    # The listing's own order and spelling come first; /model/info's values win field by field.
    endpoint = merge(from_info, from_models)
    spelled = {m.key: m.id for m in reversed(from_models + from_info)}
    ordered = [_respell(m, spelled[m.key]) for m in endpoint]
    return Catalog(
        endpoint=tuple(ordered),
        config=tuple(config_models),
        sources=tuple(sources),
        errors=errors,
    )


def _respell(model: ModelInfo, spelling: str) -> ModelInfo:
    return model if model.id == spelling else replace(model, id=spelling)


def _empty_listing(value: Any) -> bool:
    """`{"data": []}` or `[]`: an honest empty answer, not garbage."""
    if isinstance(value, dict):
        value = value.get("data")
    return isinstance(value, list) and not value
