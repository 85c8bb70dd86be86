"""Reasoning written inline in the content as `<think>…</think>`, split from the answer live.

Models served without a reasoning parser (DeepSeek-R1, QwQ, Qwen3 on Ollama, vLLM or llama.cpp)
write their thought into `content`. Two shapes, and the rule for each:

1. The reply opens with `<think>` (leading whitespace allowed). Everything up to the first
   `</think>` is reasoning; the rest is the answer. Whitespace right after either tag is dropped.
   A thought that never closes (cut by max_tokens) stays reasoning.
2. The chat template opened the tag in the prompt (DeepSeek-R1-0528, QwQ, Qwen3 "thinking"
   models): the reply starts inside the thought and only `</think>` appears. The text is streamed
   live as the answer, since nothing marks it as a thought yet; when the implicit thought closes,
   a RECLASSIFY op says "all the content so far was reasoning". The closing tag counts only when:
   - it is the first `</think>` of the reply, no `<think>` came before it, and no reasoning arrived
     through a field (`reasoning_content` and the like: the server parsed the thought itself);
   - it stands alone on its line: nothing but spaces or tabs before it on the line, and a line
     break right after it. That is how these models close a thought (their templates write
     `\\n</think>\\n\\n`), while an answer that mentions the tag puts it in a sentence, in
     backticks or in a code block;
   - it is not inside an open code fence (``` or ~~~).
   A closing tag that fails these is literal text and ends the watch: no later tag is considered.
   So an answer is only ever reclassified when a bare `</think>` line follows text that has no
   opening tag and no open fence: the trade is a model that closes its thought mid-line keeps its
   reasoning in the answer (visible, nothing lost), rather than an answer ever losing text.

Held back, never shown raw: a possible tag cut across chunks (`<thi` + `nk>`) only as long as it
can still become one, and a `</think>` at the end of a chunk until the next character says whether
a line break follows. `flush()` releases what is held (at the end of the stream). The result
depends only on the text, not on how it was cut into chunks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CONTENT, REASONING, RECLASSIFY = 0, 1, 2
"""Ops: (CONTENT, text) is answer, (REASONING, text) is thought, (RECLASSIFY, "") moves all the
content emitted so far to the reasoning."""

# Modes, read by the accumulator's hot path.
PASS = 0  # decided: all text is answer
WATCH = 1  # answer, unless a `</think>` comes; nothing held, so text without "<" is plain answer
BUSY = 2  # every piece must go through feed()

_OPEN, _CLOSE = "<think>", "</think>"
_START, _WATCH, _THINKING, _AFTER, _PASS = range(5)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)

Op = tuple[int, str]


def in_open_fence(text: str) -> bool:
    """Whether `text` ends inside a fenced code block (an opened ``` or ~~~ not yet closed)."""
    opener: str | None = None
    for match in _FENCE.finditer(text):
        fence = match.group(1)
        if opener is None:
            opener = fence
        elif fence[0] == opener[0] and len(fence) >= len(opener):
            opener = None
    return opener is not None


def _partial_tag_start(text: str) -> int:
    """Where a trailing prefix of a tag starts (`…<th`), or -1. Tags hold one "<", at the start."""
    at = text.rfind("<", max(0, len(text) - len(_CLOSE) + 1))
    if at >= 0:
        tail = text[at:]
        if _CLOSE.startswith(tail) or _OPEN.startswith(tail):
            return at
    return -1


class ThinkTagSplitter:
    """Splits one reply's content text into answer and reasoning ops (see the module doc).

    `content_so_far` returns the content already emitted (for the line and fence checks, read
    only when a candidate `</think>` arrives).
    """

    __slots__ = ("_content_so_far", "_held", "_state", "_strip", "mode")

    def __init__(self, content_so_far: Callable[[], str]) -> None:
        self._content_so_far = content_so_far
        self._state = _START
        self._held = ""
        self._strip = False  # inside a thought, whitespace after `<think>` is still being dropped
        self.mode = BUSY

    def feed(self, text: str) -> list[Op]:
        out: list[Op] = []
        text = self._held + text
        self._held = ""
        state = self._state
        while text:
            if state == _START:
                stripped = text.lstrip()
                if stripped.startswith(_OPEN):
                    state, self._strip, text = _THINKING, True, stripped[len(_OPEN) :]
                elif not stripped or _OPEN.startswith(stripped):
                    self._held = text  # may still become `<think>`
                    break
                else:
                    state = _WATCH
            elif state == _WATCH:
                state, text = self._watch(text, out)
            elif state == _THINKING:
                if self._strip:
                    text = text.lstrip()
                    if not text:
                        break
                    self._strip = False
                end = text.find(_CLOSE)
                if end >= 0:
                    if end:
                        out.append((REASONING, text[:end]))
                    state, text = _AFTER, text[end + len(_CLOSE) :]
                    continue
                cut = _partial_tag_start(text)
                if cut >= 0 and _CLOSE.startswith(text[cut:]):
                    self._held, text = text[cut:], text[:cut]
                if text:
                    out.append((REASONING, text))
                break
            elif state == _AFTER:
                text = text.lstrip()
                if text:
                    state = _PASS
            else:
                out.append((CONTENT, text))
                break
        self._state = state
        self._set_mode()
        return out

    def _watch(self, text: str, out: list[Op]) -> tuple[int, str]:
        """Answer while an implicit thought may still close. Returns (next state, text left)."""
        close = text.find(_CLOSE)
        opening = text.find(_OPEN)
        if opening >= 0 and (close < 0 or opening < close):
            return _PASS, text  # a tag that does not open the reply: literal, and no more watch
        if close >= 0:
            before, after = text[:close], text[close + len(_CLOSE) :]
            verdict = self._closes_thought(before, after)
            if verdict is None:  # the next character decides
                if before:
                    out.append((CONTENT, before))
                self._held = text[close:]
                return _WATCH, ""
            if not verdict:
                return _PASS, text
            out.append((RECLASSIFY, ""))
            if before:
                out.append((REASONING, before))
            return _AFTER, after
        cut = _partial_tag_start(text)
        if cut >= 0:
            self._held, text = text[cut:], text[:cut]
        if text:
            out.append((CONTENT, text))
        return _WATCH, ""

    def _closes_thought(self, before: str, after: str) -> bool | None:
        prior = self._content_so_far() + before
        line = prior[max(prior.rfind("\n"), prior.rfind("\r")) + 1 :]
        if line.strip(" \t") or in_open_fence(prior):
            return False
        if not after:
            return None
        return after[0] in "\r\n"

    def reasoning_arrived(self) -> list[Op]:
        """Reasoning came through a field: the server parsed the thought, content is all answer."""
        if self._state in (_START, _WATCH):
            return self.flush()
        return []

    def flush(self) -> list[Op]:
        """Release held text (the stream ended): an undecided tag is literal text."""
        held, self._held = self._held, ""
        kind = REASONING if self._state == _THINKING else CONTENT
        if self._state in (_START, _WATCH):
            self._state = _PASS
        self._set_mode()
        return [(kind, held)] if held else []

    def _set_mode(self) -> None:
        state = self._state
        if state == _PASS:
            self.mode = PASS
        elif state == _WATCH and not self._held:
            self.mode = WATCH
        else:
            self.mode = BUSY
