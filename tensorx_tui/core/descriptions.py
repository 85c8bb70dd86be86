"""The words a user reads about a reply, one set for `ask` and the UI: what to do about an error,
why a reply ended, its usage and speed, its state, and how a status is named.

Headless and pure. The two front ends differ only in how the user acts (press ctrl+o, or pass
-m), so a hint takes a `FrontEnd` that names those actions; every other word is shared, so `ask`
and the UI cannot drift apart.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from tensorx_tui.core.errors import describe_reset, low_balance_hint
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.core.secret import redact_url
from tensorx_tui.core.urls import has_no_path, with_v1
from tensorx_tui.core.usage import usage_details

Severity = Literal["ok", "warning", "error"]
DEFAULT_KEY_ENV: Final = "TENSORX_API_KEY"


@dataclass(frozen=True, slots=True)
class FrontEnd:
    """How the user does things in one front end (the only words that differ between them)."""

    pick_model: str
    set_base_url: str
    new_conversation: str
    lower_max_tokens: str
    raise_idle_timeout: str


APP: Final = FrontEnd(
    pick_model="press ctrl+o to pick one of the endpoint's models",
    set_base_url="set base_url in the config file, or pass --base-url",
    new_conversation="start a new one (ctrl+n)",
    lower_max_tokens="lower max_tokens (ctrl+g)",
    raise_idle_timeout="raise idle_timeout in the config file",
)
SHELL: Final = FrontEnd(
    pick_model="pass -m MODEL (`tensorx-chat models` lists them)",
    set_base_url="pass --base-url",
    new_conversation="start a new one (leave out -c / --conversation)",
    lower_max_tokens="lower --max-tokens",
    raise_idle_timeout="raise idle_timeout in the config file",
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a hint may name about the endpoint. `key_env` is the variable a key would be read
    from; None when no variable would be accepted (a profile with its own base_url must name
    its own, so TENSORX_API_KEY is never sent to another endpoint)."""

    base_url: str = ""
    key_env: str | None = DEFAULT_KEY_ENV
    profile: str | None = None


# -- statuses and states ---------------------------------------------------------------------------


def status_label(status: int | None) -> str | None:
    """`HTTP 404` for a failed status; None for none or a 2xx (an error that arrives inside a 200
    stream carries the 200 it came with: "HTTP 200" next to an error would mislead)."""
    if status is None or 200 <= status < 300:
        return None
    return f"HTTP {status}"


_STATES: Final[dict[ReplyState, tuple[str, Severity]]] = {
    ReplyState.CANCELLED: ("cancelled", "warning"),
    ReplyState.INTERRUPTED: ("interrupted", "warning"),
    ReplyState.ERROR: ("error", "error"),
}


def state_label(state: ReplyState) -> tuple[str, Severity] | None:
    """(label, severity) for a reply that did not complete; None for a complete one."""
    return _STATES.get(state)


# -- why a reply ended -----------------------------------------------------------------------------

# Ends that mean "the model was done": nothing to point out.
NORMAL_FINISHES: Final = frozenset({"stop", "tool_calls", "function_call", "end_turn", "eos"})
# `length` is not only max_tokens: a full context window ends a reply the same way.
_FINISHES: Final[dict[str, tuple[str, Severity]]] = {
    "stop": ("stop", "ok"),
    "tool_calls": ("tool calls", "ok"),
    "function_call": ("function call", "ok"),
    "end_turn": ("stop", "ok"),
    "eos": ("stop", "ok"),
    "length": ("cut at the token limit", "warning"),
    "content_filter": ("stopped by the provider's content filter", "error"),
    "error": ("ended by a provider error", "error"),
}


def finish_label(reason: str) -> tuple[str, Severity]:
    """(label, severity) for a finish_reason; an unknown one verbatim (one safe line)."""
    return _FINISHES.get(reason, (one_line(reason, 80), "warning"))


def finish_note(reason: str | None) -> str | None:
    """A sentence when a complete reply may not be the whole answer (stdout alone cannot tell),
    e.g. "the reply was cut at the token limit (finish_reason length)"; None for normal ends."""
    if reason is None or reason in NORMAL_FINISHES:
        return None
    label, _ = finish_label(reason)
    if reason in _FINISHES:
        return f"the reply was {label} (finish_reason {reason})"
    return f"the reply ended with finish_reason {label}"


