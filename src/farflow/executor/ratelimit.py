"""An adaptive rate limiter, so launches run at AWS's RunTask ceiling and back off when AWS says so.

The token-bucket algorithm; its units are called permits here, since "token" in the executor means an
Airflow token or a RunTask clientToken.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Permits refill at `rate` per second up to `burst`; a throttle halves the rate, successes restore it.

    Thread-safe: every launcher thread takes a permit before each RunTask call.
    """

    MIN_RATE = 0.5

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.configured_rate = rate
        self.burst = burst
        self._rate = rate
        self._permits = float(burst)
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    def _refill(self, now: float) -> None:
        self._permits = min(self.burst, self._permits + (now - self._updated) * self._rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a permit and return 0, or return how many seconds until one is available."""
        with self._lock:
            self._refill(self._clock())
            if self._permits >= 1:
                self._permits -= 1
                return 0.0
            return (1 - self._permits) / self._rate

    def acquire(self, stop: threading.Event) -> bool:
        """Block until a permit is taken (True) or `stop` is set (False)."""
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
            self._permits = min(self._permits, 0.0)

    def on_success(self) -> None:
        """Additive recovery: 2% of the configured rate per successful call."""
        if self._rate >= self.configured_rate:
            return
        with self._lock:
            self._refill(self._clock())
            self._rate = min(self.configured_rate, self._rate + self.configured_rate * 0.02)
