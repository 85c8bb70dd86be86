"""tensorx-chat: a terminal chat client for OpenAI-compatible endpoints."""

import sys

__version__ = "0.1.0"

# `import httpx` also imports httpx's command-line tool (click, pygments and rich) whenever click
# is installed, and the MCP SDK's uvicorn installs it: that made `import httpx` about twice as slow
# and pulled rich into `ask` and the headless core. httpx falls back to a stub when that import
# fails, and a None entry makes it fail; nothing of ours runs httpx's CLI.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
