"""The heartbeat-first turns: background threads wait while a heartbeat runs, and never for long."""

from __future__ import annotations

import sys
import threading

import pytest

from farflow.executor.heartbeat_first import HeartbeatFirst
from tests.support.polling import wait_until


def test_outside_a_heartbeat_a_turn_comes_at_once() -> None:
    turns = HeartbeatFirst(max_wait=0.0)
    assert turns.wait() is True
    assert turns.in_heartbeat is False


def test_inside_a_heartbeat_a_turn_waits_and_gives_up_after_max_wait() -> None:
    turns = HeartbeatFirst(max_wait=0.0)  # so the wait ends at once, saying it did not get its turn
    with turns.heartbeat():
        assert turns.in_heartbeat is True
        assert turns.wait() is False
    assert turns.wait() is True


def waiting_in(thread: threading.Thread, function: object) -> bool:
    """`thread` is inside `function` now (its stack holds that function's frame)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code is getattr(function, "__code__", None):
            return True
        frame = frame.f_back
    return False


def test_a_waiting_thread_gets_its_turn_when_the_heartbeat_ends() -> None:
    turns = HeartbeatFirst(max_wait=600.0)
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(turns.wait()), daemon=True)
    with turns.heartbeat():
        waiter.start()
        # The heartbeat ends only once the thread waits inside it: else its wait would come after the
        # heartbeat and return at once, and the release would go untested.
        wait_until(
            lambda: waiting_in(waiter, HeartbeatFirst.wait) or got != [],
            what="the thread to wait inside the heartbeat",
            timeout=30,
            interval=0.001,
        )
        assert waiting_in(waiter, HeartbeatFirst.wait), f"the thread never waited (it got {got})"
    waiter.join(30)
    assert got == [True]  # released by the heartbeat's end, not by the 600 s limit


def test_a_heartbeat_that_raises_still_ends() -> None:
    turns = HeartbeatFirst(max_wait=0.0)
    with pytest.raises(RuntimeError), turns.heartbeat():
        raise RuntimeError("sync failed")
    assert turns.in_heartbeat is False
    assert turns.wait() is True
