"""A branch switch in a long conversation, with real keys at 80x24 and 120x40: what it shows (the
active branch, message for message, first what fills the view and then the rest), where the
focus is, what is sent next; and the work it leaves out to be quick (bench/bench_tree.py (b)
times it): the key footer is not rebuilt when its keys stay the same, a saved reply without
reasoning mounts no reasoning view, and full garbage collections are held off meanwhile."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from test_ui_tree import reply, sent_users, tree_app
from textual.widget import Widget
from ui_app_support import chat, reply_done, screen_text, wait_for

from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.records import StoredMessage
from tensorx_tui.ui import gc_hold
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.branches import SHOWN_AT_ONCE, filling
from tensorx_tui.ui.footer import ChatFooter
from tensorx_tui.ui.transcript import AssistantMessage, UserMessage

LONG = 20  # exchanges in the long branch


def long_and_short(store: Store) -> str:
    """start, a0; then either LONG exchanges ("long n") or one ("short") whose reply was
    regenerated (two alternatives at the end, the second active)."""
    conv = store.create_conversation(model="demo")
    store.add_user_message(conv, "start")
    first = store.add_message(conv, reply("a0"))
    for n in range(LONG):
        store.add_user_message(conv, f"long {n}")
        store.add_message(conv, reply(f"long answer {n} " + "words " * 60))
    short = store.add_user_message(conv, "short", parent=first)
    store.add_message(conv, counted("short answer, first take"))
    store.add_message(conv, counted("short answer, second take"), parent=short)
    return conv


def counted(text: str) -> StoredMessage:
    """A reply of 30 tokens."""
    message = reply(text)
    message.usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
    return message


def shown_ids(app: ChatApp) -> list[int | None]:
    return [getattr(w, "message_id", None) for w in chat(app).branches.message_widgets()]


def path_ids(app: ChatApp) -> list[int | None]:
    return [m.id for m in chat(app).engine.path()]


def footer_keys(app: ChatApp) -> list[Widget]:
    return list(chat(app).query_one(ChatFooter).children)


def picked(app: ChatApp) -> Widget | None:
    focused = app.focused
    return focused if isinstance(focused, UserMessage | AssistantMessage) else None


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_switch_shows_the_active_branch_keeps_the_footer_and_sends_that_branch(
    demo_server: DemoServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    with Store.open(tmp_path) as store:
        conv = long_and_short(store)
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = chat(app)
        await screen.open_conversation(conv)
        assert shown_ids(app) == path_ids(app) and len(path_ids(app)) == 4

        # The last reply: the other take, in the same place, keys and footer unchanged.
        await pilot.press("ctrl+up")
        await pilot.pause()
        keys = footer_keys(app)
        await pilot.press("left_square_bracket")
        await wait_for(lambda: "short answer, first take" in screen_text(app))
        await pilot.pause()
        assert shown_ids(app) == path_ids(app)
        last = screen.branches.widget_of(path_ids(app)[-1] or 0)
        assert app.focused is last and isinstance(last, AssistantMessage)
        assert last.position == (1, 2)
        assert footer_keys(app) == keys  # the same widgets: not rebuilt
        assert "total 30 · conversation 30" in screen_text(app)  # the other take not counted

        # The question above it: the long branch. What fills the view comes at once, in order.
        await pilot.press("up")
        assert isinstance(picked(app), UserMessage)
        await pilot.press("left_square_bracket")
        await wait_for(lambda: len(path_ids(app)) == 2 + 2 * LONG)
        question = picked(app)
        assert isinstance(question, UserMessage) and question.text == "long 0"
        shown = shown_ids(app)
        assert shown == path_ids(app)[: len(shown)] and len(shown) >= 3
        await screen.branches.settle()
        await pilot.pause()
        assert shown_ids(app) == path_ids(app)  # whole, in order
        assert picked(app) is question
        assert "‹ 1/2 › long 0" in screen_text(app)

        # And back to the short one, then on: what is sent is the branch shown.
        await pilot.press("right_square_bracket")
        await wait_for(lambda: len(path_ids(app)) == 4)
        await screen.branches.settle()
        await pilot.pause()
        assert shown_ids(app) == path_ids(app)
        assert "short answer, second take" in screen_text(app)  # the newest, as the engine picks
        await pilot.press("escape", *"more", "enter")
        await reply_done(app)
        assert sent_users(demo_server) == ["start", "short", "more"]
        sent = demo_server.received[-1]["messages"]
        assert [m["content"] for m in sent if m["role"] == "assistant"] == [
            "a0",
            "short answer, second take",
        ]


async def test_the_footer_is_rebuilt_only_when_its_keys_change(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    with Store.open(tmp_path) as store:
        conv = long_and_short(store)
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await chat(app).open_conversation(conv)
        await pilot.press("ctrl+up", "up", "up")  # the reply a0
        await pilot.pause()
        on_a_reply = footer_keys(app)
        assert "Edit" not in screen_text(app)  # a reply cannot be edited
        chat(app).query(AssistantMessage).last().focus()  # the other reply: the same keys
        await wait_for(lambda: app.focused is chat(app).query(AssistantMessage).last())
        await pilot.pause()
        assert footer_keys(app) == on_a_reply
        await pilot.press("up")  # a question: `e` edits it
        await wait_for(lambda: "e Edit" in screen_text(app))
        assert footer_keys(app) != on_a_reply
        await pilot.press("escape")  # the prompt's keys
        await wait_for(lambda: "Fork" not in screen_text(app))


async def test_saved_replies_mount_a_reasoning_view_only_when_they_have_reasoning(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        store.add_user_message(conv, "one")
        store.add_message(conv, reply("plain"))
        store.add_user_message(conv, "two")
        thought = Reply(content="thought through", reasoning="first this, then that")
        thought.state = ReplyState.COMPLETE
        store.add_message(conv, StoredMessage.from_reply(thought))
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await chat(app).open_conversation(conv)
        await pilot.pause()
        plain, reasoned = chat(app).query(AssistantMessage)
        assert not plain.reasoning.is_mounted
        assert plain.reasoning not in list(plain.walk_children())
        assert reasoned.reasoning.is_mounted and reasoned.reasoning.collapsed
        assert "Reasoning · 21 chars" in screen_text(app)


def message(text: str) -> StoredMessage:
    return StoredMessage(role="user", content=text)


def test_filling_counts_the_messages_that_fill_the_view() -> None:
    short = [message("hi") for _ in range(10)]  # 4 rows each
    assert filling(short, 70, 18) == 5
    assert filling(short, 70, 200) == SHOWN_AT_ONCE  # never more
    long = [message("x" * 700)]  # 10 lines of 70 + 3
    assert filling(long + short, 70, 13) == 1
    assert filling(long + short, 70, 14) == 2
    lines = [message("a\n\nb\nc")]  # 4 lines, the empty one too
    assert filling(lines + short, 70, 8) == 2
    assert filling([], 70, 18) == 0
    assert filling(short, 1, 18) == 4  # one cell wide: "hi" takes 2 rows
    assert filling(short, -3, 1) == 1  # a tiny view: still at least one


def test_gc_holds_nest_and_the_last_release_unfreezes() -> None:
    assert gc.get_freeze_count() == 0
    first, second = object(), object()
    gc_hold.hold(first)
    assert gc.get_freeze_count() > 0
    gc_hold.hold(second)
    gc_hold.hold(second)  # taken twice: still one holder
    gc_hold.release(first)
    assert gc.get_freeze_count() > 0 and gc_hold.held()  # the other still holds
    gc_hold.release(second)
    assert gc.get_freeze_count() == 0 and not gc_hold.held()
    with gc_hold.holding(first):
        assert gc_hold.held()
    assert gc.get_freeze_count() == 0


async def test_a_switch_holds_full_collections_off_and_lets_go(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    with Store.open(tmp_path) as store:
        conv = long_and_short(store)
    app = tree_app(demo_server, tmp_path)
    frozen: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = chat(app)
        await screen.open_conversation(conv)
        show_from = screen.branches.show_from

        async def watched(*args: Any) -> None:
            frozen.append(gc.get_freeze_count())
            await show_from(*args)

        screen.branches.show_from = watched  # type: ignore[method-assign]
        await pilot.press("ctrl+up", "left_square_bracket")
        await wait_for(lambda: bool(frozen))
        await pilot.pause()
        assert frozen[0] > 1000  # the app's objects, frozen while the switch ran
        assert gc.get_freeze_count() == 0
