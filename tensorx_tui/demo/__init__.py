"""A real local OpenAI-compatible server with scripted replies, for the offline demo and tests."""
