"""The scheduler's heartbeat goes first: background threads hold off new work while it runs.

The executor's background threads (16 RunTask workers at up to 500 launches a second, the events
reader, the tracker's rounds) spend CPU under Python's interpreter lock: building and signing requests,
parsing answers. While they do, a heartbeat that needs 5 ms of CPU waits its turn behind each of them
and takes ten times that. So each of them asks `wait()` before starting a piece of work, and waits while
the scheduler thread is inside `heartbeat()`: a heartbeat lasts milliseconds and comes every second or
so, so the threads lose a few percent of their time, and the heartbeat competes only with calls
already in flight. A wait never lasts longer than `max_wait`, so a heartbeat that hangs holds nothing up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT_SECONDS = 0.1


class HeartbeatFirst:
    """Shared by the scheduler thread (`heartbeat()`) and the background threads (`wait()`)."""

    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self._idle = threading.Event()
        self._idle.set()
        self.max_wait = max_wait

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Around the scheduler thread's heartbeat: background threads wait until it ends."""
        self._idle.clear()
        try:
            yield
        finally:
            self._idle.set()

    def wait(self) -> bool:
        """Before a background thread's next piece of work: True at once outside a heartbeat, else once
        it ends; False if it lasted longer than `max_wait` (the thread goes on regardless)."""
        return self._idle.wait(self.max_wait)

    @property
    def in_heartbeat(self) -> bool:
        return not self._idle.is_set()


def never_wait() -> bool:
    """For threads used without a scheduler (tests, tools): never wait."""
    return True
