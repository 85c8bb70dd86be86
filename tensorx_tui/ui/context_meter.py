"""How full the model's context window is, shown small under the prompt: "ctx 12.3k/128k 10%".

The measure is the last reply's prompt + completion tokens (core/cost.py `context_tokens`): what
the next request sends, give or take the new message. No window known, no meter: a guessed
window would mislead more than none. From 80 % the meter turns to a warning, and the
conversation says so once.
"""

from __future__ import annotations

from textual.content import Content

from tensorx_tui.core.cost import ContextUse, context_use
from tensorx_tui.ui.model_choices import window_text

_LEVEL_STYLE = {"ok": "$text-muted", "warn": "bold $text-warning", "full": "bold $text-error"}


def tokens_text(tokens: int) -> str:
    """950 → "950", 12345 → "12.3k", 123456 → "123k", 1234567 → "1.2M"."""
    for unit, suffix in ((1_000_000, "M"), (1000, "k")):
        if tokens >= unit:
            value = tokens / unit
            text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return str(tokens)


def meter_content(use: ContextUse) -> Content:
    percent = f"{use.fraction:.0%}" if use.fraction < 10 else ">999%"
    text = f"ctx {tokens_text(use.tokens)}/{window_text(use.window)} {percent}"
    return Content.styled(text, _LEVEL_STYLE[use.level])


def window_only(window: int) -> Content:
    """Before any reply has said how many tokens the conversation holds."""
    return Content.styled(f"ctx {window_text(window)}", _LEVEL_STYLE["ok"])


def warning_text(use: ContextUse, model: str) -> str:
    """The one-time notice, in plain words."""
    if use.level == "full":
        head = f"The conversation has filled {model}'s context window ({window_text(use.window)})"
    else:
        head = (
            f"The conversation fills {use.fraction:.0%} of {model}'s context window"
            f" ({window_text(use.window)})"
        )
    return (
        head + ": the next replies may lose its start or fail. ctrl+n starts a new conversation;"
        " ctrl+o picks a model with a larger window."
    )


class ContextMeter:
    """What the meter shows and whether the warning is due, for one conversation at a time."""

    def __init__(self) -> None:
        self.tokens: int | None = None
        self.window: int | None = None
        self.warned = False

    def reset(self, tokens: int | None = None) -> None:
        """A new or another conversation (its last reply's tokens, when known)."""
        self.tokens = tokens
        # An opened conversation that is already nearly full says so once too.
        self.warned = False

    @property
    def use(self) -> ContextUse | None:
        return context_use(self.tokens, self.window)

    def content(self) -> Content | None:
        use = self.use
        if use is not None:
            return meter_content(use)
        return window_only(self.window) if self.window else None

    def warning_due(self) -> bool:
        """True once per conversation, when the window is 80 % full or more."""
        use = self.use
        if use is None or use.level == "ok" or self.warned:
            return False
        self.warned = True
        return True
