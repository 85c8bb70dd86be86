"""The ask printer, prompt reading, and terminal sanitising, without a server."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorx_tui.cli.ask import read_prompt
from tensorx_tui.cli.ask_printer import AskPrinter, usage_line, wants_color
from tensorx_tui.cli.shell import UsageError
from tensorx_tui.core.descriptions import Endpoint
from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    ReasoningDelta,
    RefusalDelta,
    Retrying,
)
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, Timings, ToolCall
from tensorx_tui.core.sanitize import one_line, safe_terminal_text


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_sanitise_neutralises_escape_sequences_and_keeps_text() -> None:
    hostile = "ok\x1b]0;pwned\x07\x1b[2J\x9b31m\rover\x00\x7f\ttab\nline é 漢"
    safe = safe_terminal_text(hostile)
    assert not any(ord(c) < 0x20 and c not in "\n\t" for c in safe)
    assert not any(0x7F <= ord(c) <= 0x9F for c in safe)
    assert "\t" in safe and "\n" in safe and "é 漢" in safe
    assert "␛]0;pwned" in safe  # visible, inert
    assert safe_terminal_text("a\r\nb") == "a\nb"
    assert safe_terminal_text("plain") == "plain"


@settings(deadline=None)
@given(st.lists(st.text(alphabet=st.characters(max_codepoint=0x3000)), max_size=8))
def test_sanitise_is_safe_idempotent_and_works_delta_by_delta(pieces: list[str]) -> None:
    whole = safe_terminal_text("".join(pieces))
    assert not any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in whole)
    assert safe_terminal_text(whole) == whole
    assert "".join(safe_terminal_text(p) for p in pieces) == whole


def test_sanitise_neutralises_bidi_overrides_but_keeps_rtl_text() -> None:
    # U+202E (RLO) and friends reorder what follows on bidi-aware terminals: "file\u202etxt.exe"
    # shows as "fileexe.txt" ("Trojan Source"). Arabic/Hebrew letters themselves stay.
    for char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert char not in safe_terminal_text(f"file{char}txt.exe")
    assert safe_terminal_text("שלום مرحبا \u200f") == "שלום مرحبا \u200f"


def test_one_line_flattens_and_cuts() -> None:
    assert one_line("a\n b\t\x1bc") == "a b ␛c"
    assert one_line("x" * 50, limit=10) == "x" * 9 + "…"


def test_content_to_stdout_reasoning_to_stderr_plain_on_pipes() -> None:
    out, err = io.StringIO(), io.StringIO()
    p = AskPrinter(out, err)
    for event in (
        ReasoningDelta("think"),
        ReasoningDelta("ing"),
        ContentDelta("Hel"),
        ContentDelta("lo"),
    ):
        p.on_event(event)
    p.finish(Reply(content="Hello", reasoning="thinking", state=ReplyState.COMPLETE))
    assert out.getvalue() == "Hello\n"
    assert err.getvalue() == "thinking\n"


def test_pipe_output_is_exact_but_terminal_output_is_sanitised() -> None:
    piped, tty = io.StringIO(), Tty()
    for out in (piped, tty):
        p = AskPrinter(out, io.StringIO())
        p.on_event(ContentDelta("a\x1b[31mb\n"))
        p.finish(Reply(state=ReplyState.COMPLETE))
    assert piped.getvalue() == "a\x1b[31mb\n"
    assert tty.getvalue() == "a␛[31mb\n"


def test_reasoning_dim_only_with_color() -> None:
    err = Tty()
    p = AskPrinter(io.StringIO(), err, color=True)
    p.on_event(ReasoningDelta("hmm"))
    p.on_event(ContentDelta("x"))
    assert err.getvalue() == "\x1b[2mhmm\x1b[22m\n"


def test_wants_color_respects_tty_and_no_color() -> None:
    assert wants_color(Tty(), {}) is True
    assert wants_color(Tty(), {"NO_COLOR": "1"}) is False
    assert wants_color(io.StringIO(), {}) is False


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("length", "note: the reply was cut at the token limit (finish_reason length)"),
        (
            "content_filter",
            "note: the reply was stopped by the provider's content filter"
            " (finish_reason content_filter)",
        ),
        ("weird\x1b[2J", "note: the reply ended with finish_reason weird␛[2J"),
    ],
)
def test_a_reply_cut_short_says_so_on_stderr(reason: str, expected: str) -> None:
    # A truncated answer on stdout with exit 0 and no word about it looked complete.
    out, err = io.StringIO(), io.StringIO()
    printer = AskPrinter(out, err)
    printer.on_event(ContentDelta("cut"))
    printer.finish(Reply(content="cut", finish_reason=reason, state=ReplyState.COMPLETE))
    assert err.getvalue() == expected + "\n" and out.getvalue() == "cut\n"
    quiet = io.StringIO()
    AskPrinter(io.StringIO(), quiet).finish(Reply(finish_reason="stop", state=ReplyState.COMPLETE))
    assert quiet.getvalue() == ""


def test_json_mode_escapes_c1_and_bidi_controls_losslessly() -> None:
    # json.dumps(ensure_ascii=False) escapes only C0: a raw U+009B (a CSI on many terminals)
    # and U+202E reached the terminal from `ask --json`. As \\uXXXX they are the same JSON value.
    out = io.StringIO()
    content = "a\x9b31m b\u202ec \x7f é"
    AskPrinter(out, io.StringIO(), json_mode=True).finish(
        Reply(content=content, state=ReplyState.COMPLETE)
    )
    text = out.getvalue()
    assert not any(c in text for c in "\x9b\u202e\x7f") and "é" in text
    assert json.loads(text)["content"] == content


def test_tool_calls_summarised_one_line_each() -> None:
    err = io.StringIO()
    reply = Reply(
        state=ReplyState.COMPLETE,
        tool_calls=[
            ToolCall("c1", "get_weather", '{"city":\n"Paris"}'),
            ToolCall("c2", "broken", '{"city": "Par'),
            ToolCall("c3", "obj", {"a": 1}),
        ],
    )
    AskPrinter(io.StringIO(), err).finish(reply)
    lines = err.getvalue().splitlines()
    assert lines[0] == 'tool call get_weather({"city": "Paris"})'
    assert lines[1].startswith('tool call broken({"city": "Par)  [arguments are not valid JSON')
    assert lines[2] == 'tool call obj({"a": 1})'


def test_retrying_and_error_with_hint() -> None:
    err = io.StringIO()
    p = AskPrinter(io.StringIO(), err)
    p.on_event(Retrying(attempt=2, delay=2.0, reason="rate limited."))
    reply = Reply(state=ReplyState.ERROR, error=ErrorInfo("Invalid \x1b[1mkey", 401, "auth"))
    p.finish(reply, endpoint=Endpoint("https://api.tensorx.ai/v1"))
    lines = err.getvalue().splitlines()
    assert lines[0] == "rate limited, retrying in 2.0 s (try 2)"
    assert lines[1] == "error: Invalid ␛[1mkey (HTTP 401)"
    assert "TENSORX_API_KEY" in lines[2]


def test_json_mode_prints_nothing_until_the_end_and_exact_keys() -> None:
    out, err = io.StringIO(), io.StringIO()
    p = AskPrinter(out, err, json_mode=True)
    p.on_event(ContentDelta("hi"))
    p.on_event(ReasoningDelta("r"))
    assert out.getvalue() == err.getvalue() == ""
    p.finish(Reply(content="hi", reasoning="r", state=ReplyState.COMPLETE, finish_reason="stop"))
    data = json.loads(out.getvalue())
    assert set(data) == {
        "content", "reasoning", "refusal", "tool_calls", "finish_reason", "usage",
        "model", "state", "error", "timings", "steps", "cost",
    }  # fmt: skip
    assert (data["content"], data["state"], err.getvalue()) == ("hi", "complete", "")
    assert data["refusal"] is None
    assert data["steps"] == []  # no tool round trips


def test_json_mode_carries_the_refusal() -> None:
    out = io.StringIO()
    reply = Reply(refusal="I can't help with that.", state=ReplyState.COMPLETE)
    AskPrinter(out, io.StringIO(), json_mode=True).finish(reply)
    data = json.loads(out.getvalue())
    assert (data["content"], data["refusal"]) == ("", "I can't help with that.")


def test_a_refusal_goes_to_stdout_with_a_note_on_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    printer = AskPrinter(out, err)
    printer.on_event(RefusalDelta("I can't "))
    printer.on_event(RefusalDelta("help\x1b[2J."))
    printer.finish(Reply(refusal="I can't help.", state=ReplyState.COMPLETE, finish_reason="stop"))
    assert out.getvalue() == "I can't help\x1b[2J.\n"  # a pipe gets the exact text
    assert err.getvalue() == (
        "note: the model refused; the text above is its refusal, not an answer\n"
    )
    tty = Tty()
    AskPrinter(tty, io.StringIO()).on_event(RefusalDelta("no\x1b[2J"))
    assert tty.getvalue() == "no␛[2J"


def test_reclassified_content_is_named_on_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    printer = AskPrinter(out, err)
    printer.on_event(ContentDelta("Okay, the user wants 2+2."))
    printer.on_event(ContentReclassified("Okay, the user wants 2+2."))
    printer.on_event(ContentDelta("4"))
    printer.finish(Reply(content="4", reasoning="Okay…", state=ReplyState.COMPLETE))
    assert out.getvalue() == "Okay, the user wants 2+2.\n4\n"
    assert "reasoning" in err.getvalue() and "</think>" in err.getvalue()


def test_usage_line() -> None:
    reply = Reply(
        finish_reason="stop",
        state=ReplyState.COMPLETE,
        usage={"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42, "x": {"y": 1}},
        model="m1",
        timings=Timings(request_sent=0.0, first_token=0.25, last_token=1.25, finished=1.5),
    )
    assert usage_line(reply) == (
        "finish stop · state complete · tokens prompt 12, completion 30, total 42"
        " · TTFT 0.25 s · total 1.50 s · 30.0 tok/s · model m1"
    )
    assert "usage not reported" in usage_line(Reply())


def test_usage_line_names_cached_and_reasoning_tokens() -> None:
    usage = {
        "prompt_tokens": 2000,
        "completion_tokens": 900,
        "prompt_tokens_details": {"cached_tokens": 1234},
        "completion_tokens_details": {"reasoning_tokens": 567},
    }
    line = usage_line(Reply(usage=usage, state=ReplyState.COMPLETE))
    # The same words as the UI's footer (core.descriptions.token_counts).
    assert "tokens prompt 2,000, completion 900, total ?, 1,234 cached, 567 reasoning" in line


@pytest.mark.parametrize(
    ("argument", "stdin", "is_tty", "expected"),
    [
        ("hello", b"", True, "hello"),
        (None, b"from stdin", False, "from stdin"),
        ("-", b"dash", True, "dash"),
        ("-", b"dash", False, "dash"),
        ("explain", b"some code\n", False, "explain\n\nsome code\n"),
        ("only arg", b"", False, "only arg"),
        (None, b"\xff bad utf8", False, "\ufffd bad utf8"),
    ],
)
def test_read_prompt(argument: str | None, stdin: bytes, is_tty: bool, expected: str) -> None:
    assert read_prompt(argument, io.BytesIO(stdin), is_tty) == expected


def test_read_prompt_does_not_read_a_terminal_without_dash() -> None:
    class Unreadable(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise AssertionError("stdin read")

    assert read_prompt("hi", Unreadable(), True) == "hi"
    with pytest.raises(UsageError, match="no prompt"):
        read_prompt(None, Unreadable(), True)


@pytest.mark.parametrize(("argument", "stdin"), [("", b""), (None, b"  \n"), ("-", b"")])
def test_empty_prompt_is_usage_error(argument: str | None, stdin: bytes) -> None:
    with pytest.raises(UsageError, match="empty"):
        read_prompt(argument, io.BytesIO(stdin), False)
