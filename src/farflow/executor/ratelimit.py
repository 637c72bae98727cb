"""An adaptive token bucket, so launches run at AWS's RunTask ceiling and back off when AWS says so."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Tokens refill at `rate` per second up to `burst`; a throttle halves the rate, successes restore it.

    Thread-safe: every launcher thread takes a token before each RunTask call.
    """

    MIN_RATE = 0.5

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.configured_rate = rate
        self.burst = burst
        self._rate = rate
        self._tokens = float(burst)
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a token and return 0, or return how many seconds until one is available."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self._rate

    def acquire(self, stop: threading.Event) -> bool:
        """Block until a token is taken (True) or `stop` is set (False)."""
        while not stop.is_set():
            wait = self.try_acquire()
            if wait == 0:
                return True
            stop.wait(wait)
        return False

    def on_throttle(self) -> None:
        """AWS throttled a call: halve the rate and drop the saved burst."""
        with self._lock:
            self._refill(self._clock())
            self._rate = max(self.MIN_RATE, self._rate / 2)
            self._tokens = min(self._tokens, 0.0)

    def on_success(self) -> None:
        """Additive recovery: 2% of the configured rate per successful call."""
        if self._rate >= self.configured_rate:
            return
        with self._lock:
            self._refill(self._clock())
            self._rate = min(self.configured_rate, self._rate + self.configured_rate * 0.02)
