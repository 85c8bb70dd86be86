"""The chat screen's wiring and small actions, which need only its public face: the engine it
drives, the session's tool approvals, copying the last reply (or one of its code blocks), the
parameters dialog, and asking before a streaming reply is left."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from tensorx_tui.chat.engine import ChatEngine
from tensorx_tui.chat.events import SaveFailed
from tensorx_tui.chat.saving import ConversationLog
from tensorx_tui.chat.settings import TurnSettings
from tensorx_tui.ui.clipboard import copied_message, copy_text
from tensorx_tui.ui.modals.confirm import ConfirmModal
from tensorx_tui.ui.modals.copy_picker import CopyPickerModal
from tensorx_tui.ui.modals.params import Params, ParamsModal

if TYPE_CHECKING:
    from tensorx_tui.chat.offered_tools import OfferedTools
    from tensorx_tui.core.endpoint import Endpoint
    from tensorx_tui.settings import Settings
    from tensorx_tui.tools import ApprovalPolicy, ToolServers
    from tensorx_tui.ui.chat_screen import ChatScreen


def conversation_engine(
    settings: Settings,
    endpoint: Endpoint,
    offered: OfferedTools,
    *,
    on_save_failed: Callable[[SaveFailed], None],
) -> ChatEngine:
    """The engine the screen drives, with the settings' defaults (saving starts once the app
    hands over the store)."""
    return ChatEngine(
        endpoint,
        ConversationLog(None, on_error=lambda _message: None),
        TurnSettings(settings.model, settings.system, settings.temperature, settings.max_tokens),
        profile=settings.profile,
        base_url=settings.base_url,
        tool_source=offered,
        reasoning_with_tool_calls=settings.reasoning_with_tool_calls,
        on_save_failed=on_save_failed,
    )


def approval_policy(settings: Settings, servers: ToolServers | None) -> ApprovalPolicy | None:
    """The session's approvals, when MCP servers are configured (the tools layer loads then)."""
    if servers is None:
        return None
    from tensorx_tui.tools import ApprovalPolicy

    return ApprovalPolicy(settings.mcp_servers)


def edit_params(screen: ChatScreen) -> None:
    """ctrl+g: system prompt, temperature and max_tokens for this conversation."""
    state = screen.state
    current = Params(state.system, state.temperature, state.max_tokens)

    def saved(params: Params | None) -> None:
        if params is not None:
            screen.engine.set_params(params.system, params.temperature, params.max_tokens)
            screen.notify("Parameters saved for this conversation.", markup=False)

    screen.app.push_screen(ParamsModal(current), saved)


async def copy_last_reply(screen: ChatScreen) -> None:
    """ctrl+l: the last reply, or (when it has code) the reply or one of its code blocks."""
    message = screen.last_reply_widget
    if message is None:
        return
    text = message.reply_text
    blocks = message.code_blocks
    if not blocks:
        await copy_and_say(screen, text, "the last reply")
        return

    async def chosen(choice: str | None) -> None:
        if choice is not None:
            await copy_and_say(screen, choice, "the reply" if choice == text else "the code block")

    screen.app.push_screen(CopyPickerModal(text, blocks), chosen)


async def copy_and_say(screen: ChatScreen, text: str, what: str) -> None:
    """Copy, and say how: with a clipboard program, or sent to the terminal (OSC 52)."""
    if not text:
        screen.notify("Nothing to copy yet.", markup=False, severity="warning")
        return
    copied = await copy_text(text, screen.app.copy_to_clipboard)
    screen.notify(
        copied_message(copied, what, len(text)), markup=False, timeout=4 if copied.sure else 8
    )


class LeaveStreamingReply:
    """Asks before an action stops the streaming reply (it is kept, saved as cancelled); one
    dialog at a time."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.asking = False

    def ask(self, doing: str, yes: str, then: Callable[[], Awaitable[None]]) -> None:
        if self.asking:  # a second ctrl+n typed before the first dialog showed
            return
        self.asking = True

        async def answered(leave: bool | None) -> None:
            self.asking = False
            if leave:
                await then()

        what, pronoun = self.screen.unfinished_work or ("A reply is still streaming", "it")
        question = f"{what}. Stop {pronoun} and {doing}?"
        self.screen.app.push_screen(ConfirmModal(question, yes=yes), answered)
