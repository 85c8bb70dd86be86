"""The conversation engine, headless (no textual, no rich): what one conversation sends, saves
and continues. The chat UI and `ask` both drive it.

- `engine.py` `ChatEngine` / `Turn`: messages and settings, a turn (request → events → saved
  reply), regenerate, edit-and-resend, pending tool calls and their results.
- `settings.py` `TurnSettings` and `continued_settings`: the one rule for continuing a saved
  conversation.
- `state.py` `ConversationState`: the messages as sent, and which tool calls wait.
- `saving.py` `ConversationLog`: saving as it happens, through the store.
- `events.py`: what the engine reports besides the core's stream events.
- `pricing.py` `Pricing`: each finished reply's cost, from a model catalog that may still load.
"""

from tensorx_tui.chat.engine import ChatEngine, Turn, TurnEvent
from tensorx_tui.chat.events import ReplyFinished, SaveFailed, TurnStarted
from tensorx_tui.chat.pricing import Pricing
from tensorx_tui.chat.settings import Overrides, TurnSettings, continued_settings

__all__ = [
    "ChatEngine",
    "Overrides",
    "Pricing",
    "ReplyFinished",
    "SaveFailed",
    "Turn",
    "TurnEvent",
    "TurnSettings",
    "TurnStarted",
    "continued_settings",
]
