"""The config's `[models."id"]` tables reach Settings.models; bad entries are warnings."""

from __future__ import annotations

from pathlib import Path

from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.settings import load_settings

CONFIG = """
model = "deepseek/deepseek-chat-v3.1"

[models."deepseek/deepseek-chat-v3.1"]
context = 131072
input_price = 0.27
output_price = 1.10
cached_input_price = 0.07
tools = true

[models."broken/one"]
input_price = "cheap"

[models."odd/one"]
context = 8192
colour = "red"
"""


def test_models_table_in_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    settings = load_settings({"config": str(path)}, {})
    assert settings.models == (
        ModelInfo(
            id="deepseek/deepseek-chat-v3.1",
            max_input_tokens=131072,
            input_price=0.27,
            output_price=1.1,
            cached_input_price=0.07,
            supports_tools=True,
            source="config",
        ),
        ModelInfo(id="odd/one", max_input_tokens=8192, source="config"),
    )
    assert settings.warnings == [
        f"{path}: `models.broken/one`: `input_price` must be a number of dollars per million "
        "tokens, 0 or more; entry skipped",
        f"{path}: `models.odd/one`: unknown key `colour` ignored",
    ]


def test_no_models_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('models = "nope"\n')
    settings = load_settings({"config": str(path)}, {})
    assert settings.models == ()
    assert len(settings.warnings) == 1 and "`models` must hold tables" in settings.warnings[0]
    assert load_settings({"config": str(tmp_path / "missing.toml")}, {}).models == ()
