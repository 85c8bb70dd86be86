"""The model picker's rows: each endpoint's models under a header, with what is known of each
model (context window, prices, capabilities), narrowed by a fuzzy filter.

    rows = picker_rows(groups, query, width)     # [PickerRow(content, choice or None)]

A row is plain `Content` built from untrusted ids (never parsed as markup; Textual's own
`Matcher.highlight` parses its candidate as markup, so the highlighting is done here). Unknown
values show nothing: no guessed window, price or capability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.fuzzy import FuzzySearch

from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.sanitize import one_line
from tensorx_tui.profile_endpoints import ProfileEndpoint, ProfileEndpoints

# Capability marks: one ASCII letter each, so they line up in any terminal and font (emoji are
# two cells in some terminals and one in others, which breaks the columns).
MARKS = (("T", "tools"), ("V", "vision"), ("R", "reasoning"))
_MIN_ID_CELLS = 12
_GAP = "  "


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """What the picker answers: a model of one endpoint (`profile` None: the top-level one)."""

    profile: str | None
    model: str


@dataclass(frozen=True, slots=True)
class PickerGroup:
    """One endpoint's section of the list."""

    profile: str | None
    title: str
    models: Sequence[ModelInfo]
    note: str | None = None
    """Shown instead of (or before) models: "loading models…", or why there are none."""
    error: bool = False
    current: bool = False


@dataclass(frozen=True, slots=True)
class PickerRow:
    content: Content
    choice: ModelChoice | None
    """None for a header or a note: not selectable."""


# -- the columns ---------------------------------------------------------------------------------


def window_text(tokens: int | None) -> str:
    """A context window in a few characters, as it is quoted: 131072 → "128k", 128000 →
    "128k", 1048576 → "1M". Round thousands count in 1000s, other multiples of 1024 in 1024s."""
    if tokens is None or tokens <= 0:
        return ""
    unit = 1024 if tokens % 1000 and tokens % 1024 == 0 else 1000
    if tokens >= unit * unit:
        value, suffix = tokens / (unit * unit), "M"
    elif tokens >= unit:
        value, suffix = tokens / unit, "k"
    else:
        return str(tokens)
    text = f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"
    return text + suffix


def price_text(per_million: float) -> str:
    """Dollars per million tokens: "$0.27", "$1.10", "$15", "$0.0075", "$0"."""
    if per_million == 0:
        return "$0"
    if per_million >= 10 and per_million == int(per_million):
        return f"${per_million:.0f}"
    if per_million >= 0.01:
        return f"${per_million:.2f}"
    return "$" + f"{per_million:.6f}".rstrip("0")


def prices_text(model: ModelInfo) -> str:
    """ "$0.27/$1.10" (input/output per million tokens); "" when neither is known."""
    if model.input_price is None and model.output_price is None:
        return ""
    parts = [
        price_text(p) if p is not None else "?" for p in (model.input_price, model.output_price)
    ]
    return "/".join(parts)


def marks_text(model: ModelInfo) -> str:
    """ "T V R" with a space for each capability that is absent or unknown."""
    flags = (model.supports_tools, model.supports_vision, model.supports_reasoning)
    return " ".join(letter if flag else " " for (letter, _), flag in zip(MARKS, flags, strict=True))


def legend(models: Sequence[ModelInfo]) -> str:
    """What the columns mean, for those that show anything."""
    parts = []
    if any(prices_text(m) for m in models):
        parts.append("$ in/out per M")
    if any(marks_text(m).strip() for m in models):
        parts.append(" ".join(f"{letter} {name}" for letter, name in MARKS))
    return " · ".join(parts)


# -- the rows ------------------------------------------------------------------------------------


def _highlighted(model_id: str, query: str, search: FuzzySearch) -> tuple[float, Content] | None:
    """(score, id with the matched letters marked), or None when `query` does not match."""
    shown = one_line(model_id)
    if not query:
        return 0.0, Content(shown)
    score, offsets = search.match(query, shown)
    if score <= 0:
        return None
    content = Content(shown)
    for offset in offsets:
        content = content.stylize("bold reverse", offset, offset + 1)
    return score, content


