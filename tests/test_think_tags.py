"""Inline `<think>…</think>` reasoning: the rule of think_tags.py, through the real Accumulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import chunk

from tensorx_tui.core.accumulator import Accumulator
from tensorx_tui.core.events import (
    ContentDelta,
    ContentReclassified,
    Finished,
    ReasoningDelta,
    StreamEvent,
)
from tensorx_tui.core.reply import Reply
from tensorx_tui.core.think_tags import in_open_fence


def run(
    pieces: list[str], *, end: str = "finish", think_tags: bool = True
) -> tuple[list[StreamEvent], Reply]:
    """Content pieces as deltas; the stream ends with a finish chunk, [DONE], or nothing."""
    acc = Accumulator(clock=lambda: 0.0, think_tags=think_tags)
    events: list[StreamEvent] = []
    for piece in pieces:
        events += acc.feed_data(json.dumps(chunk({"content": piece})))
    if end == "finish":
        events += acc.feed_data(json.dumps(chunk({}, finish_reason="stop")))
    elif end == "done":
        events += acc.feed_data("[DONE]")
    return events, acc.finish()


def fold(events: list[StreamEvent]) -> tuple[str, str]:
    """(reasoning, content) as a consumer rebuilds them from the events alone."""
    reasoning, content = "", ""
    for event in events:
        if isinstance(event, ContentDelta):
            content += event.text
        elif isinstance(event, ReasoningDelta):
            reasoning += event.text
        elif isinstance(event, ContentReclassified):
            assert event.text == content  # exactly what was streamed as content so far
            reasoning, content = reasoning + content, ""
    return reasoning, content


def split(pieces: list[str]) -> tuple[str, str]:
    _, reply = run(pieces)
    return reply.reasoning, reply.content


CASES: list[tuple[str, list[str], tuple[str, str]]] = [
    # --- the reply opens with <think>
    ("explicit", ["<think>\nhmm\n</think>\n\nHello"], ("hmm\n", "Hello")),
    ("explicit after whitespace", ["\n \n<think>a</think>b"], ("a", "b")),
    ("open tag cut across chunks", ["<thi", "nk>", "r", "</th", "ink>", "x"], ("r", "x")),
    ("one character at a time", list("<think>r</think>x"), ("r", "x")),
    ("empty thought (Qwen3 no-think)", ["<think>\n\n</think>\n\nHi"], ("", "Hi")),
    (
        "never closed: all reasoning",
        ["<think>cut by max_tok", "ens</thi"],
        ("cut by max_tokens</thi", ""),
    ),
    (
        "later tags in the answer are text",
        ["<think>r</think>a </think> <think>"],
        ("r", "a </think> <think>"),
    ),
    ("<think> not at the start is text", ["Hi <think>x</think>"], ("", "Hi <think>x</think>")),
    ("a prefix that is not a tag", ["<thin", "g>"], ("", "<thing>")),
    ("a lone < at the end", ["a <"], ("", "a <")),
    ("html is not held", ["<b>", "bold</b>"], ("", "<b>bold</b>")),
    ("whitespace-only reply kept", ["\n", "  "], ("", "\n  ")),
    # --- implicit thought (the template opened <think>)
    ("implicit", ["Okay, so 2+2.\n", "</think>\n\n4"], ("Okay, so 2+2.\n", "4")),
    ("implicit tag cut", ["Okay.\n</", "thi", "nk>", "\n", "\n4"], ("Okay.\n", "4")),
    ("implicit tag then the newline later", ["Okay.\n</think>", "\nAnswer"], ("Okay.\n", "Answer")),
    ("implicit with CRLF", ["r\r\n</think>\r\n\r\nA"], ("r\r\n", "A")),
    ("implicit, tag indented", ["r\n  </think>\nA"], ("r\n  ", "A")),
    ("implicit at the very start", ["</think>\n\nA"], ("", "A")),
    ("implicit after a closed fence", ["```\nx\n```\n</think>\nA"], ("```\nx\n```\n", "A")),
    # --- literal </think> in an answer: never a thought
    ("mid-sentence", ["It ends with </think>\nthen"], ("", "It ends with </think>\nthen")),
    ("in backticks", ["Use `</think>`\nok"], ("", "Use `</think>`\nok")),
    ("in a code fence", ["```xml\n</think>\n```"], ("", "```xml\n</think>\n```")),
    ("in a tilde fence", ["~~~\n</think>\n~~~"], ("", "~~~\n</think>\n~~~")),
    ("not followed by a line break", ["a\n</think> is the tag"], ("", "a\n</think> is the tag")),
    ("at the end of the reply", ["a\n</think>"], ("", "a\n</think>")),
    ("after an opening tag mid-text", ["x <think>\n</think>\nA"], ("", "x <think>\n</think>\nA")),
    (
        "only the first closing tag counts",
        ["See </think> here.\n", "</think>\nA"],
        ("", "See </think> here.\n</think>\nA"),
    ),
]


@pytest.mark.parametrize(("pieces", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(pieces: list[str], expected: tuple[str, str]) -> None:
    events, reply = run(pieces)
    assert (reply.reasoning, reply.content) == expected
    assert fold(events) == expected  # the events tell the same story as the reply


def test_explicit_thought_streams_live_without_raw_tags() -> None:
    events, _ = run(["<think>", "Let me", " see", "</think>", "\n\n", "Yes"])
    assert events == [
        ReasoningDelta("Let me"),
        ReasoningDelta(" see"),
        ContentDelta("Yes"),
        Finished("stop"),
    ]


def test_a_tag_split_across_chunks_is_held_only_while_it_can_still_be_one() -> None:
    events, _ = run(["<think>abc</", "x more"])
    assert events[:2] == [ReasoningDelta("abc"), ReasoningDelta("</x more")]
    events, _ = run(["Hi <", "b>"])
    assert events[:2] == [ContentDelta("Hi "), ContentDelta("<b>")]


def test_implicit_thought_is_streamed_as_content_then_reclassified() -> None:
    events, reply = run(["Okay, ", "think.\n", "</think>", "\n\nThe answer."])
    assert events == [
        ContentDelta("Okay, "),
        ContentDelta("think.\n"),
        ContentReclassified("Okay, think.\n"),
        ContentDelta("The answer."),
        Finished("stop"),
    ]
    assert (reply.reasoning, reply.content) == ("Okay, think.\n", "The answer.")


def test_text_before_the_tag_in_the_same_chunk_goes_straight_to_reasoning() -> None:
    events, _ = run(["Okay.", "\nDone\n</think>\nA"])
    assert events[:3] == [
        ContentDelta("Okay."),
        ContentReclassified("Okay."),
        ReasoningDelta("\nDone\n"),
    ]


@pytest.mark.parametrize("end", ["finish", "done"])
def test_held_text_is_released_as_an_event_when_the_stream_ends(end: str) -> None:
    events, reply = run(["a\n</think>"], end=end)
    assert reply.content == "a\n</think>"
    assert fold(events) == ("", "a\n</think>")


def test_held_text_is_kept_in_the_reply_when_the_stream_breaks() -> None:
    _, reply = run(["<think>r</thi"], end="none")
    assert (reply.reasoning, reply.content, reply.state) == ("r</thi", "", "interrupted")
    _, reply = run(["x <"], end="none")
    assert reply.content == "x <"


def test_held_text_comes_before_an_error() -> None:
    acc = Accumulator(clock=lambda: 0.0)
    events = acc.feed(chunk({"content": "a <"}))
    events += acc.feed({"error": {"message": "boom"}})
    assert [type(e).__name__ for e in events] == ["ContentDelta", "ContentDelta", "StreamError"]
    assert acc.finish().content == "a <"


def test_reasoning_from_a_field_turns_tag_parsing_off() -> None:
    # The server parsed the thought itself (vLLM, DeepSeek): content is all answer.
    acc = Accumulator(clock=lambda: 0.0)
    acc.feed(chunk({"role": "assistant", "content": None, "reasoning_content": ""}))
    acc.feed(chunk({"reasoning_content": "thought"}))
    acc.feed(chunk({"content": "The tag is\n</think>\n"}))
    acc.feed(chunk({"content": "done"}))
    reply = acc.finish()
    assert (reply.reasoning, reply.content) == ("thought", "The tag is\n</think>\ndone")
    acc = Accumulator(clock=lambda: 0.0)  # held text is released as content when it arrives
    events = acc.feed(chunk({"content": "<"}))
    events += acc.feed(chunk({"reasoning": "r"}))
    assert events == [ContentDelta("<"), ReasoningDelta("r")]


def test_mistral_thinking_parts_turn_tag_parsing_off_and_text_parts_are_parsed() -> None:
    parts: Any = [{"type": "thinking", "thinking": [{"type": "text", "text": "t"}]}]
    acc = Accumulator(clock=lambda: 0.0)
    acc.feed(chunk({"content": parts}))
    acc.feed(chunk({"content": [{"type": "text", "text": "x\n</think>\ny"}]}))
    assert (acc.reply.reasoning, acc.reply.content) == ("t", "x\n</think>\ny")
    acc = Accumulator(clock=lambda: 0.0)
    acc.feed(chunk({"content": [{"type": "text", "text": "<think>r</think>a"}]}))
    assert (acc.reply.reasoning, acc.reply.content) == ("r", "a")


def test_non_streamed_message_is_split_too() -> None:
    acc = Accumulator(clock=lambda: 0.0)
    body = {
        "choices": [
            {
                "message": {"role": "assistant", "content": "<think>r</think>\n\nA"},
                "finish_reason": "stop",
            }
        ]
    }
    acc.feed_data(json.dumps(body))
    reply = acc.finish()
    assert (reply.reasoning, reply.content, reply.state) == ("r", "A", "complete")


def test_the_setting_off_leaves_tags_as_text() -> None:
    events, reply = run(["<think>r</think>a", "\n</think>\n"], think_tags=False)
    assert (reply.reasoning, reply.content) == ("", "<think>r</think>a\n</think>\n")
    assert events[:2] == [ContentDelta("<think>r</think>a"), ContentDelta("\n</think>\n")]


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("", False),
        ("```\ncode", True),
        ("```py\ncode\n```\n", False),
        ("   ```\nx", True),
        ("    ```\nx", False),  # four spaces: an indented code line, not a fence
        ("~~~\n```\n", True),  # a ``` does not close a ~~~ fence
        ("````\n```\n", True),  # a shorter fence does not close a longer one
        ("````\n`````\n", False),
        ("text ``` inline", False),
    ],
)
def test_in_open_fence(text: str, inside: bool) -> None:
    assert in_open_fence(text) is inside


# ----------------------------------------------------------------------------- property tests


def reference(text: str) -> tuple[str, str]:
    """The rule of think_tags.py applied to the whole text at once: (reasoning, content)."""
    stripped = text.lstrip()
    if stripped.startswith("<think>"):
        body = stripped[len("<think>") :].lstrip()
        end = body.find("</think>")
        if end < 0:
            return body, ""
        return body[:end], body[end + len("</think>") :].lstrip()
    close, opening = text.find("</think>"), text.find("<think>")
    if close < 0 or 0 <= opening < close:
        return "", text
    before, after = text[:close], text[close + len("</think>") :]
    line = before[max(before.rfind("\n"), before.rfind("\r")) + 1 :]
    if line.strip(" \t") or in_open_fence(before) or after[:1] not in ("\n", "\r"):
        return "", text
    return before, after.lstrip()


# Small alphabets make tags, near-tags, fences and line breaks likely.
tag_soup = st.lists(
    st.sampled_from(
        ["<think>", "</think>", "<", "</", "<th", "</thi", "nk>", "ink>", "\n", "\r\n", " ", "\t"]
    )
    | st.sampled_from(["```", "~~~", "`", "a", "b c", "é😀", "x<y", "think"]),
    max_size=14,
).map("".join)
# ... and the two real shapes around it, so that a tag meeting every condition is common.
replies = st.one_of(
    tag_soup,
    st.builds(lambda a, b: f"{a}\n</think>\n{b}", tag_soup, tag_soup),
    st.builds(lambda a, b: f"<think>{a}</think>{b}", tag_soup, tag_soup),
)


@settings(max_examples=500, deadline=None)
@given(replies, st.data())
def test_any_cut_gives_the_whole_text_result(text: str, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    events, reply = run(pieces)
    expected = reference(text)
    assert (reply.reasoning, reply.content) == expected
    assert fold(events) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_characters="<"), max_size=40), st.data())
def test_text_without_a_tag_is_answer_exactly(text: str, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=5)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    events, reply = run(pieces)
    assert (reply.content, reply.reasoning) == (text, "")
    assert "".join(e.text for e in events if isinstance(e, ContentDelta)) == text
