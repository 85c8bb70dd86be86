"""The [mcp] config tables, the tool names the model sees, and tool results as text."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tensorx_tui.settings import load_settings
from tensorx_tui.tools import ServerConfig, ToolNames, ToolOutcome, parse_mcp_config
from tensorx_tui.tools.naming import MAX_LENGTH
from tensorx_tui.tools.results import content_text

OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def parse(servers: Any, **mcp: Any) -> tuple[list[ServerConfig], list[str]]:
    config = parse_mcp_config({"servers": servers, **mcp}, "cfg.toml", {"TOKEN": "t0k"})
    return config.servers, config.warnings


def test_stdio_and_http_servers_with_their_defaults() -> None:
    servers, warnings = parse(
        {
            "files": {
                "command": "~/bin/files-server",
                "args": ["--root", "~/notes", "plain"],
                "env": {"API": "${TOKEN}", "MODE": "fast"},
                "cwd": "~",
                "allow": ["read_file"],
            },
            "search": {
                "url": "https://example.com/mcp",
                "headers": {"Authorization": "Bearer $TOKEN"},
                "timeout": 5,
            },
            "off": {"command": "x", "enabled": False},
        }
    )
    assert warnings == []
    files, search = servers
    home = str(Path("~").expanduser())
    assert files.transport == "stdio" and files.command == f"{home}/bin/files-server"
    assert files.args == ("--root", f"{home}/notes", "plain")
    assert files.env == {"API": "t0k", "MODE": "fast"} and files.cwd == home
    assert files.allow == frozenset({"read_file"}) and files.timeout == 60 and files.enabled
    assert search.transport == "http" and search.url == "https://example.com/mcp"
    assert search.headers == {"Authorization": "Bearer t0k"} and search.timeout == 5
    assert "t0k" not in repr(search) and "t0k" not in repr(files)
    keyed = parse({"k": {"url": "https://me:pw@example.com/mcp?key=${TOKEN}#x"}})[0][0]
    assert keyed.url == "https://me:pw@example.com/mcp?key=t0k#x"
    assert keyed.describe() == "https://example.com/mcp" and "t0k" not in repr(keyed)
    assert files.describe() == f"{home}/bin/files-server --root {home}/notes plain"


def test_bad_entries_are_skipped_with_a_warning_that_names_them() -> None:
    servers, warnings = parse(
        {
            "both": {"command": "x", "url": "http://h/mcp"},
            "neither": {"args": []},
            "not_table": "npx thing",
            "bad_args": {"command": "x", "args": "--flag"},
            "bad_url": {"url": "ftp://h"},
            "bad_timeout": {"command": "x", "timeout": 0},
            "bad_allow": {"command": "x", "allow": "read_file"},
            "bad_env": {"command": "x", "env": {"N": 1}},
            "bad_enabled": {"command": "x", "enabled": "yes"},
            "missing_var": {"command": "x", "env": {"K": "$NOT_SET"}},
            "good": {"command": "x", "colour": "red", "headers": {"A": "b"}},
        }
    )
    assert [s.name for s in servers] == ["good"]
    expected = [
        "both] skipped: give either `command`",
        "neither] skipped: it needs `command`",
        "not_table] skipped: it must be a table",
        "bad_args] skipped: `args` must be a list of strings",
        "bad_url] skipped: `url` must start with http:// or https://",
        "bad_timeout] skipped: `timeout` must be a number of seconds above 0",
        "bad_allow] skipped: `allow` must be a list of tool names",
        "bad_env] skipped: `env` must be a table of strings",
        "bad_enabled] skipped: `enabled` must be true or false",
        "missing_var] skipped: `env.K` names $NOT_SET, which is not set in the environment",
        "good]: unknown key `colour` ignored",
        "good]: `headers` is for `url` servers; ignored",
    ]
    assert len(warnings) == len(expected)
    for warning in expected:
        assert any(f"cfg.toml: [mcp.servers.{warning}" in w for w in warnings), warning


def test_mcp_table_options_and_their_errors() -> None:
    config = parse_mcp_config({"step_limit": 5, "start_timeout": 2.5}, "c", {})
    assert (config.step_limit, config.start_timeout, config.warnings) == (5, 2.5, [])
    bad = parse_mcp_config({"step_limit": 0, "start_timeout": "x", "servers": [], "x": 1}, "c", {})
    assert (bad.step_limit, bad.start_timeout, bad.servers) == (25, 20.0, [])
    assert bad.warnings == [
        "c: unknown key `mcp.x` ignored",
        "c: `mcp.step_limit` must be a positive whole number",
        "c: `mcp.start_timeout` must be a number of seconds above 0",
        "c: `mcp.servers` must hold tables like [mcp.servers.NAME]",
    ]
    assert parse_mcp_config("servers", "c", {}).warnings == [
        "c: `mcp` must be a table like [mcp]; ignored"
    ]


def test_settings_carry_the_servers_and_the_step_limit(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[mcp]\nstep_limit = 7\n\n"
        '[mcp.servers.demo]\ncommand = "python"\nargs = ["-m", "server"]\nallow = ["clock"]\n\n'
        '[mcp.servers.broken]\nurl = "nowhere"\n'
    )
    settings = load_settings({"config": str(config)}, env={})
    assert [s.name for s in settings.mcp_servers] == ["demo"]
    assert settings.mcp_servers[0].allow == frozenset({"clock"})
    assert settings.tool_step_limit == 7 and settings.mcp_start_timeout == 20.0
    assert settings.warnings == [
        f"{config}: [mcp.servers.broken] skipped: `url` must start with http:// or https://"
    ]
    plain = load_settings({"config": str(tmp_path / "missing.toml")}, env={})
    assert (plain.mcp_servers, plain.tool_step_limit, plain.warnings) == ([], 25, [])


# ---------------------------------------------------------------- names


def test_plain_names_are_kept_and_map_back() -> None:
    names = ToolNames([("files", "read_file"), ("web", "search")])
    assert names.namespaced("files", "read_file") == "files__read_file"
    assert names.resolve("files__read_file") == ("files", "read_file")
    assert names.resolve("web__search") == ("web", "search")
    assert names.resolve("files__nope") is None and len(names) == 2


def test_invalid_characters_collisions_and_long_names_get_a_hash() -> None:
    long_tool = "t" * 80
    names = ToolNames([("my server", "get.thing"), ("a.b", "x"), ("a_b", "x"), ("srv", long_tool)])
    sanitised = names.namespaced("my server", "get.thing")
    assert sanitised == "my_server__get_thing"
    dotted, underscored = names.namespaced("a.b", "x"), names.namespaced("a_b", "x")
    assert dotted != underscored
    assert dotted.startswith("a_b__x_") and underscored.startswith("a_b__x_")
    long = names.namespaced("srv", long_tool)
    assert len(long) == MAX_LENGTH and long.startswith("srv__ttt")
    for pair in [("a.b", "x"), ("a_b", "x"), ("srv", long_tool)]:
        assert names.resolve(names.namespaced(*pair)) == pair
    # Stable: the same pairs in another order give the same names.
    again = ToolNames([("srv", long_tool), ("a_b", "x"), ("a.b", "x"), ("my server", "get.thing")])
    assert again.namespaced("a.b", "x") == dotted and again.namespaced("srv", long_tool) == long


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(st.text(max_size=70), st.text(max_size=70)), max_size=12))
def test_every_name_is_valid_unique_and_maps_back(pairs: list[tuple[str, str]]) -> None:
    names = ToolNames(pairs)
    seen = set()
    for pair in pairs:
        name = names.namespaced(*pair)
        assert OPENAI_NAME.match(name), name
        assert names.resolve(name) == pair
        seen.add(name)
    assert len(seen) == len(set(pairs))


# ---------------------------------------------------------------- results as text


def part(kind: str, **fields: Any) -> SimpleNamespace:
    return SimpleNamespace(type=kind, **fields)


def test_content_text_joins_text_and_names_everything_else() -> None:
    image = base64.b64encode(bytes(3000)).decode()
    audio = base64.b64encode(bytes(10)).decode()
    blob = base64.b64encode(bytes(3 * 1024 * 1024)).decode()
    parts = [
        part("text", text="first"),
        part("image", mime_type="image/png", data=image),
        part("audio", mime_type="audio/wav", data=audio),
        part("resource_link", uri="file:///x.txt"),
        part("resource", resource=SimpleNamespace(uri="mem://a", text="inside")),
        part("resource", resource=SimpleNamespace(uri="mem://b", mime_type=None, blob=blob)),
        part("hologram"),
    ]
    assert content_text(parts).split("\n") == [
        "first",
        "[image: image/png, 3 KB]",
        "[audio: audio/wav, 10 bytes]",
        "[resource: file:///x.txt]",
        "[resource: mem://a]",
        "inside",
        "[resource: mem://b, binary, 3.0 MB]",
        "[hologram content]",
    ]
    assert content_text([], {"answer": 42}) == '{"answer": 42}'
    assert content_text([]) == "(no output)"


def test_an_outcome_gives_the_meta_the_store_keeps() -> None:
    outcome = ToolOutcome("12 degrees", False, 0.12345, "demo", "weather")
    assert outcome.meta("allow-list") == {
        "server": "demo",
        "tool": "weather",
        "approval": "allow-list",
        "duration_s": 0.123,
        "is_error": False,
    }
