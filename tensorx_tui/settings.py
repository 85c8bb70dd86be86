"""Settings: defaults < config file (TOML) < environment < command-line flags.

Nothing happens at import: the config file, the environment and the platform directories are only
consulted by `load_settings()`, and no directory is ever created here.

Profiles. `[profiles.NAME]` tables take the same keys as the top level and are laid over it. A
profile chosen with `--profile` counts as a flag (so a stray `TENSORX_MODEL` in the environment
does not send a TensorX model name to a local Ollama); one chosen with `default_profile` in the
file counts as the file. Explicit flags always win.

The key. `--api-key` beats the variable named by `api_key_env` (default `TENSORX_API_KEY`), which
beats `api_key` in the file. A profile that names its own `base_url` but no key source gets no key:
the TensorX key is never sent to another endpoint by accident.
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tensorx_tui.core.attachments import IMAGE_LIMIT, MB, TEXT_LIMIT, Limits
from tensorx_tui.core.descriptions import Endpoint, key_hint
from tensorx_tui.core.model_info import ModelInfo, parse_config_models
from tensorx_tui.core.params import temperature_problem
from tensorx_tui.core.secret import Secret, redact_url
from tensorx_tui.core.urls import url_problem
from tensorx_tui.tools.config import (
    DEFAULT_START_TIMEOUT,
    DEFAULT_STEP_LIMIT,
    ServerConfig,
    parse_mcp_config,
)

APP_NAME = "tensorx-chat"
DEFAULT_BASE_URL = "https://api.tensorx.ai/v1"
DEFAULT_MODEL = "deepseek/deepseek-chat-v3.1"
DEFAULT_KEY_ENV = "TENSORX_API_KEY"
DEMO_MODEL = "demo"

# Keys a config table (the top level or a profile) may hold, and the type each must have.
_STR_KEYS = ("base_url", "model", "api_key_env", "api_key", "system", "theme", "data_dir")
_NUMBER_KEYS = (
    "temperature",
    "idle_timeout",
    "connect_timeout",
    "attach_image_max_mb",
    "attach_text_max_mb",
)
_INT_KEYS = ("max_tokens",)
_BOOL_KEYS = ("think_tags", "reasoning_with_tool_calls")
_TABLE_KEYS = frozenset((*_STR_KEYS, *_NUMBER_KEYS, *_INT_KEYS, *_BOOL_KEYS, "tools"))
# Environment values for the boolean settings (case-insensitive).
_TRUE_WORDS = frozenset(("1", "true", "yes", "on"))
_FALSE_WORDS = frozenset(("0", "false", "no", "off"))
_TOP_ONLY_KEYS = frozenset(("default_profile", "profiles", "mcp", "models"))


class SettingsError(Exception):
    """A problem in the config file or the flags, with a message naming the file and the key."""


@dataclass
class Settings:
    base_url: str = DEFAULT_BASE_URL
    """The OpenAI-compatible API root, e.g. `https://api.tensorx.ai/v1` (no trailing slash)."""
    api_key: Secret | None = None
    """The bearer key, or None. A Secret: it never prints."""
    model: str = DEFAULT_MODEL
    """The model id sent with every request."""
    profile: str | None = None
    """The config profile in use, if any."""
    system: str | None = None
    """System prompt put first in every conversation."""
    temperature: float | None = None
    """Sampling temperature; None lets the server choose."""
    max_tokens: int | None = None
    """Reply length cap; None lets the server choose."""
    tools: list[dict[str, Any]] | None = None
    """OpenAI tool definitions offered to the model."""
    idle_timeout: float = 120.0
    """Seconds without a byte from the server before a stream counts as dead."""
    connect_timeout: float = 10.0
    """Seconds to wait for a TCP/TLS connection."""
    theme: str | None = None
    """Textual theme name for the UI."""
    data_dir: Path = field(default_factory=Path)
    """Where conversations are stored (not created here)."""
    config_path: Path | None = None
    """The config file consulted (it may not exist); None when disabled with /dev/null."""
    demo: bool = False
    """True when talking to the built-in offline demo server."""
    warnings: list[str] = field(default_factory=list)
    """Non-fatal remarks about the config (unknown keys, a readable file holding a key)."""
    api_key_env: str | None = DEFAULT_KEY_ENV
    """The environment variable the key is read from (named by `api_key_env` in the config);
    None when none would be: a profile with its own base_url must name its own."""
    think_tags: bool = True
    """Split `<think>…</think>` written in a reply's content into reasoning (models served without
    a reasoning parser). Off: the tags stay in the answer as text (`TENSORX_THINK_TAGS=0`)."""
    mcp_servers: list[ServerConfig] = field(default_factory=list)
    """The enabled MCP servers of `[mcp.servers.NAME]` (bad entries skipped, with a warning)."""
    tool_step_limit: int = DEFAULT_STEP_LIMIT
    """Tool round trips allowed in one reply (`[mcp] step_limit`)."""
    mcp_start_timeout: float = DEFAULT_START_TIMEOUT
    """Seconds an MCP server may take to start (`[mcp] start_timeout`)."""
    reasoning_with_tool_calls: bool = True
    """Send a reply's reasoning back with its tool calls (`reasoning_content`): DeepSeek in thinking
    mode answers 400 without it; a server that rejects the field can turn it off per profile."""
    models: tuple[ModelInfo, ...] = ()
    """What the user's `[models."id"]` tables say about models (context, prices per million
    tokens, capabilities); laid over what the endpoint reports."""
    attach_limits: Limits = field(default_factory=Limits)
    """The largest image and text file that may be attached (`attach_image_max_mb`, default 20;
    `attach_text_max_mb`, default 1)."""
    profiles: tuple[str, ...] = ()
    """The names of the config file's `[profiles.NAME]` tables (the model picker lists them all)."""

    @property
    def needs_key(self) -> bool:
        """Whether the endpoint is public: loopback, private and single-label hosts work without."""
        return not self.demo and not is_local_url(self.base_url)

    def hint_endpoint(self) -> Endpoint:
        """What an error hint may name about this endpoint (see core.descriptions)."""
        return Endpoint(self.base_url, self.api_key_env, self.profile)

    def key_problem(self) -> str | None:
        """A message saying how to set a key when the endpoint needs one and none is set."""
        if self.api_key or not self.needs_key:
            return None
        where = f"\n  (config file: {self.config_path})" if self.config_path else ""
        return (
            f"no API key for {redact_url(self.base_url)}.\n"
            f"  {key_hint(self.hint_endpoint())}{where}\n"
            "  To try the app offline, use --demo."
        )


