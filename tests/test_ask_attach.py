"""`tensorx-chat ask -a PATH` as a real process against the demo server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from images import gif, png

from tensorx_tui.demo.server import DemoServer
from tensorx_tui.store.conversations import Store


def ask(
    server: DemoServer, data_dir: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENSORX_", "NO_COLOR"))}
    env["TENSORX_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "tensorx_tui", "ask", "--base-url", server.base_url]
    return subprocess.run(
        [*command, "--config", os.devnull, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_files_and_stdin_go_together(demo_server: DemoServer, tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_bytes(png(64, 48))
    (tmp_path / "anim.gif").write_bytes(gif(10, 20))
    (tmp_path / "notes.py").write_text("print(1)\n")
    result = ask(
        demo_server,
        tmp_path / "data",
        "-m",
        "demo",
        "-a",
        str(tmp_path / "shot.png"),
        "-a",
        str(tmp_path / "notes.py"),
        "-a",
        str(tmp_path / "anim.gif"),
        "explain this error",
        stdin="Traceback: boom\n",
    )
    assert result.returncode == 0, result.stderr
    assert "I received 3 attachments" in result.stdout
    assert "- a text file **notes.py**, 9 bytes" in result.stdout
    assert f"- image 1: PNG, 64×48 pixels, {len(png(64, 48)):,} bytes" in result.stdout
    assert "- image 2: GIF, 10×20 pixels" in result.stdout
    with Store.open(tmp_path / "data") as store:
        [summary] = store.list_conversations()
        [user, _] = store.load_conversation(summary.id).messages
    assert user.content == "explain this error\n\nTraceback: boom\n"
    assert [a.name for a in user.attachments] == ["shot.png", "notes.py", "anim.gif"]


def test_what_cannot_be_attached_is_refused_and_nothing_is_sent(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "blob").write_bytes(b"\x00\x01binary")
    (tmp_path / "cut.png").write_bytes(png(8, 8)[:20])
    (tmp_path / "big.txt").write_text("x" * 3_000_000)
    hostile = tmp_path / "\x1b[2J\x1b]0;pwned\x07.txt"
    cases = {
        str(tmp_path / "blob"): "a binary file",
        str(tmp_path / "cut.png"): "truncated",
        str(tmp_path / "big.txt"): "over the text file limit (1.0 MB)",
        str(tmp_path): "is a directory",
        str(hostile): "no such file",
    }
    data_dir = tmp_path / "data"
    for path, reason in cases.items():
        result = ask(demo_server, data_dir, "-a", str(tmp_path / "ok.txt"), "-a", path, "hi")
        assert result.returncode == 2
        assert reason in result.stderr and "nothing was sent" in result.stderr
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr
        assert result.stdout == ""
    assert not data_dir.exists() or not Store.open(data_dir).list_conversations()


def test_the_limits_come_from_the_config(demo_server: DemoServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("attach_text_max_mb = 0.001\n")
    (tmp_path / "two-kb.txt").write_text("x" * 2000)
    env_free = ask(
        demo_server, tmp_path / "data", "-m", "demo", "-a", str(tmp_path / "two-kb.txt"), "hi"
    )
    assert env_free.returncode == 0
    command = [sys.executable, "-m", "tensorx_tui", "ask", "--base-url", demo_server.base_url]
    result = subprocess.run(
        [
            *command,
            "--config",
            str(config),
            "-m",
            "demo",
            "--no-save",
            "-a",
            str(tmp_path / "two-kb.txt"),
            "x",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("TENSORX_")},
    )
    assert result.returncode == 2 and "over the text file limit (1.0 kB)" in result.stderr


def test_an_image_for_a_model_without_vision_warns(demo_server: DemoServer, tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_bytes(png(4, 4))
    blind = ask(
        demo_server,
        tmp_path / "d",
        "--no-save",
        "-m",
        "demo-reasoner",
        "-a",
        str(tmp_path / "shot.png"),
        "x",
    )
    assert blind.returncode == 0
    assert "demo-reasoner does not accept images" in blind.stderr
    seeing = ask(
        demo_server,
        tmp_path / "d",
        "--no-save",
        "-m",
        "demo",
        "-a",
        str(tmp_path / "shot.png"),
        "x",
    )
    assert seeing.returncode == 0 and "does not accept images" not in seeing.stderr
