"""Transcripts of a conversation tree: Markdown is the active branch, JSON the whole tree, and
export → import → export gives the same bytes, branches and active branch included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.records import StoredMessage
from tensorx_tui.store.transcripts import TranscriptError, conversation_from_json, render
from tensorx_tui.store.tree import MessageTree


def reply(text: str) -> StoredMessage:
    return StoredMessage.from_reply(Reply(content=text, state=ReplyState.COMPLETE, model="m"))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "t.db") as s:
        yield s


def branched(store: Store) -> str:
    """q1 → a1 → q2 (three versions, the second followed), one reply regenerated."""
    conv = store.create_conversation(model="m", system="Be brief.")
    store.add_user_message(conv, "q1")
    a1 = store.add_message(conv, reply("a1"))
    store.add_user_message(conv, "q2 in C")
    store.add_message(conv, reply("C answer"))
    q2b = store.add_user_message(conv, "q2 in Rust", parent=a1)
    store.add_message(conv, reply("Rust answer"))
    store.add_message(conv, reply("Rust answer, regenerated"), parent=q2b)
    store.add_user_message(conv, "q2 in Go", parent=a1)
    store.add_message(conv, reply("Go answer"))
    store.set_active_leaf(conv, store.load_conversation(conv).tree().newest_leaf(q2b))
    return conv


def test_export_import_export_is_identical_with_branches(store: Store) -> None:
    conv = branched(store)
    saved = store.load_conversation(conv)
    first = render(saved, "json")
    data = json.loads(first)
    # The messages are the active branch, a valid OpenAI list; the rest are alternatives.
    assert [m["content"] for m in data["messages"]] == [
        "Be brief.",
        "q1",
        "a1",
        "q2 in Rust",
        "Rust answer, regenerated",
    ]
    assert [m["content"] for m in data["alternatives"]] == [
        "q2 in C",
        "C answer",
        "Rust answer",
        "q2 in Go",
        "Go answer",
    ]
    assert data["messages"][3]["tensorx"]["parent"] == 2
    imported = store.import_conversation(conversation_from_json(first))
    again = store.load_conversation(imported)
    assert render(again, "json").replace(imported, conv) == first
    assert [m.content for m in again.path()] == [m.content for m in saved.path()]
    tree = again.tree()
    rust = again.path()[2]
    assert rust.id is not None and tree.position(rust.id) == (2, 3)


def test_markdown_is_the_active_branch(store: Store) -> None:
    saved = store.load_conversation(branched(store))
    markdown = render(saved, "md")
    assert "q2 in Rust" in markdown and "Rust answer, regenerated" in markdown
    for elsewhere in ("q2 in C", "C answer", "q2 in Go", "Rust answer\n"):
        assert elsewhere not in markdown
    assert "*Alternative 2 of 3 (the JSON export has them all).*" in markdown
    assert "*Alternative 2 of 2 (the JSON export has them all).*" in markdown


def test_a_linear_conversation_exports_as_before(store: Store) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "hi")
    store.add_message(conv, reply("hello"))
    data = json.loads(render(store.load_conversation(conv), "json"))
    assert "alternatives" not in data
    assert all("id" not in m["tensorx"] for m in data["messages"])


def test_a_transcript_of_the_time_before_branches_imports_as_branches(store: Store) -> None:
    old = {
        "format": "tensorx-chat/1",
        "messages": [
            {"role": "user", "content": "q", "tensorx": {}},
            {"role": "user", "content": "v1", "tensorx": {"superseded": True}},
            {"role": "assistant", "content": "r1", "tensorx": {"superseded": True}},
            {"role": "user", "content": "v2", "tensorx": {}},
            {"role": "assistant", "content": "r2", "tensorx": {}},
        ],
    }
    conversation = conversation_from_json(json.dumps(old))
    assert [m.content for m in conversation.path()] == ["q", "v2", "r2"]
    tree = conversation.tree()
    assert [m.content for m in tree.siblings(4)] == ["v1", "v2"]
    assert [m.content for m in tree.path(tree.newest_leaf(2))] == ["q", "v1", "r1"]
    saved = store.load_conversation(store.import_conversation(conversation))
    assert [m.content for m in saved.path()] == ["q", "v2", "r2"]
    assert len(saved.messages) == 5


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d["alternatives"][0]["tensorx"].pop("id"), "needs its own id"),
        (lambda d: d["alternatives"][0]["tensorx"].update(parent=99), "not an earlier message"),
        (lambda d: d["alternatives"][0]["tensorx"].update(id="x"), "expected int"),
    ],
)
def test_a_broken_tree_is_a_clear_error(store: Store, change: object, error: str) -> None:
    data = json.loads(render(store.load_conversation(branched(store)), "json"))
    change(data)  # type: ignore[operator]
    with pytest.raises(TranscriptError, match=error):
        conversation_from_json(json.dumps(data))


def test_tree_paths_siblings_and_newest_leaf() -> None:
    def msg(i: int, parent: int | None) -> StoredMessage:
        return StoredMessage(role="user", content=str(i), id=i, parent_id=parent)

    tree = MessageTree([msg(1, None), msg(2, 1), msg(3, 1), msg(4, 2), msg(5, None)], 4)
    assert [m.id for m in tree.path()] == [1, 2, 4]
    assert [m.id for m in tree.siblings(3)] == [2, 3]
    assert tree.sibling(2, 1) == 3 and tree.sibling(2, -1) is None
    assert tree.newest_leaf(1) == 4 and tree.newest_leaf(3) == 3
    assert tree.choose(5) == 5 and [m.id for m in tree.path()] == [5]
    assert tree.position(5) == (2, 2)
    # A parent that is not there (a damaged file) makes a new root, not a crash.
    assert MessageTree([msg(7, 42)]).path()[0].parent_id is None
