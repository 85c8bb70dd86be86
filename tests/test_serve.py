"""`tensorx-chat serve` in-process: the session command, the key's path, the checks, messages."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorx_tui.cli.serve as serve
from tensorx_tui.cli.main import build_parser, main
from tensorx_tui.settings import load_settings

NO_CONFIG = ["--config", os.devnull]
KEY = "sk-test-DO-NOT-SHOW-4d1e"


@pytest.fixture(autouse=True)
def no_tensorx_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TENSORX_"):
            monkeypatch.delenv(name)


class FakeServer:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.served = False

    def serve(self) -> None:
        self.served = True


@pytest.fixture
def fake_servers(monkeypatch: pytest.MonkeyPatch) -> list[FakeServer]:
    """`make_server` replaced: records what the real one would have been given."""
    made: list[FakeServer] = []

    def make(*args: Any, **kwargs: Any) -> FakeServer:
        made.append(FakeServer(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(serve, "make_server", make)
    return made


def _subparser(name: str) -> argparse.ArgumentParser:
    [action] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    parser: argparse.ArgumentParser = action.choices[name]
    return parser


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_a_session_runs_the_chat_command_with_every_chat_option() -> None:
    """Every option of `chat` but the key is accepted by `serve` and reaches the session's argv."""
    argv: list[str] = []
    for action in _subparser("chat")._actions:
        flag = max(action.option_strings, key=len, default="")
        if flag in ("", "--help", "--api-key"):
            continue
        argv += [flag] if action.nargs == 0 else [flag, f"value of {action.dest}"]
    served = _parse("serve", *argv)
    session = serve.app_argv(served)
    assert session[:4] == [sys.executable, "-m", "tensorx_tui", "chat"]
    as_chat = vars(_parse(*session[3:]))
    direct = vars(_parse("chat", *argv))
    assert {k: v for k, v in as_chat.items() if k != "run"} == {
        k: v for k, v in direct.items() if k != "run"
    }


def test_the_defaults_forward_nothing() -> None:
    assert serve.app_argv(_parse("serve"))[3:] == ["chat"]


@settings(deadline=None, max_examples=200)
@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1))
def test_any_text_reaches_the_session_intact(text: str) -> None:
    """The shell runs the command: quoting must keep `'; rm -rf ~; '` one argument."""
    args = _parse("serve", f"--system={text}", f"--theme={text}", f"--data-dir={text}")
    words = shlex.split(serve.app_command(args))
    assert words[0] == "exec"
    assert words[1:] == serve.app_argv(args)
    session = _parse(*words[4:])
    assert (session.system, session.theme, session.data_dir) == (text, text, text)


def test_the_key_never_enters_the_command_but_the_environment(tmp_path: Path) -> None:
    args = _parse("serve", "--api-key", KEY, *NO_CONFIG, "--base-url", "https://example.com/v1")
    settings_ = load_settings(vars(args))
    assert KEY not in serve.app_command(args)
    assert serve.session_environment(args, settings_, {}) == {"TENSORX_API_KEY": KEY}


def test_the_key_goes_under_the_variable_the_profile_reads(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.work]\nbase_url = "https://llm.example.com/v1"\napi_key_env = "WORK_KEY"\n'
    )
    args = _parse("serve", "--api-key", KEY, "--config", str(config), "--profile", "work")
    settings_ = load_settings(vars(args))
    extra = serve.session_environment(args, settings_, {"WORK_KEY": "an older key"})
    assert extra == {"WORK_KEY": KEY}


