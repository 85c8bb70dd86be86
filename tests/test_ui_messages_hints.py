"""Error hints and footer texts: pure functions."""

from __future__ import annotations

from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, Timings
from tensorx_tui.ui.error_hints import hint_for
from tensorx_tui.ui.transcript.panels import finish_reason_label, timing_text, usage_text


def errored(status: int | None, message: str = "boom", type: str | None = None) -> Reply:
    return Reply(state=ReplyState.ERROR, error=ErrorInfo(message, status=status, type=type))


def test_hints_name_the_fix() -> None:
    assert "TENSORX_API_KEY" in (hint_for(errored(401)) or "")
    assert "--api-key" in (hint_for(errored(403)) or "")
    assert "model" in (hint_for(errored(404)) or "").lower()
    assert "try again" in (hint_for(errored(503)) or "")
    assert "timeout" in (hint_for(errored(None, "no data", type="timeout")) or "")
    assert "base URL" in (hint_for(errored(None, "refused", type="connection")) or "")
    assert hint_for(Reply(state=ReplyState.COMPLETE)) is None
    assert hint_for(errored(418)) is None


def test_rate_limit_hint_uses_retry_after_then_the_headers() -> None:
    reply = errored(429)
    assert "retry in 7 s" in (hint_for(reply, retry_after=7.2) or "")
    reply.rate_limits = {
        "x-ratelimit-reset-requests": "12s",
        "x-ratelimit-remaining-requests": "0",
    }
    hint = hint_for(reply) or ""
    assert "after 12s" in hint and "requests left: 0" in hint


def test_finish_reasons() -> None:
    assert finish_reason_label("stop") == ("stop", "ok")
    # A full context window ends a reply with `length` too: not only max_tokens.
    assert finish_reason_label("length") == ("cut at the token limit", "warning")
    assert finish_reason_label("content_filter")[1] == "error"
    assert finish_reason_label("tool_calls") == ("tool calls", "ok")
    assert finish_reason_label("error")[1] == "error"
    assert finish_reason_label("weird\x1b[2J")[0] == "weird␛[2J"  # verbatim, neutralised


def test_usage_and_timing_texts() -> None:
    usage = {"prompt_tokens": 1200, "completion_tokens": 30, "total_tokens": 1230}
    assert (
        usage_text(usage, 5000) == "prompt 1,200 · completion 30 · total 1,230 · conversation 5,000"
    )
    assert usage_text(None, 0) == "usage n/a"  # nothing counted: no "conversation 0"
    reply = Reply(usage=usage, timings=Timings(request_sent=1.0, first_token=1.5, last_token=3.5))
    assert timing_text(reply) == "TTFT 0.50 s · 15.0 tok/s"
    assert timing_text(Reply()) == ""
