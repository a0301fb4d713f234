"""The stand-in's rate limit: BigCommerce's quota of requests per store per fixed window.

Every store API reply carries BigCommerce's four headers (requests left, quota, window, time to
reset); a request past the quota is answered 429 without being served. Windows are a fixed grid
from the stand-in's start, and each window's served and refused requests are counted per store,
so a test or the bench can check that an app kept to its share. The default quota is large
(the bench measures throughput); `configure` sets a small one.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

DEFAULT_QUOTA = 10_000
DEFAULT_WINDOW_MS = 30_000
MAX_WINDOWS_KEPT = 1000  # counts of older windows are dropped


class RateLimiter:
    """Counts requests per (store, window); thread-safe."""

    def __init__(self, quota: int = DEFAULT_QUOTA, window_ms: int = DEFAULT_WINDOW_MS) -> None:
        self._lock = threading.Lock()
        self._served: Counter[tuple[str, int]] = Counter()
        self._refused: Counter[tuple[str, int]] = Counter()
        self.configure(quota, window_ms)

    def configure(self, quota: int, window_ms: int) -> dict:
        """A new quota and window; the grid starts again now and the counts are cleared."""
        if not isinstance(quota, int) or isinstance(quota, bool) or not 1 <= quota <= 10**9:
            raise ValueError("quota must be an integer from 1 to 1000000000")
        if not isinstance(window_ms, int) or isinstance(window_ms, bool):
            raise ValueError("window_ms must be an integer")
        if not 100 <= window_ms <= 3_600_000:
            raise ValueError("window_ms must be from 100 to 3600000")
        with self._lock:
            self.quota, self.window_ms = quota, window_ms
            self._started = time.monotonic()
            self._served.clear()
            self._refused.clear()
        return self.describe()

    def take(self, store_hash: str) -> tuple[bool, dict[str, str]]:
        """Count one request of the store: whether it may be served, and the headers to send."""
        with self._lock:
            elapsed_ms = (time.monotonic() - self._started) * 1000
            window = int(elapsed_ms // self.window_ms)
            key = (store_hash, window)
            allowed = self._served[key] < self.quota
            (self._served if allowed else self._refused)[key] += 1
            left = self.quota - self._served[key]
            if len(self._served) > MAX_WINDOWS_KEPT:
                for old in sorted(self._served)[: len(self._served) - MAX_WINDOWS_KEPT]:
                    del self._served[old]
            reset_ms = max(1, int((window + 1) * self.window_ms - elapsed_ms))
            headers = {
                "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
                "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
                "X-Rate-Limit-Requests-Quota": str(self.quota),
                "X-Rate-Limit-Requests-Left": str(left),
            }
        return allowed, headers

    def current_window(self) -> int:
        """The number of the window now (0 from the start or the last `configure`)."""
        with self._lock:
            return int((time.monotonic() - self._started) * 1000 // self.window_ms)

    def spend(self, store_hash: str, count: int) -> dict:
        """Another app of the store sends `count` requests now (they count, unseen by us)."""
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10**6:
            raise ValueError("count must be an integer from 1 to 1000000")
        for _ in range(count):
            self.take(store_hash)
        return self.describe()

    def describe(self) -> dict:
        """The quota, the window, and per store and window what was served and refused."""
        with self._lock:
            keys = sorted(set(self._served) | set(self._refused))
            return {
                "quota": self.quota,
                "window_ms": self.window_ms,
                "windows": [
                    {
                        "store_hash": store,
                        "window": window,
                        "served": self._served[store, window],
                        "refused": self._refused[store, window],
                    }
                    for store, window in keys
                ],
                "refused": sum(self._refused.values()),
            }
