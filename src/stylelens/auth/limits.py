"""Per-client rate limits: a sliding one-minute window of request times per (client, bucket), in memory.

Clients are named by a pseudonym of their address ("ip:<hmac>"), never by a raw address. In-memory means per
process: with several replicas each enforces its own share (documented in docs/risk-register.md).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from stylelens.errors import RateLimited

WINDOW_S = 60.0
MAX_CLIENTS = 100_000  # beyond this, the oldest windows are dropped (memory bound under a flood of addresses)


class RateLimiter:
    """Allows `limit` requests per minute per client and bucket."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, bucket: str, limit: int) -> None:
        """Count one request; RateLimited (with the wait in seconds) when over the limit."""
        now = self._clock()
        with self._lock:
            window = self._windows.setdefault((client, bucket), deque())
            while window and window[0] <= now - WINDOW_S:
                window.popleft()
            if len(window) >= limit:
                wait = int(window[0] + WINDOW_S - now) + 1
                raise RateLimited(f"too many requests; try again in {wait} s")
            window.append(now)
            if len(self._windows) > MAX_CLIENTS:
                for key in list(self._windows)[: MAX_CLIENTS // 10]:
                    del self._windows[key]

    def forget(self, client: str) -> int:
        """Drop every window of a client (erasure); returns how many went."""
        with self._lock:
            keys = [k for k in self._windows if k[0] == client]
            for key in keys:
                del self._windows[key]
        return len(keys)

    def clients(self) -> set[str]:
        with self._lock:
            return {k[0] for k in self._windows}
