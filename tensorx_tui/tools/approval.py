"""Which tool calls run without asking, and "always allow" written back to the config file.

A call runs without asking when its tool is on its server's `allow` list or the user allowed it
for this session; everything else waits for the user. "Always allow" edits the user's own
config file only when asked: the tool is added to that server's `allow` list with a minimal
text edit (comments, order and formatting kept), checked by parsing the result before the file
is replaced, so a layout the edit does not understand gives a message instead of a broken file.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tensorx_tui.tools.config import ServerConfig


class ConfigEditError(Exception):
    """The config file could not be updated; the message says why and what to do instead."""


class ApprovalPolicy:
    def __init__(self, configs: Iterable[ServerConfig]) -> None:
        self._allowed = {(c.name, tool) for c in configs for tool in c.allow}

    def needs_approval(self, server: str, tool: str) -> bool:
        return (server, tool) not in self._allowed

    def allow_for_session(self, server: str, tool: str) -> None:
        self._allowed.add((server, tool))

    def allow_always(self, server: str, tool: str, config_path: Path) -> None:
        """Allow for this session and add the tool to the server's `allow` list in the file.
        Raises ConfigEditError when the file cannot be updated (the session allow stands)."""
        self.allow_for_session(server, tool)
        persist_always_allow(config_path, server, tool)


def persist_always_allow(config_path: Path, server: str, tool: str) -> None:
    """Add `tool` to `allow` of `[mcp.servers.<server>]` in the file at `config_path`."""
    path = config_path.expanduser().resolve()  # through a symlink: keep the link (dotfiles)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigEditError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigEditError(f"{path} is not UTF-8 text") from None
    updated = add_to_allow_list(text, server, tool, str(path))
    if updated != text:
        _replace(path, updated)


def add_to_allow_list(text: str, server: str, tool: str, source: str = "the config file") -> str:
    """`text` with `tool` added to the server's allow list (unchanged when it is already there)."""
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigEditError(f"{source} is not valid TOML: {exc}") from None
    table = before.get("mcp", {}).get("servers", {}).get(server)
    if not isinstance(table, dict):
        raise ConfigEditError(f"{source} has no [mcp.servers.{server}] table")
    allow = table.get("allow", [])
    if not isinstance(allow, list):
        raise ConfigEditError(f"`allow` of [mcp.servers.{server}] in {source} is not a list")
    if tool in allow:
        return text
    updated = _edit(text, server, tool)
    table["allow"] = [*allow, tool]
    if updated is None or _loads_or_none(updated) != before:
        raise ConfigEditError(
            f"could not add {tool!r} to [mcp.servers.{server}] in {source} safely; add it by "
            f"hand: allow = [{_toml_string(tool)}]"
        )
    return updated


def _edit(text: str, server: str, tool: str) -> str | None:
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    header = next(
        (i for i, ln in enumerate(lines) if _header_path(ln) == ["mcp", "servers", server]), None
    )
    if header is None:
        return None
    end = next(
        (i for i in range(header + 1, len(lines)) if _header_path(lines[i]) is not None),
        len(lines),
    )
    offset = sum(len(ln) for ln in lines[: header + 1])
    section = "".join(lines[header + 1 : end])
    item = _toml_string(tool)
    match = re.search(r"^[ \t]*allow[ \t]*=[ \t]*\[", section, re.MULTILINE)
    if match is None:
        # After the table's last key (not after comments that introduce the next table).
        after = max(
            (i for i in range(header, end) if lines[i].strip()[:1] not in ("", "#")),
            default=header,
        )
        head = "".join(lines[: after + 1])
        if not head.endswith("\n"):
            head += newline
        return head + f"allow = [{item}]{newline}" + "".join(lines[after + 1 :])
    start = offset + match.end() - 1
    last = _last_item_end(text, start)
    if last is None:
        return None
    position, previous = last
    if previous == "[":
        insertion = item
    elif previous == ",":
        insertion = f" {item},"
    else:
        insertion = f", {item}"
    return text[:position] + insertion + text[position:]


def _header_path(line: str) -> list[str] | None:
    """The key path of a `[table]` / `[[array]]` header line, or None for any other line."""
    stripped = line.strip()
    if not stripped.startswith("["):
        return None
    parsed = _loads_or_none(stripped)
    if not parsed:
        return None
    path: list[str] = []
    node: Any = parsed
    while isinstance(node, dict) and len(node) == 1:
        key = next(iter(node))
        path.append(key)
        node = node[key]
        if isinstance(node, list):  # [[array.of.tables]]
            node = node[-1] if node else None
    return path if node == {} else None


def _last_item_end(text: str, open_at: int) -> tuple[int, str] | None:
    """For the array opening at `open_at`: the position just after its last significant
    character (skipping spaces and comments), and that character; None if it never closes."""
    depth, i, last = 0, open_at, (open_at + 1, "[")
    while i < len(text):
        char = text[i]
        if char == "#":
            i = text.find("\n", i)
            if i < 0:
                return None
            continue
        if char in "\"'":
            end = _string_end(text, i)
            if end is None:
                return None
            i = end
            if depth == 1:
                last = (i, char)
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return last
        if depth >= 1 and not char.isspace() and not (char == "[" and depth == 1):
            last = (i + 1, char)
        i += 1
    return None


def _string_end(text: str, start: int) -> int | None:
    quote = text[start]
    triple = text.startswith(quote * 3, start)
    delimiter = quote * 3 if triple else quote
    i = start + len(delimiter)
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text.startswith(delimiter, i):
            end = i + len(delimiter)
            while triple and text.startswith(quote, end) and end - i < 5:
                end += 1  # """a"""" ends with the last quotes: up to two belong to the string
            return end
        if not triple and text[i] == "\n":
            return None
        i += 1
    return None


def _toml_string(value: str) -> str:
    # JSON's escapes are TOML's, except that TOML also wants DEL escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _loads_or_none(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _replace(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, keeping the file's mode."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o600
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigEditError(f"cannot write next to {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigEditError(f"cannot write {path}: {exc.strerror or exc}") from None
