"""Full-text search: the query language, non-ASCII text, snippets; no input can break it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.search import MARK_END, MARK_START, match_query, split_marks


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "t.db") as s:
        yield s


def talk(store: Store, *messages: str) -> str:
    conv = store.create_conversation()
    for i, text in enumerate(messages):
        if i % 2 == 0:
            store.add_user_message(conv, text)
        else:
            store.add_reply(conv, Reply(content=text, state=ReplyState.COMPLETE))
    return conv


def found(store: Store, query: str) -> set[str]:
    return {h.conversation.id for h in store.search(query)}


def fts_is_consistent(store: Store) -> None:
    for table in ("messages_fts", "conversations_fts"):
        store._conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


def test_words_must_all_match(store: Store) -> None:
    both = talk(store, "SQLite uses a write-ahead log", "WAL mode lets readers continue")
    one = talk(store, "sqlite is a library")
    assert found(store, "sqlite") == {both, one}
    assert found(store, "sqlite library") == {one}
    # The words of a query are matched within one message (or the title), not across messages:
    # "readers" is only in the reply of `both`, "sqlite" only in its first message.
    assert found(store, "sqlite readers") == set()
    assert found(store, "readers continue") == {both}


def test_phrases(store: Store) -> None:
    exact = talk(store, "the write ahead log is fast")
    hyphen = talk(store, "a write-ahead log")
    apart = talk(store, "write something ahead")
    reversed_ = talk(store, "ahead write")
    assert found(store, '"write ahead"') == {exact, hyphen}
    assert apart in found(store, "write ahead") and reversed_ in found(store, "write ahead")
    assert found(store, '"write ahead log" fast') == {exact}


def test_prefixes(store: Store) -> None:
    conv = talk(store, "the migration worked")
    assert found(store, "migrat*") == {conv}
    assert found(store, "migrat") == set()
    assert found(store, '"the migr"*') == {conv}


def test_case_and_diacritics(store: Store) -> None:
    french = talk(store, "Un café à Zürich")
    russian = talk(store, "Привет, мир")
    greek = talk(store, "Καλημέρα κόσμε")
    assert found(store, "cafe") == {french}
    assert found(store, "CAFÉ") == {french}
    assert found(store, "zurich") == {french}
    assert found(store, "ПРИВЕТ") == {russian}
    assert found(store, "мир") == {russian}
    assert found(store, "ΚΑΛΗΜΈΡΑ") == {greek}
    # unicode61 removes Latin diacritics only: Greek accents must be typed.
    assert found(store, "καλημερα") == set()


def test_cjk_by_prefix(store: Store) -> None:
    # unicode61 keeps a run of CJK characters as one token: a leading part is found with `*`.
    conv = talk(store, "東京タワー に行きました")
    assert found(store, "東京タワー") == {conv}
    assert found(store, "東京*") == {conv}


def test_reasoning_and_titles_are_searched(store: Store) -> None:
    conv = store.create_conversation()
    store.add_user_message(conv, "plain question")
    store.add_reply(
        conv, Reply(content="answer", reasoning="pondering quaternions", state=ReplyState.COMPLETE)
    )
    assert found(store, "quaternions") == {conv}
    store.rename(conv, "Rotations in 3D")
    hits = store.search("rotations")
    assert [h.conversation.id for h in hits] == [conv]
    assert hits[0].message_id is None
    assert hits[0].snippet == "Rotations in 3D"
    assert hits[0].highlights == ((0, 9),)
    store.rename(conv, "Something else")
    assert found(store, "rotations") == set()
    fts_is_consistent(store)


def test_checkpoints_keep_the_index_in_step(store: Store) -> None:
    conv = store.create_conversation()
    mid = store.start_reply(conv)
    store.checkpoint_reply(mid, Reply(content="draft pineapple"))
    assert found(store, "pineapple") == {conv}
    store.finish_reply(mid, Reply(content="final mango", state=ReplyState.COMPLETE))
    assert found(store, "pineapple") == set()
    assert found(store, "mango") == {conv}
    fts_is_consistent(store)


def test_one_hit_per_conversation_newest_first_with_snippet(store: Store) -> None:
    older = talk(store, "kiwi one", "kiwi two", "kiwi three")
    newer = talk(store, "a kiwi here")
    hits = store.search("kiwi")
    assert [h.conversation.id for h in hits] == [newer, older]
    assert hits[1].snippet == "kiwi three"  # the newest matching message
    for hit in hits:
        assert all(hit.snippet[a:b].lower() == "kiwi" for a, b in hit.highlights)
        assert hit.highlights
    assert hits[0].conversation.message_count == 1
    assert len(store.search("kiwi", limit=1)) == 1


def test_a_broad_query_returns_the_newest_conversations(store: Store) -> None:
    ids = [talk(store, f"common word {i}", f"common reply {i}") for i in range(130)]
    hits = store.search("common", limit=100)
    assert [h.conversation.id for h in hits] == ids[::-1][:100]
    assert all(h.snippet.startswith("common reply") for h in hits)


def test_long_messages_give_a_short_one_line_snippet(store: Store) -> None:
    text = "filler line\n" * 200 + "the needle is here\n" + "more filler\n" * 200
    talk(store, text)
    (hit,) = store.search("needle")
    assert "\n" not in hit.snippet
    assert len(hit.snippet) < 200
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    (span,) = hit.highlights
    assert hit.snippet[span[0] : span[1]] == "needle"


@pytest.mark.parametrize(
    "query",
    [
        "NEAR(a b)",
        "content:secret",
        '"unbalanced',
        "a AND",
        "OR",
        "NOT x",
        "*",
        "^start",
        "-minus",
        'say "hi',
        'x"y',
        "(((",
        "a + b",
        "{content reasoning}: x",
        "\x00",
        "",
        "   ",
        "🙂",
    ],
)
def test_fts_syntax_in_user_text_is_harmless(store: Store, query: str) -> None:
    talk(store, "some text AND NOT this")
    store.search(query)  # no exception


def test_operators_are_plain_words(store: Store) -> None:
    conv = talk(store, "cats and dogs")
    other = talk(store, "cats only")
    assert found(store, "cats AND dogs") == {conv}
    assert found(store, "cats OR dogs") == set()  # "or" is a word that is not there
    assert other in found(store, "cats")


def test_match_query_shapes() -> None:
    assert match_query("hello") == '"hello"'
    assert match_query('  a  "b c"  d* ') == '"a" "b c" "d"*'
    assert match_query('"x"*') == '"x"*'
    assert match_query('say "hi') == '"say" "hi"'
    assert match_query('x"y') == '"x" "y"'
    assert match_query("*** -- !!") is None
    assert match_query("") is None


def test_split_marks() -> None:
    text, spans = split_marks(f"a {MARK_START}bc{MARK_END} d\n{MARK_START}e{MARK_END}")
    assert text == "a bc d e"
    assert spans == ((2, 4), (7, 8))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text())
def test_no_text_makes_fts5_fail(store: Store, query: str) -> None:
    expr = match_query(query)
    if expr is None:
        return
    # Straight to SQLite, bypassing the Store's own guard: the expression itself must be valid.
    try:
        store._conn.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", (expr,)
        ).fetchone()
    except sqlite3.OperationalError as exc:  # pragma: no cover - the failure being looked for
        pytest.fail(f"{query!r} -> {expr!r}: {exc}")


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12))
def test_any_word_finds_the_message_holding_it(store: Store, word: str) -> None:
    conv = talk(store, f"before {word} after")
    try:
        assert conv in found(store, word)
    finally:
        store.delete(conv)


def test_snippets_show_text_not_markdown_escapes(store: Store) -> None:
    talk(store, "units?", r"The column temp\_c holds \*Celsius\* (see `raw\_value`).")
    (hit,) = store.search("temp_c")
    assert hit.snippet == "The column temp_c holds *Celsius* (see `raw\\_value`)."
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["temp_c"]


def test_snippets_neutralise_bidi_and_invisible_characters(store: Store) -> None:
    talk(store, "name?", "file\u202etxt.exe and zero\u200bwidth\u2028line, findme")
    (hit,) = store.search("findme")
    assert not any(c in hit.snippet for c in "\u202e\u200b\u2028")
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["findme"]
