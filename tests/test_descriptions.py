"""core/descriptions.py: the words `ask` and the UI share (hints, finish notes, usage, speed)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tensorx_tui.cli.ask_printer import AskPrinter, usage_line
from tensorx_tui.core.descriptions import (
    APP,
    SHELL,
    Endpoint,
    error_hint,
    finish_label,
    finish_note,
    status_label,
    tokens_per_second,
)
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, Timings
from tensorx_tui.settings import load_settings
from tensorx_tui.ui.error_hints import hint_for
from tensorx_tui.ui.transcript.panels import timing_text


def test_length_reads_cut_at_the_token_limit_in_ask_and_the_ui() -> None:
    # A full context window ends a reply with `length` just like max_tokens does.
    assert finish_label("length") == ("cut at the token limit", "warning")
    err = io.StringIO()
    AskPrinter(io.StringIO(), err).finish(
        Reply(content="x", finish_reason="length", state=ReplyState.COMPLETE)
    )
    assert "cut at the token limit" in err.getvalue()
    assert "max_tokens" not in err.getvalue() + (finish_note("length") or "")


def _timed(tokens: int, seconds: float) -> Reply:
    return Reply(
        usage={"completion_tokens": tokens},
        state=ReplyState.COMPLETE,
        timings=Timings(request_sent=0.0, first_token=1.0, last_token=1.0 + seconds),
    )


@pytest.mark.parametrize(
    ("tokens", "seconds", "shown"),
    [
        (18, 18 / 12565, None),  # the burst that read 12,565 tok/s
        (19, 10.0, None),  # too few tokens, however long
        (500, 0.49, None),  # too short a time, however many tokens
        (20, 0.5, 40.0),
        (300, 6.0, 50.0),
    ],
)
def test_speed_only_when_measured_over_enough(
    tokens: int, seconds: float, shown: float | None
) -> None:
    reply = _timed(tokens, seconds)
    assert tokens_per_second(reply) == shown
    for line in (usage_line(reply), timing_text(reply)):
        assert ("tok/s" in line) is (shown is not None)


# How servers word "that model does not exist" (with the status they send it with).
MODEL_MISSING = [
    (400, "model not found", None),  # llama.cpp
    (404, "The model `qwen-9` does not exist.", "NotFoundError"),  # vLLM
    (400, "Invalid model name passed in model=qwen-9. Call `/v1/models` to view models", None),
    (400, "qwen-9 is not a valid model ID", None),  # OpenRouter
    (404, "The model 'x' does not exist or you do not have access to it.", "model_not_found"),
    (404, 'model "llama9" not found, try pulling it first', None),  # Ollama
]


@pytest.mark.parametrize(("status", "message", "kind"), MODEL_MISSING)
def test_a_missing_model_gets_the_pick_a_model_hint(
    status: int, message: str, kind: str | None
) -> None:
    error = ErrorInfo(message, status, kind)
    app = error_hint(error, APP) or ""
    shell = error_hint(error, SHELL) or ""
    assert "ctrl+o" in app and "-m" not in app
    assert "-m MODEL" in shell and "tensorx-chat models" in shell and "ctrl+o" not in shell
    # The same words as a 404 that says so.
    same_as_404 = error_hint(ErrorInfo("The model `x` does not exist.", 404), APP)
    assert app == same_as_404


def test_other_400s_do_not_blame_the_model() -> None:
    error = ErrorInfo("temperature must be at most 2", 400)
    assert "ctrl+o" not in (error_hint(error, APP) or "")
    too_long = ErrorInfo("This model's maximum context length is 8192 tokens", 400)
    assert "too long" in (error_hint(too_long, APP) or "")


def test_a_404_on_a_base_url_without_a_path_suggests_v1() -> None:
    hint = error_hint(ErrorInfo("HTTP 404 Not Found", 404), SHELL, Endpoint("http://h:8080"))
    assert hint is not None and "http://h:8080/v1" in hint and "--base-url" in hint
    with_path = error_hint(ErrorInfo("HTTP 404 Not Found", 404), SHELL, Endpoint("http://h/v1"))
    assert with_path is not None and "/v1/v1" not in with_path


def test_a_2xx_status_is_never_labelled() -> None:
    assert status_label(200) is None and status_label(204) is None and status_label(None) is None
    assert status_label(404) == "HTTP 404"
    err = io.StringIO()
    AskPrinter(io.StringIO(), err).finish(
        Reply(state=ReplyState.ERROR, error=ErrorInfo("overloaded", 200))
    )
    assert "HTTP 200" not in err.getvalue() and "error: overloaded" in err.getvalue()


def test_the_connection_hint_names_the_url_plainly() -> None:
    hint = error_hint(ErrorInfo("refused", None, "connection"), SHELL, Endpoint("http://h:1/v1"))
    assert hint is not None and hint.startswith("Could not reach http://h:1/v1: check")


def test_hints_never_show_url_credentials() -> None:
    endpoint = Endpoint("http://user:hunter22@h:8080?api-key=sekrit123")
    for error in (ErrorInfo("HTTP 404", 404), ErrorInfo("refused", None, "connection")):
        for front in (APP, SHELL):
            hint = error_hint(error, front, endpoint) or ""
            assert hint and "hunter22" not in hint and "sekrit123" not in hint


def test_a_profile_with_its_own_endpoint_is_told_to_name_its_own_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.router]\nbase_url = "https://openrouter.ai/api/v1"\n')
    settings = load_settings({"config": str(config), "profile": "router"}, env={})
    problem = settings.key_problem() or ""
    # TENSORX_API_KEY is refused for this endpoint: telling the user to export it was wrong.
    assert "export TENSORX_API_KEY" not in problem
    assert 'api_key_env = "ROUTER_API_KEY"' in problem and "[profiles.router]" in problem
    assert "export ROUTER_API_KEY=" in problem
    unauthorised = ErrorInfo("bad key", 401)
    reply = Reply(state=ReplyState.ERROR, error=unauthorised)
    assert "ROUTER_API_KEY" in (hint_for(reply, endpoint=settings.hint_endpoint()) or "")
    # A profile that names its variable gets that one.
    config.write_text(
        '[profiles.router]\nbase_url = "https://openrouter.ai/api/v1"\napi_key_env = "OR_KEY"\n'
    )
    named = load_settings({"config": str(config), "profile": "router"}, env={})
    assert "export OR_KEY=" in (named.key_problem() or "")
