"""`ask` runs the tool loop: the demo's MCP server, approval flags, no terminal to ask on."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from tensorx_tui.chat.tool_loop import ApprovalRequest
from tensorx_tui.cli.ask_tools import TerminalApprover
from tensorx_tui.core.reply import ToolCall

ROOT = Path(__file__).resolve().parent.parent


def ask(*argv: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TENSORX_CONFIG": os.devnull}
    env.pop("TENSORX_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "tensorx_tui", "ask", "--demo", "--data-dir", str(data_dir), *argv],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal: nobody can be asked
        timeout=120,
    )


def test_allowed_tools_run_and_json_lists_the_steps(tmp_path: Path) -> None:
    done = ask("--allow-all-tools", "--json", "what is 2*(3+4)?", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    [step] = data["steps"]
    assert [c["name"] for c in step["tool_calls"]] == ["demo__calculate"]
    [result] = step["results"]
    assert result["content"] == "14" and result["is_error"] is False
    assert set(result) == {"id", "name", "content", "is_error", "duration_s"}
    assert "14" in data["content"] and data["state"] == "complete"


def test_only_the_final_answer_goes_to_stdout_and_calls_to_stderr(tmp_path: Path) -> None:
    done = ask("--allow-tool", "weather", "weather in Paris and Tokyo?", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Tokyo is the warmer one" in done.stdout
    assert "tool demo/weather" not in done.stdout
    assert done.stderr.count("tool demo/weather") == 2 and "→ ok" in done.stderr


def test_without_a_terminal_unapproved_calls_are_denied_and_the_model_told(
    tmp_path: Path,
) -> None:
    done = ask("what is the weather in Paris?", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no terminal to ask on" in done.stderr and "--allow-tool" in done.stderr
    assert "denied" in done.stdout  # the demo model quotes the result it was given


class FakeTty(io.StringIO):
    """A terminal that answers `reply` and remembers the question."""

    asked: ClassVar[list[str]] = []
    reply = "y\n"

    def __init__(self) -> None:
        super().__init__(type(self).reply)

    def write(self, text: str) -> int:
        type(self).asked.append(text)
        return len(text)

    def __enter__(self) -> FakeTty:
        return self


def request(
    name: str = "weather", arguments: str = '{"city": "Paris\\u001b[2J"}'
) -> ApprovalRequest:
    call = ToolCall("c1", f"demo__{name}", arguments)
    parsed, problem = call.parsed_arguments()
    return ApprovalRequest(call, "demo", "weather", parsed, problem)


@pytest.mark.parametrize(
    ("reply", "allow", "scope"),
    [
        ("y\n", True, "once"),
        ("always\n", True, "session"),
        ("n\n", False, "once"),
        ("\n", False, "once"),
    ],
)
async def test_the_terminal_answer_decides(reply: str, allow: bool, scope: str) -> None:
    FakeTty.reply, FakeTty.asked = reply, []
    approver = TerminalApprover(io.StringIO(), open_tty=FakeTty)
    decision = await approver(request())
    assert (decision.allow, decision.scope) == (allow, scope)
    [question] = FakeTty.asked
    assert "demo/weather" in question and "\x1b" not in question  # arguments are neutralised


async def test_flags_allow_without_asking() -> None:
    FakeTty.asked = []
    for names in (["weather"], ["demo.weather"], ["demo__weather"]):
        approver = TerminalApprover(io.StringIO(), allow=names, open_tty=FakeTty)
        assert (await approver(request())).allow
    assert (
        await TerminalApprover(io.StringIO(), allow_all=True, open_tty=FakeTty)(request())
    ).allow
    assert FakeTty.asked == []
