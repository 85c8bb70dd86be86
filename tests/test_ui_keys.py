"""Keys never eat input or delete by accident: the sidebar list, early keys, leaving a reply.

Real keys at 80x24 against the demo server on 127.0.0.1. `type_at_once` posts keys the way a fast
typist or `tmux send-keys` delivers them: all queued before the app has handled the first one.
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Button
from ui_app_support import (
    chat,
    client_factory,
    demo_app,
    reply_done,
    screen_text,
    wait_for,
)

from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.modals.rename import RenameModal
from tensorx_tui.ui.sidebar import ConversationList, ConversationSidebar, FilterInput
from tensorx_tui.ui.transcript import AssistantMessage

SMALL = (80, 24)
_NAMED = {"enter": "\r", "space": " "}


def type_at_once(app: ChatApp, *keys: str) -> None:
    """Queue `keys` in the app all at once (as a terminal delivers a burst), without waiting."""
    for key in keys:
        char = key if len(key) == 1 else _NAMED.get(key)
        app.post_message(events.Key("space" if key == " " else key, char))


def saving_app(server: DemoServer, data_dir: Path, model: str = "demo") -> ChatApp:
    settings = Settings(base_url=server.base_url, model=model, demo=True, data_dir=data_dir)
    return ChatApp(settings, client_factory=client_factory(), open_store=Store.open)


def seed(data_dir: Path, question: str, answer: str = "ok") -> str:
    with Store.open(data_dir) as store:
        conv = store.create_conversation(model="demo")
        store.add_user_message(conv, question)
        store.add_reply(conv, Reply(content=answer, state=ReplyState.COMPLETE, model="demo"))
        return conv


def saved_ids(data_dir: Path) -> set[str]:
    with Store.open(data_dir) as store:
        return {s.id for s in store.list_conversations()}


def sidebar(app: ChatApp) -> ConversationSidebar:
    return chat(app).sidebar


def dialogs(app: ChatApp) -> int:
    return sum(isinstance(s, ConfirmModal | RenameModal) for s in app.screen_stack)


# -- 1. the sidebar list -------------------------------------------------------------------------


async def test_a_word_typed_in_the_list_refines_the_filter_and_runs_no_command(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    first = seed(tmp_path, "static typing in python")
    second = seed(tmp_path, "dynamic programming, rarely")
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+b", "down")
        assert isinstance(app.focused, ConversationList)
        # "dynamic" has a d then a y (they deleted), "rarely" three r's (three Rename dialogs).
        type_at_once(app, *"dynamic rarely")
        await wait_for(lambda: "1 matching" in screen_text(app))
        assert dialogs(app) == 0
        assert sidebar(app).filter_input.value == "dynamic rarely"
        assert isinstance(app.focused, FilterInput)
        assert sidebar(app).highlighted_id == second
        await pilot.press("backspace", "down", "backspace")  # backspace in the list edits too
        assert sidebar(app).filter_input.value == "dynamic rare"
    assert saved_ids(tmp_path) == {first, second}


async def test_up_on_the_first_row_returns_to_the_filter(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    seed(tmp_path, "one")
    seed(tmp_path, "two")
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+b", "down", "down")
        listing = sidebar(app).option_list
        assert app.focused is listing and listing.highlighted == 1
        await pilot.press("up")
        assert app.focused is listing and listing.highlighted == 0
        await pilot.press("up")
        assert isinstance(app.focused, FilterInput)


async def test_f2_renames_and_a_second_f2_opens_no_second_dialog(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    conv = seed(tmp_path, "old title")
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+b", "down")
        type_at_once(app, "f2", "f2", "f2")
        await wait_for(lambda: isinstance(app.screen, RenameModal))
        await pilot.pause()
        assert dialogs(app) == 1
        await pilot.press("ctrl+u", *"new title", "enter")
        await wait_for(lambda: "new title" in screen_text(app))
        assert dialogs(app) == 0
        await pilot.press("f2")  # the dialog is closed: F2 works again
        await wait_for(lambda: isinstance(app.screen, RenameModal))
        await pilot.press("escape")
    with Store.open(tmp_path) as store:
        assert store.get_summary(conv).title == "new title"


async def test_delete_asks_with_cancel_focused_and_only_enter_on_delete_deletes(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    keep = seed(tmp_path, "keep me")
    doomed = seed(tmp_path, "delete me")
    app = saving_app(demo_server, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+b", "down")
        assert sidebar(app).highlighted_id == doomed
        # The Delete key, then a word with a "y" and an Enter typed on by habit: nothing goes.
        type_at_once(app, "delete", "delete", *"yes", "enter")
        await wait_for(lambda: dialogs(app) == 0 and app.focused is not None)
        await pilot.pause()
        assert saved_ids(tmp_path) == {keep, doomed}
        await pilot.press("delete")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        focused = app.focused
        assert isinstance(focused, Button) and str(focused.label) == "Cancel"
        assert "delete me" in screen_text(app)
        await pilot.press(*"yn")  # letters do nothing in the dialog
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("left")
        focused = app.focused
        assert isinstance(focused, Button) and str(focused.label) == "Delete"
        await pilot.press("enter")
        await wait_for(lambda: saved_ids(tmp_path) == {keep})
        assert not isinstance(app.screen, ConfirmModal)


# -- 2. keys typed before the first frame --------------------------------------------------------


async def test_keys_typed_before_the_first_frame_land_in_the_prompt(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server)
    # Queued before the app runs, as the terminal driver delivers keys typed during start-up.
    type_at_once(app, *"hello there", "enter")
    async with app.run_test(size=SMALL) as pilot:
        screen = chat(app)
        await wait_for(lambda: screen.busy or screen.state.messages)
        await reply_done(app)
        await pilot.pause()
        assert screen.sidebar.filter_input.value == ""
        assert [m["content"] for m in screen.state.messages if m["role"] == "user"] == [
            "hello there"
        ]
        assert app.focused is screen.prompt


async def test_an_enter_typed_before_raw_mode_still_sends(demo_server: DemoServer) -> None:
    """Before Textual puts the terminal in raw mode, the tty turns Enter (CR) into LF, which
    reads as ctrl+j (a newline): typed during start-up, it sends; afterwards it is a newline."""
    app = demo_app(demo_server)
    type_at_once(app, *"hi", "ctrl+j")
    async with app.run_test(size=SMALL) as pilot:
        screen = chat(app)
        await wait_for(lambda: screen.busy or screen.state.messages)
        await reply_done(app)
        assert [m["content"] for m in screen.state.messages if m["role"] == "user"] == ["hi"]
        assert screen.prompt.text == ""
        await pilot.press(*"a", "ctrl+j", "b")
        assert screen.prompt.text == "a\nb"


async def test_a_newline_typed_in_a_burst_stays_in_its_place(demo_server: DemoServer) -> None:
    """Seen in tmux: "aaa" ctrl+j "bbb" sent at once gave "aaabbb\n"."""
    app = demo_app(demo_server)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        type_at_once(app, *"aaa", "ctrl+j", *"bbb", "ctrl+j", *"ccc")
        await wait_for(lambda: chat(app).prompt.text.endswith("ccc"))
        await pilot.pause()
        assert chat(app).prompt.text == "aaa\nbbb\nccc"


async def test_keys_pressed_at_once_after_start_land_in_the_prompt(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*"hi")  # no pause before: the first thing the test does
        assert chat(app).prompt.text == "hi"
        assert chat(app).sidebar.filter_input.value == ""


# -- 4. leaving a streaming reply asks first -----------------------------------------------------


async def test_ctrl_n_while_streaming_asks_and_cancel_keeps_the_reply_going(
    demo_server: DemoServer,
) -> None:
    app = demo_app(demo_server, model="demo-fault-slow")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*"story", "enter")
        await wait_for(lambda: chat(app).streaming)
        type_at_once(app, "ctrl+n", "ctrl+n")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.pause()
        assert dialogs(app) == 1
        assert "still streaming" in screen_text(app)
        await pilot.press("enter")  # Cancel has the focus
        await pilot.pause()
        screen = chat(app)
        assert screen.streaming and not screen.state.is_empty
        await pilot.press("ctrl+n")
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("left", "enter")
        await wait_for(lambda: not screen.busy)
        assert screen.state.is_empty and not app.screen.query(AssistantMessage)


async def test_opening_another_conversation_while_streaming_asks_first(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    other = seed(tmp_path, "an older chat")
    app = saving_app(demo_server, tmp_path, model="demo-fault-slow")
    messages: list[Message] = []
    async with app.run_test(size=SMALL, message_hook=messages.append) as pilot:
        await pilot.press(*"story", "enter")
        screen = chat(app)
        await wait_for(lambda: screen.streaming and screen.saving.conv_id is not None)
        current = screen.saving.conv_id
        await pilot.press("ctrl+b")
        await wait_for(lambda: sidebar(app).option_list.option_count == 2)
        await pilot.press("down", "down", "enter")  # the older one
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("escape")
        await pilot.pause()
        assert screen.saving.conv_id == current and screen.streaming
        await pilot.press("enter")  # still highlighted in the list
        await wait_for(lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("left", "enter")
        await wait_for(lambda: screen.saving.conv_id == other and not screen.busy)
        assert "an older chat" in screen_text(app)
    with Store.open(tmp_path) as store:
        assert current is not None
        assert store.load_conversation(current).messages[-1].state == ReplyState.CANCELLED
    assert not [m for m in messages if isinstance(m, Notify) and m.notification.severity == "error"]
