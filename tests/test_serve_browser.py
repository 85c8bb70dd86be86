"""`tensorx-chat serve --demo` in headless Chromium: type a message, read the reply off the screen.

Drives Debian's `chromium` through its `chromium-driver` with selenium (no browser download). The
page draws the terminal with xterm.js on a canvas, so the test reads the screen from xterm's own
buffer: textual-serve keeps its terminal object in a closure, and a script installed before the
page loads catches it as the page's constructor assigns its `fitAddon` property.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_serve_live import (
    ROOT,
    app_processes,
    free_port,
    is_running,
    reaping,
    serve_environment,
)

webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("no Chromium: apt-get install chromium chromium-driver", allow_module_level=True)

DEADLINE_S = 60.0

# Runs in the page before its own scripts: the first object that gets a `fitAddon` property is
# textual-serve's terminal wrapper; keep it on `window` and let the assignment go through.
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
if (!wrapper || !wrapper.terminal) return null;
const terminal = wrapper.terminal, buffer = terminal.buffer.active, rows = [];
for (let y = 0; y < terminal.rows; y++) {
  const line = buffer.getLine(buffer.viewportY + y);
  rows.push(line ? line.translateToString(true) : "");
}
return rows.join("\\n");
"""


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    """Poll `condition` until it is truthy, at most DEADLINE_S."""
    deadline = time.monotonic() + DEADLINE_S
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling another process: there is nothing to await
    return result


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tensorx_tui", "serve", "--demo", "--port", str(port),
             "--config", os.devnull, "--data-dir", str(tmp_path / "data")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT, env=serve_environment(),
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{log_path.read_text()}")
        try:
            return httpx.get(url).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(answers, "the server to answer")
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=DEADLINE_S)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--window-size=1200,800",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, url: str) -> None:
    """Load the page in the current tab, with the terminal catcher and no request off this host
    (the page links a web font)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http*://fonts.googleapis.com/*"]})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_TERMINAL})
    driver.get(url)


def screen(driver: Any) -> str:
    return str(driver.execute_script(SCREEN_TEXT) or "")


def test_a_browser_tab_chats_with_the_demo_and_closing_it_ends_its_app(
    served: tuple[subprocess.Popen[bytes], str], browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    server, url = served
    seen: list[int] = []
    with reaping(seen):
        open_page(browser, url)
        wait_for(lambda: "Message" in screen(browser), "the app in the first tab")
        [first] = app_processes(server.pid)
        seen.append(first)

        typing = browser.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea")
        typing.send_keys("hello")
        wait_for(lambda: "hello" in screen(browser), "the prompt to show what was typed")
        typing.send_keys(Keys.ENTER)

        def replied() -> str | None:
            text = screen(browser)
            return text if "offline demo" in text and "idle" in text else None

        text = wait_for(replied, "the demo's reply")
        assert "Hello! I'm the tensorx-chat offline demo" in " ".join(text.split())

        first_tab = browser.current_window_handle
        browser.switch_to.new_window("tab")
        open_page(browser, url)
        wait_for(lambda: "Message" in screen(browser), "the app in the second tab")
        [second] = set(app_processes(server.pid)) - {first}
        seen.append(second)
        assert "hello" not in screen(browser)  # a tab of its own, not a view of the first

        browser.close()
        browser.switch_to.window(first_tab)
        wait_for(lambda: not is_running(second), "the closed tab's app to end")
        assert is_running(first)
        assert "offline demo" in screen(browser)

        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=DEADLINE_S) == 0
        assert not is_running(first)
