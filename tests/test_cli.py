"""The entry point in-process: parsing, the default command, dispatch, the no-traceback guard."""

from __future__ import annotations

import io
import os
import socket
import sys
import types
from typing import Any
from urllib.parse import urlsplit

import pytest

import tensorx_tui.cli.main as cli
import tensorx_tui.cli.models
from tensorx_tui.cli.main import build_parser, main
from tensorx_tui.settings import Settings

NO_CONFIG = ["--config", os.devnull]


@pytest.fixture(autouse=True)
def no_tensorx_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TENSORX_"):
            monkeypatch.delenv(name)


opened: list[str | None] = []  # the `conversation` each fake run_chat was given


@pytest.fixture
def fake_ui(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """A stand-in `tensorx_tui.ui.app` recording the settings `run_chat` gets."""
    seen: list[Settings] = []

    def run_chat(settings: Settings, *, conversation: str | None = None) -> int:
        seen.append(settings)
        opened.append(conversation)
        return 0

    module = types.ModuleType("tensorx_tui.ui.app")
    module.run_chat = run_chat  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tensorx_tui.ui.app", module)
    return seen


def test_help_exits_0_and_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("chat", "ask", "models", "serve-demo"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("tensorx-chat 0.")


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_no_command_means_chat(fake_ui: list[Settings]) -> None:
    assert main([*NO_CONFIG, "--model", "m1", "--system", "be brief"]) == 0
    [settings] = fake_ui
    assert (settings.model, settings.system, settings.demo) == ("m1", "be brief", False)
    assert main([]) == 0  # no key needed to open the UI
    assert fake_ui[1].api_key is None


def test_demo_runs_a_loopback_server_for_the_session(fake_ui: list[Settings]) -> None:
    assert main(["--demo", *NO_CONFIG]) == 0
    [settings] = fake_ui
    assert settings.demo and settings.api_key is None and settings.model == "demo"
    url = urlsplit(settings.base_url)
    assert url.hostname == "127.0.0.1" and settings.base_url.endswith("/v1")
    assert url.port is not None
    with pytest.raises(OSError), socket.create_connection((url.hostname, url.port), timeout=2):
        pass  # stopped once the chat returned
    assert main(["chat", "--demo", "-m", "demo-reasoner", *NO_CONFIG]) == 0
    assert fake_ui[1].model == "demo-reasoner"


def test_chat_without_ui_module_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(name: str) -> Any:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(cli.importlib, "import_module", missing)
    assert main(["chat", *NO_CONFIG]) == 1
    assert "the UI is not available yet" in capsys.readouterr().err


def test_serve_demo_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    import tensorx_tui.demo.server as server

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(server, "run_serve_demo", lambda *a: calls.append(a) or 0)
    assert main(["serve-demo"]) == 0
    assert (
        main(["serve-demo", "--host", "0.0.0.0", "--port", "0", "--speed", "0", "--allow-remote"])
        == 0
    )
    assert calls == [
        ("127.0.0.1", 8765, server.DEFAULT_DEMO_SPEED, False),
        ("0.0.0.0", 0, 0.0, True),
    ]


def test_unexpected_error_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: Any) -> int:
        raise RuntimeError("disk on fire\x1b[2J")

    monkeypatch.setattr(tensorx_tui.cli.models, "run_models", boom)
    assert main(["models", *NO_CONFIG, "--base-url", "http://127.0.0.1:9/v1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "unexpected error: RuntimeError: disk on fire␛[2J" in err
    assert "TENSORX_DEBUG=1" in err
    monkeypatch.setenv("TENSORX_DEBUG", "1")
    assert main(["models", *NO_CONFIG, "--base-url", "http://127.0.0.1:9/v1"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_keyboard_interrupt_anywhere_is_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(tensorx_tui.cli.models, "run_models", interrupted)
    assert main(["models", *NO_CONFIG, "--base-url", "http://127.0.0.1:9/v1"]) == 130


def test_settings_error_is_exit_2(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("temperature = 'hot'")
    assert main(["models", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tensorx-chat: ") and "`temperature` must be a number" in err


def test_config_warnings_are_printed(
    tmp_path: Any, fake_ui: list[Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('modle = "x"')
    assert main(["--config", str(config)]) == 0
    assert "warning:" in capsys.readouterr().err


def test_ask_options_parse() -> None:
    args = build_parser().parse_args(
        ["ask", "hi", "-m", "x", "-s", "sys", "-t", "0.5", "--max-tokens", "9", "--json",
         "--no-save", "-u", "--profile", "p", "--api-key", "k", "--base-url", "u"]
    )  # fmt: skip
    assert (args.prompt, args.model, args.system, args.temperature) == ("hi", "x", "sys", 0.5)
    assert (args.max_tokens, args.json, args.no_save, args.usage) == (9, True, True, True)
    assert (args.profile, args.api_key, args.base_url) == ("p", "k", "u")


def test_every_subcommand_registered_by_its_own_function() -> None:
    names = [f.__name__ for f in cli.SUBCOMMANDS]
    assert names[:4] == ["add_chat_parser", "add_ask_parser", "add_models_parser",
                         "add_serve_demo_parser"]  # fmt: skip
    assert all(n.startswith("add_") and n.endswith("_parser") for n in names)


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["-t", "7"], "temperature must be between 0 and 2"),
        (["-t", "-0.1"], "temperature must be between 0 and 2"),
        (["-t", "nan"], "temperature must be between 0 and 2"),
        (["-t", "warm"], "temperature must be a number, not 'warm'"),
        (["--max-tokens", "0"], "max_tokens must be at least 1"),
        (["--max-tokens", "1.5"], "max_tokens must be a whole number, not '1.5'"),
    ],
)
def test_ask_refuses_parameters_the_ui_refuses(
    flags: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same rule and words as the UI's parameters dialog (core/params.py); nothing is sent.
    assert main(["ask", *NO_CONFIG, "--base-url", "http://127.0.0.1:9/v1", *flags, "hi"]) == 2
    assert needle in capsys.readouterr().err


class _Terminal(io.StringIO):
    buffer = io.BytesIO()

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://127.0.0.1:99999/v1", "port 99999 is out of range (1-65535)"),
        ("http://127.0.0.1:0/v1", "port 0 is out of range"),
        ("http://127.0.0.1:http/v1", "is not a number"),
        ("ftp://127.0.0.1/v1", "must start with http:// or https://"),
        ("127.0.0.1:8080/v1", "must start with http:// or https://"),
    ],
)
def test_a_bad_base_url_is_refused_when_settings_load(
    url: str, needle: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal())  # `ask` reads a piped stdin first
    for command in ("ask", "models"):
        argv = [command, *NO_CONFIG, "--base-url", url] + (["hi"] if command == "ask" else [])
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert needle in err and "the command line" in err
        assert "ExceptionGroup" not in err and "unexpected error" not in err


def test_a_bad_base_url_names_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TENSORX_BASE_URL", "http://user:pw-secret@127.0.0.1:70000/v1?key=k-secret")
    assert main(["models", *NO_CONFIG]) == 2
    err = capsys.readouterr().err
    assert "TENSORX_BASE_URL" in err and "port 70000" in err
    assert "pw-secret" not in err and "k-secret" not in err


def test_chat_opens_a_saved_conversation_by_prefix_or_the_latest(
    fake_ui: list[Settings], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tensorx_tui.store.conversations import Store

    with Store.open(tmp_path) as store:
        first = store.create_conversation(model="demo")
        store.add_user_message(first, "hello")
        latest = store.create_conversation(model="demo")
        store.add_user_message(latest, "again")
    opened.clear()
    data = ["--data-dir", str(tmp_path), *NO_CONFIG]
    assert main(["chat", "--conversation", first[:8], *data]) == 0
    assert main(["chat", "-c", *data]) == 0
    assert opened == [first, latest]
    assert main(["chat", "--conversation", "zzzz", *data]) == 2
    assert "no conversation 'zzzz'" in capsys.readouterr().err
    assert main(["chat", "-c", "--data-dir", str(tmp_path / "empty"), *NO_CONFIG]) == 2
    assert "no saved conversation to continue" in capsys.readouterr().err
    assert len(fake_ui) == 2  # the UI never started for a wrong id
