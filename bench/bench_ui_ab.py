"""bench_ui's own measurements for two checkouts, side by side in one run (before/after ratios).

    python bench/bench_ui_ab.py ../before-tree .            # 3 rounds, alternating
    python bench/bench_ui_ab.py ../before-tree . --rounds 5

Each round runs, for each tree in a fresh interpreter (its own `bench/bench_ui.py` and package):
`demo-long` (20,017 tokens) at full speed through the real app (total time; first and last 1,000
tokens), the same with no coalescing (render and paint after every 50 tokens: first and last
1,000 tokens, their ratio, closing the reply), and at 2,000 tokens/s (UI finished / server sent).
The trees take turns so the machine's load falls on both alike; medians are compared. The
baselines of bench_ui (naive update, MarkdownStream) are left out: they do not change.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import asyncio, json, sys
tree = sys.argv[1]
sys.path[:0] = [tree + "/bench", tree]
import bench_ui as b

async def main():
    out = {}
    with b.DemoServerProcess(speed=0) as srv:
        run = await b.stream_app(srv.base_url, max_tokens=None)
    n = run.tokens
    out["total"] = run.finished - run.started
    out["first"] = run.rendered_at(min(1000, n)) - run.first_token
    out["last"] = run.rendered_at(n) - run.rendered_at(max(1, n - 1000))
    with b.DemoServerProcess(speed=0) as srv:
        forced = await b.stream_ours(srv.base_url, max_tokens=None, render_every=50)
    m = forced.tokens - forced.tokens % 50
    out["flat_first"] = forced.rendered_at(1000) - forced.first_token
    out["flat_last"] = forced.rendered_at(m) - forced.rendered_at(m - 1000)
    out["flat_ratio"] = out["flat_last"] / out["flat_first"]
    out["flat_close"] = forced.finished - forced.stream_end
    with b.DemoServerProcess(speed=2000) as srv:
        run = await b.stream_app(srv.base_url, max_tokens=None)
    out["keep_up"] = (run.finished - run.started) / (run.stream_end - run.started)
    print(json.dumps(out))

asyncio.run(main())
"""

ROWS = (
    ("total", "demo-long at full speed: total s"),
    ("first", "  first 1,000 tokens rendered in s"),
    ("last", "  last 1,000 tokens rendered in s"),
    ("flat_first", "no coalescing: first 1,000 tokens s"),
    ("flat_last", "  last 1,000 tokens s"),
    ("flat_ratio", "  last / first"),
    ("flat_close", "  closing the reply s"),
    ("keep_up", "2,000 tok/s: UI finished / server sent"),
)


def measure(tree: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree)], capture_output=True, text=True, cwd=tree
    )
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for i in range(args.rounds):
        order = list(trees) if i % 2 == 0 else list(reversed(trees))
        for name in order:
            runs[name].append(measure(trees[name]))
            print(f"  round {i + 1}: {name} done", flush=True)
    print(f"{'median of ' + str(args.rounds):<42}{'before':>9}{'after':>9}{'after/before':>14}")
    for key, label in ROWS:
        before = statistics.median(r[key] for r in runs["before"])
        after = statistics.median(r[key] for r in runs["after"])
        ratio = f"{after / before:.2f}" if before else "-"
        print(f"{label:<42}{before:>9.3f}{after:>9.3f}{ratio:>14}")


if __name__ == "__main__":
    main()
