"""`tensorx-chat ask` saves its conversation, and continues one with -c / --conversation."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import pytest

from tensorx_tui.chat.settings import TurnSettings, continued_settings
from tensorx_tui.cli.ask import flag_overrides, open_saved
from tensorx_tui.cli.main import main
from tensorx_tui.cli.shell import UsageError
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.settings import Settings
from tensorx_tui.store.conversations import Store
from tensorx_tui.store.db import DB_FILENAME, StoreError


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import tensorx_tui.demo.server as demo_server

    monkeypatch.setattr(demo_server, "DEFAULT_DEMO_SPEED", 0.0)  # no waiting for tokens
    directory = tmp_path / "data"
    monkeypatch.setenv("TENSORX_DATA_DIR", str(directory))
    monkeypatch.setenv("TENSORX_CONFIG", os.devnull)
    monkeypatch.delenv("TENSORX_MODEL", raising=False)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # nothing piped in
    return directory


def ask(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["ask", "--demo", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def saved(data_dir: Path) -> list[tuple[str, list[tuple[str, ReplyState, str]]]]:
    with Store.open(data_dir) as store:
        return [
            (
                s.id,
                [(m.role, m.state, m.content) for m in store.load_conversation(s.id).messages],
            )
            for s in store.list_conversations()
        ]


def test_ask_saves_the_exchange(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ask(capsys, "hello there")
    assert code == 0
    ((conv_id, messages),) = saved(data_dir)
    assert [(role, state) for role, state, _ in messages] == [
        ("user", ReplyState.COMPLETE),
        ("assistant", ReplyState.COMPLETE),
    ]
    assert messages[0][2] == "hello there"
    assert messages[1][2].strip() and messages[1][2].strip() in out.strip()
    with Store.open(data_dir) as store:
        meta = store.load_conversation(conv_id).meta
        assert meta.title == "hello there" and meta.model == "demo"
        reply = store.load_conversation(conv_id).messages[1]
        assert reply.usage and reply.finish_reason == "stop"


def test_continue_the_latest_and_a_named_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask(capsys, "first talk")[0] == 0
    assert ask(capsys, "second talk")[0] == 0
    first, second = (conv for conv, _ in reversed(saved(data_dir)))
    code, _, err = ask(capsys, "-c", "-v", "more on the second")
    assert code == 0 and f"saved as conversation {second}" in err
    code, _, _ = ask(capsys, "--conversation", first[:6], "more on the first")
    assert code == 0
    by_id = dict(saved(data_dir))
    assert [c for _, _, c in by_id[second] if c.startswith(("second", "more"))] == [
        "second talk",
        "more on the second",
    ]
    assert len(by_id[first]) == 4 and by_id[first][2][2] == "more on the first"
    assert len(by_id) == 2


def test_no_save(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ask(capsys, "--no-save", "nothing kept")[0] == 0
    assert saved(data_dir) == []
    assert ask(capsys, "kept")[0] == 0
    # Continuing without saving reads the history but writes nothing.
    assert ask(capsys, "-c", "--no-save", "not kept")[0] == 0
    ((_, messages),) = saved(data_dir)
    assert len(messages) == 2


def test_an_error_reply_is_saved_with_its_state(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = ask(capsys, "-m", "demo-fault-error-event", "break please")
    assert code == 1
    with Store.open(data_dir) as store:
        conv = store.load_conversation(store.latest_conversation_id() or "")
    reply = conv.messages[1]
    assert reply.state is ReplyState.ERROR
    assert reply.error is not None and "demo-fault-error-event" in reply.error.message
    assert reply.content  # the partial text before the error is kept


def test_nothing_to_continue_is_a_usage_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask(capsys, "-c", "hi") == (2, "", "tensorx-chat: no saved conversation to continue\n")
    code, _, err = ask(capsys, "--conversation", "abc", "hi")
    assert code == 2 and "no conversation 'abc'" in err
    code, _, err = ask(capsys, "-c", "--conversation", "abc", "hi")
    assert code == 2 and "not allowed with" in err


def namespace(**values: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "conversation": None,
        "continue_": False,
        "no_save": False,
        "model": None,
        "system": None,
        "temperature": None,
        "max_tokens": None,
    }
    return argparse.Namespace(**{**base, **values})


def test_continuing_keeps_the_conversations_settings(tmp_path: Path) -> None:
    settings = Settings(
        base_url="https://api.tensorx.ai/v1", model="default-model", data_dir=tmp_path
    )
    with Store.open(tmp_path) as store:
        conv = store.create_conversation(
            base_url="https://api.tensorx.ai/v1",
            model="kept-model",
            system="Be terse.",
            params={"temperature": 0.3, "max_tokens": 64},
        )
        store.add_user_message(conv, "q")
        store.add_reply(conv, Reply(content="a", state=ReplyState.COMPLETE))
    store_, conversation = open_saved(namespace(continue_=True), settings)
    assert store_ is not None and conversation is not None
    store_.close()
    assert conversation.to_openai_messages() == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
    ]
    defaults = TurnSettings("default-model")
    kept = continued_settings(conversation.meta, settings.base_url, defaults)
    assert (kept.model, kept.system, kept.temperature, kept.max_tokens) == (
        "kept-model",
        "Be terse.",
        0.3,
        64,
    )
    flags = flag_overrides(namespace(model="flag-model", system="Other"), settings)
    overridden = continued_settings(conversation.meta, settings.base_url, defaults, flags)
    assert (overridden.model, overridden.system, overridden.temperature) == (
        "default-model",  # the settings hold the flag's value
        "Other",
        0.3,
    )
    elsewhere = continued_settings(conversation.meta, "http://localhost:11434/v1", defaults)
    assert elsewhere.model == "default-model"


def test_a_broken_store_does_not_stop_an_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    settings = Settings(data_dir=blocker / "data")
    assert open_saved(namespace(), settings) == (None, None)
    assert "warning: the reply will not be saved" in capsys.readouterr().err
    with pytest.raises(UsageError):
        open_saved(namespace(continue_=True), settings)


def test_ask_killed_mid_stream_leaves_its_partial_reply(tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    from tensorx_tui.demo.server import DemoServer

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo), "TENSORX_CONFIG": os.devnull}
    env.pop("TENSORX_API_KEY", None)
    with DemoServer(port=0, speed=20) as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tensorx_tui",
                "ask",
                "--base-url",
                server.base_url,
                "-m",
                "demo-fault-slow",  # about 5 tokens a second
                "--data-dir",
                str(tmp_path),
                "tell me slowly",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        # Killed once a checkpoint holds some of the printed text (waited for, not timed: a
        # loaded machine starts the interpreter slowly).
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        printed_before = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _saved_reply_text(tmp_path).strip():
            printed_before += proc.stdout.read() or b""
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        printed, errors = proc.communicate(timeout=10)
        printed = printed_before + (printed or b"")
    assert proc.returncode == -signal.SIGKILL, errors.decode()
    with Store.open(tmp_path) as store:
        conv = store.load_conversation(store.latest_conversation_id() or "")
    user, reply = conv.messages
    assert user.content == "tell me slowly"
    assert reply.state is ReplyState.INTERRUPTED
    # What a checkpoint saved is kept, and it is what had been printed.
    assert reply.content.strip()
    assert printed.decode().startswith(reply.content)


def _saved_reply_text(data_dir: Path) -> str:
    """The text of the latest saved reply, "" while there is none (the db may not exist yet)."""
    if not (data_dir / DB_FILENAME).exists():
        return ""
    try:
        with Store.open(data_dir) as store:
            latest = store.latest_conversation_id()
            messages = store.load_conversation(latest).messages if latest else []
    except StoreError:
        return ""  # being created by the other process
    return messages[-1].content if len(messages) == 2 else ""
