"""Store benchmark: 10,000 conversations / 200,000 messages; list, search, and start-up cost.

    python bench/bench_store.py                 # generate into a temporary dir, measure, print
    python bench/bench_store.py --keep DIR      # keep (or reuse) the generated data dir

Measured (median of --runs, warm OS cache, one process):
- list:   `Store.list_conversations()` first page (200 rows: title, dates, model, message count)
- search: `Store.search(q)` for common, rare, phrase, prefix and non-ASCII queries (100 hits max)
- start:  `Store.open()` + first page, with the big database vs an empty one, as a ratio
- cli:    `tensorx-chat history -n 50` as a subprocess, big vs empty (interpreter start included)
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tensorx_tui.store import db  # noqa: E402
from tensorx_tui.store.conversations import Store  # noqa: E402

CONVERSATIONS = 10_000
MESSAGES_PER_CONVERSATION = 20  # 200,000 messages
SEED = 7
RARE_WORD = "platypus"  # put into 30 messages
NON_ASCII = ["café", "Zürich", "привет", "東京タワー", "naïve", "smørrebrød"]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ta", "ri", "so", "vu", "pe", "da", "gi", "zo", "shu"]
    syllables += ["ber", "lin", "tor", "mas", "qui", "fen", "wal", "log", "cha", "ex"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


def generate(data_dir: Path) -> float:
    """Fill a new store; returns seconds taken. One transaction, executemany."""
    rng = random.Random(SEED)
    words = vocabulary(rng)
    # Zipf-like: a few words everywhere, most rare (cumulative, or choices() redoes the sum).
    cum_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    extra = words + NON_ASCII

    def text(n: int) -> str:
        picked = rng.choices(words, cum_weights=cum_weights, k=n)
        if rng.random() < 0.05:
            picked[rng.randrange(n)] = rng.choice(NON_ASCII)
        return " ".join(picked)

    started = time.perf_counter()
    store = Store.open(data_dir)
    conn = store._conn
    start_time = datetime(2025, 1, 1, tzinfo=UTC)
    conversations = []
    messages = []
    rare_slots = set(rng.sample(range(CONVERSATIONS * MESSAGES_PER_CONVERSATION), 30))
    message_id = 0
    for pk in range(1, CONVERSATIONS + 1):
        created = start_time + timedelta(minutes=50 * pk + rng.random())
        stamp = created
        for seq in range(1, MESSAGES_PER_CONVERSATION + 1):
            stamp += timedelta(seconds=rng.randint(5, 90))
            role = "user" if seq % 2 else "assistant"
            body = text(rng.randint(5, 30) if role == "user" else rng.randint(20, 80))
            if message_id in rare_slots:
                body += f" the {RARE_WORD} again"
            reasoning = text(rng.randint(10, 40)) if role == "assistant" and seq % 4 == 0 else ""
            messages.append(
                (
                    pk,
                    seq,
                    role,
                    body,
                    reasoning,
                    "complete",
                    "bench-model" if role == "assistant" else None,
                    db.format_time(stamp),
                )
            )
            message_id += 1
        title = " ".join(rng.choices(extra, k=rng.randint(2, 6)))
        conversations.append(
            (
                pk,
                f"{pk:08x}",
                title,
                db.format_time(created),
                db.format_time(stamp),
                "bench-model",
            )
        )
    # Indexing 200,000 rows one trigger at a time is most of the cost; building the same
    # index in one pass ('rebuild') gives the same database much faster.
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN"
        " ('messages_fts_insert', 'conversations_fts_insert')"
    ).fetchall()
    with db.write(conn):
        for name, _sql in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.executemany(
            "INSERT INTO conversations (pk, id, title, created_at, updated_at, model)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            conversations,
        )
        conn.executemany(
            "INSERT INTO messages (conversation_pk, seq, role, content, reasoning, state, model,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            messages,
        )
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
        conn.execute("INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild')")
        for _name, sql in triggers:
            conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA optimize")
    store.close()
    return time.perf_counter() - started


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def paired_median_ms(
    action: Callable[[Path], object], first: Path, second: Path, runs: int
) -> tuple[float, float]:
    """Median times of `action(first)` and `action(second)`, run alternately."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for where, bucket in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            action(where)
            bucket.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def open_and_list(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.list_conversations()


def cli_history(data_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "tensorx_tui", "history", "-n", "50", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "TENSORX_CONFIG": "/dev/null", "PATH": "/usr/bin:/bin"},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="data dir to keep (reused when it exists)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        big = args.keep or Path(scratch) / "big"
        empty = Path(scratch) / "empty"
        if (big / db.DB_FILENAME).exists():
            print(f"reusing {big}")
        else:
            seconds = generate(big)
            print(
                f"generated {CONVERSATIONS:,} conversations / "
                f"{CONVERSATIONS * MESSAGES_PER_CONVERSATION:,} messages in {seconds:.1f} s"
            )
        Store.open(empty).close()
        size_mb = (big / db.DB_FILENAME).stat().st_size / 1e6

        rows: list[tuple[str, float, str]] = []
        with Store.open(big) as store:
            count = store.count_conversations()
            rows.append(
                ("list first page (200)", median_ms(store.list_conversations, args.runs), "")
            )
            words = vocabulary(random.Random(SEED))  # the generator's, in Zipf rank order
            queries = [
                ("search most common word", words[0]),
                ("search two common words", f"{words[1]} {words[2]}"),
                ("search mid-frequency word", words[300]),
                ("search rare word", RARE_WORD),
                ("search phrase", '"the platypus again"'),
                ("search prefix", "walqui*"),
                ("search short prefix", "ka*"),
                ("search non-ASCII, other case", "ZURICH"),
                ("search CJK", "東京タワー"),
                ("search no match", "zzzzzz"),
            ]
            for label, query in queries:
                hits = len(store.search(query))
                ms = median_ms(lambda q=query: store.search(q), args.runs)
                rows.append((label, ms, f"{query!r}: {hits} hits"))

        # Big and empty alternate, so a busy machine slows both alike.
        compared = [
            ("open", lambda d: Store.open(d).close(), args.runs, 2),
            ("open + first page (200)", open_and_list, args.runs, 2),
            ("`history -n 50` process", cli_history, max(5, args.runs // 2), 1),
        ]
        results = [
            (label, *paired_median_ms(action, big, empty, runs), digits)
            for label, action, runs, digits in compared
        ]

        print(f"database: {count:,} conversations, {size_mb:.0f} MB; median of {args.runs} runs")
        print(f"{'measure':<36}{'ms':>9}  note")
        for label, ms, note in rows:
            print(f"{label:<36}{ms:>9.2f}  {note}")
        for label, on_big, on_empty, digits in results:
            print(f"{label + ', big db':<36}{on_big:>9.{digits}f}")
            print(
                f"{label + ', empty db':<36}{on_empty:>9.{digits}f}"
                f"  big/empty {on_big / on_empty:.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
