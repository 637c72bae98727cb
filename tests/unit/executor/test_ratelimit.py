from __future__ import annotations

import threading

from farflow.executor.ratelimit import RateLimiter
from tests.unit.executor.fakes import FakeClock


def test_burst_then_sustained_rate() -> None:
    clock = FakeClock()
    bucket = RateLimiter(rate=20, burst=100, clock=clock)
    assert all(bucket.try_acquire() == 0 for _ in range(100))
    wait = bucket.try_acquire()
    assert wait == 1 / 20
    clock.advance(1.0)
    assert sum(bucket.try_acquire() == 0 for _ in range(40)) == 20


def test_throttle_halves_rate_and_drops_burst_then_successes_restore_it() -> None:
    clock = FakeClock()
    bucket = RateLimiter(rate=20, burst=100, clock=clock)
    bucket.on_throttle()
    assert bucket.rate == 10
    assert bucket.try_acquire() > 0
    bucket.on_throttle()
    assert bucket.rate == 5
    for _ in range(100):
        bucket.on_success()
    assert bucket.rate == 20


def test_rate_never_drops_below_floor() -> None:
    bucket = RateLimiter(rate=1, burst=1, clock=FakeClock())
    for _ in range(10):
        bucket.on_throttle()
    assert bucket.rate == RateLimiter.MIN_RATE


def test_acquire_returns_false_when_stopped() -> None:
    bucket = RateLimiter(rate=0.01, burst=1, clock=FakeClock())
    assert bucket.acquire(threading.Event())
    stop = threading.Event()
    stop.set()
    assert not bucket.acquire(stop)
