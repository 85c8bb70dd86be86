"""Settings: precedence, profiles, the key, config errors, and the secret never printing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tensorx_tui.core.secret import Secret
from tensorx_tui.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    SettingsError,
    is_local_url,
    load_settings,
)

KEY = "sk-test-0123456789abcdefSECRET"


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def load(config: Path | str, env: dict[str, str] | None = None, **flags: Any):
    return load_settings({"config": str(config), **flags}, env or {})


def test_defaults_without_config(tmp_path: Path) -> None:
    s = load(tmp_path / "missing.toml")
    assert s.base_url == DEFAULT_BASE_URL == "https://api.tensorx.ai/v1"
    assert s.model == DEFAULT_MODEL == "deepseek/deepseek-chat-v3.1"
    assert s.api_key is None
    assert (s.idle_timeout, s.connect_timeout) == (120.0, 10.0)
    assert s.config_path == tmp_path / "missing.toml"
    assert s.warnings == []


def test_dev_null_means_no_config(tmp_path: Path) -> None:
    s = load(os.devnull, {"TENSORX_CONFIG": str(write_config(tmp_path, 'model = "x"'))})
    assert s.config_path is None
    assert s.model == DEFAULT_MODEL


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 'base_url = "http://file/v1"\nmodel = "file-model"\nsystem = "S"')
    env = {"TENSORX_MODEL": "env-model", "TENSORX_BASE_URL": "http://env/v1/"}
    assert load(cfg).model == "file-model"
    assert load(cfg).system == "S"
    s = load(cfg, env)
    assert (s.model, s.base_url) == ("env-model", "http://env/v1")  # trailing slash dropped
    s = load(cfg, env, model="flag-model", base_url=None)
    assert (s.model, s.base_url) == ("flag-model", "http://env/v1")


def test_config_path_from_env_and_flag(tmp_path: Path) -> None:
    env_cfg = write_config(tmp_path, 'model = "from-env-path"')
    other = tmp_path / "other.toml"
    other.write_text('model = "from-flag-path"')
    assert load_settings({}, {"TENSORX_CONFIG": str(env_cfg)}).model == "from-env-path"
    flags = {"config": str(other)}
    assert load_settings(flags, {"TENSORX_CONFIG": str(env_cfg)}).model == "from-flag-path"


def test_profile_by_flag_beats_environment_but_not_flags(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path,
        'model = "top"\n[profiles.ollama]\n'
        'base_url = "http://localhost:11434/v1"\nmodel = "llama"\n',
    )
    env = {"TENSORX_MODEL": "env-model", "TENSORX_API_KEY": KEY}
    s = load(cfg, env, profile="ollama")
    assert (s.base_url, s.model, s.profile) == ("http://localhost:11434/v1", "llama", "ollama")
    assert load(cfg, env, profile="ollama", model="flag").model == "flag"


def test_default_profile_counts_as_file(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 'default_profile = "p"\n[profiles.p]\nmodel = "pm"\n')
    assert load(cfg).model == "pm"
    assert load(cfg).profile == "p"
    assert load(cfg, {"TENSORX_MODEL": "env"}).model == "env"


def test_unknown_profile_is_an_error_listing_known_ones(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "[profiles.a]\n[profiles.b]\n")
    with pytest.raises(SettingsError, match=r"no profile 'zz' in .*config.toml \(known: a, b\)"):
        load(cfg, profile="zz")


def test_key_precedence_flag_env_file(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 'api_key = "file-key-0123456789"')
    assert load(cfg).api_key == Secret("file-key-0123456789")
    assert load(cfg, {"TENSORX_API_KEY": KEY}).api_key == Secret(KEY)
    assert load(cfg, {"TENSORX_API_KEY": KEY}, api_key="flag-key").api_key == Secret("flag-key")


def test_api_key_env_names_the_variable(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 'api_key_env = "MY_KEY"')
    s = load(cfg, {"MY_KEY": KEY, "TENSORX_API_KEY": "not-this-one"})
    assert s.api_key == Secret(KEY)
    missing = load(cfg, {"TENSORX_API_KEY": "not-this-one"})
    assert missing.api_key is None
    assert "export MY_KEY=" in (missing.key_problem() or "")


def test_profile_with_own_endpoint_never_inherits_the_tensorx_key(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path,
        '[profiles.router]\nbase_url = "https://openrouter.ai/api/v1"\n'
        '[profiles.keyed]\nbase_url = "https://openrouter.ai/api/v1"\napi_key_env = "OR_KEY"\n'
        '[profiles.same]\nmodel = "qwen/qwen3-235b-a22b-2507"\n',
    )
    env = {"TENSORX_API_KEY": KEY, "OR_KEY": "or-key-0123456789"}
    assert load(cfg, env, profile="router").api_key is None
    assert load(cfg, env, profile="keyed").api_key == Secret("or-key-0123456789")
    assert load(cfg, env, profile="same").api_key == Secret(KEY)


def test_bad_toml_names_the_file_and_position(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 'model = "unterminated\n')
    with pytest.raises(SettingsError) as info:
        load(cfg)
    assert str(cfg) in str(info.value)
    assert "not valid TOML" in str(info.value)
    assert "line 1" in str(info.value)


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("model = 3", "`model` must be a string, got a number"),
        ('temperature = "hot"', "`temperature` must be a number, got a string"),
        ("max_tokens = 0", "`max_tokens` must be a positive whole number"),
        ("max_tokens = true", "`max_tokens` must be a positive whole number"),
        ("idle_timeout = -1", "`idle_timeout` must be more than 0"),
        ("[profiles.p]\nmodel = 1", "`profiles.p.model` must be a string"),
        ("tools = 5", "`tools` must be a path to a JSON file or a list of tables"),
        ("default_profile = 1", "`default_profile` must be a string"),
        ('think_tags = "no"', "`think_tags` must be true or false, got a string"),
    ],
)
def test_wrong_types_name_the_key(tmp_path: Path, toml: str, needle: str) -> None:
    cfg = write_config(tmp_path, toml)
    with pytest.raises(SettingsError) as info:
        load(cfg, profile="p" if "profiles.p" in toml else None)
    assert needle in str(info.value)
    assert str(cfg) in str(info.value)


def test_think_tags_default_file_profile_and_environment(tmp_path: Path) -> None:
    assert load(tmp_path / "missing.toml").think_tags is True
    cfg = write_config(tmp_path, "think_tags = false\n[profiles.local]\nthink_tags = true\n")
    assert load(cfg).think_tags is False
    assert load(cfg, profile="local").think_tags is True
    assert load(cfg, {"TENSORX_THINK_TAGS": "on"}).think_tags is True
    assert load(tmp_path / "missing.toml", {"TENSORX_THINK_TAGS": " OFF "}).think_tags is False
    assert load(tmp_path / "missing.toml", {"TENSORX_THINK_TAGS": "0"}).think_tags is False


def test_a_bad_think_tags_variable_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="TENSORX_THINK_TAGS must be 1 or 0"):
        load(tmp_path / "missing.toml", {"TENSORX_THINK_TAGS": "maybe"})


def test_unknown_keys_are_warnings_not_errors(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, 'modle = "typo"\n')
    s = load(cfg)
    assert s.warnings == [f"{cfg}: unknown key `modle` ignored"]


def test_key_in_readable_file_warns(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, f'api_key = "{KEY}"', mode=0o644)
    s = load(cfg)
    assert any("chmod 600" in w for w in s.warnings)
    assert all(KEY not in w for w in s.warnings)
    cfg.chmod(0o600)
    assert load(cfg).warnings == []


def test_tools_from_flag_file_inline_and_relative_path(tmp_path: Path) -> None:
    tool = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
    (tmp_path / "tools.json").write_text(json.dumps([tool]))
    cfg = write_config(tmp_path, 'tools = "tools.json"')
    assert load(cfg).tools == [tool]  # relative to the config file, not the cwd
    inline = write_config(
        tmp_path, '[[tools]]\ntype = "function"\nfunction = { name = "get_time" }\n'
    )
    assert load(inline).tools == [{"type": "function", "function": {"name": "get_time"}}]
    assert load(tmp_path / "none.toml", tools=str(tmp_path / "tools.json")).tools == [tool]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "is not valid JSON"),
        ('{"a": 1}', "must be a JSON list"),
        ("[{}]", "no function.name"),
    ],
)
def test_bad_tools_file(tmp_path: Path, content: str, needle: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(SettingsError, match=needle):
        load(tmp_path / "none.toml", tools=str(bad))


def test_missing_tools_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read tools file"):
        load(tmp_path / "none.toml", tools=str(tmp_path / "nope.json"))


def test_data_dir_precedence_and_nothing_created(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, f'data_dir = "{tmp_path / "from-file"}"')
    assert load(cfg).data_dir == tmp_path / "from-file"
    env = {"TENSORX_DATA_DIR": str(tmp_path / "from-env")}
    assert load(cfg, env).data_dir == tmp_path / "from-env"
    assert load(cfg, env, data_dir=str(tmp_path / "flag")).data_dir == tmp_path / "flag"
    assert not any(p.is_dir() for p in tmp_path.iterdir())
    assert load(tmp_path / "none.toml").data_dir.name == "tensorx-chat"


def test_unreadable_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read config file"):
        load(tmp_path)  # a directory


def test_secret_never_in_repr_str_or_messages(tmp_path: Path) -> None:
    s = load(tmp_path / "none.toml", {"TENSORX_API_KEY": KEY})
    assert KEY not in repr(s)
    assert KEY not in str(s)
    assert KEY not in str(s.api_key)
    assert "SECRET" not in repr(s.api_key)
    assert s.api_key is not None and s.api_key.reveal() == KEY
    assert s.key_problem() is None


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8000/v1", True),
        ("http://[::1]:8080/v1", True),
        ("http://192.168.1.20/v1", True),
        ("http://10.0.0.5:8000/v1", True),
        ("http://ollama:11434/v1", True),
        ("http://gpu-box.local/v1", True),
        ("https://api.tensorx.ai/v1", False),
        ("https://openrouter.ai/api/v1", False),
        ("http://8.8.8.8/v1", False),
        ("not a url", False),
    ],
)
def test_which_endpoints_need_a_key(url: str, local: bool) -> None:
    assert is_local_url(url) is local


def test_key_problem_message(tmp_path: Path) -> None:
    s = load(tmp_path / "none.toml")
    message = s.key_problem()
    assert message is not None
    for needle in ("https://api.tensorx.ai/v1", "TENSORX_API_KEY", "--api-key", "--demo"):
        assert needle in message
    assert load(tmp_path / "none.toml", base_url="http://127.0.0.1:9/v1").key_problem() is None
