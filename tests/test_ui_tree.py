"""The conversation tree in the chat UI, at 80x24, with real keys against the demo server (which
reports the requests it received): regenerate keeps the old reply and `‹ 2/2 ›` flips back to
it; `e` edits an earlier question into a new branch; `f` forks; a search hit opens its branch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message
from ui_app_support import chat, client_factory, notes, reply_done, screen_text, wait_for

from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.records import StoredMessage
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.transcript import AssistantMessage, UserMessage

SMALL = (80, 24)


def tree_app(server: DemoServer, data_dir: Path) -> ChatApp:
    config = Settings(base_url=server.base_url, model="demo", demo=True, data_dir=data_dir)
    return ChatApp(config, client_factory=client_factory(), open_store=Store.open)


def sent_users(server: DemoServer) -> list[str]:
    """The user messages of the last request the demo server received."""
    body: dict[str, Any] = server.received[-1]
    return [m["content"] for m in body["messages"] if m["role"] == "user"]


def replies(app: ChatApp) -> list[AssistantMessage]:
    return list(chat(app).query(AssistantMessage))


def questions(app: ChatApp) -> list[UserMessage]:
    return list(chat(app).query(UserMessage))


async def ask(pilot: Any, app: ChatApp, text: str) -> None:
    await pilot.press(*text, "enter")
    await reply_done(app)


async def test_regenerate_keeps_the_old_reply_and_the_keys_flip_between_them(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await ask(pilot, app, "hello")
        first_text = replies(app)[-1].reply_text
        await pilot.press("ctrl+r")
        await reply_done(app)
        assert len(replies(app)) == 1
        assert replies(app)[-1].position == (2, 2)
        await wait_for(lambda: "‹ 2/2 ›" in screen_text(app))

        await pilot.press("ctrl+up")  # picks the last message: the reply
        assert app.focused is replies(app)[-1]
        assert "Fork" in screen_text(app)  # its keys are in the footer
        await pilot.press("left_square_bracket")
        await wait_for(lambda: replies(app) and replies(app)[-1].position == (1, 2))
        assert replies(app)[-1].reply_text == first_text
        assert "‹ 1/2 ›" in screen_text(app)
        await pilot.press("left_square_bracket")  # nothing before the first
        assert replies(app)[-1].position == (1, 2)

        # The next question continues the branch shown, and only it is sent.
        await pilot.press("escape")
        assert app.focused is chat(app).prompt
        await ask(pilot, app, "next")
        assert sent_users(demo_server) == ["hello", "next"]
        body = demo_server.received[-1]
        assert [m["content"] for m in body["messages"] if m["role"] == "assistant"] == [first_text]
    with Store.open(tmp_path) as store:
        (summary,) = store.list_conversations()
        saved = store.load_conversation(summary.id)
        assert [m.role for m in saved.messages] == [
            "user",
            "assistant",
            "assistant",
            "user",
            "assistant",
        ]


async def test_an_earlier_question_edited_with_e_starts_a_new_branch(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        for text in ("one", "two", "three"):
            await ask(pilot, app, text)
        await pilot.press("ctrl+up", "up", "up", "up")  # reply 3, question 3, reply 2, question 2
        assert app.focused is questions(app)[1]
        await pilot.press("e")
        prompt = chat(app).prompt
        assert app.focused is prompt and prompt.text == "two"
        assert "editing a message" in str(prompt.border_title)
        await pilot.press("ctrl+a", "ctrl+k")  # emptied to retype: still an edit
        assert prompt.editing_last
        await ask(pilot, app, "TWO")
        assert sent_users(demo_server) == ["one", "TWO"]
        assert [q.text for q in questions(app)] == ["one", "TWO"]
        assert questions(app)[1].position == (2, 2)
        await wait_for(lambda: "‹ 2/2 › TWO" in screen_text(app))

        # Flip back: the old branch comes back whole, below the question.
        await pilot.press("ctrl+up", "up")
        assert app.focused is questions(app)[1]
        await pilot.press("left_square_bracket")
        await wait_for(lambda: [q.text for q in questions(app)] == ["one", "two", "three"])
        assert len(replies(app)) == 3
        assert app.focused is questions(app)[1]
        await pilot.press("right_square_bracket")
        await wait_for(lambda: [q.text for q in questions(app)] == ["one", "TWO"])

        # esc gives up an edit picked with e.
        await pilot.press("e", "escape")
        assert not prompt.editing_last and prompt.text == ""


async def test_typing_on_a_picked_message_goes_to_the_prompt(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await ask(pilot, app, "hello")
        await pilot.press("ctrl+up", "up")
        assert app.focused is questions(app)[0]
        await pilot.press(*"so I wonder")  # no f (fork), no e (edit) fired on the way
        assert app.focused is chat(app).prompt
        assert chat(app).prompt.text == "so I wonder"
    with Store.open(tmp_path) as store:
        assert store.count_conversations() == 1


async def test_f_forks_the_branch_into_a_new_conversation(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = tree_app(demo_server, tmp_path)
    seen: list[Message] = []
    async with app.run_test(size=SMALL, message_hook=seen.append) as pilot:
        await ask(pilot, app, "one")
        await ask(pilot, app, "two")
        first_conv = chat(app).engine.conv_id
        await pilot.press("ctrl+up", "up", "up")  # the first reply
        assert app.focused is replies(app)[0]
        await pilot.press("f")
        await wait_for(lambda: chat(app).engine.conv_id not in (None, first_conv))
        assert [q.text for q in questions(app)] == ["one"]
        assert len(replies(app)) == 1
        assert any(n.startswith("Forked into a new conversation") for n in notes(seen))
        await ask(pilot, app, "three")
        assert sent_users(demo_server) == ["one", "three"]
    with Store.open(tmp_path) as store:
        assert store.count_conversations() == 2
        assert first_conv is not None
        assert len(store.load_conversation(first_conv).messages) == 4  # untouched


async def test_a_search_hit_opens_on_its_branch(demo_server: DemoServer, tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        question = store.add_user_message(conv, "name an animal")
        store.add_message(conv, reply("the platypus"))
        store.add_message(conv, reply("a cat"), parent=question)  # the active branch
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+b", *"platypus")
        await wait_for(lambda: chat(app).sidebar.highlighted_id == conv)
        await pilot.press("enter")
        await wait_for(lambda: bool(replies(app)))
        assert replies(app)[-1].reply_text == "the platypus"
        assert replies(app)[-1].position == (1, 2)
        assert [m["content"] for m in chat(app).state.messages] == [
            "name an animal",
            "the platypus",
        ]
    with Store.open(tmp_path) as store:
        path = store.load_conversation(conv).path()
        assert [m.content for m in path] == ["name an animal", "the platypus"]


def reply(text: str) -> StoredMessage:
    return StoredMessage.from_reply(Reply(content=text, state=ReplyState.COMPLETE, model="demo"))


async def test_a_long_branch_is_shown_whole_after_a_switch(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        store.add_user_message(conv, "start")
        first = store.add_message(conv, reply("a0"))
        for n in range(15):  # the long branch: 30 messages after the question
            store.add_user_message(conv, f"long {n}")
            store.add_message(conv, reply(f"long answer {n}"))
        store.add_user_message(conv, "short", parent=first)  # the active one
        store.add_message(conv, reply("short answer"))
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+b", "enter")
        await wait_for(lambda: [q.text for q in questions(app)] == ["start", "short"])
        await pilot.press("ctrl+b", "ctrl+up", "up")
        assert app.focused is questions(app)[1]
        await pilot.press("left_square_bracket")
        await chat(app).branches.settle()
        assert [q.text for q in questions(app)] == ["start"] + [f"long {n}" for n in range(15)]
        assert [r.reply_text for r in replies(app)][-1] == "long answer 14"
        # Every shown message knows its saved message: the view is the branch, in order.
        shown = [getattr(w, "message_id", None) for w in chat(app).branches.message_widgets()]
        assert shown == [m.id for m in chat(app).engine.path()]
        await ask(pilot, app, "more")
        assert sent_users(demo_server)[-2:] == ["long 14", "more"]


async def test_keys_typed_fast_after_e_are_text_not_commands(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    # A terminal can deliver a burst of keys before the focus has moved to the prompt: e, f, [
    # and ] that reach the message while its edit is open are letters of the new question.
    app = tree_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await ask(pilot, app, "hello")
        await pilot.press("ctrl+up", "up", "e")
        screen = chat(app)
        screen.prompt.clear()
        questions(app)[0].focus()  # as if the burst came before the focus moved
        await pilot.press(*"fee[]")
        assert screen.prompt.text == "fee[]"
        assert screen.prompt.editing_last and screen.engine.conv_id is not None
    with Store.open(tmp_path) as store:
        assert store.count_conversations() == 1  # no fork
