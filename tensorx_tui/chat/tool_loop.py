"""The tool loop: a reply's MCP tool calls are approved, run, and answered, and the conversation
goes on until the model answers without tools or the step limit stops it. Headless: the chat UI
and `ask` give it their own way to ask the user (`Approver`) and render what it reports.

    loop = ToolLoop(engine, servers, policy, approver, step_limit=25)
    async for event in loop.run():      # the engine's turn events, then Tool* events per round
        ...
    loop.cancel_running()               # Esc while tools run: each is cancelled, the model told

Calls to tools no MCP server offers (the `--tools FILE` definitions) are left pending for the
driver to answer by hand (`ToolCallsWaiting`), after this round's MCP calls have run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tensorx_tui.chat.engine import ChatEngine, TurnEvent
from tensorx_tui.core.reply import ToolCall

if TYPE_CHECKING:
    from tensorx_tui.tools import ApprovalPolicy, ToolServers

Approval = Literal["auto", "once", "session", "saved", "denied", "cancelled", "limit"]

CANCELLED_RESULT = "The user cancelled this tool call while it ran."
SWITCHED_OFF_RESULT = "Not run: the user switched this tool off for this conversation."
STEP_LIMIT_RESULT = "Not run: the tool step limit ({limit}) was reached; answer with what you have."


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    call: ToolCall
    server: str
    tool: str
    arguments: Any
    """The parsed arguments, or None when they are not valid JSON (then `arguments_error`)."""
    arguments_error: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the user said about one call."""

    allow: bool
    scope: Literal["once", "session", "saved"] = "once"
    reason: str = ""  # a denial's reason, sent back to the model

    @classmethod
    def deny(cls, reason: str = "") -> Decision:
        return cls(False, reason=reason)


Approver = Callable[[ApprovalRequest], Awaitable[Decision]]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """One answered call, as shown, sent back and saved."""

    call_id: str
    name: str  # the namespaced name the model used
    server: str
    tool: str
    content: str
    is_error: bool
    duration_s: float
    approval: Approval

    def meta(self) -> dict[str, Any]:
        """What the store keeps beside the content."""
        return {
            "server": self.server,
            "tool": self.tool,
            "is_error": self.is_error,
            "duration_s": round(self.duration_s, 3),
            "approval": self.approval,
        }

    def to_json(self) -> dict[str, Any]:
        """One entry of `ask --json`'s `steps[].results`."""
        return {
            "id": self.call_id,
            "name": self.name,
            "content": self.content,
            "is_error": self.is_error,
            "duration_s": round(self.duration_s, 3),
        }


@dataclass(frozen=True, slots=True)
class ToolRunStarted:
    call: ToolCall
    server: str
    tool: str
    started: float  # time.monotonic(), for an elapsed-time display


@dataclass(frozen=True, slots=True)
class ToolRunFinished:
    call: ToolCall
    result: ToolResult


@dataclass(frozen=True, slots=True)
class ToolStepDone:
    """One round trip ended: the calls of one reply and their results."""

    calls: list[ToolCall]
    results: list[ToolResult]


@dataclass(frozen=True, slots=True)
class StepLimitReached:
    limit: int


@dataclass(frozen=True, slots=True)
class ToolCallsWaiting:
    """Calls no MCP server offers: the driver answers them (by hand), or they are skipped."""

    calls: list[ToolCall]


ToolEvent = ToolRunStarted | ToolRunFinished | ToolStepDone | StepLimitReached | ToolCallsWaiting
LoopEvent = TurnEvent | ToolEvent