def is_local_url(url: str) -> bool:
    """True for loopback, private-network, link-local and single-label hosts (`ollama:11434`)."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return address.is_loopback or address.is_private or address.is_link_local


def default_config_path(env: Mapping[str, str]) -> Path:
    import platformdirs  # deferred: only when settings are actually loaded

    override = env.get("TENSORX_CONFIG")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def load_settings(flags: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings. `flags` are the argparse values (None or missing = not given)."""
    env = os.environ if env is None else env
    given = {k: v for k, v in flags.items() if v is not None and v is not False}

    config_path = Path(given["config"]).expanduser() if "config" in given else None
    if config_path is None:
        config_path = default_config_path(env)
    if config_path == Path(os.devnull):
        config_file, config_path = {}, None
    else:
        config_file = _read_config(config_path)
    source = str(config_path) if config_path else "config"
    warnings = _check_table(config_file, source, top=True)
    models, problems = (
        parse_config_models(config_file["models"]) if "models" in config_file else ([], [])
    )
    warnings += [f"{source}: {problem}" for problem in problems]

    profile_name = given.get("profile")
    from_flag = profile_name is not None
    if profile_name is None:
        profile_name = config_file.get("default_profile")
        if profile_name is not None and not isinstance(profile_name, str):
            raise SettingsError(f"{source}: `default_profile` must be a string")
    profile = _profile_table(config_file, profile_name, source) if profile_name else {}
    if profile_name:
        warnings += _check_table(profile, source, top=False, prefix=f"profiles.{profile_name}.")
    file_top = {k: v for k, v in config_file.items() if k in _TABLE_KEYS}

    # Layers, lowest first. A profile named on the command line sits above the environment.
    env_names = {
        "base_url": "TENSORX_BASE_URL",
        "model": "TENSORX_MODEL",
        "think_tags": "TENSORX_THINK_TAGS",
    }
    env_layer: dict[str, Any] = {
        k: env[name] for k, name in env_names.items() if k != "think_tags" and env.get(name)
    }
    if env.get("TENSORX_THINK_TAGS"):
        env_layer["think_tags"] = _env_bool(env["TENSORX_THINK_TAGS"], "TENSORX_THINK_TAGS")
    layers: list[tuple[str, dict[str, Any]]] = [(source, file_top)]
    named_profile = (f"{source} [profiles.{profile_name}]", profile)
    named_env = ("the environment", env_layer)
    layers += [named_env, named_profile] if from_flag else [named_profile, named_env]
    layers.append(("the command line", {k: given[k] for k in _TABLE_KEYS if k in given}))
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}  # key -> where its value came from, for error messages
    for name, layer in layers:
        merged.update(layer)
        origin.update({k: env_names[k] if layer is env_layer else name for k in layer})

    base_dir = config_path.parent if config_path else Path.cwd()
    settings = Settings(
        base_url=str(merged.get("base_url", DEFAULT_BASE_URL)).rstrip("/"),
        model=str(merged.get("model", DEFAULT_MODEL)),
        profile=profile_name,
        system=merged.get("system") or None,
        temperature=_float_or_none(merged.get("temperature")),
        max_tokens=merged.get("max_tokens"),
        tools=_load_tools(merged.get("tools"), given, base_dir, source),
        idle_timeout=float(merged.get("idle_timeout", 120.0)),
        connect_timeout=float(merged.get("connect_timeout", 10.0)),
        theme=merged.get("theme"),
        data_dir=_data_dir(given, env, file_top),
        config_path=config_path,
        demo=bool(given.get("demo")),
        warnings=warnings,
        think_tags=bool(merged.get("think_tags", True)),
        reasoning_with_tool_calls=bool(merged.get("reasoning_with_tool_calls", True)),
        models=tuple(models),
        profiles=tuple(config_file.get("profiles", {})),
        attach_limits=Limits(
            image=int(float(merged.get("attach_image_max_mb", IMAGE_LIMIT / MB)) * MB),
            text=int(float(merged.get("attach_text_max_mb", TEXT_LIMIT / MB)) * MB),
        ),
    )
    if not settings.demo:  # --demo replaces the base URL with its own server's
        problem = url_problem(settings.base_url)
        if problem:
            raise SettingsError(
                f"the base URL {redact_url(settings.base_url)!r} "
                f"(from {origin.get('base_url', 'the defaults')}) cannot be used: {problem}"
            )
    mcp = parse_mcp_config(config_file.get("mcp"), source, env)
    settings.mcp_servers = mcp.servers
    settings.tool_step_limit = mcp.step_limit
    settings.mcp_start_timeout = mcp.start_timeout
    warnings += mcp.warnings
    settings.api_key = _resolve_key(given, env, file_top, profile, config_path)
    settings.api_key_env = (
        None
        if _needs_own_key(profile)
        else str({**file_top, **profile}.get("api_key_env", DEFAULT_KEY_ENV))
    )
    if settings.api_key and "api_key" in {**file_top, **profile} and "api_key" not in given:
        warnings += _permission_warning(config_path)
    return settings


