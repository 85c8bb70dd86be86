"""The widgets a conversation is made of."""

from tensorx_tui.ui.messages.assistant import AssistantMessage
from tensorx_tui.ui.messages.notice import Notice
from tensorx_tui.ui.messages.tool_result import ToolResultMessage
from tensorx_tui.ui.messages.user import UserMessage

__all__ = ["AssistantMessage", "Notice", "ToolResultMessage", "UserMessage"]
