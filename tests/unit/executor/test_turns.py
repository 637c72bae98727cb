"""The heartbeat-first turns: background threads wait while a heartbeat runs, and never for long."""

from __future__ import annotations

import threading

import pytest

from farflow.executor.turns import HeartbeatFirst


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


def test_a_waiting_thread_gets_its_turn_when_the_heartbeat_ends() -> None:
    turns = HeartbeatFirst(max_wait=600.0)
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(turns.wait()))
    with turns.heartbeat():
        waiter.start()
    waiter.join(30)
    assert got == [True]  # released by the heartbeat's end, not by the 600 s limit


def test_a_heartbeat_that_raises_still_ends() -> None:
    turns = HeartbeatFirst(max_wait=0.0)
    with pytest.raises(RuntimeError), turns.heartbeat():
        raise RuntimeError("sync failed")
    assert turns.in_heartbeat is False
    assert turns.wait() is True
