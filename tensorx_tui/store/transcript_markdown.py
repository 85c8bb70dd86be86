"""A conversation as Markdown, to read: the active branch, each message under its own `##`
heading (its own headings moved below it), replies with their facts (finish, state, tokens,
time), tool calls and results fenced, attachments named (and linked when written beside it)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Final

from tensorx_tui.core.descriptions import status_label
from tensorx_tui.core.markdown_quoting import fence_for, inline_code
from tensorx_tui.core.reply import ToolCall
from tensorx_tui.store import transcript_attachments
from tensorx_tui.store.records import (
    Conversation,
    StoredMessage,
    redact_base_url,
    timings_from_json,
)


def _fence(text: str, info: str = "") -> str:
    """A fenced block that `text` cannot close early, whatever backticks it holds."""
    ticks = fence_for(text)
    return f"{ticks}{info}\n{text}\n{ticks}"


_FENCE_LINE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_ATX: Final = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_SETEXT: Final = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
# Lines that open a block other than a paragraph (quote, list item, heading, HTML, indented code).
_OTHER_BLOCK: Final = re.compile(r"^ {0,3}(?:>|[*+-](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|#|<)|^ {4}")
MESSAGE_HEADING_LEVEL: Final = 2  # `## User`, `## Assistant (model)`


def headings_below(text: str, levels: int = MESSAGE_HEADING_LEVEL) -> str:
    """Markdown with its own headings moved `levels` down (capped at `######`), so a reply's
    `# Title` sits under the message's `##` heading instead of beside the transcript's title.
    ATX (`# x`) and setext (`x` over `===`) headings; fenced code is left alone."""
    out: list[str] = []
    fence: tuple[str, int] | None = None  # the open fence's character and length
    paragraph: int | None = None  # index in `out` where the current plain paragraph starts
    in_container = False  # inside a list item or quote: its lines are not a plain paragraph
    for line in text.split("\n"):
        if fence is not None:
            out.append(line)
            closing = _FENCE_LINE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= fence[1]:
                fence = None if not closing.group(2).strip() else fence
            continue
        opening = _FENCE_LINE.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence, paragraph = (opening.group(1)[0], len(opening.group(1))), None
            out.append(line)
            continue
        atx = _ATX.match(line)
        if atx:
            level = min(6, len(atx.group(2)) + levels)
            out.append(atx.group(1) + "#" * level + line[atx.end() :])
            paragraph = None
            continue
        underline = _SETEXT.match(line)
        if underline and paragraph is not None:
            level = min(6, (1 if underline.group(1)[0] == "=" else 2) + levels)
            words = " ".join(part.strip() for part in out[paragraph:])
            out[paragraph:] = ["#" * level + " " + words]
            paragraph = None
            continue
        if not line.strip():
            paragraph, in_container = None, False
        elif _OTHER_BLOCK.match(line):
            paragraph, in_container = None, True
        elif paragraph is None and not in_container:
            paragraph = len(out)
        out.append(line)
    return "\n".join(out)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _usage_text(usage: dict[str, Any]) -> str | None:
    names = (("prompt_tokens", "in"), ("completion_tokens", "out"), ("total_tokens", "total"))
    parts = [f"{usage[k]} {label}" for k, label in names if isinstance(usage.get(k), int)]
    return "tokens: " + " / ".join(parts) if parts else None


def _reply_footer(m: StoredMessage) -> str:
    parts = [f"state: {m.state}"]
    if m.finish_reason:
        parts.insert(0, f"finish: {m.finish_reason}")
    usage = _usage_text(m.usage) if m.usage else None
    if usage:
        parts.append(usage)
    total = timings_from_json(m.timings).total_s
    if total is not None:
        parts.append(f"{total:.2f} s")
    footer = "*" + " · ".join(parts) + "*"
    if m.error:
        label = status_label(m.error.status)  # none for a 2xx: an error inside a 200 stream
        status = f" ({label})" if label else ""
        footer += f"\n\n> **Error{status}:** " + " ".join(m.error.message.split())
    return footer


def _tool_call_md(call: ToolCall) -> str:
    value, problem = call.parsed_arguments()
    ident = f" (id {inline_code(call.id)})" if call.id else ""
    head = f"**Tool call** {inline_code(call.name)}{ident}:"
    if problem is None:
        body = _fence(json.dumps(value, ensure_ascii=False, indent=2), "json")
    else:
        body = f"*arguments are not valid JSON ({problem}):*\n\n" + _fence(call.arguments_text)
    return f"{head}\n\n{body}"


def _alternative_md(position: tuple[int, int] | None) -> str:
    if position is None or position[1] < 2:
        return ""
    return f"*Alternative {position[0]} of {position[1]} (the JSON export has them all).*\n\n"


def _message_md(
    m: StoredMessage,
    position: tuple[int, int] | None = None,
    files: tuple[list[str], str] | None = None,
) -> str:
    """`position`: (n, of) when the message is one of several alternatives; `files`: the names
    this message's attachments were written under, and their folder."""
    text = _message_body_md(m, files)
    note = _alternative_md(position)
    if not note:
        return text
    head, _, rest = text.partition("\n\n")
    return f"{head}\n\n{note}{rest}"


