"""The rows of the saved-conversations list: title, when, model, size, and a search snippet.

Pure text layout (no widgets): titles and snippets are untrusted, so they become `Content`
(never markup), with unsafe characters replaced one for one so the search's highlight offsets
still point at the matched words.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from rich.cells import cell_len
from textual.content import Content

from tensorx_tui.core.sanitize import line_in_place, one_line
from tensorx_tui.store.records import ConversationSummary, SearchHit

TEXT_WIDTH: Final = 34  # the sidebar list's inner width less its scrollbar (see app.tcss)
SNIPPET_LINES: Final = 2


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    """How long ago, compactly: "now", "5m", "3h", "yesterday", "4d", then the date."""
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    days = (now.astimezone().date() - moment.astimezone().date()).days
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days}d"
    return moment.astimezone().strftime("%Y-%m-%d")


def fit(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells, with an ellipsis when cut."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def snippet_window(
    snippet: str, spans: tuple[tuple[int, int], ...], length: int
) -> tuple[str, list[tuple[int, int]]]:
    """At most `length` characters of `snippet`, starting a little before the first match so it
    is visible, with the spans moved to match (and clipped)."""
    start = 0
    if spans and spans[0][1] > length:
        start = max(0, spans[0][0] - length // 4)
    text = snippet[start : start + length]
    if start + length < len(snippet):
        text = text[:-1] + "…"
    moved = [
        (max(s - start, 0), min(e - start, len(text)))
        for s, e in spans
        if e > start and s < start + length
    ]
    prefix = "…" if start else ""
    return prefix + text, [(s + len(prefix), e + len(prefix)) for s, e in moved]


def summary_prompt(
    summary: ConversationSummary, hit: SearchHit | None = None, *, current: bool = False
) -> Content:
    """One entry: the title, then "when · model · n msgs", then the snippet of a search hit."""
    title = fit(one_line(summary.title or "(untitled)", 200), TEXT_WIDTH - 2)
    model = one_line(summary.model or "-", 60)
    messages = f"{summary.message_count} msg" + ("" if summary.message_count == 1 else "s")
    details = fit(f"{relative_time(summary.updated_at)} · {model} · {messages}", TEXT_WIDTH)
    parts: list[str | Content | tuple[str, str]] = [
        ("▸ " if current else "", "$accent"),
        (title, "bold"),
        "\n",
        (details, "$text-muted"),
    ]
    if hit is not None and hit.snippet:
        text, spans = snippet_window(
            line_in_place(hit.snippet), hit.highlights, (TEXT_WIDTH - 4) * SNIPPET_LINES
        )
        snippet = Content(text).stylize("italic $text-muted")
        for start, end in spans:
            snippet = snippet.stylize("bold reverse $accent", start, end)
        parts += ["\n", snippet]
    return Content.assemble(*parts)
