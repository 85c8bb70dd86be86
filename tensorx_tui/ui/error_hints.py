"""What the user can do about a failed reply: one short, actionable sentence. Pure function."""

from __future__ import annotations

from tensorx_tui.core.errors import low_balance_hint
from tensorx_tui.core.reply import Reply, ReplyState

_KEY_HINT = (
    "Set your API key: export TENSORX_API_KEY=…, or pass --api-key, "
    "or put api_key in the config file."
)


def _retry_hint(reply: Reply, retry_after: float | None) -> str:
    limits = reply.rate_limits
    if retry_after is not None:
        when = f"in {retry_after:.0f} s"
    else:
        reset = limits.get("x-ratelimit-reset-requests") or limits.get("x-ratelimit-reset-tokens")
        when = f"after {reset}" if reset else "in a little while"
    left = [
        f"{name.removeprefix('x-ratelimit-remaining-')} left: {value}"
        for name, value in sorted(limits.items())
        if name.startswith("x-ratelimit-remaining-")
    ]
    extra = f" ({', '.join(left)})" if left else ""
    return f"Rate limited: retry {when}{extra}."


def hint_for(reply: Reply, *, retry_after: float | None = None) -> str | None:
    """A hint for an errored or interrupted reply, or None when there is nothing useful to say."""
    if reply.state is ReplyState.INTERRUPTED:
        return "The connection closed before the reply finished; the partial text is kept."
    if reply.state is not ReplyState.ERROR or reply.error is None:
        return None
    status = reply.error.status
    text = f"{reply.error.type or ''} {reply.error.message}".lower()
    balance = low_balance_hint(status, reply.error.type, reply.error.message)
    if balance:
        return balance
    if status in (401, 403):
        return _KEY_HINT
    if status == 429:
        return _retry_hint(reply, retry_after)
    if status == 404:
        return (
            "Model or endpoint not found: check the model name (/models lists them) and base URL."
        )
    if status is not None and 500 <= status < 600:
        return "The server had a problem; try again in a moment."
    if status in (400, 413) and ("context" in text or "too long" in text or "maximum" in text):
        return "The conversation is too long for the model: start a new one or lower max_tokens."
    if status is None and ("timeout" in text or "timed out" in text):
        return "The server stopped answering (timeout); try again, or raise idle_timeout."
    if status is None:
        return "Could not reach the server: check the base URL and your network."
    return None
