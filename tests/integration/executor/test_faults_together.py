"""The executor, driven as the scheduler drives it, while the endpoint injects every launch fault at once
(a small, fast cousin of tests/soak): each task ends as its code asks and runs in exactly one container."""

from __future__ import annotations

from collections import Counter
from typing import Any

from farflow.local.endpoint import FaultSettings
from tests.integration.executor.conftest import Seeded
from tests.integration.executor.test_executor import queue

EVERY_FAULT = FaultSettings(
    throttle_rate=0.2,
    capacity_rate=0.1,
    server_error_rate=0.3,
    spot_interruption_rate=0.1,
    start_failure_rate=0.05,
    seed=4,
)
MAX_RELAUNCHES = 10


def test_server_error_after_the_task_was_created_launches_it_once(make_executor: Any, endpoint: Any) -> None:
    endpoint.faults = FaultSettings(server_error_rate=1.0)
    driver = make_executor()
    key = queue(driver, "ok")
    assert driver.wait_final(key) == "success"
    assert endpoint.fault_counts() == {"server_error_rate": 1}
    assert [start.tags["airflow:task_id"] for start in endpoint.started_containers()] == ["ok"]


def test_every_fault_at_once_each_task_ends_right_and_runs_once(
    make_executor: Any, endpoint: Any, seeded: Seeded
) -> None:
    endpoint.faults = EVERY_FAULT
    # A launch ends before its container starts (a Spot interruption or a start failure) with chance
    # 0.15; with the default 3 relaunches, a task fails unrun after 4 such launches in a row, which over
    # 20 tasks happens in about one run in a hundred (and then rightly: max_relaunches is spent). 10
    # relaunches make that about 1 in 10^8, so every task here runs exactly once.
    driver = make_executor(
        workload_store=seeded.workload_store, capacity_retry_seconds=120, max_relaunches=MAX_RELAUNCHES
    )
    keys = {queue(driver, f"ok_{index}"): "success" for index in range(16)}
    keys |= {queue(driver, f"exit_{code}"): "failed" for code in (3, 4, 5, 6)}
    driver.until(lambda: all(driver.final_state(key) for key in keys), timeout=120, what="every task")
    assert {key.task_id: driver.final_state(key) for key in keys} == {
        key.task_id: state for key, state in keys.items()
    }
    runs = Counter(start.tags["airflow:task_id"] for start in endpoint.started_containers())
    assert runs == Counter({key.task_id: 1 for key in keys}), endpoint.fault_counts()
    assert endpoint.fault_counts().get("server_error_rate", 0) > 0
