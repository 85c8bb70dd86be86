"""Scripted fault scenarios, chosen by model id, so anyone can watch how a client copes.

demo-fault-429          429 + Retry-After: 1 on odd attempts of a conversation (keyed by its
                        messages), a normal reply on the retry.
demo-fault-500          a 500 JSON error before any byte of the stream, every time.
demo-fault-drop         about 24 tokens, then the TCP connection is closed: no [DONE], no end
                        of the chunked body. Not streamed: closed without any response.
demo-fault-error-event  about 24 tokens, then `data: {"error":{...}}`, then the response ends
                        (no finish_reason, no [DONE]). Not streamed: HTTP 200 with an error body.
demo-fault-keepalive    `: keep-alive` every second for 15 minutes, then the response ends with no
                        data at all. Not streamed: a newline every second, then an error body.
demo-fault-slow         a normal reply of at least 160 tokens at 5 tokens/s (30 s or more).
demo-fault-filter       a few tokens, then finish_reason "content_filter" (so does any prompt
                        containing the word "forbidden" sent to demo or demo-reasoner).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

FAULT_429 = "demo-fault-429"
FAULT_500 = "demo-fault-500"
FAULT_DROP = "demo-fault-drop"
FAULT_ERROR_EVENT = "demo-fault-error-event"
FAULT_KEEPALIVE = "demo-fault-keepalive"
FAULT_SLOW = "demo-fault-slow"
FAULT_FILTER = "demo-fault-filter"

FAULT_MODELS = (
    FAULT_429,
    FAULT_500,
    FAULT_DROP,
    FAULT_ERROR_EVENT,
    FAULT_KEEPALIVE,
    FAULT_SLOW,
    FAULT_FILTER,
)


@dataclass(frozen=True, slots=True)
class FaultTimings:
    """How the faults behave; the defaults are what users see, tests may shorten them."""

    retry_after_s: int = 1  # the 429's Retry-After
    tokens_before_fault: int = 24  # tokens sent before a drop or an error event
    keepalive_interval_s: float = 1.0
    keepalive_duration_s: float = 15 * 60.0
    slow_speed: float = 5.0  # tokens/s of demo-fault-slow, whatever the server's speed


class RateLimitToggle:
    """demo-fault-429's memory: per conversation, odd attempts are refused, even ones succeed.

    The key is the request's messages (a hash), so a client retrying the same request gets
    through on its second try, and sending the same conversation again shows the 429 again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}

    def should_refuse(self, body: dict[str, Any]) -> bool:
        raw = json.dumps(body.get("messages"), sort_keys=True, default=str)
        key = hashlib.sha256(raw.encode()).hexdigest()
        with self._lock:
            attempt = self._attempts.get(key, 0) + 1
            self._attempts[key] = attempt
        return attempt % 2 == 1
