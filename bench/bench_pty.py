"""Terminal benchmark: the real app as a process in a pseudo-terminal, beside a plain-text client.

    python bench/bench_pty.py                      # 60 s CPU windows (about 8 minutes)
    python bench/bench_pty.py --quick              # 15 s windows
    python bench/bench_pty.py --before ../old-tree # also run another checkout, side by side

What a user pays, measured the way a terminal sees it: each contender runs as its own process on a
pty (`pty.openpty`, TERM=xterm-256color, 120x40), its output drained by this script as a terminal
would read it, so writing the frames to the terminal counts. The demo server runs as
`tensorx-chat serve-demo --speed S` in a subprocess; requests reach it through a small TCP relay
here that notes when the first byte of each request arrives.

Contenders, one after the other in the same run (the machine is shared: only same-run ratios mean
anything):
- plain: a minimal streaming client (httpx + print of each content delta) on the same kind of pty;
- ours: `tensorx-chat chat --conversation ID` on a data dir holding 20 earlier exchanges (code,
  lists, tables), imported with `tensorx-chat import`;
- before (with `--before PATH`): the same command run from another checkout (PYTHONPATH=PATH).

For each: CPU of the process tree (utime + stime from /proc/<pid>/stat, children included) over
an idle window after start-up (no reply running), then over a window of a streamed `demo-long`
reply at 100 and at 30 tokens/s (the window starts 1 s after the first response byte); the time
from the Enter key written to the pty to the first byte of the request at the relay
("Enter -> request", wall clock: on a loaded machine it includes waiting for a CPU), and the CPU
the app's threads used in that time (schedstat: "its app CPU", the app's own time); and the time
from spawning the process to the 20 exchanges on screen ("start-up"; the plain client: to its
prompt).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLS, ROWS = 120, 40
MODEL = "demo-long"
EXCHANGES = 20
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUIET_CPU = 0.05  # of one core


# -- the plain-text client (run as `bench_pty.py --plain-client URL`) ------------------------------


def plain_client(base_url: str) -> None:
    """Wait for a line (the Enter), then stream one reply and print each content delta."""
    import httpx

    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(timeout=None) as http:
        print("> ", end="", flush=True)  # ready, like a prompt
        sys.stdin.readline()
        with http.stream("POST", base_url + "/chat/completions", json=body) as response:
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                for choice in json.loads(line[6:]).get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        print(text, end="", flush=True)
        sys.stdin.readline()


# -- seeding ---------------------------------------------------------------------------------------


def earlier_reply(i: int) -> str:
    rows = "\n".join(f"| item {i}-{r} | {r * 3} | {'yes' if r % 2 else 'no'} |" for r in range(4))
    return (
        f"Answer {i}: here is how it works, with **bold**, `inline code` and a short paragraph "
        "that wraps over more than one line of a 120-column terminal, like most real answers.\n\n"
        f"```python\ndef step_{i}(values: list[int]) -> int:\n    total = 0\n"
        "    for value in values:\n        if value % 2:\n            total += value\n"
        "    return total\n```\n\n"
        "- first point, briefly\n- second point, with a bit more text\n- third point\n\n"
        f"| name | count | ok |\n|---|---:|---|\n{rows}\n\n"
        "That should be all you need; ask again if anything is unclear.\n"
    )


def seed_data_dir(data_dir: Path, tree: Path = ROOT) -> str:
    """A data dir with one conversation of EXCHANGES exchanges, written by the checkout `tree`
    (a database made by a newer checkout has a schema an older one refuses); returns its id."""
    messages: list[dict[str, str]] = []
    for i in range(EXCHANGES):
        messages.append({"role": "user", "content": f"Question {i}: how does step {i} work?"})
        messages.append({"role": "assistant", "content": earlier_reply(i)})
    path = data_dir / "seed.json"
    path.write_text(json.dumps({"messages": messages}))
    done = subprocess.run(
        [
            *(sys.executable, "-m", "tensorx_tui", "import", str(path)),
            *("--data-dir", str(data_dir), "--config", os.devnull),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    path.unlink()
    return done.stdout.strip()


# -- the demo server and the relay ----------------------------------------------------------------


@contextlib.contextmanager
def demo_server(speed: float) -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorx_tui", "serve-demo", "--port", "0", "--speed", str(speed)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
        assert found, "the demo server did not say where it listens"
        yield "127.0.0.1", int(found.group(1))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


class Relay:
    """TCP relay to the demo server noting when request bytes and response bytes pass."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sent: list[float] = []  # client -> server data, perf_counter times
        self.received: list[float] = []  # server -> client data
        self.server: asyncio.Server | None = None
        self.port = 0
        self.enter_at = 0.0  # when the last timed Enter was written
        # Called when request bytes pass: the app's CPU (ns) at that moment, for Enter->request.
        self.cpu_probe: Callable[[], int] | None = None
        self.cpu_at_request: list[tuple[float, int]] = []

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, times: list[float]
        ) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    times.append(time.perf_counter())
                    if times is self.sent and self.cpu_probe is not None:
                        self.cpu_at_request.append((times[-1], self.cpu_probe()))
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        await asyncio.gather(
            pipe(reader, up_writer, self.sent), pipe(up_reader, writer, self.received)
        )

    def first_after(self, times: list[float], t: float) -> float | None:
        return next((x for x in times if x >= t), None)