def _message_body_md(m: StoredMessage, files: tuple[list[str], str] | None = None) -> str:
    if m.role == "user" and m.attachments:
        names, folder = files if files else (None, None)
        listing = transcript_attachments.markdown_list(m.attachments, names, folder)
        return "\n\n".join(x for x in ("## User", headings_below(m.content), listing) if x)
    if m.role == "user":
        return f"## User\n\n{headings_below(m.content)}"
    if m.role == "system":
        return f"## System\n\n{headings_below(m.content)}"
    if m.role == "tool":
        ident = f" ({inline_code(m.tool_call_id)})" if m.tool_call_id else ""
        return f"## Tool result{ident}\n\n" + _tool_run_md(m.tool_meta) + _fence(m.content)
    head = f"## Assistant ({m.model})" if m.model else "## Assistant"
    blocks = [head]
    if m.reasoning:
        reasoning = headings_below(m.reasoning)
        blocks.append(f"<details><summary>Reasoning</summary>\n\n{reasoning}\n\n</details>")
    if m.content:
        blocks.append(headings_below(m.content))
    if m.refusal:
        refusal = headings_below(m.refusal)
        blocks.append("**Refusal** (the model declined to answer):\n\n" + refusal)
    blocks.extend(_tool_call_md(c) for c in m.tool_calls)
    blocks.append(_reply_footer(m))
    return "\n\n".join(blocks)


def _tool_run_md(meta: dict[str, Any] | None) -> str:
    """How an MCP call ran: server, tool, approval, duration, error: one line before its output."""
    if not meta:
        return ""
    facts = [
        f"{inline_code(str(meta.get('server', '')))} · {inline_code(str(meta.get('tool', '')))}"
    ]
    if meta.get("approval"):
        facts.append(f"approval: {meta['approval']}")
    if isinstance(meta.get("duration_s"), int | float):
        facts.append(f"{meta['duration_s']:.2f} s")
    if meta.get("is_error"):
        facts.append("**error**")
    return "*" + " · ".join(facts) + "*\n\n"


def to_markdown(conversation: Conversation, files_folder: str | None = None) -> str:
    """The active branch. `files_folder`: where the attachments are written (`write_files`),
    relative to the transcript, to link them; without it they are only named."""
    meta = conversation.meta
    facts = [f"- **Conversation:** {inline_code(meta.id)}"]
    if meta.model:
        facts.append(f"- **Model:** {inline_code(meta.model)}")
    if meta.profile or meta.base_url:
        where = " · ".join(x for x in (meta.profile, redact_base_url(meta.base_url)) if x)
        facts.append(f"- **Endpoint:** {where}")
    facts.append(f"- **Created:** {_when(meta.created_at)} · **Updated:** {_when(meta.updated_at)}")
    if meta.params:
        shown = ", ".join(
            f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in meta.params.items()
        )
        facts.append(f"- **Parameters:** {shown}")
    blocks = [f"# {meta.title or 'Untitled conversation'}", "\n".join(facts)]
    if meta.system:
        blocks.append(f"## System prompt\n\n{headings_below(meta.system)}")
    path = conversation.path()
    names = transcript_attachments.file_names(path)
    tree = conversation.tree() if len(path) != len(conversation.messages) else None
    for i, m in enumerate(path):
        position = tree.position(m.id) if tree is not None and m.id else None
        written = [names[i, p] for p in range(len(m.attachments))]
        blocks.append(_message_md(m, position, (written, files_folder) if files_folder else None))
    return "\n\n".join(blocks) + "\n"


# -- files -----------------------------------------------------------------------------------------
