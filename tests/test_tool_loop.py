"""The engine's tool loop against real MCP servers (the demo's; the tests' SDK server on stdio):
approval, denial, always-allow, concurrency, cancellation, the step limit, saving."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp_servers import stdio_config, wait_for_path, write_server
from recording import RecordingTransport
from scripted_model import ToolCallingModel

from tensorx_tui.chat import ChatEngine, TurnSettings
from tensorx_tui.chat.events import TurnStarted
from tensorx_tui.chat.offered_tools import OfferedTools, function_name
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.chat.tool_loop import (
    SWITCHED_OFF_RESULT,
    ApprovalRequest,
    Decision,
    LoopEvent,
    StepLimitReached,
    ToolCallsWaiting,
    ToolLoop,
    ToolRunFinished,
    ToolRunStarted,
)
from tensorx_tui.core.endpoint import Endpoint
from tensorx_tui.core.reply import ReplyState
from tensorx_tui.demo.mcp_server import demo_server_config
from tensorx_tui.demo.server import DemoServer
from tensorx_tui.store.conversations import Store
from tensorx_tui.tools import ApprovalPolicy, ServerConfig, ToolServers


class Approvals:
    """An approver that answers from a script and remembers what it was asked."""

    def __init__(self, *answers: Decision) -> None:
        self.answers = list(answers)
        self.asked: list[ApprovalRequest] = []

    async def __call__(self, request: ApprovalRequest) -> Decision:
        self.asked.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def make_engine(endpoint: Any, store: Store | None = None, base_url: str = "x") -> ChatEngine:
    return ChatEngine(
        endpoint,
        ConversationLog(store, on_error=lambda message: None),
        TurnSettings("demo"),
        profile=None,
        base_url=base_url,
    )


async def collect(loop: ToolLoop) -> list[LoopEvent]:
    return [event async for event in loop.run()]


@pytest.fixture
async def test_servers(tmp_path: Path) -> AsyncIterator[ToolServers]:
    script = write_server(tmp_path)
    async with ToolServers([stdio_config(script)]) as servers:
        await servers.wait_ready()
        yield servers


async def test_the_demo_loop_runs_the_weather_tool_and_answers_with_its_results(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    recorder = RecordingTransport()
    config = demo_server_config()
    async with (
        httpx.AsyncClient(transport=recorder) as http,
        ToolServers([config]) as servers,
    ):
        await servers.wait_ready()
        with Store.open(tmp_path) as store:
            endpoint = Endpoint(http, base_url=demo_server.base_url, api_key=None)
            engine = make_engine(endpoint, store, demo_server.base_url)
            engine.state.tools = servers.openai_tools()
            engine.add_user("What is the weather in Paris and Tokyo?")
            approvals = Approvals(Decision(True))
            loop = ToolLoop(engine, servers, ApprovalPolicy([config]), approvals)
            events = await collect(loop)

            asked = [(a.server, a.tool, a.arguments) for a in approvals.asked]
            assert asked == [
                ("demo", "weather", {"city": "Paris"}),
                ("demo", "weather", {"city": "Tokyo"}),
            ]
            started = [e for e in events if isinstance(e, ToolRunStarted)]
            assert len(started) == 2  # both approved, then run together
            # The second request carries both results; the answer quotes them.
            tool_messages = [m for m in recorder.bodies[1]["messages"] if m["role"] == "tool"]
            assert [json.loads(m["content"])["city"] for m in tool_messages] == ["Paris", "Tokyo"]
            final = engine.current_turn
            assert final is not None and final.reply.state is ReplyState.COMPLETE
            assert "18" in final.reply.content and "24" in final.reply.content
            assert len(loop.steps) == 1 and len(loop.steps[0].results) == 2
            # Saved with how each call ran.
            assert engine.conv_id is not None
            saved = store.load_conversation(engine.conv_id).messages
            assert [m.role for m in saved] == ["user", "assistant", "tool", "tool", "assistant"]
            meta = saved[2].tool_meta
            assert meta is not None
            assert (meta["server"], meta["tool"], meta["approval"]) == ("demo", "weather", "once")
            assert meta["is_error"] is False and meta["duration_s"] >= 0


async def test_a_denial_with_a_reason_is_sent_back_and_nothing_runs(
    test_servers: ToolServers,
) -> None:
    model = ToolCallingModel("t__echo", {"text": "hi"}, stop_after=1)
    engine = make_engine(model)
    engine.add_user("echo hi")
    approvals = Approvals(Decision.deny("not on a Friday"))
    loop = ToolLoop(engine, test_servers, ApprovalPolicy(server_t_configs()), approvals)
    events = await collect(loop)
    assert not any(isinstance(e, ToolRunStarted) for e in events)
    [finished] = [e for e in events if isinstance(e, ToolRunFinished)]
    assert finished.result.approval == "denied" and finished.result.is_error
    sent = model.requests[1].messages[-1]
    assert sent["role"] == "tool" and "not on a Friday" in sent["content"]
    assert "denied" in sent["content"]


async def test_a_tool_switched_off_is_not_run_even_when_the_model_calls_it(
    test_servers: ToolServers,
) -> None:
    # The model may call a tool it was not offered (from an earlier request, or made up).
    offered = OfferedTools(None, test_servers)
    offered.set_on("tool", "t__echo", False)
    assert all(function_name(t) != "t__echo" for t in offered())
    model = ToolCallingModel("t__echo", {"text": "hi"}, stop_after=1)
    engine = make_engine(model)
    engine.add_user("echo hi")
    approvals = Approvals(Decision(True))
    loop = ToolLoop(
        engine,
        test_servers,
        ApprovalPolicy(server_t_configs()),
        approvals,
        allows_call=offered.allows_call,
    )
    events = await collect(loop)
    assert approvals.asked == []  # not even asked about
    assert not any(isinstance(e, ToolRunStarted) for e in events)
    [finished] = [e for e in events if isinstance(e, ToolRunFinished)]
    assert finished.result.approval == "denied" and finished.result.is_error
    sent = model.requests[1].messages[-1]
    assert sent["role"] == "tool" and sent["content"] == SWITCHED_OFF_RESULT
    # A whole server switched off stops its tools the same way.
    offered.set_on("tool", "t__echo", True)
    offered.set_on("server", "t", False)
    assert not offered.allows_call("t", "t__echo")


def server_t_configs() -> list[ServerConfig]:
    return [ServerConfig(name="t", transport="stdio", command="unused")]


async def test_always_allow_asks_once_for_the_session(test_servers: ToolServers) -> None:
    model = ToolCallingModel("t__echo", {"text": "again"}, stop_after=3)
    engine = make_engine(model)
    engine.add_user("echo three times")
    approvals = Approvals(Decision(True, scope="session"))
    policy = ApprovalPolicy(server_t_configs())
    loop = ToolLoop(engine, test_servers, policy, approvals)
    await collect(loop)
    assert len(approvals.asked) == 1
    assert [r.approval for s in loop.steps for r in s.results] == ["session", "auto", "auto"]
    assert [r.content for s in loop.steps for r in s.results] == ["again"] * 3


async def test_the_step_limit_stops_the_loop_and_says_so(test_servers: ToolServers) -> None:
    model = ToolCallingModel("t__echo", {"text": "loop"})
    engine = make_engine(model)
    engine.add_user("never stop")
    config = ServerConfig(name="t", transport="stdio", command="x", allow=frozenset({"echo"}))
    loop = ToolLoop(engine, test_servers, ApprovalPolicy([config]), Approvals(Decision(False)))
    loop.step_limit = 2
    events = await collect(loop)
    assert isinstance(events[-1], StepLimitReached) and events[-1].limit == 2
    assert len(model.requests) == 3 and len(loop.steps) == 2
    # The last calls are answered (the conversation stays valid) with why they did not run.
    last = engine.state.messages[-1]
    assert last["role"] == "tool" and "step limit" in last["content"]
    assert engine.pending_tool_calls == []


async def test_cancelling_a_running_call_tells_the_model(
    test_servers: ToolServers, tmp_path: Path
) -> None:
    model = ToolCallingModel("t__slow", {"seconds": 3600}, stop_after=1)
    engine = make_engine(model)
    engine.add_user("take your time")
    config = ServerConfig(name="t", transport="stdio", command="x", allow=frozenset({"slow"}))
    loop = ToolLoop(engine, test_servers, ApprovalPolicy([config]), Approvals(Decision(False)))
    events: list[LoopEvent] = []
    async for event in loop.run():
        events.append(event)
        if isinstance(event, ToolRunStarted):
            assert loop.running
            assert loop.cancel_running() == 1
    [finished] = [e for e in events if isinstance(e, ToolRunFinished)]
    assert finished.result.approval == "cancelled" and finished.result.is_error
    assert "cancelled" in model.requests[1].messages[-1]["content"]
    assert not loop.running


async def test_calls_no_server_offers_are_left_for_the_driver(
    test_servers: ToolServers,
) -> None:
    model = ToolCallingModel("get_weather", {"city": "Oslo"})
    engine = make_engine(model)
    engine.add_user("weather?")
    loop = ToolLoop(engine, test_servers, None, Approvals(Decision(True)))
    events = await collect(loop)
    assert isinstance(events[-1], ToolCallsWaiting)
    assert [c.name for c in events[-1].calls] == ["get_weather"]
    assert [c.name for c in engine.pending_tool_calls] == ["get_weather"]
    assert len(model.requests) == 1


async def test_a_driver_that_stops_right_after_turn_started_leaves_a_cancelled_reply(
    tmp_path: Path,
) -> None:
    # The UI is cancelled while it draws the message for a turn (before the request left):
    # closing the loop there must save the turn as cancelled at once, not at garbage collection.
    model = ToolCallingModel("t__echo", {"text": "hi"})
    with Store.open(tmp_path) as store:
        engine = make_engine(model, store)
        engine.add_user("hello")
        loop = ToolLoop(engine, None, None, Approvals(Decision(True)))
        events = loop.run()
        assert isinstance(await anext(events), TurnStarted)
        await events.aclose()
        turn = engine.current_turn
        assert turn is not None and turn.finished
        assert turn.reply.state is ReplyState.CANCELLED
        assert model.requests == []  # nothing was sent
        assert engine.conv_id is not None
        saved = store.load_conversation(engine.conv_id).messages
        assert [(m.role, m.state) for m in saved][-1] == ("assistant", ReplyState.CANCELLED)


async def test_a_driver_that_stops_mid_round_cancels_the_running_calls_at_once(
    test_servers: ToolServers, tmp_path: Path
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    model = ToolCallingModel("t__wait_for_cancel", {"folder": str(folder)})
    engine = make_engine(model)
    engine.add_user("wait")
    config = ServerConfig(
        name="t", transport="stdio", command="x", allow=frozenset({"wait_for_cancel"})
    )
    loop = ToolLoop(engine, test_servers, ApprovalPolicy([config]), Approvals(Decision(True)))
    events = loop.run()
    async for event in events:
        if isinstance(event, ToolRunStarted):
            break
    await wait_for_path(folder / "started")
    assert loop.running
    await events.aclose()
    assert not loop.running  # cancelled by the close, not left to the garbage collector
    await wait_for_path(folder / "cancelled")  # and the server was told
