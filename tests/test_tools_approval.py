"""Which calls run without asking, and "always allow" written into the user's config file."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from tensorx_tui.tools import ApprovalPolicy, ConfigEditError, ServerConfig, persist_always_allow
from tensorx_tui.tools.approval import add_to_allow_list


def stdio(name: str, *allow: str) -> ServerConfig:
    return ServerConfig(name=name, transport="stdio", command="x", allow=frozenset(allow))


def test_allow_lists_and_session_allows() -> None:
    policy = ApprovalPolicy([stdio("files", "read_file"), stdio("web")])
    assert not policy.needs_approval("files", "read_file")
    assert policy.needs_approval("files", "write_file")
    assert policy.needs_approval("web", "read_file")  # an allow list belongs to its server
    policy.allow_for_session("files", "write_file")
    assert not policy.needs_approval("files", "write_file")
    assert ApprovalPolicy([stdio("files", "read_file")]).needs_approval("files", "write_file")


CONFIG = """\
# my settings
model = "deepseek/deepseek-chat-v3.1"   # the default

[mcp.servers.files]
command = "npx"
args = ["-y", "files"]  # ] tricky [ comment
allow = [
    "read_file",  # safe
    "list_dir",
    # "delete_file",
]

[mcp.servers.web]
url = "https://example.com/mcp"

[mcp.servers."odd name"]
command = "y"
allow = []

[profiles.local]
base_url = "http://localhost:8080/v1"
"""


def allow_of(text: str, server: str) -> list[str]:
    return list(tomllib.loads(text)["mcp"]["servers"][server].get("allow", []))


def test_adding_to_a_multiline_list_keeps_everything_else() -> None:
    updated = add_to_allow_list(CONFIG, "files", "search")
    assert allow_of(updated, "files") == ["read_file", "list_dir", "search"]
    removed = updated.replace(' "search",', "")
    assert removed == CONFIG  # one insertion, nothing else touched


def test_adding_where_there_is_no_list_or_an_empty_one() -> None:
    web = add_to_allow_list(CONFIG, "web", 'fetch "quoted" ✓')
    assert allow_of(web, "web") == ['fetch "quoted" ✓']
    assert 'url = "https://example.com/mcp"\nallow = ["fetch \\"quoted\\" ✓"]\n' in web
    odd = add_to_allow_list(CONFIG, "odd name", "go")
    assert allow_of(odd, "odd name") == ["go"] and 'allow = ["go"]' in odd
    tomllib.loads(odd)["profiles"]["local"]  # later tables untouched
    assert add_to_allow_list(CONFIG, "files", "read_file") == CONFIG


def test_single_line_lists_crlf_files_and_a_header_on_the_last_line() -> None:
    inline = '[mcp.servers.a]\ncommand = "x"\nallow = ["one", \'two\']  # note\n'
    assert allow_of(add_to_allow_list(inline, "a", "three"), "a") == ["one", "two", "three"]
    crlf = '[mcp.servers.a]\r\ncommand = "x"\r\n'
    updated = add_to_allow_list(crlf, "a", "t")
    assert updated == '[mcp.servers.a]\r\ncommand = "x"\r\nallow = ["t"]\r\n'
    bare = 'model = "m"\n[mcp.servers.a]'
    assert allow_of(add_to_allow_list(bare, "a", "t"), "a") == ["t"]


def test_layouts_it_cannot_edit_give_a_message_not_a_broken_file() -> None:
    dotted = '[mcp]\nservers.a.command = "x"\n'
    with pytest.raises(ConfigEditError, match=r"add it by hand: allow = \[\"t\"\]"):
        add_to_allow_list(dotted, "a", "t")
    with pytest.raises(ConfigEditError, match=r"has no \[mcp.servers.zzz\] table"):
        add_to_allow_list(CONFIG, "zzz", "t")
    with pytest.raises(ConfigEditError, match="not valid TOML"):
        add_to_allow_list("[mcp", "a", "t")
    with pytest.raises(ConfigEditError, match="is not a list"):
        add_to_allow_list('[mcp.servers.a]\ncommand = "x"\nallow = "t"\n', "a", "t")


def test_persisting_keeps_the_mode_and_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text(CONFIG)
    real.chmod(0o640)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    policy = ApprovalPolicy([stdio("web")])
    policy.allow_always("web", "fetch", link)
    assert not policy.needs_approval("web", "fetch")
    assert link.is_symlink()
    assert allow_of(real.read_text(), "web") == ["fetch"]
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert [p.name for p in real.parent.iterdir()] == ["config.toml"]  # no temporary left


def test_persisting_errors_are_messages(tmp_path: Path) -> None:
    with pytest.raises(ConfigEditError, match="cannot read"):
        persist_always_allow(tmp_path / "missing.toml", "a", "t")
    config = tmp_path / "config.toml"
    config.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigEditError, match="not UTF-8"):
        persist_always_allow(config, "a", "t")
    if os.geteuid() != 0:  # root writes anywhere
        config.write_text('[mcp.servers.a]\ncommand = "x"\n')
        tmp_path.chmod(0o500)
        try:
            with pytest.raises(ConfigEditError, match="cannot write"):
                persist_always_allow(config, "a", "t")
        finally:
            tmp_path.chmod(0o700)
