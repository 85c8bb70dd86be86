"""Headless core: SSE decoding, chunk accumulation, requests, the HTTP client. Never imports textual or rich."""
