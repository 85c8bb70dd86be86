"""Conversations on disk (SQLite) and transcripts. Never imports textual."""
