"""The Markdown block splitter: every byte kept, blocks closed once, bounded work on long blocks."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tensorx_tui.ui.markdown.block_stream import (
    FREEZE_CHARS,
    FREEZE_LINES,
    MarkdownBlockStream,
)

FENCE = "```python\n" + "".join(f"x_{i} = {i}  # line\n" for i in range(400)) + "```\n"
LIST = "".join(f"- item {i} with a few words\n" for i in range(200))
TABLE = "| a | b |\n|---|---|\n" + "".join(f"| {i} | v{i} |\n" for i in range(100))
PARAGRAPH = " ".join(f"word{i}" for i in range(4000)) + "\n"
DOC = f"# Title\n\nIntro.\n\n{FENCE}\n{LIST}\n{TABLE}\n{PARAGRAPH}\nThe end.\n"


def run(text: str, cuts: list[int], flush_every: int = 1) -> tuple[list[str], int]:
    """Feed `text` cut at `cuts`; returns (closed pieces, largest tail)."""
    stream = MarkdownBlockStream()
    closed: list[str] = []
    biggest_tail = 0
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    for n, piece in enumerate(pieces, 1):
        stream.feed(piece)
        if n % flush_every == 0:
            change = stream.flush()
            closed.extend(change.closed)
            biggest_tail = max(biggest_tail, len(change.tail))
    closed.extend(stream.finish().closed)
    return closed, biggest_tail


def small_cuts(text: str, seed: int) -> list[int]:
    rnd = random.Random(seed)
    cuts, pos = [], 0
    while True:
        pos += rnd.randint(1, 8)
        if pos >= len(text):
            return cuts
        cuts.append(pos)


def test_every_byte_is_kept_and_each_long_block_closes_once_whole() -> None:
    closed, biggest_tail = run(DOC, small_cuts(DOC, 1))
    assert "".join(closed) == DOC
    # The long blocks come out as single closed pieces (rendered formatted once).
    assert any(
        piece.startswith("```python\n") and piece.rstrip().endswith("```") for piece in closed
    )
    assert any(piece.startswith("- item 0 ") and "- item 199 " in piece for piece in closed)
    assert any(piece.startswith("| a | b |") and "| 99 | v99 |" in piece for piece in closed)
    # The part re-rendered on each flush stays small whatever the block's size.
    assert biggest_tail <= FREEZE_CHARS + 200


def test_a_long_open_fence_is_drafted_and_its_tail_stays_bounded() -> None:
    stream = MarkdownBlockStream()
    for line in FENCE.splitlines(keepends=True)[:-1]:  # never closed
        stream.feed(line)
        change = stream.flush()
        assert change.tail.count("\n") <= FREEZE_LINES + 1
        assert change.tail_kind == "fence"
        assert not change.closed
    assert change.drafting


def test_a_fence_closes_when_the_next_block_starts() -> None:
    stream = MarkdownBlockStream()
    stream.feed("```\ncode\n```\n")
    assert stream.flush().closed == []  # might still be followed by anything
    stream.feed("\nNext paragraph")
    change = stream.flush()
    assert change.closed == ["```\ncode\n```\n\n"]
    assert change.tail == "Next paragraph" and change.tail_kind == "paragraph"


def test_a_list_is_not_closed_by_a_line_that_may_still_become_its_next_item() -> None:
    # "1" alone parses as a paragraph; "1. c" continues the list (one list, numbered on).
    stream = MarkdownBlockStream()
    stream.feed("1. a\n2. b\n\n1")
    assert stream.flush().closed == []
    stream.feed(". c\n\nAfter.\n")
    assert stream.flush().closed == ["1. a\n2. b\n\n1. c\n\n"]


def test_a_very_long_single_line_paragraph_is_cut_before_a_letter() -> None:
    stream = MarkdownBlockStream()
    drafts: list[str] = []
    for word in PARAGRAPH.split(" "):
        stream.feed(word + " ")
        change = stream.flush()
        drafts.extend(change.drafts)
        assert len(change.tail) <= FREEZE_CHARS + 50
    assert drafts and all(d.endswith(" ") for d in drafts)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "# H\n",
                "para text ",
                "\n",
                "\n\n",
                "- it\n",
                "1. x\n",
                "```\n",
                "> q\n",
                "| a | b |\n|---|---|\n",
                "| 1 | 2 |\n",
                "    code\n",
                "*em* ",
                "~~~\n",
            ]
        ),
        max_size=60,
    ),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=1000),
)
def test_any_markdown_any_cuts_keeps_every_byte(parts: list[str], every: int, seed: int) -> None:
    text = "".join(parts)
    closed, _ = run(text, small_cuts(text, seed), flush_every=every)
    assert "".join(closed) == text
