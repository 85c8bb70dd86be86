"""One table of unsafe characters, neutralised on every surface that shows untrusted text.

Table-driven: each surface below is the real code path that puts text in front of a user (the
`ask` printer on a terminal, the history list, the sidebar, search snippets, error bodies, model
ids, tool names, JSON on a terminal...). Every character of `core.sanitize.UNSAFE` is put through
each one, alone between ordinary letters, and must not come out as itself, unless the surface
declares that it keeps it (a reply keeps newline and tab; a one-line title keeps nothing).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tensorx_tui.cli.ask_printer import AskPrinter
from tensorx_tui.cli.history import print_history
from tensorx_tui.cli.main import main
from tensorx_tui.cli.models import print_models
from tensorx_tui.core.errors import parse_error_body
from tensorx_tui.core.events import ContentDelta, ReasoningDelta
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.reply import ErrorInfo, Reply, ReplyState, ToolCall
from tensorx_tui.core.sanitize import PROSE_KEEPS, UNSAFE
from tensorx_tui.store.conversations import Store
from tensorx_tui.ui.sidebar_rows import summary_prompt
from tensorx_tui.ui.transcript import assistant, panels, tool_call_view

CHARS = sorted(UNSAFE)
NOTHING: frozenset[str] = frozenset()


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_table_holds_what_the_issue_lists() -> None:
    listed = {
        *map(chr, range(0x00, 0x20)), "\x7f", *map(chr, range(0x80, 0xA0)),
        *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)),
        *map(chr, range(0x200B, 0x2010)), "\ufeff", "\u2060", "\u2028", "\u2029",
    }  # fmt: skip
    assert listed == UNSAFE
    # What the prose surface keeps, and why it may: no terminal control, and real text needs them.
    assert frozenset("\n\t\u200c\u200d\u200e\u200f") == PROSE_KEEPS


# -- a store holding one conversation per unsafe character ---------------------------------------


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    data_dir = tmp_path_factory.mktemp("data")
    with Store.open(data_dir) as store:
        for i, char in enumerate(CHARS):
            conv = store.create_conversation(model=f"m{char}x")
            store.add_user_message(conv, f"t{char}x title{i}")
            store.add_reply(
                conv, Reply(content=f"before a{char}b findme{i} after", state=ReplyState.COMPLETE)
            )
        yield store, data_dir


def _conversation(store: Store, i: int) -> str:
    (hit,) = store.search(f"title{i}")
    return hit.conversation.id


# -- the surfaces ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    name: str
    show: Callable[[str, int, tuple[Store, Path]], str]  # (text with the char, its index, store)
    keeps: frozenset[str] = NOTHING
    json: bool = False  # the output is JSON: it must also parse back to the same value


def _ask_stdout(text: str, *_: object) -> str:
    out = Tty()
    AskPrinter(out, Tty()).on_event(ContentDelta(text))
    return out.getvalue()


def _ask_reasoning(text: str, *_: object) -> str:
    err = Tty()
    AskPrinter(Tty(), err).on_event(ReasoningDelta(text))
    return err.getvalue()


def _ask_error_line(text: str, *_: object) -> str:
    err = io.StringIO()  # a pipe: notes are sanitised all the same (they quote the provider)
    reply = Reply(state=ReplyState.ERROR, error=ErrorInfo(text, 400))
    AskPrinter(io.StringIO(), err).finish(reply)
    return err.getvalue()


def _ask_tool_name(text: str, *_: object) -> str:
    err = io.StringIO()
    reply = Reply(state=ReplyState.COMPLETE, tool_calls=[ToolCall("c", text, text)])
    AskPrinter(io.StringIO(), err).finish(reply)
    return err.getvalue()


def _ask_json(text: str, *_: object) -> str:
    out = io.StringIO()
    AskPrinter(out, io.StringIO(), json_mode=True).finish(
        Reply(content=text, model=text, state=ReplyState.COMPLETE)
    )
    return out.getvalue()


def _error_body(text: str, *_: object) -> str:
    body = json.dumps({"error": {"message": text}}).encode()
    return parse_error_body(400, "application/json", body).message


def _models(text: str, *_: object) -> str:
    out = io.StringIO()
    print_models([ModelInfo(text)], out, json_mode=False)
    return out.getvalue()


def _models_json(text: str, *_: object) -> str:
    out = io.StringIO()
    print_models([ModelInfo(text)], out, json_mode=True)
    return out.getvalue()


def _history_list(_: str, i: int, stored: tuple[Store, Path]) -> str:
    store, _dir = stored
    (hit,) = store.search(f"findme{i}")
    out = io.StringIO()
    print_history([hit.to_json()], out)  # title, model and snippet of the conversation
    return out.getvalue()


def _history_json(_: str, i: int, stored: tuple[Store, Path]) -> str:
    store, _dir = stored
    (hit,) = store.search(f"findme{i}")
    return json.dumps([hit.to_json()])  # what `history --json` prints, before escaping


def _sidebar(_: str, i: int, stored: tuple[Store, Path]) -> str:
    store, _dir = stored
    (hit,) = store.search(f"findme{i}")
    return summary_prompt(hit.conversation, hit).plain


def _saved_title(_: str, i: int, stored: tuple[Store, Path]) -> str:
    store, _dir = stored
    return store.get_summary(_conversation(store, i)).title


def _snippet(_: str, i: int, stored: tuple[Store, Path]) -> str:
    store, _dir = stored
    (hit,) = store.search(f"findme{i}")
    return hit.snippet


SURFACES = [
    Surface("ask: reply on a terminal", _ask_stdout, PROSE_KEEPS),
    Surface("ask: reasoning on a terminal", _ask_reasoning, PROSE_KEEPS),
    Surface("ask: error line", _ask_error_line, frozenset("\n")),  # the line's own end
    Surface("ask: tool name and arguments", _ask_tool_name, frozenset("\n")),
    Surface("ask --json", _ask_json, frozenset("\n"), json=True),
    Surface("error body from a provider", _error_body, frozenset("\n\t")),
    Surface("models", _models, frozenset("\n")),
    Surface("models --json", _models_json, frozenset("\n"), json=True),
    Surface("history: title, model, snippet", _history_list, frozenset("\n")),
    Surface("saved title", _saved_title),
    Surface("search snippet", _snippet),
    Surface("sidebar: title, model, snippet", _sidebar, frozenset("\n")),  # its own line breaks
    Surface("UI: reply and reasoning", lambda t, *_: assistant.safe_text(t), PROSE_KEEPS),
    Surface("UI: error panel", lambda t, *_: panels.safe_text(t), PROSE_KEEPS),
    Surface("UI: tool name", lambda t, *_: tool_call_view.safe_text(t), PROSE_KEEPS),
]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_every_unsafe_character_is_neutralised_on_every_surface(
    surface: Surface, stored: tuple[Store, Path]
) -> None:
    survivors = []
    for i, char in enumerate(CHARS):
        shown = surface.show(f"a{char}b", i, stored)
        if char in shown and char not in surface.keeps:
            survivors.append(f"U+{ord(char):04X}")
        if surface.json:
            json.loads(shown)  # still JSON, the same value (checked below for one surface)
    assert survivors == [], f"{surface.name} let through {survivors}"


def test_json_on_a_terminal_is_the_same_value() -> None:
    for char in CHARS:
        text = f"a{char}b"
        assert json.loads(_ask_json(text))["content"] == text
        assert [m["id"] for m in json.loads(_models_json(text))] == [text]


def test_history_json_and_export_on_a_terminal(
    stored: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, data_dir = stored
    monkeypatch.setenv("TENSORX_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TENSORX_CONFIG", "/dev/null")
    assert main(["history", "--json", "-n", "500"]) == 0
    listed = capsys.readouterr().out
    assert not (set(listed) & (UNSAFE - {"\n"}))
    assert len(json.loads(listed)) == len(CHARS)
    for i, char in enumerate(CHARS):
        conv = _conversation(store, i)
        for fmt, keeps in (("md", PROSE_KEEPS), ("json", frozenset("\n"))):
            terminal = Tty()
            monkeypatch.setattr(sys, "stdout", terminal)
            assert main(["export", conv, "-f", fmt]) == 0
            shown = terminal.getvalue()
            assert char not in shown or char in keeps, (fmt, f"U+{ord(char):04X}")