@dataclass
class ToolLoop:
    engine: ChatEngine
    servers: ToolServers | None
    policy: ApprovalPolicy | None
    approver: Approver
    step_limit: int = 25
    config_path: Path | None = None
    on_persist_error: Callable[[str], None] | None = None
    allows_call: Callable[[str, str], bool] | None = None
    """(server, namespaced name) -> whether the user lets it run (`OfferedTools.allows_call`)."""
    steps: list[ToolStepDone] = field(default_factory=list)
    _running: dict[str, asyncio.Task[ToolResult]] = field(default_factory=dict)
    _cancelled: set[str] = field(default_factory=set)

    async def run(self, *, answer_pending_first: bool = False) -> AsyncGenerator[LoopEvent, None]:
        """Turns and tool rounds until a reply needs nothing more (or the limit, or a call only
        the driver can answer)."""
        engine = self.engine
        if not answer_pending_first:
            async with aclosing(self._turn()) as turn_events:
                async for event in turn_events:
                    yield event
        while True:
            # Only a complete reply's calls wait for results (a cut one's may be half-written).
            calls = engine.pending_tool_calls
            if not calls:
                return
            ours = [c for c in calls if self._resolve(c) is not None]
            manual = [c for c in calls if self._resolve(c) is None]
            if not ours:
                yield ToolCallsWaiting(manual)
                return
            if len(self.steps) >= self.step_limit:
                for call in ours:
                    text = STEP_LIMIT_RESULT.format(limit=self.step_limit)
                    self._answer(call, self._not_run(call, text))
                yield StepLimitReached(self.step_limit)
                if manual:
                    yield ToolCallsWaiting(manual)
                return
            results: list[ToolResult] = []
            # aclosing: a driver that stops mid-round (its task cancelled while it drew an
            # event) ends the round's calls and the turn now, not whenever the generator is
            # collected.
            async with aclosing(self._round(ours)) as round_events:
                async for event in round_events:
                    if isinstance(event, ToolRunFinished):
                        results.append(event.result)
                    yield event
            step = ToolStepDone(ours, results)
            self.steps.append(step)
            yield step
            if manual:
                yield ToolCallsWaiting(manual)
                return
            async with aclosing(self._turn()) as turn_events:
                async for event in turn_events:
                    yield event

    async def _turn(self) -> AsyncGenerator[LoopEvent, None]:
        async with self.engine.turn() as turn:
            async for event in turn:
                yield event

    def _resolve(self, call: ToolCall) -> tuple[str, str] | None:
        return self.servers.resolve(call.name) if self.servers is not None else None

    def cancel_running(self) -> int:
        """Cancel every running call (the MCP request is cancelled); returns how many."""
        for call_id, task in self._running.items():
            if not task.done():
                self._cancelled.add(call_id)
                task.cancel()
        return len(self._cancelled)

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._running.values())

    async def _round(self, calls: list[ToolCall]) -> AsyncGenerator[ToolEvent, None]:
        """Ask about each call that needs it (one at a time), then run the approved ones
        concurrently; results are reported as they come."""
        approved: list[tuple[ToolCall, str, str, Approval]] = []
        for call in calls:
            server, tool = self._resolve(call) or ("", call.name)
            if self.allows_call is not None and not self.allows_call(server, call.name):
                result = self._not_run(call, SWITCHED_OFF_RESULT, "denied")
                self._answer(call, result)
                yield ToolRunFinished(call, result)
                continue
            decision = await self._decide(call, server, tool)
            if decision is None:
                approved.append((call, server, tool, "auto"))
            elif decision.allow:
                approved.append((call, server, tool, decision.scope))
            else:
                why = f": {decision.reason}" if decision.reason.strip() else ""
                result = self._not_run(call, f"The user denied this tool call{why}.", "denied")
                self._answer(call, result)
                yield ToolRunFinished(call, result)
        if not approved:
            return
        done: asyncio.Queue[tuple[ToolCall, ToolResult]] = asyncio.Queue()
        self._running.clear()
        self._cancelled.clear()
        try:
            for call, server, tool, approval in approved:
                started = time.monotonic()
                task = asyncio.create_task(self._call(call, server, tool, approval))
                task.add_done_callback(self._reporter(done, call, started))
                self._running[call.id or call.name] = task
                yield ToolRunStarted(call, server, tool, started)
            for _ in approved:
                call, result = await done.get()
                self._answer(call, result)
                yield ToolRunFinished(call, result)
        finally:
            # The driver went away (the worker was cancelled): no call keeps running.
            for task in self._running.values():
                task.cancel()
            self._running.clear()

    async def _decide(self, call: ToolCall, server: str, tool: str) -> Decision | None:
        """None: allowed without asking."""
        if self.policy is not None and not self.policy.needs_approval(server, tool):
            return None
        arguments, problem = call.parsed_arguments()
        decision = await self.approver(ApprovalRequest(call, server, tool, arguments, problem))
        if decision.allow and self.policy is not None:
            if decision.scope == "session":
                self.policy.allow_for_session(server, tool)
            elif decision.scope == "saved":
                self._persist(server, tool)
        return decision

    def _persist(self, server: str, tool: str) -> None:
        assert self.policy is not None
        if self.config_path is None:
            self.policy.allow_for_session(server, tool)
            return
        try:
            self.policy.allow_always(server, tool, self.config_path)
        except Exception as exc:  # ConfigEditError and OSError: the call still runs
            self.policy.allow_for_session(server, tool)
            if self.on_persist_error is not None:
                self.on_persist_error(str(exc))

    async def _call(self, call: ToolCall, server: str, tool: str, approval: Approval) -> ToolResult:
        assert self.servers is not None
        arguments, problem = call.parsed_arguments()
        if problem is not None:
            return self._not_run(
                call, f"Not run: the arguments are not valid JSON ({problem}).", approval, True
            )
        outcome = await self.servers.call(call.name, arguments if arguments is not None else {})
        return ToolResult(
            call.id or "",
            call.name,
            server,
            tool,
            outcome.content,
            outcome.is_error,
            outcome.duration_s,
            approval,
        )

    def _reporter(
        self,
        done: asyncio.Queue[tuple[ToolCall, ToolResult]],
        call: ToolCall,
        started: float,
    ) -> Callable[[asyncio.Task[ToolResult]], None]:
        def report(task: asyncio.Task[ToolResult]) -> None:
            done.put_nowait((call, self._outcome(call, task, started)))

        return report

    def _outcome(
        self, call: ToolCall, task: asyncio.Task[ToolResult], started: float
    ) -> ToolResult:
        if task.cancelled():
            server, tool = self._resolve(call) or ("", call.name)
            elapsed = time.monotonic() - started
            return ToolResult(
                call.id or "", call.name, server, tool, CANCELLED_RESULT, True, elapsed, "cancelled"
            )
        error = task.exception()
        if error is not None:  # a bug of ours: the model is told, the loop goes on
            return self._not_run(call, f"The tool call failed: {error!r}", "once", True)
        return task.result()

    def _not_run(
        self, call: ToolCall, text: str, approval: Approval = "limit", is_error: bool = True
    ) -> ToolResult:
        server, tool = self._resolve(call) or ("", call.name)
        return ToolResult(call.id or "", call.name, server, tool, text, is_error, 0.0, approval)

    def _answer(self, call: ToolCall, result: ToolResult) -> None:
        if any(pending is call for pending in self.engine.pending_tool_calls):
            self.engine.add_tool_result(call, result.content, result.meta())