def rank(query: str, models: Sequence[ModelInfo]) -> list[tuple[ModelInfo, Content]]:
    """Models matching `query` (a subsequence, any case), best first (all, in order, when the
    query is empty), each with its id highlighted."""
    search = FuzzySearch()
    scored = []
    for index, model in enumerate(models):
        found = _highlighted(model.id, query, search)
        if found is not None:
            scored.append((-found[0], index, model, found[1]))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(model, content) for _, _, model, content in scored]


def _columns(model: ModelInfo) -> tuple[str, str, str]:
    return window_text(model.max_input_tokens), prices_text(model), marks_text(model)


def _row(name: Content, model: ModelInfo, widths: Sequence[int], width: int) -> Content:
    """The id, cut to what the columns leave of `width`, then the window and prices aligned
    right and the marks in their fixed places."""
    window, prices, marks = _columns(model)
    tail = "".join(
        _GAP + text
        for text, cells in (
            (window.rjust(widths[0]), widths[0]),
            (prices.rjust(widths[1]), widths[1]),
            (marks.ljust(widths[2]), widths[2]),
        )
        if cells
    )
    room = max(_MIN_ID_CELLS, width - len(tail))
    if name.cell_length > room:
        name = name.truncate(room, ellipsis=True)
    padding = " " * max(0, room - name.cell_length)
    return Content.assemble(name, padding, (tail, "$text-muted"))


def picker_rows(groups: Sequence[PickerGroup], query: str, width: int) -> list[PickerRow]:
    """Every group's header (when there is more than one group), its note, and its models that
    match `query`. A group with no match is left out while filtering, unless it has a note."""
    ranked = [(group, rank(query, group.models)) for group in groups]
    columns = [_columns(model) for _, found in ranked for model, _ in found]
    widths = [max((len(c[i].rstrip()) for c in columns), default=0) for i in range(3)]
    rows: list[PickerRow] = []
    headers = len(groups) > 1
    indent = "  " if headers else ""
    for group, found in ranked:
        if query and not found and group.note is None:
            continue
        if headers:
            title = Content.styled(one_line(group.title, 200), "bold $text-accent")
            if group.current:
                title = Content.assemble(title, ("  in use", "$text-muted"))
            rows.append(PickerRow(title, None))
        if group.note is not None:
            style = "$text-error" if group.error else "$text-muted"
            rows.append(PickerRow(Content.styled(indent + one_line(group.note, 300), style), None))
        for model, name in found:
            row = _row(name, model, widths, width - len(indent))
            rows.append(
                PickerRow(Content.assemble(indent, row), ModelChoice(group.profile, model.id))
            )
    return rows


# -- from the endpoints --------------------------------------------------------------------------


def group_of(entry: ProfileEndpoint, *, current: bool) -> PickerGroup:
    """One endpoint's section: its models, or "loading", or why it has none."""
    title = entry.label + (f" · {entry.host}" if entry.host else "")
    models = entry.catalog.listed if entry.catalog is not None else []
    failure = entry.failure
    if failure is not None:
        note = failure if entry.problem is not None else "Could not list models: " + failure
        return PickerGroup(entry.name, title, models, note, error=True, current=current)
    if entry.loading and not models:
        return PickerGroup(entry.name, title, models, "loading models…", current=current)
    if entry.catalog is None:
        return PickerGroup(entry.name, title, models, "models not loaded", current=current)
    return PickerGroup(entry.name, title, models, current=current)


def groups_of(endpoints: ProfileEndpoints) -> list[PickerGroup]:
    """The endpoint in use first, then the others in the config file's order."""
    first = endpoints.current
    ordered = [first, *(e for e in endpoints.all() if e is not first)]
    return [group_of(entry, current=entry is first) for entry in ordered]
