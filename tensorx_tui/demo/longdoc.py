"""The `demo-long` document: about 20,000 tokens of Markdown for the render benchmarks.

It has every shape that is costly to render while streaming: long paragraphs, a 400-line code
fence, a 200-item list and a 100-row table. Built once, deterministically, from fixed text.
"""

from __future__ import annotations

from functools import lru_cache

from tensorx_tui.demo.tokenizer import count_tokens

TARGET_TOKENS = 20_000
CODE_LINES = 400
LIST_ITEMS = 200
TABLE_ROWS = 100

_SENTENCES = (
    "A terminal is a surprisingly good place to read long answers, as long as the text flows.",
    "Each token arrives as a small piece, and the renderer has to keep up without re-reading "
    "everything it has already drawn.",
    "Paragraphs like this one are cheap on their own, but thousands of them add up quickly.",
    "The benchmark watches how the time per token changes as the document grows.",
    "If the cost stays flat, the user never notices that the reply is twenty thousand tokens long.",
    "Markdown gives structure: headings, emphasis, `inline code`, lists, tables and fenced blocks.",
    "A good client scrolls smoothly, keeps the newest line visible and never freezes the input.",
    "Nothing here is real data; it is text written to exercise the renderer honestly.",
)


def _paragraph(seed: int, sentences: int = 6) -> str:
    return " ".join(_SENTENCES[(seed + i) % len(_SENTENCES)] for i in range(sentences))


def _code_block() -> str:
    lines = ["```python"]
    body: list[str] = []
    n = 0
    while len(body) < CODE_LINES:
        body.extend(
            [
                f"def step_{n:03d}(values: list[int], factor: int = {n % 7 + 2}) -> list[int]:",
                f'    """Scale, filter and sort the values (block {n})."""',
                "    scaled = [v * factor for v in values if v % 3 != 0]",
                f"    return sorted(scaled, reverse={n % 2 == 0})",
                "",
            ]
        )
        n += 1
    lines.extend(body[:CODE_LINES])
    lines.append("```")
    return "\n".join(lines)


def _bullet_list() -> str:
    topics = ("latency", "throughput", "scrolling", "wrapping", "highlighting", "memory")
    return "\n".join(
        f"{i}. Item {i}: measure **{topics[i % len(topics)]}** with a reply of {i * 100} tokens."
        for i in range(1, LIST_ITEMS + 1)
    )


def _table() -> str:
    rows = [
        "| # | Model | Tokens | Time (ms) | Tokens/s | Notes |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for i in range(1, TABLE_ROWS + 1):
        tokens = 500 + 37 * i
        ms = 100 + 13 * i
        rate = tokens * 1000 // ms
        rows.append(f"| {i} | demo-{i % 5} | {tokens} | {ms} | {rate} | row {i} of the table |")
    return "\n".join(rows)


@lru_cache(maxsize=1)
def long_document() -> str:
    parts = [
        "# The long demo document",
        "This reply is about twenty thousand tokens of Markdown, scripted by the offline demo "
        "server so that rendering can be measured. It contains paragraphs, a 400-line code "
        "block, a 200-item list and a 100-row table.",
        "## Paragraphs",
        *(_paragraph(i) for i in range(12)),
        "## A 400-line code block",
        _code_block(),
        "## A 200-item list",
        _bullet_list(),
        "## A 100-row table",
        _table(),
        "## More paragraphs",
    ]
    text = "\n\n".join(parts)
    seed = 12
    closing = "\n\n## The end\n\nThat is the whole document. Thanks for reading to the end."
    total = count_tokens(text) + count_tokens(closing)
    padding: list[str] = []
    # Pad with paragraphs until the document reaches its target size ("\n\n" is one token and
    # a paragraph starts with a letter, so the counts simply add up).
    while total < TARGET_TOKENS:
        paragraph = "\n\n" + _paragraph(seed)
        padding.append(paragraph)
        total += count_tokens(paragraph)
        seed += 1
    return text + "".join(padding) + closing
