"""A thread-safe queue whose items become available at a given time: launches waiting to be retried."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class DelayQueue(Generic[T]):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._heap: list[tuple[float, int, T]] = []
        self._order = itertools.count()
        self._clock = clock
        self._ready = threading.Condition()
        self._closed = False

    def put(self, item: T, delay: float = 0.0) -> None:
        self.put_many([item], delay)

    def put_many(self, items: Iterable[T], delay: float = 0.0) -> None:
        """Add a batch under one lock and wake the getters once, after it is all in."""
        with self._ready:
            due = self._clock() + delay
            for item in items:
                heapq.heappush(self._heap, (due, next(self._order), item))
            self._ready.notify_all()

    def get(self, timeout: float | None = None) -> T | None:
        """The earliest item whose time has come; None on timeout or once closed."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._ready:
            while not self._closed:
                now = self._clock()
                if self._heap and self._heap[0][0] <= now:
                    return heapq.heappop(self._heap)[2]
                waits = [self._heap[0][0] - now] if self._heap else []
                if deadline is not None:
                    if now >= deadline:
                        return None
                    waits.append(deadline - now)
                self._ready.wait(min(waits) if waits else None)
            return None

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def __len__(self) -> int:
        with self._ready:
            return len(self._heap)
