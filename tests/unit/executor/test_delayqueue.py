from __future__ import annotations

import threading

from farflow.executor.delayqueue import DelayQueue


def test_items_come_out_in_time_order() -> None:
    jobs: DelayQueue[str] = DelayQueue()
    jobs.put("later", delay=0.2)
    jobs.put("now")
    assert jobs.get(timeout=1) == "now"
    assert jobs.get(timeout=0) is None
    assert jobs.get(timeout=2) == "later"


def test_get_times_out_when_empty() -> None:
    assert DelayQueue[int]().get(timeout=0.05) is None


def test_close_wakes_waiting_getters() -> None:
    jobs: DelayQueue[int] = DelayQueue()
    results: list[int | None] = []
    getter = threading.Thread(target=lambda: results.append(jobs.get()))
    getter.start()
    jobs.close()
    getter.join(timeout=5)
    assert not getter.is_alive()
    assert results == [None]
