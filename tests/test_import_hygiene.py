"""Layering and import cost, checked in fresh interpreters through sys.modules.

- core/, store/ and tools/ never import textual or rich (they serve `ask` and the tests headless);
- `--help`, `ask` and `models` never load textual (startup cost, and no UI needed);
- importing any module creates no file or directory and reads no config.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tensorx_tui

ROOT = Path(__file__).resolve().parent.parent
UI_LIBRARIES = ("textual", "rich")


def modules_under(*packages: str) -> list[str]:
    names = []
    for package in packages:
        path = [str(Path(tensorx_tui.__path__[0], *package.split(".")[1:]))]
        names.append(package)
        names += [m.name for m in pkgutil.walk_packages(path, prefix=package + ".")]
    return sorted(names)


def loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """Top-level names of textual/rich modules loaded by running `code` in a new interpreter."""
    probe = (
        f"{code}\n"
        "import sys\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(UI_LIBRARIES)!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return list(eval(result.stdout.strip().splitlines()[-1]))


def test_core_and_store_never_import_ui_libraries() -> None:
    modules = modules_under("tensorx_tui.core", "tensorx_tui.store")
    assert "tensorx_tui.core.endpoint" in modules and "tensorx_tui.store.db" in modules
    code = "\n".join(f"import {m}" for m in modules)
    assert loaded_after(code) == []


def test_tools_never_import_ui_libraries() -> None:
    # Every module of tools/, the ones that load the MCP SDK included.
    modules = modules_under("tensorx_tui.tools")
    assert "tensorx_tui.tools._runner" in modules
    code = "\n".join(f"import {m}" for m in modules)
    assert loaded_after(code) == []


def test_cli_modules_never_import_ui_libraries() -> None:
    code = (
        "import tensorx_tui.cli.main, tensorx_tui.settings, tensorx_tui.open_endpoint,"
        " tensorx_tui.cli.ask, tensorx_tui.cli.history"
    )
    assert loaded_after(code) == []


@pytest.mark.parametrize("argv", [["--help"], ["ask", "--help"], ["models", "--help"]])
def test_help_never_imports_textual(argv: list[str]) -> None:
    code = (
        "import contextlib, io\n"
        "from tensorx_tui.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({argv!r}) == 0\n"
    )
    assert loaded_after(code) == []


def test_importing_every_module_creates_and_reads_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "config-that-must-not-be-read.toml"
    config.write_text("this is not toml [")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "TENSORX_CONFIG": str(config),
        "TENSORX_DATA_DIR": str(home / "tensorx-data"),
    }
    modules = [m for m in modules_under("tensorx_tui") if m != "tensorx_tui.__main__"]
    code = "\n".join(f"import {m}" for m in modules)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert list(home.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [config.name, "home"]


def test_the_conversation_engine_never_imports_ui_libraries() -> None:
    modules = modules_under("tensorx_tui.chat")
    assert "tensorx_tui.chat.engine" in modules
    code = "\n".join(f"import {m}" for m in modules)
    assert loaded_after(code) == []
