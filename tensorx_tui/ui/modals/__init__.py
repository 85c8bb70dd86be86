"""Modal screens of the chat: tool results, model picker, parameters, copy picker, confirmation."""
