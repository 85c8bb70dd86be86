"""Conversation tree benchmark: opening a branched conversation, and switching branch.

    python bench/bench_tree.py            # both parts
    python bench/bench_tree.py --quick    # fewer runs

(a) Opening a conversation of 10,000 messages spread over 100 branches, against a linear one of
    10,000 messages with the same texts: what opening costs without a screen, i.e. what the app
    and `ask -c` do before anything is drawn: `Store.load_conversation` (every message of every
    branch), `ChatEngine.open` (the tree, the active path, the history to send) and the `‹ n/m ›`
    positions of the messages the UI shows (the last 120). Median of several runs, as a ratio
    (target ≤ 1.5×).
(b) Switching branch in a conversation of 200 messages (two branches of 100 after a shared
    first message... see `switch_conversation`), in the real app under `run_test` at 80x24:
    a message at the branch point is picked and its key (`[` / `]`, posted as the terminal
    driver posts keys) shows the alternative. Timed from the key to the flip's return and to
    the next frame after it (the screen's layout signal, sent once the new frame is written),
    then to the end of a `pilot.pause()` (which waits on every widget and for the CPU to go
    idle: background work counts). Two places: the last reply (a regenerated reply, one message
    below) and the middle (about 100 below: what fills the view is mounted at once, the rest in
    the background; the time until that is done too). Also the headless part alone (the
    engine's flip, saved to the store), and what `pilot.pause()` costs with nothing to do.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tensorx_tui.chat.engine import ChatEngine  # noqa: E402
from tensorx_tui.chat.saving import ConversationLog  # noqa: E402
from tensorx_tui.chat.settings import TurnSettings  # noqa: E402
from tensorx_tui.core.reply import Reply, ReplyState  # noqa: E402
from tensorx_tui.store.conversations import Store  # noqa: E402
from tensorx_tui.store.records import Conversation, ConversationMeta, StoredMessage  # noqa: E402
from tensorx_tui.ui.saved_conversations import HISTORY_SHOWN  # noqa: E402

MESSAGES = 10_000
BRANCHES = 100
SEED = 11
WORDS = [
    "the",
    "a",
    "tree",
    "branch",
    "leaf",
    "root",
    "message",
    "reply",
    "question",
    "answer",
    "model",
    "token",
    "stream",
]


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def message(rng: random.Random, index: int, parent: int | None) -> StoredMessage:
    """A user message for an even `index`, else a reply."""
    if index % 2 == 0:
        return StoredMessage(role="user", content=text(rng, 12), id=index, parent_id=parent)
    reply = Reply(content=text(rng, 80), state=ReplyState.COMPLETE, model="m")
    reply.usage = {"prompt_tokens": 10, "completion_tokens": 80, "total_tokens": 90}
    stored = StoredMessage.from_reply(reply)
    stored.id, stored.parent_id = index, parent
    return stored


def conversation(messages: list[StoredMessage], active: int | None) -> Conversation:
    now = datetime.now(UTC)
    meta = ConversationMeta(id="", title="bench", created_at=now, updated_at=now, model="m")
    return Conversation(meta=meta, messages=messages, active_leaf=active)


def linear(count: int) -> Conversation:
    rng = random.Random(SEED)
    messages = [message(rng, i, i - 1 if i > 1 else None) for i in range(1, count + 1)]
    return conversation(messages, count)


def branched(count: int, branches: int) -> Conversation:
    """`branches` runs of count/branches messages, user and assistant in turn; each run after
    the first starts beside a user message of an earlier run (an edited question), so the tree
    is bushy and the active path (to the newest message) crosses several runs."""
    rng = random.Random(SEED)
    per = count // branches
    messages: list[StoredMessage] = []
    for run in range(branches):
        users = [m for m in messages if m.role == "user"]
        parent = rng.choice(users).parent_id if run else None
        for step in range(per):
            m = message(rng, step % 2, parent)
            m.id = len(messages) + 1
            messages.append(m)
            parent = m.id
    return conversation(messages, len(messages))


def median_time(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def open_cost(store: Store, conv_id: str) -> None:
    saved = store.load_conversation(conv_id)
    engine = ChatEngine(
        object(),  # type: ignore[arg-type]  (no request is made)
        ConversationLog(store, on_error=print),
        TurnSettings("m", None, None, None),
        profile=None,
        base_url="http://127.0.0.1:9/v1",
    )
    engine.open(saved)
    for shown in engine.path()[-HISTORY_SHOWN:]:
        assert shown.id is not None
        engine.tree.position(shown.id)


def bench_open(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "t.db") as store:
        line = store.import_conversation(linear(MESSAGES))
        tree = store.import_conversation(branched(MESSAGES, BRANCHES))
        saved = store.load_conversation(tree)
        path = saved.path()
        assert len(saved.messages) == MESSAGES
        leaves = sum(1 for m in saved.messages if not saved.tree().children(m.id))
        for conv_id in (line, tree):  # warm the OS cache and SQLite's
            open_cost(store, conv_id)
        t_line = median_time(lambda: open_cost(store, line), runs)
        t_tree = median_time(lambda: open_cost(store, tree), runs)
    print(f"(a) open, {MESSAGES:,} messages (median of {runs})")
    print(f"    linear:                      {t_line * 1000:7.1f} ms")
    print(
        f"    {BRANCHES} branches ({leaves} leaves, active path {len(path)}):"
        f" {t_tree * 1000:7.1f} ms  = {t_tree / t_line:.2f}x linear (target <= 1.5x)"
    )


def switch_conversation() -> Conversation:
    """200 messages: q1 a1, then two alternatives of q2, each followed by more messages (99
    and 98 more), the last reply regenerated once (two alternatives at the end)."""
    rng = random.Random(SEED)
    messages: list[StoredMessage] = []

    def add(kind: int, parent: int | None) -> int:
        m = message(rng, kind, parent)
        m.id = len(messages) + 1
        messages.append(m)
        return m.id

    add(1, add(0, None))  # q1 a1
    for length in (99, 98):
        parent: int | None = 2
        for step in range(length):
            parent = add(step % 2, parent)
    add(1, messages[-1].parent_id)  # the last reply, regenerated
    assert len(messages) == 200, len(messages)
    return conversation(messages, len(messages))


async def bench_switch(runs: int) -> None:
    from textual import events
    from textual.screen import Screen

    from tensorx_tui.demo.server import DemoServer
    from tensorx_tui.settings import Settings
    from tensorx_tui.ui.app import ChatApp

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        with Store.open(data) as store:
            conv_id = store.import_conversation(switch_conversation())
            saved = store.load_conversation(conv_id)
        tree = saved.tree()
        path = tree.path()
        branch_point = path[2].id  # the first message of the second branch
        assert branch_point is not None
        server = DemoServer(port=0, speed=0).start()
        try:
            settings = Settings(base_url=server.base_url, model="m", demo=True, data_dir=data)
            app = ChatApp(settings, open_store=Store.open)
            async with app.run_test(size=(80, 24)) as pilot:
                screen = app.chat
                assert screen is not None
                await screen.open_conversation(conv_id)
                await pilot.pause()
                frames: list[float] = []  # when each frame (a layout, then the screen) was done
                flipped: list[float] = []  # when the flip returned
                next_frame = asyncio.Event()

                def frame_done(_screen: Screen) -> None:
                    frames.append(time.perf_counter())
                    if flipped and frames[-1] > flipped[-1]:
                        next_frame.set()

                screen.screen_layout_refresh_signal.subscribe(app, frame_done, immediate=True)
                flip = screen.branches.flip

                async def timed_flip(step: int) -> None:
                    await flip(step)
                    flipped.append(time.perf_counter())

                screen.branches.flip = timed_flip  # type: ignore[method-assign]
                keys = {-1: ("left_square_bracket", "["), 1: ("right_square_bracket", "]")}
                figures: dict[str, dict[str, list[float]]] = {
                    where: {"frame": [], "returned": [], "paused": [], "whole": []}
                    for where in ("last reply", "middle")
                }

                async def flip_at(index: int, where: str) -> None:
                    """Pick the message at `index` of the shown branch; its key shows the
                    alternative. Timed from the key to the flip's return and to the frame
                    after it; then what `pilot.pause()` adds, and the rest of a long branch."""
                    await screen.branches.settle()
                    await pilot.pause()
                    place = screen.engine.path()[index]
                    assert place.id is not None
                    widget = screen.branches.widget_of(place.id)
                    assert widget is not None
                    widget.focus()
                    await pilot.pause()
                    step = 1 if tree.sibling(place.id, 1) else -1
                    flipped.clear()
                    next_frame.clear()
                    start = time.perf_counter()
                    app.post_message(events.Key(*keys[step]))  # as the terminal driver does
                    await next_frame.wait()
                    shown = next(t for t in frames if t > flipped[-1])
                    figures[where]["frame"].append(shown - start)
                    figures[where]["returned"].append(flipped[-1] - start)
                    await pilot.pause()
                    figures[where]["paused"].append(time.perf_counter() - start)
                    await screen.branches.settle()  # the rest of a long branch, mounted after
                    figures[where]["whole"].append(time.perf_counter() - start)
                    assert screen.engine.path()[index].id == tree.sibling(place.id, step)

                idles = []
                for _ in range(runs):
                    start = time.perf_counter()
                    await pilot.pause()
                    idles.append(time.perf_counter() - start)
                for _ in range(runs):
                    await flip_at(-1, "last reply")
                    await flip_at(2, "middle")  # to the first branch
                    await flip_at(2, "middle")  # and back
                screen.branches.flip = flip  # type: ignore[method-assign]
                headless = median_time(
                    lambda: screen.engine.flip(
                        branch_point, 1 if tree.sibling(branch_point, 1) else -1
                    ),
                    runs * 10,
                )
        finally:
            server.stop()

    def ms(times: list[float]) -> str:
        return f"{statistics.median(times) * 1000:6.0f} ms ({max(times) * 1000:4.0f})"

    print(f"(b) switch branch, 200 messages, app at 80x24: from the key, median (max) of {runs}")
    heads = ("next frame", "flip() returned", "pilot.pause()")
    print(f"    {f'(the middle: {2 * runs})':19}" + "   ".join(f"{h:>16}" for h in heads))
    for where, times in figures.items():
        row = [ms(times[kind]) for kind in ("frame", "returned", "paused")]
        print(f"    at the {where:12}" + "   ".join(row))
    whole = figures["middle"]["whole"]
    print(f"    the middle's whole branch mounted: {ms(whole)}")
    print(f"    pilot.pause() with nothing to do:  {statistics.median(idles) * 1000:6.0f} ms")
    print(f"    headless (engine + store):         {headless * 1000:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--switch-only", action="store_true", help="part (b) only")
    args = parser.parse_args()
    runs = 3 if args.quick else 9
    if not args.switch_only:
        bench_open(runs)
    asyncio.run(bench_switch(3 if args.quick else 7))


if __name__ == "__main__":
    main()
