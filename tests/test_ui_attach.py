"""Attaching in the chat UI, with real keys at 80x24 against the demo server on 127.0.0.1: the
picker, `@path`, pasted image paths, chips, the vision question, and a reopened conversation."""

from __future__ import annotations

from pathlib import Path

from images import png
from textual import events
from textual.message import Message
from ui_app_support import chat, client_factory, demo_app, reply_done, screen_text, wait_for

from tensorx_tui.core.attachments import attachment_from_bytes
from tensorx_tui.core.reply import Reply
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.ui.app import ChatApp
from tensorx_tui.ui.attachment_chips import AttachmentChip, AttachmentChips
from tensorx_tui.ui.modals.attach import AttachModal
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.transcript import UserMessage

SMALL = (80, 24)
PNG = png(64, 48)
CHIP = f"+ shot.png · PNG 64×48 · {len(PNG)} B"


def files(tmp_path: Path) -> Path:
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "notes.py").write_text("print(1)\n")
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2")
    return tmp_path


def work_in(app: ChatApp, directory: Path) -> None:
    screen = chat(app)
    screen.attaching.cwd = screen.prompt.cwd = directory


async def confirm_ready(app: ChatApp) -> None:
    """The question is up and its Cancel button has the focus (keys now go to it)."""
    await wait_for(
        lambda: isinstance(app.screen, ConfirmModal) and getattr(app.focused, "id", None) == "no"
    )


def chips(app: ChatApp) -> list[str]:
    return [a.name for a in chat(app).query_one(AttachmentChips).attachments]


def last_reply(app: ChatApp) -> str:
    reply = chat(app).last_reply
    assert reply is not None
    return reply.content


async def test_the_picker_completes_a_path_and_the_message_carries_the_file(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SMALL) as pilot:
        work_in(app, files(tmp_path))
        await pilot.press("alt+a")
        await wait_for(lambda: isinstance(app.screen, AttachModal))
        await pilot.press("s", "h", "tab", "enter")
        await wait_for(lambda: chips(app) == ["shot.png"])
        await wait_for(lambda: CHIP in screen_text(app))
        await pilot.press(*"what is this", "enter")
        await reply_done(app)
        assert f"image 1: PNG, 64×48 pixels, {len(PNG)} bytes" in last_reply(app)
        [sent] = chat(app).query(UserMessage)
        assert [a.name for a in sent.attachments] == ["shot.png"]
        assert chips(app) == []  # sent: the row is empty again
        # Now shown on the sent message.
        await wait_for(lambda: CHIP in screen_text(app))


async def test_the_picker_says_why_a_file_cannot_be_attached(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SMALL) as pilot:
        work_in(app, files(tmp_path))
        await pilot.press("alt+a")
        await wait_for(lambda: isinstance(app.screen, AttachModal))
        await pilot.press(*"blob.bin", "enter")
        await wait_for(lambda: "blob.bin: a binary file" in screen_text(app))
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, AttachModal))
        assert chips(app) == []


async def test_at_path_completes_as_you_type_and_tab_makes_it_a_chip(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SMALL) as pilot:
        work_in(app, files(tmp_path))
        await pilot.press(*"explain @no")
        await wait_for(lambda: "tab: notes.py" in screen_text(app))
        await pilot.press("tab")
        await wait_for(lambda: chips(app) == ["notes.py"])
        assert chat(app).prompt.text == "explain notes.py"
        await pilot.press(*" and @shot.png to @someone", "enter")  # resolved at send too
        await reply_done(app)
        content = last_reply(app)
        assert "a text file **notes.py**, 9 bytes" in content and "image 1: PNG" in content
        message = chat(app).state.messages[0]
        assert message["content"] == "explain notes.py and shot.png to @someone"
        assert [a.name for a in message["attachments"]] == ["notes.py", "shot.png"]


async def test_a_chip_is_removed_with_delete(demo_server: DemoServer, tmp_path: Path) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SMALL) as pilot:
        work_in(app, files(tmp_path))
        await pilot.press(*"@notes.py", "tab")
        await wait_for(lambda: chips(app) == ["notes.py"])
        await pilot.press("shift+tab")
        await wait_for(lambda: isinstance(app.focused, AttachmentChip))
        await pilot.press("delete")
        await wait_for(lambda: chips(app) == [])
        assert app.focused is chat(app).prompt


async def test_a_pasted_image_path_is_offered_as_an_attachment(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = demo_app(demo_server)
    async with app.run_test(size=SMALL) as pilot:
        work_in(app, files(tmp_path))
        prompt = chat(app).prompt
        prompt.post_message(events.Paste(f"'{tmp_path / 'shot.png'}'"))
        await confirm_ready(app)
        await pilot.press("left", "enter")  # the focus moves from Cancel to the action
        await wait_for(lambda: chips(app) == ["shot.png"])
        assert prompt.text == ""
        # Declined: the path is pasted as text. Text that is no image path is just pasted.
        prompt.post_message(events.Paste(str(tmp_path / "shot.png")))
        await confirm_ready(app)
        await pilot.press("enter")  # the focus starts on "Paste the path"
        await wait_for(lambda: prompt.text == str(tmp_path / "shot.png"))
        prompt.post_message(events.Paste(" notes.py"))
        await wait_for(lambda: prompt.text.endswith(" notes.py"))
        assert chips(app) == ["shot.png"]


async def test_an_image_for_a_model_without_vision_asks_first(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = demo_app(demo_server, model="demo-reasoner")
    seen: list[Message] = []
    async with app.run_test(size=SMALL, message_hook=seen.append) as pilot:
        work_in(app, files(tmp_path))
        await wait_for(lambda: chat(app).facts.info("demo-reasoner") is not None)
        await pilot.press(*"@shot.png", "tab", *" see?", "enter")
        await wait_for(lambda: "demo-reasoner does not accept images" in screen_text(app))
        await pilot.press("escape")  # not sent: the prompt and the chip stay
        await wait_for(lambda: not isinstance(app.screen, ConfirmModal))
        assert chat(app).state.messages == [] and chips(app) == ["shot.png"]
        assert chat(app).prompt.text == "shot.png see?"
        await pilot.press("enter")
        await confirm_ready(app)
        await pilot.press("left", "enter")  # the focus moves from Cancel to the action
        await reply_done(app)
        assert [a.name for a in chat(app).state.messages[0]["attachments"]] == ["shot.png"]


async def test_a_reopened_conversation_shows_its_attachments(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(model="demo")
        store.add_user_message(conv, "look", [attachment_from_bytes("shot.png", PNG)])
        store.add_reply(conv, Reply(content="seen", model="demo"))
    settings = Settings(base_url=demo_server.base_url, model="demo", demo=True, data_dir=tmp_path)
    app = ChatApp(settings, client_factory=client_factory(), open_store=Store.open)
    async with app.run_test(size=SMALL) as pilot:
        await chat(app).open_conversation(conv)
        await wait_for(lambda: CHIP in screen_text(app))
        await pilot.press(*"and now?", "enter")
        await reply_done(app)
        # Sent again: the demo's reply to the second question still counts the first one's image.
        assert chat(app).state.messages[0]["attachments"][0].data == PNG
