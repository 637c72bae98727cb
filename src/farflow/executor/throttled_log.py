"""A warning about an ongoing problem, logged at most once per interval: an outage of minutes writes a
few lines, not one per task or per round, and the first line comes at once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class ThrottledLog:
    """Logs a repeated warning to `logger` at most once per `interval` seconds of `clock`."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._logger = logger or logging.getLogger(__name__)
        self._last: float | None = None
        self._lock = threading.Lock()

    def warning(self, message: str, *args: object, exc_info: bool = False) -> bool:
        """Log unless one was logged less than `interval` ago; True if this one was."""
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.interval:
                return False
            self._last = now
        self._logger.warning(message, *args, exc_info=exc_info, stacklevel=2)
        return True
