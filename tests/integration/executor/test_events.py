"""The executor on task state change events from the local endpoint's queue: real boto3, real SQS (moto).

Events are at least once and unordered, and some are lost: with dropped, duplicated and reordered
events no task is lost and none ends twice; with none, the executor never needs DescribeTasks.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from farflow.executor.cost import read_cost
from farflow.executor.health import HealthCheckError
from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint
from farflow.local.endpoint.calls import FARFLOW_CLIENT
from tests.integration.executor.conftest import CLUSTER, Driver, Seeded
from tests.support.polling import wait_until
from tests.support.workloads import make_workload
from tests.unit.executor.fakes import record_metrics


def queue(driver: Driver, task_id: str) -> Any:
    workload = make_workload(task_id)
    driver.executor.queue_workload(workload, session=None)
    return workload.ti.key


def executor_calls(endpoint: LocalEcsEndpoint) -> dict[str, int]:
    return endpoint.client_calls().get(FARFLOW_CLIENT, {})


def finals(driver: Driver, key: Any) -> list[str]:
    return [state for state, _ in driver.events.get(key, []) if state in {"success", "failed"}]


def test_with_events_tasks_end_on_their_events_alone(
    make_executor: Any, seeded: Seeded, endpoint: LocalEcsEndpoint
) -> None:
    driver = make_executor(events_queue_url=seeded.events_queue_url(), reconcile_interval=600)
    ok, failing = queue(driver, "ok"), queue(driver, "exit_3")
    assert driver.wait_final(ok) == "success"
    assert driver.wait_final(failing) == "failed"
    assert any("exit code 3" in extra for _, extra in driver.task_events(failing))

    # The reader hands a batch's events over, then deletes the batch: the delete may follow the final state.
    def deleted() -> dict[str, int] | None:
        calls = executor_calls(endpoint)
        return calls if calls.get("DeleteMessageBatch", 0) >= 1 else None

    calls = wait_until(deleted, what="the events reader to delete the events it handed over", timeout=30)
    assert calls.get("ReceiveMessage", 0) >= 1
    assert "DescribeTasks" not in calls  # every change came as an event
    assert driver.executor.tracker.views["changed"] >= 2  # at least the two STOPPED events


def test_dropped_duplicated_and_reordered_events_lose_no_task_and_end_none_twice(
    make_executor: Any, seeded: Seeded, endpoint: LocalEcsEndpoint
) -> None:
    endpoint.faults = FaultSettings(
        event_drop_rate=0.3, event_duplicate_rate=0.3, event_reorder_rate=0.3, seed=5
    )
    driver = make_executor(events_queue_url=seeded.events_queue_url(), reconcile_interval=1)
    keys = {queue(driver, f"ok_{index}"): "success" for index in range(6)}
    keys |= {queue(driver, f"exit_{index + 1}"): "failed" for index in range(4)}
    for key, expected in keys.items():
        assert driver.wait_final(key, timeout=60) == expected
    driver.until(lambda: driver.executor.tracker.tracked() == [], what="nothing left tracked")
    assert all(finals(driver, key) == [expected] for key, expected in keys.items())
    counts = endpoint.event_counts()
    assert counts["dropped"] and counts["duplicated"] and counts["delayed"]
    seen = driver.executor.tracker.views
    # The reducer, not luck, kept them from counting twice (a copy may still be on its way: poll).
    driver.until(lambda: seen["duplicate"] + seen["stale"] > 0, what="a duplicate or stale event")
    assert executor_calls(endpoint).get("DescribeTasks", 0) >= 1  # the sweep found what was dropped


def test_when_every_event_is_lost_the_sweep_ends_tasks_within_the_interval(
    make_executor: Any, seeded: Seeded, endpoint: LocalEcsEndpoint
) -> None:
    endpoint.faults = FaultSettings(event_drop_rate=1.0)
    driver = make_executor(events_queue_url=seeded.events_queue_url(), reconcile_interval=1)
    key = queue(driver, "exit_2")
    assert driver.wait_final(key, timeout=30) == "failed"
    assert driver.executor.tracker.views["changed"] == 0


def test_adopted_tasks_follow_their_events_under_a_new_executor(make_executor: Any, seeded: Seeded) -> None:
    url = seeded.events_queue_url()
    first = make_executor(events_queue_url=url, reconcile_interval=600)
    key = queue(first, "sleep_adopt")
    first.until(lambda: first.arn(key) is not None, what="launch")
    arn = first.arn(key)
    first.executor.end()

    second = make_executor(events_queue_url=url, reconcile_interval=600)
    adopted = SimpleNamespace(key=key, external_executor_id=arn, executor_config={})
    assert list(second.executor.try_adopt_task_instances([adopted])) == []
    second.until(lambda: second.executor.tracker.rounds >= 1, what="the adopted task to be described")
    # The first reader's last long poll may still be in flight: a message it takes stays hidden for the
    # queue's visibility timeout (30 s), as designed. Wait for it to end, so the event goes to the second.
    reader = first.executor._events
    second.until(lambda: reader.finished, timeout=30, what="the first executor's last poll to end")
    seeded.ecs().stop_task(cluster=CLUSTER, task=arn, reason="end of adoption test")
    assert second.wait_final(key) == "failed"
    assert Counter(second.executor.tracker.views)["changed"] >= 1  # its STOPPED came as an event


def test_a_queue_that_does_not_exist_fails_the_health_check_naming_the_key(
    make_executor: Any, seeded: Seeded
) -> None:
    missing = seeded.events_queue_url().rsplit("/", 1)[0] + "/no-such-queue"
    with pytest.raises(HealthCheckError, match="AIRFLOW__ECS_FARGATE__EVENTS_QUEUE_URL"):
        make_executor(events_queue_url=missing)


@pytest.mark.parametrize("events", [True, False], ids=["events", "polling"])
def test_the_stopped_tasks_event_says_what_fargate_bills_for_it(
    events: bool, make_executor: Any, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_url = {"events_queue_url": seeded.events_queue_url()} if events else {}
    driver = make_executor(**queue_url)
    recorder = record_metrics(monkeypatch)
    key = queue(driver, "ok")
    assert driver.wait_final(key) == "success"
    (stopped,) = [extra for event, extra in driver.task_events(key) if event == "ecs task stopped"]
    billed = read_cost(stopped)
    # The task definition's 2 vCPU and 4 GB for the one-minute minimum, at us-east-1's prices.
    assert billed is not None and billed.billed_seconds == 60
    assert billed.usd == pytest.approx((2 * 0.04048 + 4 * 0.004445) / 60, abs=1e-6)
    assert "x86_64, Fargate; us-east-1 prices of" in stopped
    [(_, _, kwargs)] = [call for call in recorder.increments if call[0] == "ecs_fargate.cost_microdollars"]
    assert kwargs == {"count": round(billed.usd * 1_000_000), "tags": {"dag_id": key.dag_id}}
