"""Headless core: SSE decoding, chunk accumulation, requests, the HTTP client.

Never imports textual or rich (a test checks), so `tensorx-chat ask` stays fast to start.
"""