def test_a_key_the_sessions_could_not_read_is_refused(
    tmp_path: Path, fake_servers: list[FakeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    """A profile with its own base_url and no key source ignores every key variable."""
    config = tmp_path / "config.toml"
    config.write_text('[profiles.local]\nbase_url = "https://llm.example.com/v1"\n')
    status = main(["serve", "--api-key", KEY, "--config", str(config), "--profile", "local"])
    err = capsys.readouterr().err
    assert status == 2
    assert "api_key_env" in err and KEY not in err
    assert fake_servers == []


def test_the_demo_needs_no_key_in_the_sessions() -> None:
    args = _parse("serve", "--demo", "--api-key", KEY, *NO_CONFIG)
    assert serve.session_environment(args, load_settings(vars(args)), {}) == {}


def test_loopback_by_default(
    fake_servers: list[FakeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--demo", *NO_CONFIG]) == 0
    [made] = fake_servers
    command, host, port, extra_env = made.args
    assert (host, port, extra_env, made.kwargs) == ("127.0.0.1", 8000, {}, {"allow_remote": False})
    assert command.endswith(" chat --config=/dev/null --demo")
    assert made.served
    assert "warning" not in capsys.readouterr().err


def test_another_host_needs_allow_remote(
    fake_servers: list[FakeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--host", "0.0.0.0", *NO_CONFIG]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert fake_servers == []


def test_allow_remote_warns_about_the_key(
    fake_servers: list[FakeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--allow-remote", "--demo", *NO_CONFIG]) == 0
    assert fake_servers[0].kwargs == {"allow_remote": True}
    err = capsys.readouterr().err
    assert "anyone who can reach this port can chat using the API key" in err


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_out_of_range_is_a_usage_error(
    port: str, fake_servers: list[FakeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", port, *NO_CONFIG]) == 2
    assert "--port" in capsys.readouterr().err


def test_without_the_web_extra_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("textual_serve", "textual_serve.server", "textual_serve.app_service"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import textual_serve...` fail
    assert main(["serve", "--demo", *NO_CONFIG]) == 1
    err = capsys.readouterr().err
    assert "pip install 'tensorx-chat[web]'" in err
    assert "Traceback" not in err


LOOPBACK = 8000


@pytest.mark.parametrize(
    ("host", "origin", "allow_remote", "refused"),
    [
        ("127.0.0.1:8000", None, False, False),
        ("localhost:8000", "http://localhost:8000", False, False),
        ("[::1]:8000", "http://[::1]:8000", False, False),
        ("127.0.0.1:8000", "http://evil.example", False, True),  # a page of another site
        ("127.0.0.1:8000", "http://localhost:8000", False, True),  # another origin, same machine
        ("127.0.0.1:8000", "null", False, True),  # a sandboxed frame or a file:// page
        ("evil.example:8000", "http://evil.example:8000", False, True),  # DNS rebinding
        ("127.0.0.1:9999", None, False, True),
        ("127.0.0.1", None, False, True),  # port 80 is not ours
        ("127.0.0.1:x", None, False, True),
        ('127.0.0.1:8000"><script>', None, True, True),  # the Host goes into the page
        ("chat.example:8000", "http://chat.example:8000", True, False),
        ("chat.example:8000", "http://evil.example", True, True),
    ],
)
def test_request_checks(host: str, origin: str | None, allow_remote: bool, refused: bool) -> None:
    problem = serve.request_problem(host, origin, LOOPBACK, allow_remote=allow_remote)
    assert (problem is not None) == refused


def test_logged_tracebacks_show_no_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    """textual-serve's own logging prints locals: the environment of an app that failed to start
    would carry the key into the log. Ours must not; theirs is checked to show the test can fail."""
    pytest.importorskip("textual_serve", reason="needs the web extra")
    from textual_serve.server import Server

    server = serve.make_server("true", "127.0.0.1", LOOPBACK, {}, allow_remote=False)
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def fail_with_the_key_in_a_local() -> None:
        environment = {"TENSORX_API_KEY": KEY}
        raise RuntimeError(f"cannot start: {len(environment)} variables")

    def logged_by(initialize: Any) -> str:
        root.handlers.clear()  # textual-serve's basicConfig does nothing if a handler exists
        initialize(server)
        try:
            fail_with_the_key_in_a_local()
        except RuntimeError as exc:
            logging.getLogger("textual-serve").exception(exc)
        return capsys.readouterr().out

    try:
        ours = logged_by(type(server).initialize_logging)
        theirs = logged_by(Server.initialize_logging)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    assert "cannot start: 1 variables" in ours
    assert KEY not in ours
    assert KEY in theirs


def test_help_lists_serve(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--allow-remote" in out and "--port" in out
