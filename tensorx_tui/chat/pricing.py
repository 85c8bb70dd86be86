"""What each reply cost, worked out by the engine when the reply finishes, before it is saved.

    pricing = Pricing()                                    # nothing known yet
    pricing.load_in_background(open_catalog(endpoint, settings))   # inside the event loop
    engine.pricing = pricing                               # every finished reply gets a .cost
    ...
    pricing.close()                                        # a load still running is cancelled

The catalog may still be loading when the first reply ends (`ask` fetches it while the reply
streams): the engine waits for it at most `wait_s`, then leaves the cost unknown rather than hold
the reply back. A cost is worked out once, when the reply ends, because prices change.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

from tensorx_tui.core.cost import reply_cost
from tensorx_tui.core.model_catalog import Catalog
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import Reply

DEFAULT_WAIT_S = 5.0


class Pricing:
    def __init__(self, catalog: Catalog | None = None, *, wait_s: float = DEFAULT_WAIT_S) -> None:
        self.catalog = catalog
        self.wait_s = wait_s
        self._loading: asyncio.Task[Catalog] | None = None

    def load_in_background(self, load: Awaitable[Catalog]) -> None:
        """Start loading the catalog (call it inside the running event loop)."""
        self.close()

        async def run() -> Catalog:
            return await load

        self._loading = asyncio.ensure_future(run())

    async def ready(self) -> Catalog | None:
        """The catalog, waiting at most `wait_s` for a load in progress (which goes on)."""
        task = self._loading
        if task is not None:
            if not task.done():
                await asyncio.wait({task}, timeout=self.wait_s)
            if task.done():
                self._loading = None
                if not task.cancelled() and task.exception() is None:
                    self.catalog = task.result()
        return self.catalog

    def info_for(self, *model_ids: str | None) -> ModelInfo | None:
        """What the loaded catalog knows of the first known id (requested, then reported)."""
        return self.catalog.find(*model_ids) if self.catalog is not None else None

    async def price(self, reply: Reply, model: str) -> ModelInfo | None:
        """Set `reply.cost` (None when unknown); returns the model's info used for it."""
        await self.ready()
        info = self.info_for(model, reply.model)
        reply.cost = reply_cost(reply.usage, info)
        return info

    def close(self) -> None:
        task, self._loading = self._loading, None
        if task is not None and not task.done():
            task.cancel()
            # Retrieve the result so a cancelled or failed load is never "never retrieved".
            task.add_done_callback(_consume)


def _consume(task: asyncio.Future[Catalog]) -> None:
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
