"""Render benchmark: streaming replies from the demo server into the real message widgets, headless.

    python bench/bench_ui.py            # full run (several minutes: the naive baseline is slow)
    python bench/bench_ui.py --quick    # shorter budgets, fewer tokens

The demo server runs in a subprocess so its CPU is not counted in ours. "Ours" is the real
`ChatApp` under `run_test`: a prompt is typed and sent with Enter, and its screen's reply worker
streams through the real `Endpoint` (HTTP + SSE + accumulator) into `ConversationView` /
`AssistantMessage`. The baselines (and the no-coalescing run) use a bare app with the same client
and worker pattern.

(a) `demo-long` at full speed: our total time, beside the naive pattern (`Markdown.update` of the
    whole text per chunk, as Textual's `mother.py` does) and Textual's `MarkdownStream`. Baselines
    get a time budget; when one runs out, it is compared on the prefix it reached (ours timed to the
    same token), which understates our lead: the naive cost grows with the square of the length.
    Also: time for the first and the last 1,000 tokens, each counted until they were rendered; and
    the same without any coalescing (render and paint after every 50 tokens), where flatness shows.
(b) `demo-long` at 2,000 tokens/s: time until the UI finished vs time the server took to send.
(c) 100 tokens/s with 100 earlier messages: CPU (process time / wall time) over a window of the
    stream, beside the same conversation built from plainly mounted Markdown widgets with the reply
    streamed through `Markdown.get_stream` (Textual's documented way).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import VerticalScroll  # noqa: E402
from textual.widgets import Markdown  # noqa: E402
from textual.worker import WorkerCancelled  # noqa: E402

from tensorx_tui.core.endpoint import Endpoint  # noqa: E402
from tensorx_tui.core.events import ContentDelta, StreamEvent  # noqa: E402
from tensorx_tui.core.reply import Reply, ReplyState  # noqa: E402
from tensorx_tui.core.request import ChatRequest  # noqa: E402
from tensorx_tui.core.sanitize import safe_terminal_text as safe_text  # noqa: E402
from tensorx_tui.settings import Settings  # noqa: E402
from tensorx_tui.ui.app import ChatApp  # noqa: E402
from tensorx_tui.ui.conversation import ConversationView  # noqa: E402
from tensorx_tui.ui.transcript import AssistantMessage  # noqa: E402

SIZE = (100, 40)
_SERVER = """
import sys, time
from tensorx_tui.demo.server import DemoServer
srv = DemoServer(host="127.0.0.1", port=0, speed=float(sys.argv[1])).start()
print(srv.base_url, flush=True)
sys.stdin.read()
srv.stop()
"""

EARLIER_REPLY = (
    "Here is a short answer with **bold**, `inline code` and a [link](https://example.com).\n\n"
    "- first point, briefly\n- second point\n- third point\n\n"
    "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\n\n"
    "That should be all you need; ask again if anything is unclear.\n"
)


class DemoServerProcess:
    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> DemoServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(self.speed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(max_tokens: int | None) -> ChatRequest:
    return ChatRequest(
        model="demo-long",
        messages=[{"role": "user", "content": "the long document please"}],
        max_tokens=max_tokens,
    )


@dataclass
class Run:
    tokens: int = 0  # content deltas received
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (time, cumulative chars)
    renders: list[tuple[float, int]] = field(default_factory=list)  # (time, chars rendered)
    started: float = 0.0
    first_token: float | None = None
    stream_end: float = 0.0
    finished: float = 0.0
    cpu: float = 0.0
    wall: float = 0.0
    stopped_early: bool = False

    def rendered_at(self, token: int) -> float:
        """When the token with this 1-based index was on screen."""
        chars = self.arrivals[token - 1][1]
        return next(t for t, n in self.renders if n >= chars)

    def time_to(self, token: int) -> float:
        return self.rendered_at(token) - self.started


class BenchApp(App[None]):
    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="plain")
        yield ConversationView()


async def in_worker(app: App[None], job: Callable[[], Awaitable[None]]) -> None:
    worker = app.run_worker(job, group="reply", exclusive=True, exit_on_error=False)
    await worker.wait()


async def earlier_messages_ours(conv: ConversationView, count: int) -> None:
    for i in range(count // 2):
        await conv.add_user(f"Question number {i}: how do I add two numbers?")
        reply = Reply(
            content=EARLIER_REPLY,
            finish_reason="stop",
            state=ReplyState.COMPLETE,
            usage={"prompt_tokens": 20, "completion_tokens": 60, "total_tokens": 80},
        )
        await conv.add_finished_assistant(reply)


async def stream_ours(
    base_url: str,
    *,
    max_tokens: int | None,
    earlier: int = 0,
    window: float | None = None,
    render_every: int | None = None,
) -> Run:
    """Stream into our widgets. `render_every=N`: render and paint after every N tokens and wait
    for it (no coalescing at all), to see the cost of each token as the reply grows."""
    gc.collect()  # garbage of an earlier run must not be collected during this one
    run = Run()
    app = BenchApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#plain").display = False
        conv = app.query_one(ConversationView)
        await earlier_messages_ours(conv, earlier)
        await pilot.pause()
        msg = await conv.add_assistant("demo-long")
        original = msg._render_pending

        async def timed_render(*, final: bool) -> None:
            await original(final=final)
            run.renders.append((time.perf_counter(), msg.body.rendered_length))

        msg._render_pending = timed_render  # type: ignore[method-assign]

        async def job() -> None:
            chars = 0
            async with httpx.AsyncClient(timeout=None) as http:
                client = Endpoint(http, base_url=base_url, api_key=None)
                run.started = time.perf_counter()
                c0 = time.process_time()
                async with client.stream(request(max_tokens)) as stream:
                    async for event in stream:
                        msg.apply(event)
                        if isinstance(event, ContentDelta):
                            now = time.perf_counter()
                            if run.first_token is None:
                                run.first_token = now
                                c0 = time.process_time()
                            chars += len(safe_text(event.text))
                            run.tokens += 1
                            run.arrivals.append((now, chars))
                            if render_every and run.tokens % render_every == 0:
                                await msg.flush_now()
                                await pilot.pause()
                            if window is not None and now - run.first_token >= window:
                                run.cpu = time.process_time() - c0
                                run.wall = now - run.first_token
                                run.stopped_early = True
                                break
                run.stream_end = time.perf_counter()
                await conv.finish_assistant(msg, stream.reply)
                run.renders.append((time.perf_counter(), msg.body.rendered_length))
            await pilot.pause()
            run.finished = time.perf_counter()

        await in_worker(app, job)
    return run


async def stream_app(
    base_url: str, *, max_tokens: int | None, earlier: int = 0, window: float | None = None
) -> Run:
    """The real `ChatApp`, headless: type a prompt, press enter, let its reply worker stream."""
    gc.collect()  # garbage of an earlier run must not be collected during this one
    run = Run()
    settings = Settings(base_url=base_url, model="demo-long", max_tokens=max_tokens)
    app = ChatApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.chat
        assert screen is not None
        conv = screen.conversation
        await earlier_messages_ours(conv, earlier)
        await pilot.pause()
        captured: list[AssistantMessage] = []
        add_assistant = conv.add_assistant

        async def capture(model: str | None, *rest: Any) -> AssistantMessage:
            msg = await add_assistant(model, *rest)
            captured.append(msg)
            instrument(msg)
            return msg

        def instrument(msg: AssistantMessage) -> None:
            apply, render = msg.apply, msg._render_pending
            chars = 0
            c0 = 0.0

            def timed_apply(event: StreamEvent) -> None:
                nonlocal chars, c0
                apply(event)
                now = time.perf_counter()
                run.stream_end = now
                if not isinstance(event, ContentDelta) or run.stopped_early:
                    return
                if run.first_token is None:
                    run.first_token = now
                    c0 = time.process_time()
                chars += len(safe_text(event.text))
                run.tokens += 1
                run.arrivals.append((now, chars))
                if window is not None and now - run.first_token >= window:
                    run.cpu = time.process_time() - c0
                    run.wall = now - run.first_token
                    run.stopped_early = True
                    screen.workers.cancel_group(screen, "reply")  # what Esc does

            async def timed_render(*, final: bool) -> None:
                await render(final=final)
                run.renders.append((time.perf_counter(), msg.body.rendered_length))

            msg.apply = timed_apply  # type: ignore[method-assign]
            msg._render_pending = timed_render  # type: ignore[method-assign]

        conv.add_assistant = capture  # type: ignore[method-assign]
        screen.prompt.focus()
        screen.prompt.load_text("the long document please")
        run.started = time.perf_counter()
        await pilot.press("enter")
        with contextlib.suppress(WorkerCancelled):  # (c) stops the reply like Esc does
            await app.workers.wait_for_complete()
        run.renders.append((time.perf_counter(), captured[0].body.rendered_length))
        await pilot.pause()
        run.finished = time.perf_counter()
    return run


async def stream_baseline(
    base_url: str,
    *,
    mode: str,
    max_tokens: int | None,
    budget: float | None = None,
    earlier: int = 0,
    window: float | None = None,
) -> Run:
    """mode "naive": `await Markdown.update(whole text)` per chunk; "stream": `MarkdownStream`."""
    gc.collect()  # garbage of an earlier run must not be collected during this one
    run = Run()
    app = BenchApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(ConversationView).display = False
        plain = app.query_one("#plain", VerticalScroll)
        plain.anchor()
        for i in range(earlier // 2):
            await plain.mount(Markdown(f"Question number {i}: how do I add two numbers?"))
            await plain.mount(Markdown(EARLIER_REPLY))
        md = Markdown(open_links=False)
        await plain.mount(md)
        await pilot.pause()

        async def job() -> None:
            text = ""
            md_stream = Markdown.get_stream(md) if mode == "stream" else None
            async with httpx.AsyncClient(timeout=None) as http:
                client = Endpoint(http, base_url=base_url, api_key=None)
                run.started = time.perf_counter()
                c0 = time.process_time()
                async with client.stream(request(max_tokens)) as stream:
                    async for event in stream:
                        if not isinstance(event, ContentDelta):
                            continue
                        now = time.perf_counter()
                        if run.first_token is None:
                            run.first_token = now
                            c0 = time.process_time()
                        chunk = safe_text(event.text)
                        text += chunk
                        run.tokens += 1
                        run.arrivals.append((now, len(text)))
                        if md_stream is not None:
                            await md_stream.write(chunk)
                        else:
                            await md.update(text)
                            run.renders.append((time.perf_counter(), len(text)))
                        if window is not None and now - run.first_token >= window:
                            run.cpu = time.process_time() - c0
                            run.wall = now - run.first_token
                            run.stopped_early = True
                            break
                        if budget is not None and now - run.started >= budget:
                            run.stopped_early = True
                            break
                run.stream_end = time.perf_counter()
            if md_stream is not None:
                await md_stream.stop()
                run.renders.append((time.perf_counter(), len(text)))
            await pilot.pause()
            run.finished = time.perf_counter()

        await in_worker(app, job)
    return run


def line(label: str, value: str) -> None:
    print(f"  {label:<52} {value}")


async def bench_a(quick: bool) -> dict[str, Any]:
    budget = 20.0 if quick else 90.0
    max_tokens = 6000 if quick else None
    print(f"(a) demo-long at full speed (max_tokens={max_tokens}, baseline budget {budget:.0f} s)")
    with DemoServerProcess(speed=0) as srv:
        ours = await stream_app(srv.base_url, max_tokens=max_tokens)
        naive = await stream_baseline(
            srv.base_url, mode="naive", max_tokens=max_tokens, budget=budget
        )
        mstream = await stream_baseline(
            srv.base_url, mode="stream", max_tokens=max_tokens, budget=budget
        )
    n = ours.tokens
    ours_total = ours.finished - ours.started
    line("ours: tokens / total time (stream + final render)", f"{n} / {ours_total:.2f} s")
    line("ours: stream end -> UI finished", f"{ours.finished - ours.stream_end:.2f} s")
    assert ours.first_token is not None
    first = ours.rendered_at(min(1000, n)) - ours.first_token
    last = ours.rendered_at(n) - ours.rendered_at(max(1, n - 1000))
    line("ours: first 1,000 tokens rendered in", f"{first:.3f} s")
    line("ours: last 1,000 tokens rendered in", f"{last:.3f} s  (ratio {last / first:.2f})")
    result: dict[str, Any] = {"ours_total": ours_total, "first": first, "last": last}
    with DemoServerProcess(speed=0) as srv:
        forced = await stream_ours(srv.base_url, max_tokens=max_tokens, render_every=50)
    assert forced.first_token is not None
    # The last token rendered while streaming (a multiple of 50); closing the reply is shown apart.
    n = forced.tokens - forced.tokens % 50
    f_first = forced.rendered_at(1000) - forced.first_token
    f_last = forced.rendered_at(n) - forced.rendered_at(n - 1000)
    line("ours, no coalescing (render+paint every 50 tokens):", "")
    line("  first 1,000 tokens", f"{f_first:.2f} s")
    line("  last 1,000 tokens", f"{f_last:.2f} s  (ratio {f_last / f_first:.2f})")
    line("  closing the reply (finish + paint)", f"{forced.finished - forced.stream_end:.2f} s")
    n = ours.tokens
    for name, base in (("naive Markdown.update", naive), ("MarkdownStream", mstream)):
        base_total = base.finished - base.started
        if base.stopped_early:
            k = base.tokens
            ours_k = ours.time_to(k)
            line(f"{name}: stopped by budget at token", f"{k} of {n} after {base_total:.1f} s")
            line(
                f"ours to the same token {k}",
                f"{ours_k:.2f} s  ({base_total / ours_k:.0f}x faster)",
            )
            result[name] = base_total / ours_k
        else:
            line(
                f"{name}: total time", f"{base_total:.2f} s  ({base_total / ours_total:.1f}x ours)"
            )
            result[name] = base_total / ours_total
    return result


async def bench_b(quick: bool) -> None:
    max_tokens = 6000 if quick else None
    print(f"(b) demo-long at 2,000 tokens/s (max_tokens={max_tokens})")
    with DemoServerProcess(speed=2000) as srv:
        ours = await stream_app(srv.base_url, max_tokens=max_tokens)
    assert ours.first_token is not None
    send = ours.stream_end - ours.started
    ui = ours.finished - ours.started
    line("tokens", f"{ours.tokens}")
    line("server send time (request -> last byte received)", f"{send:.2f} s")
    line(
        "UI finished (request -> final render done)", f"{ui:.2f} s  (+{100 * (ui / send - 1):.1f}%)"
    )


async def bench_c(quick: bool) -> None:
    window = 8.0 if quick else 20.0
    print(f"(c) 100 tokens/s, 100 earlier messages, CPU over {window:.0f} s of streaming")
    with DemoServerProcess(speed=100) as srv:
        ours = await stream_app(srv.base_url, max_tokens=None, earlier=100, window=window)
        base = await stream_baseline(
            srv.base_url, mode="stream", max_tokens=None, earlier=100, window=window
        )
        empty = await stream_app(srv.base_url, max_tokens=None, earlier=0, window=window)
    line("ours, 100 earlier messages: CPU", f"{100 * ours.cpu / ours.wall:.0f}% of one core")
    line("ours, empty conversation: CPU", f"{100 * empty.cpu / empty.wall:.0f}% of one core")
    line(
        "plain Markdown widgets + MarkdownStream: CPU",
        f"{100 * base.cpu / base.wall:.0f}% of one core",
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="shorter budgets and replies")
    parser.add_argument("--only", choices=["a", "b", "c"], help="run one part")
    args = parser.parse_args()
    parts = {"a": bench_a, "b": bench_b, "c": bench_c}
    for name, part in parts.items():
        if args.only in (None, name):
            await part(args.quick)


if __name__ == "__main__":
    asyncio.run(main())
