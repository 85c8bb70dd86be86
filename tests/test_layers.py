"""The import contracts of the layers (shared/design.md), read from the source of every module.

Imports go one way: cli, ui ─► chat ─► store ─► core, and core imports nothing of ours. Every
import statement counts, also those inside functions (a deferred import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tensorx_tui"

# Which of our top-level packages and modules each layer may import. `tensorx_tui` itself is the
# package root: it holds only __version__ (the User-Agent).
ALLOWED: dict[str, set[str]] = {
    "core": {"core", ""},
    "store": {"core", "store"},
    "tools": {"core", "tools"},
    "chat": {"core", "store", "tools", "chat"},
    "demo": {"demo", "tools"},
    "settings": {"core", "tools", "settings"},
}
UI_NEVER = {"cli"}
CLI_NEVER = {"ui"}


def our_imports(path: Path) -> set[str]:
    """The first component under tensorx_tui of each `tensorx_tui...` import in `path`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        for module in modules:
            if module == "tensorx_tui":
                names.add("")
            elif module.startswith("tensorx_tui."):
                names.add(module.split(".")[1])
    return names


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_layer_is_read() -> None:
    layers = {layer_of(p) for p in SOURCES}
    assert {"core", "store", "chat", "ui", "cli", "demo"} <= layers


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    layer = layer_of(path)
    imported = our_imports(path) - {layer}
    if layer in ALLOWED:
        assert imported <= ALLOWED[layer], f"{layer} may not import {imported - ALLOWED[layer]}"
    elif layer == "ui":
        assert not imported & UI_NEVER
    elif layer == "cli":
        assert not imported & CLI_NEVER


def test_the_contract_reader_sees_deferred_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from tensorx_tui.ui.app import ChatApp\n    import tensorx_tui\n"
    )
    assert our_imports(module) == {"ui", ""}
