"""The `tensorx-chat` entry point: argparse, subcommands, and a guard so no traceback shows.

Each subcommand is one `add_<name>_parser(subcommands)` function listed in `SUBCOMMANDS`; its
handler module is imported only when that command runs, so `--help`, `ask` and `models` never load
textual. To add a command, write its `add_..._parser` and append it to `SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable

from tensorx_tui import __version__
from tensorx_tui.cli.shell import PROG, UsageError, settings_for
from tensorx_tui.core.params import parse_max_tokens, parse_temperature
from tensorx_tui.core.sanitize import one_line, safe_terminal_text
from tensorx_tui.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    Settings,
    SettingsError,
)

Handler = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; always returns an exit status, never raises (but SystemExit)."""
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): silence the second error Python would print at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        _report_crash(exc)
        return 1


def _run(argv: list[str]) -> int:
    _tolerate_unencodable_output()
    parser = build_parser()
    try:
        args = parser.parse_args(_with_default_command(argv))
    except SystemExit as stop:  # argparse's way to end --help (0) and bad usage (2)
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    handler: Handler = args.run
    try:
        return handler(args)
    except (UsageError, SettingsError) as exc:
        # It may quote a config file or a server: neutralised like any untrusted text.
        print(f"{PROG}: {safe_terminal_text(str(exc))}", file=sys.stderr)
        return 2


def _tolerate_unencodable_output() -> None:
    """A non-UTF-8 locale must not turn one emoji in a reply into a crash mid-stream."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and stream.encoding.lower().replace("-", "") != "utf8":
            reconfigure(errors="replace")


def _with_default_command(argv: list[str]) -> list[str]:
    """`tensorx-chat` and `tensorx-chat --demo` mean `tensorx-chat chat ...`."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["chat", *argv]
    return argv


