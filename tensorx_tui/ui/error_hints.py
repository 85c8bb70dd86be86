"""The in-app error hint: `core.descriptions.reply_hint` with the app's own actions (ctrl+o)."""

from __future__ import annotations

from tensorx_tui.core.descriptions import APP, Endpoint, reply_hint
from tensorx_tui.core.reply import Reply


def hint_for(
    reply: Reply, *, retry_after: float | None = None, endpoint: Endpoint | None = None
) -> str | None:
    """A hint for an errored or interrupted reply, or None when there is nothing useful to say."""
    return reply_hint(reply, APP, endpoint, retry_after=retry_after)