# -- usage and speed -------------------------------------------------------------------------------

# A speed is shown only when measured over at least this many tokens and seconds of generation.
# Below that, it measures network buffering: an 18-token reply that arrived in one burst "ran at"
# 12,565 tok/s. 20 tokens over half a second is still short, but the figure then means something.
MIN_SPEED_TOKENS: Final = 20
MIN_SPEED_SECONDS: Final = 0.5


def _count(usage: Mapping[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def token_counts(usage: Mapping[str, Any] | None, *, short: bool = False) -> list[str]:
    """["prompt 1,200", "completion 30", "total 1,230"] plus the details the server gave
    ("1,234 cached", "567 reasoning": core.usage); [] when it reported no usage. `short`, for a
    narrow line: ["in 1,200", "out 30"] (the total is their sum; the details can go)."""
    if not usage:
        return []
    names = (
        (("prompt_tokens", "in"), ("completion_tokens", "out"))
        if short
        else (
            ("prompt_tokens", "prompt"),
            ("completion_tokens", "completion"),
            ("total_tokens", "total"),
        )
    )
    parts = []
    for key, label in names:
        value = _count(usage, key)
        parts.append(f"{label} {value:,}" if value is not None else f"{label} ?")
    return parts if short else parts + usage_details(dict(usage))


def tokens_per_second(reply: Reply) -> float | None:
    """Completion tokens per second of generation, when measured over enough to mean something
    (MIN_SPEED_TOKENS tokens and MIN_SPEED_SECONDS seconds); else None."""
    completion = _count(reply.usage or {}, "completion_tokens")
    seconds = reply.timings.generation_s
    if completion is None or seconds is None:
        return None
    if completion < MIN_SPEED_TOKENS or seconds < MIN_SPEED_SECONDS:
        return None
    return completion / seconds


def timing_parts(reply: Reply, *, total: bool = True) -> list[str]:
    """["TTFT 0.21 s", "total 1.30 s", "41 tok/s"], the ones that are known."""
    parts = []
    timings = reply.timings
    if timings.ttft_s is not None:
        parts.append(f"TTFT {timings.ttft_s:.2f} s")
    if total and timings.total_s is not None:
        parts.append(f"total {timings.total_s:.2f} s")
    rate = tokens_per_second(reply)
    if rate is not None:
        parts.append(f"{rate:,.0f} tok/s" if rate >= 100 else f"{rate:.1f} tok/s")
    return parts


# -- what to do about an error ---------------------------------------------------------------------

# How servers say the model is not there: OpenAI and vLLM "The model `x` does not exist",
# OpenAI's code "model_not_found", Ollama `model "x" not found`, llama.cpp "model not found",
# LiteLLM (TensorX) "Invalid model name passed in model=x", OpenRouter "x is not a valid model ID",
# others "Unknown model", "No such model".
_MODEL_MISSING: Final = re.compile(
    r"model_not_found|invalid[ _]model|not a valid model|unknown model|no such model"
    r"|\bmodel\b[^\n]{0,120}?\b(?:not found|does not exist|do not have access)",
    re.IGNORECASE,
)
_CONTEXT_FULL: Final = re.compile(
    r"context|too long|too many tokens|maximum|max_tokens", re.IGNORECASE
)


def says_model_missing(text: str) -> bool:
    """True when an error message says the requested model does not exist (here)."""
    return bool(_MODEL_MISSING.search(text))


def key_hint(endpoint: Endpoint) -> str:
    """How to give a key to this endpoint, naming the variable that would be accepted."""
    if endpoint.key_env is None:
        name = endpoint.profile or "NAME"
        variable = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") + "_API_KEY"
        return (
            f"Profile {name!r} has its own base_url, so {DEFAULT_KEY_ENV} is not sent to it: "
            f'put api_key_env = "{variable}" in [profiles.{name}] of the config file and '
            f"export {variable}=…, or pass --api-key."
        )
    return (
        f"Check the API key: export {endpoint.key_env}=… or pass --api-key "
        '(api_key_env = "NAME" in the config file reads another variable).'
    )


def _rate_limit_hint(
    rate_limits: Mapping[str, str], retry_after: float | None, message: str, now: float
) -> str:
    """When to try again, from the best source there is: the wait the server asked for, its
    reset headers, TensorX's "Limit resets at" text; plus what is left, when the headers say."""
    reset = rate_limits.get("x-ratelimit-reset-requests") or rate_limits.get(
        "x-ratelimit-reset-tokens"
    )
    reset_text = describe_reset(message, now=now)
    if retry_after is not None:
        when = f"retry in {retry_after:.0f} s"
    elif reset:
        when = f"retry after {one_line(reset, 40)}"
    elif reset_text:
        when = f"the limit {reset_text}"
    else:
        when = "wait a little and try again"
    left = [
        f"{name.removeprefix('x-ratelimit-remaining-')} left: {one_line(value, 20)}"
        for name, value in sorted(rate_limits.items())
        if name.startswith("x-ratelimit-remaining-")
    ]
    extra = f" ({', '.join(left)})" if left else ""
    return f"Rate limited; {when}{extra}"


def error_hint(
    error: ErrorInfo,
    front: FrontEnd,
    endpoint: Endpoint | None = None,
    *,
    rate_limits: Mapping[str, str] | None = None,
    retry_after: float | None = None,
    now: float | None = None,
) -> str | None:
    """One short sentence saying what the user can do about `error`, or None. `now` (epoch
    seconds) reads a rate limit's reset time; the clock by default."""
    endpoint = endpoint or Endpoint()
    status = error.status
    text = f"{error.type or ''} {error.message}"
    # First: an account out of money also answers 401/403/429, and a new key would not help.
    balance = low_balance_hint(status, error.type, error.message)
    if balance:
        return balance
    if status in (401, 403) and not says_model_missing(text):
        return key_hint(endpoint)
    if status == 429:
        moment = time.time() if now is None else now
        return _rate_limit_hint(rate_limits or {}, retry_after, error.message, moment)
    if status is not None and 400 <= status < 500 and says_model_missing(text):
        return f"The model is not available on this endpoint: {front.pick_model}."
    if status == 404 or error.type == "not_an_api":
        if endpoint.base_url and has_no_path(endpoint.base_url):
            return (
                "The base URL has no path; OpenAI-compatible servers answer under /v1: "
                f"try {with_v1(endpoint.base_url)} ({front.set_base_url})."
            )
        if status == 404:
            return (
                "Not found: check the base URL "
                + (f"{redact_url(endpoint.base_url)} " if endpoint.base_url else "")
                + f"({front.set_base_url}) and the model ({front.pick_model})."
            )
        return None
    if status is not None and 500 <= status < 600:
        return "The server had a problem; try again in a moment."
    if status in (400, 413, 422) and _CONTEXT_FULL.search(text):
        return (
            "The conversation may be too long for the model: "
            f"{front.new_conversation} or {front.lower_max_tokens}."
        )
    if error.type == "invalid_url":
        return f"Fix the base URL ({front.set_base_url})."
    if error.type == "timeout":
        return f"The server stopped answering (timeout); try again, or {front.raise_idle_timeout}."
    if status is None and error.type in ("connection", None):
        where = redact_url(endpoint.base_url) if endpoint.base_url else "the server"
        return (
            f"Could not reach {where}: check the base URL ({front.set_base_url}) and the "
            "network; --demo works offline."
        )
    return None


def reply_hint(
    reply: Reply,
    front: FrontEnd,
    endpoint: Endpoint | None = None,
    *,
    retry_after: float | None = None,
) -> str | None:
    """The hint for a reply that errored or was interrupted; None otherwise."""
    if reply.state is ReplyState.INTERRUPTED:
        return "The connection closed before the reply finished; the partial text is kept."
    if reply.state is not ReplyState.ERROR or reply.error is None:
        return None
    return error_hint(
        reply.error, front, endpoint, rate_limits=reply.rate_limits, retry_after=retry_after
    )