def _read_config(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None


def _check_table(
    table: Mapping[str, Any], source: str, *, top: bool, prefix: str = ""
) -> list[str]:
    """Raise on a value of the wrong type; return warnings for unknown keys."""
    warnings = []
    for key, value in table.items():
        name = f"{source}: `{prefix}{key}`"
        if key in _STR_KEYS:
            if not isinstance(value, str):
                raise SettingsError(f"{name} must be a string, got {_type_name(value)}")
        elif key in _NUMBER_KEYS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingsError(f"{name} must be a number, got {_type_name(value)}")
            if (key.endswith("timeout") or key.startswith("attach_")) and value <= 0:
                raise SettingsError(f"{name} must be more than 0")
            if key == "temperature" and (problem := temperature_problem(value)):
                raise SettingsError(f"{name}: {problem}")
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise SettingsError(f"{name} must be true or false, got {_type_name(value)}")
        elif key in _INT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SettingsError(f"{name} must be a positive whole number")
        elif key == "tools":
            if not isinstance(value, str | list):
                raise SettingsError(f"{name} must be a path to a JSON file or a list of tables")
        elif top and key == "profiles":
            if not isinstance(value, dict) or not all(isinstance(p, dict) for p in value.values()):
                raise SettingsError(f"{name} must hold tables like [profiles.ollama]")
        elif not (top and key in _TOP_ONLY_KEYS):
            warnings.append(f"{source}: unknown key `{prefix}{key}` ignored")
    return warnings


def _profile_table(config: Mapping[str, Any], name: str, source: str) -> dict[str, Any]:
    profiles = config.get("profiles", {})
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none defined"
        raise SettingsError(f"no profile {name!r} in {source} (known: {known})")
    table: dict[str, Any] = profiles[name]
    return table


def _resolve_key(
    given: Mapping[str, Any],
    env: Mapping[str, str],
    file_top: Mapping[str, Any],
    profile: Mapping[str, Any],
    config_path: Path | None,
) -> Secret | None:
    if given.get("api_key"):
        return Secret(str(given["api_key"]))
    if _needs_own_key(profile):
        return None
    scope = {**file_top, **profile}
    variable = scope.get("api_key_env", DEFAULT_KEY_ENV)
    if env.get(variable):
        return Secret(env[variable])
    if scope.get("api_key"):
        return Secret(scope["api_key"])
    return None


def _needs_own_key(profile: Mapping[str, Any]) -> bool:
    """A profile with its own endpoint and no key source of its own: no key is sent to it."""
    return "base_url" in profile and not ("api_key_env" in profile or "api_key" in profile)


def _permission_warning(path: Path | None) -> list[str]:
    if path is None:
        return []
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [
            f"{path} holds an API key and other users can read it: run `chmod 600 {path}`, "
            "or use api_key_env instead"
        ]
    return []


def _load_tools(
    value: Any, given: Mapping[str, Any], base_dir: Path, source: str
) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if isinstance(value, list):
        tools, where = value, f"{source}: `tools`"
    else:
        path = Path(str(value)).expanduser()
        if "tools" not in given and not path.is_absolute():
            path = base_dir / path  # a path in the config is relative to the config file
        where = f"tools file {path}"
        try:
            tools = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read {where}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise SettingsError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise SettingsError(f"{where} must be a JSON list of OpenAI tool definitions")
    for position, tool in enumerate(tools):
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise SettingsError(f"{where}: tool {position} has no function.name")
    return tools or None


def _data_dir(
    given: Mapping[str, Any], env: Mapping[str, str], file_top: Mapping[str, Any]
) -> Path:
    chosen = given.get("data_dir") or env.get("TENSORX_DATA_DIR") or file_top.get("data_dir")
    return Path(chosen).expanduser() if chosen else default_data_dir()


def _env_bool(value: str, name: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {value!r}")


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _type_name(value: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