def _report_crash(exc: BaseException) -> None:
    if os.environ.get("TENSORX_DEBUG") == "1":
        traceback.print_exception(exc)
    detail = one_line(str(exc), 300)
    print(
        f"{PROG}: unexpected error: {type(exc).__name__}" + (f": {detail}" if detail else ""),
        file=sys.stderr,
    )
    if os.environ.get("TENSORX_DEBUG") != "1":
        print(f"{PROG}: set TENSORX_DEBUG=1 to see the traceback", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A terminal chat client for TensorX and any OpenAI-compatible endpoint.",
        epilog=(
            "Without a command, opens the chat UI (`tensorx-chat --demo` works offline). "
            "Settings come from defaults < the config file < TENSORX_API_KEY, TENSORX_BASE_URL, "
            "TENSORX_MODEL < flags. Config file: TENSORX_CONFIG or --config "
            "(default: config.toml in the user config dir)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_parser in SUBCOMMANDS:
        add_parser(subcommands)
    return parser


def _connection_options() -> argparse.ArgumentParser:
    """Options every command that talks to an endpoint shares."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("endpoint")
    group.add_argument("--base-url", help=f"API root (default {DEFAULT_BASE_URL})")
    group.add_argument(
        "--api-key",
        help="API key (visible to other local users in the process list: prefer TENSORX_API_KEY)",
    )
    group.add_argument("-m", "--model", help=f"model id (default {DEFAULT_MODEL})")
    group.add_argument("-p", "--profile", help="a [profiles.NAME] table of the config file")
    group.add_argument("--config", help="config file (TOML); /dev/null for none")
    group.add_argument(
        "--demo", action="store_true", help="talk to the built-in offline demo server"
    )
    return options


def _lazy(module: str, function: str) -> Handler:
    """A handler that imports its module only when the command runs."""

    def run(args: argparse.Namespace) -> int:
        handler: Handler = getattr(importlib.import_module(module), function)
        return handler(args)

    return run


def _chat_ui_options() -> argparse.ArgumentParser:
    """Options of the chat UI, in a terminal (`chat`) or a browser (`serve` passes them on)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("-s", "--system", help="system prompt")
    options.add_argument("--tools", metavar="FILE", help="JSON list of OpenAI tool definitions")
    options.add_argument("--data-dir", help="where conversations are stored (or TENSORX_DATA_DIR)")
    options.add_argument("--theme", help="Textual theme name")
    options.add_argument(
        "-c",
        "--continue",
        dest="continue_",
        action="store_true",
        help="open the latest saved conversation",
    )
    options.add_argument(
        "--conversation",
        metavar="ID",
        help="open conversation ID (a unique prefix is enough; wins over -c)",
    )
    return options


def add_chat_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = subcommands.add_parser(
        "chat",
        parents=[_connection_options(), _chat_ui_options()],
        help="open the chat UI (the default)",
    )
    chat.set_defaults(run=run_chat)


def add_ask_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = subcommands.add_parser(
        "ask",
        parents=[_connection_options()],
        help="send one prompt and stream the reply to stdout",
        description=(
            "Send one prompt and stream the reply to stdout (reasoning and notes go to stderr). "
            "The prompt is PROMPT, stdin (no PROMPT, or -), or PROMPT followed by piped stdin. "
            "Exit status: 0 complete, 1 error or interrupted, 2 bad usage, 130 Ctrl-C."
        ),
    )
    ask.add_argument("prompt", nargs="?", metavar="PROMPT", help="the prompt; - reads stdin")
    ask.add_argument(
        "-a",
        "--attach",
        metavar="PATH",
        action="append",
        help="attach a file: an image (PNG, JPEG, GIF, WebP) or a text file; repeatable",
    )
    ask.add_argument("-s", "--system", help="system prompt")
    ask.add_argument("-t", "--temperature", type=_temperature, help="sampling temperature (0-2)")
    ask.add_argument("--max-tokens", type=_max_tokens, help="cap on the reply length")
    ask.add_argument("--tools", metavar="FILE", help="JSON list of OpenAI tool definitions")
    ask.add_argument(
        "--allow-tool",
        action="append",
        metavar="NAME",
        help="run this MCP tool without asking (repeatable; NAME or SERVER.NAME)",
    )
    ask.add_argument(
        "--allow-all-tools", action="store_true", help="run every MCP tool without asking"
    )
    ask.add_argument(
        "--json", action="store_true", help="print one JSON object at the end instead of streaming"
    )
    ask.add_argument("-u", "--usage", action="store_true", help="usage and timings on stderr")
    ask.add_argument("-v", "--verbose", action="store_true", help="endpoint, usage and timings")
    ask.add_argument("--no-save", action="store_true", help="do not save the conversation")
    earlier = ask.add_mutually_exclusive_group()
    earlier.add_argument(
        "-c",
        "--continue",
        dest="continue_",
        action="store_true",
        help="continue the latest saved conversation",
    )
    earlier.add_argument(
        "--conversation", metavar="ID", help="continue conversation ID (a unique prefix is enough)"
    )
    ask.add_argument("--data-dir", help="where conversations are stored (or TENSORX_DATA_DIR)")
    ask.set_defaults(run=_lazy("tensorx_tui.cli.ask", "run_ask"))


def add_models_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subcommands.add_parser(
        "models", parents=[_connection_options()], help="list the endpoint's models"
    )
    models.add_argument(
        "--json",
        action="store_true",
        help="a JSON list of {id, context, max_output, input_price, output_price, "
        "cached_input_price, tools, vision, reasoning, source}; prices in $ per million tokens",
    )
    models.add_argument(
        "-v", "--verbose", action="store_true", help="a table: context, prices, capabilities"
    )
    models.set_defaults(run=_lazy("tensorx_tui.cli.models", "run_models"))


def add_serve_demo_parser(
    subcommands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    serve = subcommands.add_parser(
        "serve-demo", help="run the offline demo server (OpenAI-compatible, scripted replies)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
    serve.add_argument(
        "--speed", type=float, metavar="TOKENS_PER_S", help="streaming speed (0 = instant)"
    )
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow binding to a non-loopback address"
    )
    serve.set_defaults(run=run_serve_demo)


def add_serve_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subcommands.add_parser(
        "serve",
        parents=[_connection_options(), _chat_ui_options()],
        help="serve the chat UI to a web browser (needs the `web` extra)",
        description=(
            "Serve the chat UI to a web browser: each tab runs its own app with these options. "
            "Listens on loopback only unless --allow-remote. "
            "Needs the web extra: pip install 'tensorx-chat[web]'."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host: anyone who can reach the port can use your API key",
    )
    serve.set_defaults(run=_lazy("tensorx_tui.cli.serve", "run_serve"))


def _store_options() -> argparse.ArgumentParser:
    """Options of the commands that only use the conversation store."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--data-dir", help="where conversations are stored (or TENSORX_DATA_DIR)")
    options.add_argument("--config", help="config file (TOML) naming data_dir; /dev/null for none")
    return options


def add_history_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = subcommands.add_parser(
        "history", parents=[_store_options()], help="list or search saved conversations"
    )
    history.add_argument(
        "--search",
        metavar="Q",
        help='full-text search: words (all must match), "a phrase", prefix*',
    )
    history.add_argument(
        "-n", "--limit", type=_positive_int, default=50, help="at most N (default 50)"
    )
    history.add_argument(
        "--json",
        action="store_true",
        help="a JSON list of {id, title, created_at, updated_at, model, profile, messages, cost}",
    )
    history.set_defaults(run=_lazy("tensorx_tui.cli.history", "run_history"))


def add_export_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = subcommands.add_parser(
        "export", parents=[_store_options()], help="write a conversation as Markdown or JSON"
    )
    export.add_argument("id", metavar="ID", help="conversation id (a unique prefix is enough)")
    export.add_argument(
        "-f", "--format", choices=("md", "json"), help="default: md, or json for a .json FILE"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default stdout)")
    export.set_defaults(run=_lazy("tensorx_tui.cli.history", "run_export"))


def add_import_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = subcommands.add_parser(
        "import",
        parents=[_store_options()],
        help="import a JSON transcript (from export --format json); prints its id",
    )
    imp.add_argument("file", metavar="FILE", help="the JSON transcript; - reads stdin")
    imp.set_defaults(run=_lazy("tensorx_tui.cli.history", "run_import"))


SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    add_chat_parser,
    add_ask_parser,
    add_models_parser,
    add_serve_demo_parser,
    add_serve_parser,
    add_history_parser,
    add_export_parser,
    add_import_parser,
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _temperature(text: str) -> float:
    """The UI's rule (core.params), so `ask -t 7` is refused as the parameters dialog refuses it."""
    value = parse_temperature(text)
    if isinstance(value, str):
        raise argparse.ArgumentTypeError(value)
    return value


def _max_tokens(text: str) -> int:
    value = parse_max_tokens(text)
    if isinstance(value, str):
        raise argparse.ArgumentTypeError(value)
    return value


def run_chat(args: argparse.Namespace) -> int:
    try:
        app = importlib.import_module("tensorx_tui.ui.app")
    except ImportError as exc:
        if exc.name != "tensorx_tui.ui.app":
            raise
        print(f"{PROG}: the UI is not available yet; try `{PROG} ask`", file=sys.stderr)
        return 1
    with settings_for(args, require_key=False) as settings:
        conversation = _conversation_to_open(args, settings)
        if conversation is None:
            return int(app.run_chat(settings))
        return int(app.run_chat(settings, conversation=conversation))


def _conversation_to_open(args: argparse.Namespace, settings: Settings) -> str | None:
    """The id `chat -c` / `--conversation ID` asks for, resolved before the UI starts, so a wrong
    id is a message on the command line rather than a notice in a screen."""
    wanted: str | None = getattr(args, "conversation", None)
    if not wanted and not getattr(args, "continue_", False):
        return None
    from tensorx_tui.store.conversations import Store
    from tensorx_tui.store.db import StoreError

    try:
        with Store.open(settings.data_dir) as store:
            if wanted:
                return store.resolve_id(wanted)
            latest = store.latest_conversation_id()
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    if latest is None:
        raise UsageError("no saved conversation to continue")
    return latest


def run_serve_demo(args: argparse.Namespace) -> int:
    server_module = importlib.import_module("tensorx_tui.demo.server")
    speed = server_module.DEFAULT_DEMO_SPEED if args.speed is None else args.speed
    return int(server_module.run_serve_demo(args.host, args.port, speed, args.allow_remote))
