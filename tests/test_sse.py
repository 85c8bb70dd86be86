"""The SSE decoder against the WHATWG event-stream rules (and the cases protocol.md lists)."""

from __future__ import annotations

import time

import pytest

from tensorx_tui.core.sse import SSEDecoder, SSEEvent


def decode(*reads: bytes, **options: bool) -> list[SSEEvent]:
    decoder = SSEDecoder(**options)
    events: list[SSEEvent] = []
    for read in reads:
        events += decoder.feed(read)
    return events + decoder.close()


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


E = SSEEvent

CASES: list[tuple[str, bytes, list[SSEEvent]]] = [
    ("lf", b"data: a\n\ndata: b\n\n", [E("a"), E("b")]),
    ("crlf", b"data: a\r\n\r\ndata: b\r\n\r\n", [E("a"), E("b")]),
    ("lone cr", b"data: a\r\rdata: b\r\r", [E("a"), E("b")]),
    ("mixed line ends", b"data: a\r\ndata: b\rdata: c\n\r\n", [E("a\nb\nc")]),
    ("bom stripped", b"\xef\xbb\xbfdata: a\n\n", [E("a")]),
    # Only ONE leading BOM: the second makes the field name "\ufeffdata", which is ignored.
    ("second bom kept", b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n", [E("b")]),
    ("bom inside data kept", b"data: \xef\xbb\xbfa\n\n", [E("\ufeffa")]),
    ("comments", b": keep-alive\n\n: OPENROUTER PROCESSING\ndata: a\n: x\n\n", [E("a")]),
    ("multi-line data", b"data: a\ndata:\ndata: b\n\n", [E("a\n\nb")]),
    ("event only: nothing", b"event: ping\n\ndata: a\n\n", [E("a")]),
    ("retry only: nothing", b"retry: 10\n\n", []),
    ("id only: nothing", b"id: 1\n\n", []),
    ("empty block: nothing", b"\n\n\n", []),
    ("event type, then reset", b"event: error\ndata: a\n\ndata: b\n\n", [E("a", "error"), E("b")]),
    ("id persists", b"id: 7\ndata: a\n\ndata: b\n\n", [E("a", id="7"), E("b", id="7")]),
    (
        "id with nul ignored",
        b"id: 1\ndata: a\n\nid: 2\x00\ndata: b\n\n",
        [E("a", id="1"), E("b", id="1")],
    ),
    ("empty id resets", b"id: 1\n\nid\ndata: a\n\n", [E("a", id="")]),
    ("retry digits", b"retry: 1500\ndata: a\n\n", [E("a", retry=1500)]),
    ("retry not digits", b"retry: 15x\ndata: a\n\nretry: -1\ndata: b\n\n", [E("a"), E("b")]),
    ("retry non-ascii digits", "retry: ١٢\ndata: a\n\n".encode(), [E("a")]),
    ("retry empty", b"retry:\ndata: a\n\n", [E("a")]),
    ("field without colon", b"data\n\n", [E("")]),
    ("empty data line fires", b"data:\n\n", [E("")]),
    ("no space after colon", b"data:a\n\n", [E("a")]),
    ("only one space removed", b"data:  a \n\n", [E(" a ")]),
    ("colon in value", b'data: {"a": "b:c"}\n\n', [E('{"a": "b:c"}')]),
    ("field names case-sensitive", b"Data: a\nEVENT: x\ndata: b\n\n", [E("b")]),
    ("unknown field ignored", b"foo: bar\ndata: a\n\n", [E("a")]),
    ("invalid utf-8", b"data: a\xffb\xc3\n\n", [E("a\ufffdb\ufffd")]),
    (
        "line separators are data",
        "data: a\u2028b\u0085c\x0bd\x0ce\u2029f\n\n".encode(),
        [E("a\u2028b\u0085c\x0bd\x0ce\u2029f")],
    ),
    ("unfinished event discarded", b"data: a\n\ndata: b\n", [E("a")]),
    ("unfinished line discarded", b"data: a\n\ndata: b", [E("a")]),
    ("trailing cr ends the line", b"data: a\n\r", [E("a")]),
    (
        "llama.cpp error field",
        b'error: {"code":400}\n\ndata: [DONE]\n\n',
        [E('{"code":400}', "error"), E("[DONE]")],
    ),
    ("error field after data", b"data: a\nerror: b\n\n", [E("a"), E("b", "error")]),
]


@pytest.mark.parametrize(("stream", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_whole_stream(stream: bytes, expected: list[SSEEvent]) -> None:
    assert decode(stream) == expected


@pytest.mark.parametrize(("stream", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_byte_reads(stream: bytes, expected: list[SSEEvent]) -> None:
    assert decode(*bytewise(stream)) == expected


def test_strict_mode_ignores_error_field() -> None:
    assert decode(b"error: x\n\ndata: a\n\n", error_field=False) == [E("a")]


def test_bom_split_across_reads() -> None:
    assert decode(b"\xef", b"\xbb", b"\xbfdata: a\n\n") == [E("a")]
    assert decode(b"\xef\xbb", b"", b"\xbf\xef\xbb\xbfdata: a\n\n") == []


def test_multibyte_split_at_every_boundary() -> None:
    stream = "data: é東😀\n\n".encode()
    for cut in range(len(stream) + 1):
        assert decode(stream[:cut], stream[cut:]) == [E("é東😀")], cut


def test_cr_at_end_of_read_dispatches_at_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [E("a")]
    # The LF that completes the CRLF arrives later: it must not count as another (empty) line.
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\ndata: c\r\n") == []
    assert decoder.feed(b"\r\n") == [E("b\nc")]


def test_lf_after_cr_in_next_read_is_not_an_empty_line() -> None:
    # If the LF were taken as an empty line, "a" would fire alone.
    assert decode(b"data: a\r", b"\ndata: b\r\n\r\n") == [E("a\nb")]
    # The swallowed LF may even come after an empty read or a split multi-byte char.
    assert decode(b"data: a\r", b"", b"\ndata: \xc3", b"\xa9\n\n") == [E("a\né")]


def test_lf_swallowing_only_right_after_cr() -> None:
    assert decode(b"data: a\r", b"data: b\n\n") == [E("a\nb")]
    assert decode(b"data: a\r", b"\n\n") == [E("a")]


def test_two_mebibyte_event() -> None:
    big = "é" * (1024 * 1024)
    stream = f"data: {big}\n\n".encode()
    assert decode(stream) == [E(big)]
    pieces = [stream[i : i + 1000] for i in range(0, len(stream), 1000)]
    assert decode(*pieces) == [E(big)]


def test_tiny_reads_stay_linear() -> None:
    # 800 KB in 8-byte reads: linear work takes well under a second of CPU; rescanning the
    # pending line on every read would take minutes. CPU time, not wall time: other processes
    # on a loaded machine do not count.
    stream = b"data: " + b"x" * 800_000 + b"\n\n"
    start = time.process_time()
    events = decode(*[stream[i : i + 8] for i in range(0, len(stream), 8)])
    assert time.process_time() - start < 5
    assert events == [E("x" * 800_000)]


def test_close_discards_and_resets() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\ndata: b") == []
    assert decoder.close() == []
    assert decoder.feed(b"data: c\n\n") == [E("c")]


def test_decoder_state_is_exposed() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 42\nretry: 3000\n\n")
    assert (decoder.last_event_id, decoder.retry) == ("42", 3000)


def per_event(data: bytes) -> list[bytes]:
    """Reads cut right after each blank line, as servers that flush per event deliver them."""
    pieces, start = [], 0
    for i in range(len(data) - 1):
        if data[i : i + 2] == b"\n\n":
            pieces.append(data[start : i + 2])
            start = i + 2
    return [*pieces, data[start:]]


@pytest.mark.parametrize(("stream", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_read_per_event(stream: bytes, expected: list[SSEEvent]) -> None:
    assert decode(*per_event(stream)) == expected


def test_single_event_reads_respect_pending_state() -> None:
    # Each second read has the exact shape `data: ...\n\n` but state from the first must apply.
    assert decode(b"event: x\n", b"data: a\n\n") == [E("a", "x")]
    assert decode(b"id: 3\n", b"data: a\n\n") == [E("a", id="3")]
    assert decode(b"data: a\r", b"data: b\n\n") == [E("a\nb")]
    assert decode(b"data: a\n", b"data: b\n\n") == [E("a\nb")]
    assert decode(b"data: a", b"data: b\n\n") == [E("adata: b")]  # one line
    assert decode(b"data: \xc3", b"\xa9\n\n") == [E("é")]
    assert decode(b"\xef\xbb\xbfdata: a\n\n", b"data: \xef\xbb\xbfb\n\n") == [E("a"), E("\ufeffb")]
    assert decode(b"data: a\xff\n\n", b"data: b\xc3\n\n") == [E("a\ufffd"), E("b\ufffd")]
