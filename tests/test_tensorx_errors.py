"""TensorX's own error shapes: the 429 body with "None" strings and the reset time in the text,
and a key disabled for a low balance (which is not a wrong key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from test_client import Server as ScriptedServer
from test_client import hello_stream, make_client, ok, only_error, run

from tensorx_tui.cli.ask_printer import error_hint
from tensorx_tui.core.endpoint import RetryPolicy
from tensorx_tui.core.errors import (
    LOW_BALANCE_HINT,
    describe_reset,
    is_low_balance,
    parse_error_body,
)
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState
from tensorx_tui.ui.error_hints import hint_for

NOW = datetime(2026, 3, 21, 20, 37, 0, tzinfo=UTC).timestamp()
# Exactly the body TensorX sends (LiteLLM writes Python's None as a string).
TENSORX_429 = {
    "error": {
        "message": "Rate limit exceeded: 60 requests per minute for this key. "
        "Limit resets at: 2026-03-21 20:38:07 UTC",
        "type": "None",
        "param": "None",
        "code": "429",
    }
}


def test_the_429_body_has_no_type_and_a_code() -> None:
    found = parse_error_body(429, "application/json", httpx.Response(429, json=TENSORX_429).content)
    assert found.type is None  # not the string "None"
    assert found.code == "429"
    assert found.message.endswith("Limit resets at: 2026-03-21 20:38:07 UTC")


async def test_the_429_reset_time_becomes_retry_after_and_is_shown() -> None:
    response = httpx.Response(
        429, headers={"date": "Sat, 21 Mar 2026 20:37:00 GMT"}, json=TENSORX_429
    )
    server = ScriptedServer(response, ok(hello_stream()))
    client, waits = make_client(server, retry=RetryPolicy(max_delay=20), wall_clock=NOW)
    events, reply = await run(client)
    error = only_error(events)
    assert (error.status, error.type, error.code, error.retry_after) == (429, None, "429", 67.0)
    assert waits == []  # 67 s is longer than we wait on our own: the user is told
    assert reply.error is not None and reply.error.type is None
    assert describe_reset(reply.error.message, now=NOW) == "resets at 20:38:07 UTC"
    hint = error_hint(429, "https://api.tensorx.ai/v1", message=reply.error.message, now=NOW)
    assert hint == "hint: rate limited; the limit resets at 20:38:07 UTC"


def test_a_reset_on_another_day_shows_the_date() -> None:
    message = "Limit resets at: 2026-03-23 01:00:00 UTC"
    assert describe_reset(message, now=NOW) == "resets at 2026-03-23 01:00:00 UTC"
    assert describe_reset("Rate limit exceeded", now=NOW) is None
    assert error_hint(429, "", message="Rate limit exceeded") == (
        "hint: rate limited; wait a little and try again"
    )


# How the providers word "no money left", each with the status it comes with.
LOW_BALANCE_BODIES: list[tuple[int, dict[str, Any]]] = [
    # LiteLLM key budget (TensorX runs LiteLLM): a 401 that is not a wrong key.
    (
        401,
        {
            "error": {
                "message": "Authentication Error, ExceededTokenBudget: Current spend for token: "
                "10.01; Max Budget for Token: 10.0",
                "type": "auth_error",
                "param": "None",
                "code": "401",
            }
        },
    ),
    (
        400,
        {
            "error": {
                "message": "Budget has been exceeded! Current cost: 15.07, Max budget: 15.0",
                "type": "budget_exceeded",
                "param": None,
                "code": "400",
            }
        },
    ),
    (403, {"error": {"message": "Key disabled: insufficient balance", "type": "None"}}),
    (402, {"error": {"message": "Insufficient credits. Add more using https://x", "code": 402}}),
    (402, {"error": {"message": "Insufficient Balance", "type": "unknown_error"}}),
    (
        429,
        {
            "error": {
                "message": "You exceeded your current quota, please check your plan and billing",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            }
        },
    ),
    (400, {"type": "error", "error": {"message": "Your credit balance is too low to access"}}),
]


@pytest.mark.parametrize(("status", "body"), LOW_BALANCE_BODIES)
def test_a_low_balance_gets_its_own_hint_in_ask_and_the_ui(
    status: int, body: dict[str, Any]
) -> None:
    found = parse_error_body(status, "application/json", httpx.Response(200, json=body).content)
    assert is_low_balance(status, found.type, found.message)
    reply = Reply(state=ReplyState.ERROR, error=ErrorInfo(found.message, status, found.type))
    assert hint_for(reply) == LOW_BALANCE_HINT
    ask_hint = error_hint(status, "https://api.tensorx.ai/v1", message=found.message,
                          error_type=found.type)  # fmt: skip
    assert ask_hint is not None and ask_hint.startswith("hint: the key's balance is too low")
    assert "top up" in ask_hint and "TENSORX_API_KEY" not in ask_hint


@pytest.mark.parametrize(
    ("status", "message", "type_"),
    [
        (401, "Invalid API key", "invalid_request_error"),
        (401, "Authentication Error, Invalid proxy server token passed", "auth_error"),
        (400, "This model's maximum context length is 131072 tokens", "invalid_request_error"),
        (400, "budget_tokens must be less than max_tokens", "invalid_request_error"),
        (429, TENSORX_429["error"]["message"], None),
    ],
)
def test_other_errors_are_not_a_low_balance(status: int, message: str, type_: str | None) -> None:
    assert not is_low_balance(status, type_, message)
    reply = Reply(state=ReplyState.ERROR, error=ErrorInfo(message, status, type_))
    assert hint_for(reply) != LOW_BALANCE_HINT
    if status == 401:
        assert "TENSORX_API_KEY" in (hint_for(reply) or "")
        assert "check the API key" in (error_hint(status, "", message=message) or "")
