"""Tool names the model sees: `<server>__<tool>`, valid for the OpenAI API, and the way back.

OpenAI function names must match `^[a-zA-Z0-9_-]{1,64}$`, while MCP servers and tools may be
named anything. A name that is already valid and short enough is kept as is; otherwise it is
sanitised, and when it is too long or collides with another tool's name it is cut and given a
short hash of the exact (server, tool) pair, so the result stays stable from run to run and does
not depend on the order the servers started in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

MAX_LENGTH = 64
SEPARATOR = "__"
_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_HASH_LENGTH = 6


def _plain(server: str, tool: str) -> str:
    return _INVALID.sub("_", server) + SEPARATOR + _INVALID.sub("_", tool)


def _hashed(server: str, tool: str, length: int = _HASH_LENGTH) -> str:
    digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:length]
    return _plain(server, tool)[: MAX_LENGTH - length - 1] + "_" + digest


class ToolNames:
    """The namespaced names of a set of (server, tool) pairs, and the map back."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        unique = list(dict.fromkeys(pairs))
        groups: dict[str, list[tuple[str, str]]] = {}
        for pair in unique:
            groups.setdefault(_plain(*pair), []).append(pair)
        self._names: dict[tuple[str, str], str] = {}
        for plain, members in groups.items():
            for pair in members:
                keep = len(members) == 1 and len(plain) <= MAX_LENGTH
                self._names[pair] = plain if keep else _hashed(*pair)
        self._resolve_leftover_clashes()
        self._pairs = {name: pair for pair, name in self._names.items()}

    def _resolve_leftover_clashes(self) -> None:
        # A hashed name could, in theory, equal another tool's plain name or share a 6-digit
        # hash: lengthen the hash of the later pairs until every name is unique.
        taken: dict[str, tuple[str, str]] = {}
        for pair in sorted(self._names):
            name, length = self._names[pair], _HASH_LENGTH
            while name in taken:
                length += 2
                name = _hashed(*pair, length=length)
            self._names[pair] = name
            taken[name] = pair

    def namespaced(self, server: str, tool: str) -> str:
        """The name offered to the model for this server's tool (KeyError if not in the set)."""
        return self._names[(server, tool)]

    def resolve(self, name: str) -> tuple[str, str] | None:
        """(server, tool) for a name the model used, or None when it names no known tool."""
        return self._pairs.get(name)

    def __len__(self) -> int:
        return len(self._names)
