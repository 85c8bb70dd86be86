"""The settings one conversation runs with, and the one rule for continuing a saved conversation.

The chat UI (opening a conversation from the sidebar) and `ask -c` / `ask --conversation` both
go through `continued_settings`, so they cannot disagree about which model, system prompt,
temperature and max_tokens a continued conversation uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tensorx_tui.core.secret import redact_url
from tensorx_tui.store.records import ConversationMeta


@dataclass(slots=True)
class TurnSettings:
    model: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None

    def params(self) -> dict[str, Any]:
        """The parameters saved with a conversation (the ones that were set)."""
        return request_params(self.temperature, self.max_tokens)

    def saved_form(self) -> tuple[str, str, dict[str, Any]]:
        """What the store keeps: (model, system, params)."""
        return self.model, self.system or "", self.params()


@dataclass(frozen=True, slots=True)
class Overrides:
    """What the user asked for explicitly this time (flags): these win over the saved values."""

    model: str | None = None
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    given: frozenset[str] = field(default_factory=frozenset)


def request_params(temperature: float | None, max_tokens: int | None) -> dict[str, Any]:
    params = {"temperature": temperature, "max_tokens": max_tokens}
    return {k: v for k, v in params.items() if v is not None}


NO_OVERRIDES = Overrides()


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def continued_settings(
    meta: ConversationMeta,
    base_url: str,
    defaults: TurnSettings,
    overrides: Overrides = NO_OVERRIDES,
) -> TurnSettings:
    """The settings a saved conversation continues with.

    For each of model, system prompt, temperature and max_tokens: an explicit override wins; else
    the conversation's saved value; else the default. The saved model is kept only on the same
    endpoint (another endpoint may not know it).
    """
    # The saved base URL has no credentials (redact_url): compare it with ours the same way.
    same_endpoint = meta.base_url == redact_url(base_url)
    saved_temperature = meta.params.get("temperature")
    saved_max_tokens = meta.params.get("max_tokens")
    saved = TurnSettings(
        model=meta.model if meta.model and same_endpoint else defaults.model,
        system=meta.system or None,
        temperature=(
            float(saved_temperature)
            if isinstance(saved_temperature, int | float)
            and not isinstance(saved_temperature, bool)
            else defaults.temperature
        ),
        max_tokens=(
            saved_max_tokens
            if _number(saved_max_tokens) and isinstance(saved_max_tokens, int)
            else defaults.max_tokens
        ),
    )
    for name in overrides.given:
        setattr(saved, name, getattr(overrides, name))
    return saved
