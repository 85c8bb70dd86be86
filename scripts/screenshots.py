"""Regenerate screenshots/*.svg (and *.png when `rsvg-convert` is installed) with the demo server.

    python scripts/screenshots.py            # from the repository root
    python scripts/screenshots.py tools      # only the scenes named

The app is driven headless with Pilot, exactly as a user would with keys. PNG conversion is a
script-only convenience: Debian's `librsvg2-bin` (`rsvg-convert`); it is never a runtime dependency.
screenshots/browser.png is `tensorx-chat serve --demo` in headless Chromium, typed into like the
others; it needs the web and dev extras and Debian's `chromium` + `chromium-driver`.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.cells import cell_len  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Collapsible  # noqa: E402

from tensorx_tui.core.reply import Reply, ReplyState  # noqa: E402
from tensorx_tui.demo.mcp_server import CLOCK_ENV, demo_server_config  # noqa: E402
from tensorx_tui.demo.server import DemoServer  # noqa: E402
from tensorx_tui.settings import Settings  # noqa: E402
from tensorx_tui.store.conversations import Store  # noqa: E402
from tensorx_tui.ui.app import ChatApp  # noqa: E402
from tensorx_tui.ui.attachment_chips import AttachmentChip  # noqa: E402
from tensorx_tui.ui.chat_screen import ChatScreen  # noqa: E402
from tensorx_tui.ui.modals.tool_approval import ToolApprovalModal  # noqa: E402
from tensorx_tui.ui.modals.tool_result import ToolResultModal  # noqa: E402
from tensorx_tui.ui.transcript import AssistantMessage  # noqa: E402
from tensorx_tui.ui.transcript.tool_run import ToolRunMessage  # noqa: E402

OUT = ROOT / "screenshots"
SIZE = (110, 36)
# An installed monospace family for the PNGs (the SVG asks for Fira Code, which may be missing).
PNG_FONT = "DejaVu Sans Mono"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}

Scene = Callable[[ChatApp, Pilot[int]], Awaitable[None]]


def chat(app: ChatApp) -> ChatScreen:
    screen = app.chat
    assert screen is not None
    return screen


async def until(condition: Callable[[], object], limit_s: float = 30.0) -> None:
    async with asyncio.timeout(limit_s):
        while not condition():  # noqa: ASYNC110 - plain widget state
            await asyncio.sleep(0.02)


async def settle(app: ChatApp, pilot: Pilot[int]) -> None:
    await chat(app).workers.wait_for_complete()
    await until(lambda: not chat(app).busy)
    await pilot.pause()


async def type_and_send(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*text, "enter")


async def streaming(app: ChatApp, pilot: Pilot[int]) -> None:
    await type_and_send(pilot, "hello")
    await settle(app, pilot)
    await type_and_send(pilot, "python code")
    await until(lambda: len(app.screen.query(AssistantMessage).last().reply_text) > 420)
    await pilot.pause()


async def expand_all(app: ChatApp, pilot: Pilot[int]) -> None:
    """Open every reasoning and tool-call section, then show the bottom of the conversation."""
    for collapsible in app.screen.query(Collapsible):
        collapsible.collapsed = False
    await pilot.pause()
    chat(app).conversation.follow_bottom()
    await pilot.pause()


async def tool_call(app: ChatApp, pilot: Pilot[int]) -> None:
    await type_and_send(pilot, "What's the weather in Paris?")
    await until(lambda: isinstance(app.screen, ToolResultModal))
    await pilot.press(*'{"temperature": 21, "unit": "celsius", "sky": "sunny"}', "enter")
    await settle(app, pilot)
    await expand_all(app, pilot)


async def tool_modal(app: ChatApp, pilot: Pilot[int]) -> None:
    await type_and_send(pilot, "weather in Paris and Tokyo")
    await until(lambda: isinstance(app.screen, ToolResultModal))
    await pilot.press(*"sunny, 21 C")
    await pilot.pause()


async def mcp_tools(app: ChatApp, pilot: Pilot[int]) -> None:
    """The demo MCP server: a finished call, expanded, then the next call waiting for approval."""
    assert app.tool_servers is not None
    await app.tool_servers.wait_ready()
    await type_and_send(pilot, "what time is it")
    await until(lambda: isinstance(app.screen, ToolApprovalModal))
    await pilot.press("enter")  # Allow once
    await settle(app, pilot)
    finished = app.screen.query_one(ToolRunMessage)
    finished.query_one(Collapsible).collapsed = False
    await type_and_send(pilot, "weather in Paris and Tokyo")
    await until(lambda: isinstance(app.screen, ToolApprovalModal))
    await pilot.pause()


async def reasoning(app: ChatApp, pilot: Pilot[int]) -> None:
    await type_and_send(pilot, "Why is the sky blue?")
    await settle(app, pilot)
    await expand_all(app, pilot)


async def error(app: ChatApp, pilot: Pilot[int]) -> None:
    await type_and_send(pilot, "hello")
    await settle(app, pilot)
    # The same conversation goes on with a model whose stream breaks with an error event.
    await pilot.press("ctrl+o")
    await until(lambda: "models" in str(app.screen.query_one("#model-status").render()))
    await pilot.press(*"error-event", "enter")
    await type_and_send(pilot, "python code")
    await settle(app, pilot)


async def model_picker(app: ChatApp, pilot: Pilot[int]) -> None:
    await pilot.press("ctrl+o")
    await until(lambda: "models" in str(app.screen.query_one("#model-status").render()))
    await pilot.press(*"fault")
    await pilot.pause()


# Saved conversations for the sidebar scene: (question, answer) exchanges, oldest first.
SAVED = [
    [
        (
            "Plan three days in Lisbon",
            "Day 1: Alfama and the castle; take tram 28 early and"
            " ask for a window seat. Day 2: Belém. Day 3: Sintra by train.",
        ),
    ],
    [
        (
            "How do I keep a sourdough starter alive?",
            "Feed it equal weights of flour and water once a day; in the fridge, once a week.",
        ),
    ],
    [
        (
            "Explain Rust lifetimes briefly",
            "A lifetime names how long a borrow is valid; the"
            " compiler checks that no reference outlives what it points to.",
        ),
    ],
    [
        (
            "Rank each customer's orders by date in SQL",
            "Use a window function:"
            " ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY ordered_at).",
        ),
        (
            "And keep only the latest one?",
            "Wrap it in a subquery and keep the rows where the row number is 1.",
        ),
    ],
]


def seed_saved(data_dir: Path, model: str) -> None:
    with Store.open(data_dir) as store:
        for exchanges in SAVED:
            conv = store.create_conversation(model=model)
            for question, answer in exchanges:
                store.add_user_message(conv, question)
                prompt, completion = 20 + len(question) // 4, len(answer) // 4  # about right
                usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
                reply = Reply(content=answer, state=ReplyState.COMPLETE, model=model, usage=usage)
                store.add_reply(conv, reply)


async def sidebar(app: ChatApp, pilot: Pilot[int]) -> None:
    await pilot.press("ctrl+b")
    await until(lambda: chat(app).sidebar.option_list.option_count == len(SAVED))
    await pilot.press("down", "enter")  # open the newest, then search them all
    await until(lambda: chat(app).saving.conv_id is not None)
    await pilot.press("ctrl+b", "ctrl+b")
    await until(lambda: chat(app).sidebar.option_list.option_count == len(SAVED))
    await pilot.press(*"window")
    await until(lambda: chat(app).sidebar.option_list.option_count == 2)
    await pilot.pause()


async def branches(app: ChatApp, pilot: Pilot[int]) -> None:
    """A question asked two ways and a reply regenerated: `‹ n/m ›` marks, a message picked."""
    await type_and_send(pilot, "compare two options")
    await settle(app, pilot)
    await type_and_send(pilot, "python code")
    await settle(app, pilot)
    await pilot.press("ctrl+r")  # the old reply stays, as an alternative
    await settle(app, pilot)
    await pilot.press("ctrl+up", "up")  # pick the question
    await pilot.press("e", "ctrl+u", *"show me a table", "enter")  # a new branch from there
    await settle(app, pilot)
    await pilot.press("ctrl+up", "up", "[")  # pick the question again, back to the first version
    await until(lambda: "‹ 1/2 ›" in " ".join(str(w.render()) for w in chat(app).query("*")))
    await pilot.pause()


def attachment_files() -> tuple[Path, Path]:
    """A small PNG (a gradient) and a text file, in a temporary folder kept until exit."""
    folder = Path(tempfile.mkdtemp(prefix="tensorx-attach-"))
    width, height = 320, 200
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y, 160))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    image = folder / "screenshot.png"
    image.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    code = folder / "server.log"
    code.write_text("ERROR connection refused (port 5432)\nretrying in 5 s\n" * 3)
    return image, code


async def attachments(app: ChatApp, pilot: Pilot[int]) -> None:
    """An image by `@path` and a log by the attach key; sent, then a chip waiting on the prompt."""
    image, log = attachment_files()
    await pilot.press(*f"what went wrong here? @{image}", "tab")
    await pilot.press("alt+a")
    await until(lambda: app.screen.query("#path"))
    await pilot.press(*str(log), "enter")
    await until(lambda: chat(app).query(AttachmentChip))
    await pilot.press("enter")
    await settle(app, pilot)
    await pilot.press("alt+a")
    await until(lambda: app.screen.query("#path"))
    await pilot.press(*str(image), "enter")
    await until(lambda: chat(app).query(AttachmentChip))
    await pilot.press(*"and now?")
    await pilot.pause()


# Scenes that start with saved conversations (in a temporary data dir, never the user's).
SEEDED = {"sidebar": seed_saved}
# Scenes that run the demo MCP server (its clock fixed, so the picture barely changes).
WITH_MCP = {"tools"}
DEMO_CLOCK = "2025-06-01T09:30:00Z"

# name, model, demo speed (tokens/s; 0 = instant), tools, scene
SCENES: list[tuple[str, str, float, bool, Scene]] = [
    ("streaming", "demo", 60.0, False, streaming),
    ("tool-call", "demo", 200.0, True, tool_call),
    ("tool-result-modal", "demo", 0.0, True, tool_modal),
    ("tools", "demo", 0.0, False, mcp_tools),
    ("reasoning", "demo-reasoner", 200.0, False, reasoning),
    ("error", "demo", 200.0, False, error),
    ("model-picker", "demo", 0.0, False, model_picker),
    ("sidebar", "demo", 0.0, False, sidebar),
    ("branches", "demo", 0.0, False, branches),
    ("attachments", "demo", 0.0, False, attachments),
]


async def shoot(name: str, model: str, speed: float, tools: bool, scene: Scene) -> Path:
    server = DemoServer(host="127.0.0.1", port=0, speed=speed).start()
    data = tempfile.TemporaryDirectory(prefix="tensorx-screenshots-")
    try:
        mcp_servers = []
        if name in WITH_MCP:
            os.environ[CLOCK_ENV] = DEMO_CLOCK  # passed on to the server by its config
            mcp_servers.append(demo_server_config())
        settings = Settings(
            base_url=server.base_url,
            model=model,
            demo=True,
            tools=[WEATHER_TOOL] if tools else None,
            config_path=None,
            data_dir=Path(data.name),
            mcp_servers=mcp_servers,
        )
        seed = SEEDED.get(name)
        if seed is not None:
            seed(settings.data_dir, model)
        app = ChatApp(settings, open_store=Store.open if seed is not None else None)
        async with app.run_test(size=SIZE) as pilot:
            await scene(app, pilot)
            svg = app.export_screenshot(title=f"tensorx-chat — {name}")
            # The port changes each run; keep the files stable.
            svg = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:8765", svg)
            path = OUT / f"{name}.svg"
            path.write_text(svg, encoding="utf-8")
            if chat(app).busy:
                chat(app).action_cancel()
    finally:
        server.stop()
        data.cleanup()
    return path


_TEXT = re.compile(r'<text ([^>]*?)x="([\d.]+)"([^>]*?)textLength="([\d.]+)"([^>]*)>([^<]*)</text>')


def _pin_glyphs(match: re.Match[str]) -> str:
    """Split a text run so every non-ASCII glyph sits on its own cell.

    rsvg-convert ignores `textLength`, so a glyph from a fallback font (…, ●, ↑) with another width
    would shift the rest of its run; ASCII runs are safe in a monospace font.
    """
    before, x, middle, length, after, body = match.groups()
    text = html.unescape(body)
    cells = cell_len(text)
    if text.isascii() or not cells:
        return match.group(0)
    cell = float(length) / cells
    pieces, column = [], 0
    for run in re.findall(r"[\x00-\x7f\u00a0]+|[^\x00-\x7f\u00a0]", text):
        left = float(x) + column * cell
        width = cell_len(run) * cell
        pieces.append(
            f'<text {before}x="{left:.1f}"{middle}textLength="{width:.1f}"{after}>'
            f"{xml_escape(run)}</text>"
        )
        column += cell_len(run)
    return "".join(pieces)


def to_png(svg: Path) -> Path | None:
    converter = shutil.which("rsvg-convert")
    if converter is None:
        return None
    text = svg.read_text(encoding="utf-8")
    # Textual's SVG names Fira Code (loaded from the web); use a font this machine has, keep
    # spaces (rsvg drops a run's leading space otherwise) and pin wide glyphs to their cells.
    text = text.replace('font-family: "Fira Code"', f'font-family: "{PNG_FONT}"')
    text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)
    text = _TEXT.sub(_pin_glyphs, text)
    local = svg.with_suffix(".local.svg")
    local.write_text(text, encoding="utf-8")
    png = svg.with_suffix(".png")
    try:
        subprocess.run([converter, "-z", "1.5", "-o", str(png), str(local)], check=True)
    finally:
        local.unlink()
    return png


# Catches textual-serve's terminal object as the page builds it (it lives in a closure), so the
# screen can be read as text: the same hook as tests/test_serve_browser.py.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "fitAddon", {
  configurable: true,
  set(value) {
    window.__textualTerminal = this;
    Object.defineProperty(this, "fitAddon", {value, writable: true, configurable: true});
  },
});
"""
SCREEN_TEXT = """
const wrapper = window.__textualTerminal;
if (!wrapper || !wrapper.terminal) return "";
const terminal = wrapper.terminal, buffer = terminal.buffer.active, rows = [];
for (let y = 0; y < terminal.rows; y++) {
  const line = buffer.getLine(buffer.viewportY + y);
  rows.push(line ? line.translateToString(true) : "");
}
return rows.join("\\n");
"""
BROWSER_PROMPT = "write a Python function that reverses a string"
BROWSER_REPLY_END = "adapt it to your data?"


