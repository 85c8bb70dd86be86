"""The widgets a conversation is made of."""

from tensorx_tui.ui.transcript.assistant import AssistantMessage
from tensorx_tui.ui.transcript.notice import Notice
from tensorx_tui.ui.transcript.tool_result import ToolResultMessage
from tensorx_tui.ui.transcript.user import UserMessage

__all__ = ["AssistantMessage", "Notice", "ToolResultMessage", "UserMessage"]