# -- a process on a pty ---------------------------------------------------------------------------


def run_ns(pid: int) -> int:
    """Nanoseconds the threads of `pid` have run on a CPU (schedstat: exact, unlike the 10 ms
    ticks of utime/stime), not counting time spent waiting for one on this busy machine."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that just ended
    return total


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of `root` and its descendants."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    total = 0.0
    for pid, seconds in cpu.items():
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += seconds
    return total


class PtyProcess:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,  # `python -m` puts the cwd first on sys.path: the tree under test
            start_new_session=True,
        )
        os.close(slave)
        self.output = 0  # bytes the "terminal" read
        self.watched: tuple[bytes, ...] = ()
        self.seen: dict[bytes, float] = {}  # watched text -> when it first appeared
        self.writes: deque[tuple[float, int]] = deque(maxlen=4096)  # (time, bytes) of each read
        self.tail = b""
        asyncio.get_running_loop().add_reader(self.master, self._drain)

    def _drain(self) -> None:
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.master)
            return
        self.output += len(data)
        now = time.perf_counter()
        self.writes.append((now, len(data)))
        self.tail = (self.tail + data)[-4096:]
        for text in self.watched:
            if text not in self.seen and text in self.tail:
                self.seen[text] = now

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def cpu(self) -> float:
        return tree_cpu(self.proc.pid)

    async def quiet(self, seconds: float, limit: float = 60.0) -> None:
        """Until it used under QUIET_CPU of a core for `seconds` (start-up done, a reply closed).

        Not "until nothing is written": a blinking cursor writes a few hundred bytes a second.
        """
        start = time.perf_counter()
        samples: deque[tuple[float, float]] = deque()
        while (now := time.perf_counter()) < start + limit:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}: {self.tail[-500:]!r}")
            samples.append((now, self.cpu()))
            while samples and samples[0][0] < now - seconds:
                samples.popleft()
            t0, c0 = samples[0]
            settled = self.output and now - start >= seconds and now - t0 >= seconds * 0.9
            if settled and (samples[-1][1] - c0) / (now - t0) < QUIET_CPU:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("never went quiet")

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(Exception):
            loop.remove_reader(self.master)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        for _ in range(50):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)


# -- one contender --------------------------------------------------------------------------------


@dataclass
class Result:
    idle_cpu: float | None = None  # fraction of one core
    stream_cpu: dict[float, float] = field(default_factory=dict)  # speed -> fraction of one core
    output_rate: dict[float, float] = field(default_factory=dict)  # speed -> bytes/s to the pty
    enter_ms: list[float] = field(default_factory=list)
    enter_cpu_ms: list[float] = field(default_factory=list)  # the app's own CPU in that time
    startup_ms: list[float] = field(default_factory=list)  # spawn -> the 20 exchanges shown


@dataclass
class Contender:
    name: str
    tree: Path | None  # None: the plain client
    result: Result = field(default_factory=Result)

    def argv(self, base_url: str, data_dir: Path, conv_id: str) -> list[str]:
        if self.tree is None:
            return [sys.executable, str(Path(__file__).resolve()), "--plain-client", base_url]
        return [
            *(sys.executable, "-m", "tensorx_tui", "chat"),
            *("--base-url", base_url, "-m", MODEL),
            *("--data-dir", str(data_dir), "--config", os.devnull, "--conversation", conv_id),
        ]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TENSORX_", "TEXTUAL"))}
        env.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        env["TENSORX_API_KEY"] = "bench"  # a local demo server accepts any key
        if self.tree is not None:
            env["PYTHONPATH"] = str(self.tree)
        return env


async def run_one(
    contender: Contender,
    relay: Relay,
    speed: float,
    seeded: Path,
    conv_id: str,
    *,
    window: float,
    idle_window: float | None,
    prompts: int,
) -> None:
    result = contender.result
    with tempfile.TemporaryDirectory(prefix="bench-pty-") as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(seeded, data_dir)  # each run starts from the same 20 exchanges
        argv = contender.argv(relay.base_url, data_dir, conv_id)
        spawned = time.perf_counter()
        proc = PtyProcess(argv, contender.env(), contender.tree or ROOT)
        # Started: the plain client shows its prompt; the app the last earlier exchange.
        ready = b"> " if contender.tree is None else f"Answer {EXCHANGES - 1}:".encode()
        proc.watched = (ready,)
        try:
            shown = await wait_until(lambda: proc.seen.get(ready))
            result.startup_ms.append(1000 * (shown - spawned))
            await proc.quiet(1.5)
            if idle_window is not None:
                c0, t0 = proc.cpu(), time.perf_counter()
                await asyncio.sleep(idle_window)
                result.idle_cpu = (proc.cpu() - c0) / (time.perf_counter() - t0)
            await enter_prompt(proc, relay, result, "the long document please")
            first = await wait_until(lambda: relay.first_after(relay.received, relay.enter_at))
            await asyncio.sleep(max(0.0, first + 1.0 - time.perf_counter()))
            c0, t0, out0 = proc.cpu(), time.perf_counter(), proc.output
            await asyncio.sleep(window)
            wall = time.perf_counter() - t0
            result.stream_cpu[speed] = (proc.cpu() - c0) / wall
            result.output_rate[speed] = (proc.output - out0) / wall
            if contender.tree is not None:
                for _ in range(prompts):
                    proc.write(b"\x1b")  # Esc: cancel the reply
                    await proc.quiet(1.0)
                    await enter_prompt(proc, relay, result, "hello again")
                    await wait_until(lambda: relay.first_after(relay.received, relay.enter_at))
        finally:
            await proc.close()


async def enter_prompt(proc: PtyProcess, relay: Relay, result: Result, text: str) -> None:
    proc.write(text.encode())
    await asyncio.sleep(0.5)  # the keys are typed; Enter alone is what is timed
    pid = proc.proc.pid
    relay.cpu_probe = lambda: run_ns(pid)
    cpu_before = run_ns(pid)
    enter = time.perf_counter()
    relay.enter_at = enter
    proc.write(b"\r")
    sent = await wait_until(lambda: relay.first_after(relay.sent, enter))
    relay.cpu_probe = None
    result.enter_ms.append(1000 * (sent - enter))
    cpu_then = next(cpu for t, cpu in relay.cpu_at_request if t == sent)
    result.enter_cpu_ms.append((cpu_then - cpu_before) / 1e6)


async def wait_until(value: object, limit: float = 30.0) -> float:
    get = value if callable(value) else (lambda: value)
    end = time.perf_counter() + limit
    while time.perf_counter() < end:
        found = get()
        if found is not None:
            return float(found)
        await asyncio.sleep(0.005)
    raise RuntimeError("timed out")


# -- the report -----------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def median_range(values: list[float]) -> str:
    if not values:
        return "-"
    v = sorted(values)
    return f"{statistics.median(v):.0f} ({v[0]:.0f}-{v[-1]:.0f})"


def report(contenders: list[Contender], speeds: list[float]) -> None:
    head = f"{'CPU, % of one core':<20}{'idle':>8}"
    for s in speeds:
        head += f"{f'{s:g} tok/s':>12}{'out kB/s':>10}"
    print(head)
    print("-" * len(head))
    for c in contenders:
        r = c.result
        row = f"{c.name:<20}{pct(r.idle_cpu):>8}"
        for s in speeds:
            rate = r.output_rate.get(s)
            kbps = "-" if rate is None else f"{rate / 1000:.1f}"
            row += f"{pct(r.stream_cpu.get(s)):>12}{kbps:>10}"
        print(row)
    print()
    head = f"{'ms, median (range)':<20}{'Enter->request':>18}{'its app CPU':>16}"
    head += f"{'start-up':>20}"
    print(head)
    print("-" * len(head))
    for c in contenders:
        r = c.result
        row = f"{c.name:<20}{median_range(r.enter_ms):>18}{median_range(r.enter_cpu_ms):>16}"
        row += f"{median_range(r.startup_ms):>20}"
        print(row)
    print()
    by_name = {c.name: c.result for c in contenders}
    ours, plain, before = by_name.get("ours"), by_name.get("plain"), by_name.get("before")
    for other, label in ((plain, "plain"), (before, "before")):
        if ours is None or other is None:
            continue
        parts = []
        for s in speeds:
            a, b = ours.stream_cpu.get(s), other.stream_cpu.get(s)
            if a is not None and b:
                parts.append(f"CPU at {s:g} tok/s {a / b:.2f}x")
        for name, mine, theirs in (
            ("Enter->request", ours.enter_ms, other.enter_ms),
            ("its CPU", ours.enter_cpu_ms, other.enter_cpu_ms),
            ("start-up", ours.startup_ms, other.startup_ms),
        ):
            if mine and theirs:
                parts.append(f"{name} {statistics.median(mine) / statistics.median(theirs):.2f}x")
        print(f"ours / {label}: " + ", ".join(parts))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="15 s windows instead of 60 s")
    parser.add_argument("--window", type=float, help="seconds of CPU per streamed window")
    parser.add_argument("--speeds", default="100,30", help="tokens/s, comma-separated")
    parser.add_argument("--before", type=Path, help="another checkout to run as 'before'")
    parser.add_argument("--prompts", type=int, default=3, help="extra prompts timed per run")
    parser.add_argument("--plain-client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_client:
        plain_client(args.plain_client)
        return
    window = args.window or (15.0 if args.quick else 60.0)
    idle = 5.0 if args.quick else 10.0
    speeds = [float(s) for s in args.speeds.split(",")]
    contenders = [Contender("plain", None)]
    if args.before:
        contenders.append(Contender("before", args.before.resolve()))
    contenders.append(Contender("ours", ROOT))
    print(
        f"bench_pty: {COLS}x{ROWS} pty, {EXCHANGES} earlier exchanges, {MODEL}, "
        f"{window:.0f} s windows, speeds {args.speeds} tok/s; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    with tempfile.TemporaryDirectory(prefix="bench-pty-seed-") as tmp:
        seeds: dict[str, tuple[Path, str]] = {}  # each checkout reads the data dir it wrote
        for c in contenders:
            seeded = Path(tmp) / c.name
            seeded.mkdir()
            seeds[c.name] = (seeded, seed_data_dir(seeded, c.tree or ROOT))
        for i, speed in enumerate(speeds):
            with demo_server(speed) as target:
                relay = Relay(target)
                await relay.start()
                try:
                    for c in contenders:
                        await run_one(
                            c,
                            relay,
                            speed,
                            *seeds[c.name],
                            window=window,
                            idle_window=idle if i == 0 else None,
                            prompts=args.prompts if i == 0 else 0,
                        )
                        print(f"  done: {c.name} at {speed:g} tok/s", flush=True)
                finally:
                    await relay.stop()
    report(contenders, speeds)


if __name__ == "__main__":
    asyncio.run(main())