def _poll(condition: Callable[[], object], what: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"browser scene: no {what} after {limit_s:g} s")
        time.sleep(0.05)  # another process: nothing to await


def shoot_browser() -> Path | None:
    """screenshots/browser.png, or None when selenium or Chromium is missing."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
    except ImportError:
        return None
    if not (chromium and chromedriver):
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tempfile.TemporaryDirectory(prefix="tensorx-screenshots-")
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorx_tui", "serve", "--demo", "--port", str(port),
         "--config", os.devnull, "--data-dir", data.name],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1280,720",
                     f"--user-data-dir={data.name}/chromium"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.setBlockedURLs", {"urls": ["http*://fonts.googleapis.com/*"]}
        )
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_TERMINAL})

        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
            except httpx.TransportError:  # the server is still starting
                return False

        _poll(answers, "server")
        driver.get(f"http://127.0.0.1:{port}/")
        _poll(lambda: "Message" in driver.execute_script(SCREEN_TEXT), "app")
        typing = driver.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea")
        typing.send_keys(BROWSER_PROMPT, Keys.ENTER)

        def replied() -> bool:
            text = " ".join(str(driver.execute_script(SCREEN_TEXT)).split())
            return BROWSER_REPLY_END in text and "idle" in text

        _poll(replied, "reply")
        png = OUT / "browser.png"
        driver.save_screenshot(str(png))
    finally:
        driver.quit()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        data.cleanup()
    return png


async def main(only: list[str]) -> int:
    """Every scene (and the browser), or only the scenes named on the command line."""
    OUT.mkdir(exist_ok=True)
    unknown = set(only) - {name for name, *_ in SCENES}
    if unknown:
        print(f"no such scene: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for name, model, speed, tools, scene in SCENES:
        if only and name not in only:
            continue
        svg = await shoot(name, model, speed, tools, scene)
        png = to_png(svg)
        print(
            svg.relative_to(ROOT), png.relative_to(ROOT) if png else "(no rsvg-convert: SVG only)"
        )
    if only:
        return 0
    browser = shoot_browser()
    print(browser.relative_to(ROOT) if browser else "(no selenium or Chromium: no browser.png)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
