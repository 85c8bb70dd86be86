"""Memory of attaching a 20 MB image, from the file to the request body (tracemalloc peaks).

    python bench/bench_attach.py            # a ~20 MB PNG (incompressible pixels)
    python bench/bench_attach.py --mb 5

Stages, each measured from a clean start (peak of Python allocations, as a multiple of the file):
- read:       `read_attachment(path)`: the file read once
- body:       attach + `ChatEngine.add_user` + the request and its body, consumed piece by piece
              (what httpx sends): images are base64-encoded while the body is written
- sent:       the same, really sent with httpx to the demo server (in another process) and the
              reply read: the whole client path of one turn
- json= (old): the same payload with the data URL as one string, serialised as httpx's `json=`
              does: what sending it without streaming would cost, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from tensorx_tui.chat.engine import ChatEngine  # noqa: E402
from tensorx_tui.chat.saving import ConversationLog  # noqa: E402
from tensorx_tui.chat.settings import TurnSettings  # noqa: E402
from tensorx_tui.core.attachments import Limits, read_attachment  # noqa: E402
from tensorx_tui.core.content_parts import DataURL  # noqa: E402
from tensorx_tui.core.endpoint import Endpoint  # noqa: E402
from tensorx_tui.core.request_body import encode_body  # noqa: E402


def write_png(path: Path, megabytes: float) -> int:
    """A real PNG of random pixels stored uncompressed (zlib level 0), about `megabytes` big."""
    import random
    import struct

    width = 2048
    height = int(megabytes * 1024 * 1024 / (width * 3 + 1))
    rng = random.Random(1)
    rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return len(data)


def peak(run: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def engine_for(endpoint: Any) -> ChatEngine:
    return ChatEngine(
        endpoint, ConversationLog(None, on_error=print), TurnSettings("demo", None, None, None),
        profile=None, base_url="http://127.0.0.1",
    )  # fmt: skip


def body_stage(path: Path, limits: Limits) -> None:
    engine = engine_for(None)
    engine.add_user("what is this?", [read_attachment(path, limits)])
    body = encode_body(engine.build_request().payload())
    sent = sum(len(piece) for piece in body.chunks())
    assert sent == body.length


def old_stage(path: Path, limits: Limits) -> None:
    attachment = read_attachment(path, limits)
    url = str(DataURL(attachment.mime, attachment.data))
    del attachment
    payload = {
        "model": "demo",
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
        ],
    }
    del url
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert body


def sent_stage(path: Path, limits: Limits, base_url: str) -> str:
    async def turn() -> str:
        async with httpx.AsyncClient(timeout=120) as http:
            engine = engine_for(Endpoint(http, base_url=base_url, api_key=None))
            engine.add_user("what is this?", [read_attachment(path, limits)])
            async with engine.turn() as running:
                async for _ in running:
                    pass
            return running.reply.content

    return asyncio.run(turn())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=19.9)
    args = parser.parse_args()
    limits = Limits(image=int(max(20, args.mb + 1) * 1024 * 1024))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.png"
        size = write_png(path, args.mb)
        print(f"image: {size / 1e6:.1f} MB ({size:,} bytes)")
        port = free_port()
        command = [sys.executable, "-m", "tensorx_tui", "serve-demo", "--port", str(port)]
        server = subprocess.Popen(
            [*command, "--speed", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(100):
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            stages: dict[str, Callable[[], Any]] = {
                "read": lambda: read_attachment(path, limits),
                "body": lambda: body_stage(path, limits),
                "sent": lambda: sent_stage(path, limits, f"http://127.0.0.1:{port}/v1"),
                "json= (old)": lambda: old_stage(path, limits),
            }
            reply = sent_stage(path, limits, f"http://127.0.0.1:{port}/v1")
            print("demo reply:", reply.splitlines()[2] if reply else "(none)")
            print(f"{'stage':<12} {'peak MB':>8} {'x file':>7}")
            for name, run in stages.items():
                used = peak(run)
                print(f"{name:<12} {used / 1e6:8.1f} {used / size:7.2f}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
