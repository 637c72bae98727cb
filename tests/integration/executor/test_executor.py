"""The executor driven through queue_workload() and heartbeat() against the local ECS endpoint.

One test per row of docs/outcomes.md, plus adoption, revoke, terminate, health and bad input.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from farflow.local.endpoint import FaultSettings
from tests.integration.executor.conftest import CLUSTER, Driver, Seeded
from tests.support.workloads import FAKE_TOKEN, make_workload
from tests.unit.executor.fakes import record_metrics


def queue(driver: Driver, task_id: str, **kwargs: Any) -> Any:
    workload = make_workload(task_id, **kwargs)
    driver.executor.queue_workload(workload, session=None)
    return workload.ti.key


def ecs_task(seeded: Seeded, arn: str) -> dict[str, Any]:
    return seeded.ecs().describe_tasks(cluster=CLUSTER, tasks=[arn], include=["TAGS"])["tasks"][0]


def event_text(driver: Driver, key: Any) -> str:
    return "\n".join(f"{event}: {extra}" for event, extra in driver.task_events(key))


def test_exit_zero_succeeds_with_arn_as_external_id(make_executor: Any, seeded: Seeded) -> None:
    driver = make_executor()
    key = queue(driver, "ok")
    assert driver.wait_final(key) == "success"
    arn = driver.arn(key)
    assert arn is not None and arn.startswith("arn:aws:ecs:")
    task = ecs_task(seeded, arn)
    assert task["lastStatus"] == "STOPPED"
    assert task["startedBy"].startswith("farflow-")
    tags = {tag["key"]: tag["value"] for tag in task.get("tags", [])}
    assert tags["airflow:task_id"] == "ok"
    assert ("ecs task launched", arn) in driver.task_events(key)
    assert key not in driver.executor.running


def test_nonzero_exit_fails_with_exit_code_in_task_event(make_executor: Any) -> None:
    driver = make_executor()
    key = queue(driver, "exit_3")
    assert driver.wait_final(key) == "failed"
    assert "exit code 3" in event_text(driver, key).lower()


def test_invalid_fargate_size_fails_before_any_call(make_executor: Any, seeded: Seeded) -> None:
    driver = make_executor()
    key = queue(driver, "ok", executor_config={"cpu": 256, "memory": 4096})
    assert driver.wait_final(key, timeout=5) == "failed"
    assert "256" in event_text(driver, key)
    assert seeded.ecs().list_tasks(cluster=CLUSTER)["taskArns"] == []


def test_oversized_overrides_fail_before_any_call(make_executor: Any, seeded: Seeded) -> None:
    driver = make_executor()
    key = queue(driver, "ok", executor_config={"env": {"BIG": "x" * 9000}})
    assert driver.wait_final(key, timeout=5) == "failed"
    assert "8192" in event_text(driver, key)
    assert seeded.ecs().list_tasks(cluster=CLUSTER)["taskArns"] == []


def test_permanent_error_fails_at_once_with_aws_message(make_executor: Any) -> None:
    driver = make_executor()
    key = queue(driver, "ok", executor_config={"task_definition": "no-such-family"})
    assert driver.wait_final(key) == "failed"
    assert "ecs task launch failed" in event_text(driver, key)


def test_throttling_retries_without_failing_the_task(make_executor: Any, endpoint: Any) -> None:
    driver = make_executor()
    endpoint.faults = FaultSettings(throttle_rate=1.0)
    key = queue(driver, "ok")
    driver.until(lambda: driver.executor.launcher.rate_limiter.rate < 20, what="the launcher to slow down")
    assert driver.final_state(key) is None
    endpoint.faults = FaultSettings()
    assert driver.wait_final(key) == "success"


def test_capacity_shortage_retries_then_launches(make_executor: Any, endpoint: Any) -> None:
    endpoint.faults = FaultSettings(capacity_rate=1.0)
    driver = make_executor()
    key = queue(driver, "ok")
    driver.until(
        lambda: any(e == "ecs task waiting for capacity" for e, _ in driver.task_events(key)),
        what="a capacity retry",
    )
    endpoint.faults = FaultSettings()
    assert driver.wait_final(key) == "success"


def test_capacity_shortage_past_deadline_fails_with_reason(make_executor: Any, endpoint: Any) -> None:
    endpoint.faults = FaultSettings(capacity_rate=1.0)
    driver = make_executor(capacity_retry_seconds=1)
    key = queue(driver, "ok")
    assert driver.wait_final(key) == "failed"
    assert "Capacity is unavailable" in event_text(driver, key)


def test_start_failure_is_relaunched_transparently(make_executor: Any, endpoint: Any) -> None:
    endpoint.faults = FaultSettings(start_failure_rate=1.0)
    driver = make_executor()
    key = queue(driver, "ok")
    driver.until(
        lambda: any(e == "ecs task relaunched" for e, _ in driver.task_events(key)), what="a relaunch"
    )
    endpoint.faults = FaultSettings()
    assert driver.wait_final(key) == "success"
    assert "CannotPullContainerError" in event_text(driver, key)


def test_spot_interruption_before_start_relaunches_a_bounded_number_of_times(
    make_executor: Any, endpoint: Any
) -> None:
    endpoint.faults = FaultSettings(spot_interruption_rate=1.0)
    driver = make_executor(max_relaunches=2)
    key = queue(driver, "ok")
    assert driver.wait_final(key) == "failed"
    relaunches = [e for e, _ in driver.task_events(key) if e == "ecs task relaunched"]
    assert len(relaunches) == 2
    assert "SpotInterruption" in event_text(driver, key)


def test_stop_task_fails_the_task_with_its_reason(make_executor: Any, seeded: Seeded) -> None:
    driver = make_executor()
    key = queue(driver, "sleep_stop")
    driver.until(lambda: driver.arn(key) is not None, what="launch")
    arn = driver.arn(key)
    driver.until(lambda: ecs_task(seeded, arn)["lastStatus"] == "RUNNING", what="RUNNING")
    seeded.ecs().stop_task(cluster=CLUSTER, task=arn, reason="operator pulled the plug")
    assert driver.wait_final(key) == "failed"
    assert "operator pulled the plug" in event_text(driver, key)


def test_revoke_stops_the_ecs_task_without_events(make_executor: Any, seeded: Seeded) -> None:
    driver = make_executor()
    key = queue(driver, "sleep_revoke")
    driver.until(lambda: driver.arn(key) is not None, what="launch")
    arn = driver.arn(key)
    driver.executor.revoke_task(ti=SimpleNamespace(key=key))
    assert key not in driver.executor.running
    driver.until(lambda: ecs_task(seeded, arn)["lastStatus"] == "STOPPED", what="the ECS task to stop")
    assert ecs_task(seeded, arn)["stopCode"] == "UserInitiated"
    driver.beat()
    assert driver.final_state(key) is None


def test_adoption_after_restart_keeps_known_tasks_and_hands_back_the_rest(
    make_executor: Any, seeded: Seeded
) -> None:
    first = make_executor()
    key = queue(first, "sleep_adopt")
    first.until(lambda: first.arn(key) is not None, what="launch")
    arn = first.arn(key)
    first.executor.end()

    second = make_executor()
    adopted = SimpleNamespace(key=key, external_executor_id=arn, executor_config={})
    stranger = SimpleNamespace(
        key=make_workload("gone").ti.key,
        external_executor_id=f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/0123456789abcdef",
        executor_config={},
    )
    assert list(second.executor.try_adopt_task_instances([adopted, stranger])) == [stranger]
    assert key in second.executor.running
    seeded.ecs().stop_task(cluster=CLUSTER, task=arn, reason="end of adoption test")
    assert second.wait_final(key) == "failed"


def test_terminate_stops_only_this_executors_tasks(make_executor: Any, seeded: Seeded) -> None:
    driver = make_executor()
    key = queue(driver, "sleep_terminate")
    driver.until(lambda: driver.arn(key) is not None, what="launch")
    ecs = seeded.ecs()
    other = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition="farflow-airflow",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [seeded.subnet]}},
        overrides={
            "containerOverrides": [
                {
                    "name": "airflow",
                    "command": ["python", "--json-string", '{"ti": {"task_id": "sleep_other"}}'],
                }
            ]
        },
    )["tasks"][0]["taskArn"]
    driver.executor.terminate()
    arn = driver.arn(key)
    driver.until(lambda: ecs_task(seeded, arn)["lastStatus"] == "STOPPED", what="our task to stop")
    assert ecs_task(seeded, other)["lastStatus"] != "STOPPED"
    ecs.stop_task(cluster=CLUSTER, task=other)


def test_tokens_never_reach_logs_or_events(make_executor: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    driver = make_executor()
    keys = [queue(driver, "ok"), queue(driver, "exit_2"), queue(driver, "ok", executor_config={"cpu": 3})]
    for key in keys:
        driver.wait_final(key)
    assert FAKE_TOKEN not in caplog.text
    assert all(FAKE_TOKEN not in str(extra) for key in keys for _, extra in driver.task_events(key))


def test_health_check_names_a_missing_cluster(make_executor: Any) -> None:
    from farflow.executor.health import HealthCheckError

    driver = make_executor(start=False, cluster="no-such-cluster")
    with pytest.raises(HealthCheckError, match=r"no-such-cluster.*AIRFLOW__ECS_FARGATE__CLUSTER"):
        driver.executor.start()


def test_health_check_names_a_missing_container(make_executor: Any) -> None:
    from farflow.executor.health import HealthCheckError

    driver = make_executor(start=False, container_name="base")
    with pytest.raises(HealthCheckError, match="no container named 'base'"):
        driver.executor.start()


def test_missing_mandatory_key_names_key_and_variable(
    make_executor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from farflow.executor import EcsFargateExecutor
    from farflow.executor.settings import ConfigError

    make_executor(start=False)
    monkeypatch.delenv("AIRFLOW__ECS_FARGATE__CLUSTER")
    with pytest.raises(ConfigError, match=r"\[ecs_fargate\] cluster.*AIRFLOW__ECS_FARGATE__CLUSTER"):
        EcsFargateExecutor()


def test_metrics_cover_launches_throttles_capacity_relaunches_and_failures(
    make_executor: Any, endpoint: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = make_executor()
    recorder = record_metrics(monkeypatch)
    key = queue(driver, "ok")
    endpoint.faults = FaultSettings(throttle_rate=1.0)
    driver.until(lambda: ("incr", "ecs_fargate.throttles") in recorder.names, what="a throttle metric")
    endpoint.faults = FaultSettings(capacity_rate=1.0)
    driver.until(lambda: ("incr", "ecs_fargate.capacity_retries") in recorder.names, what="a capacity metric")
    endpoint.faults = FaultSettings(start_failure_rate=1.0)
    driver.until(lambda: ("incr", "ecs_fargate.relaunches") in recorder.names, what="a relaunch metric")
    endpoint.faults = FaultSettings()
    assert driver.wait_final(key) == "success"
    rejected = queue(driver, "bad_family", executor_config={"task_definition": "no-such-family"})
    assert driver.wait_final(rejected) == "failed"
    assert {
        ("timing", "ecs_fargate.launch_latency"),
        ("incr", "ecs_fargate.launch_failures"),
        ("gauge", "ecs_fargate.pending"),
        ("gauge", "ecs_fargate.running"),
    } <= recorder.names


def test_adoption_finds_a_task_whose_run_task_answer_never_arrived(
    make_executor: Any, seeded: Seeded, endpoint: Any
) -> None:
    """A scheduler killed with RunTask in flight recorded no ARN; its task runs on and is adopted, not
    handed back to be reset and launched again beside it."""
    endpoint.faults = FaultSettings(run_task_answer_delay_ms=3000)
    first = make_executor()
    key = queue(first, "sleep_adopt")
    first.beat()

    def created() -> list[str]:
        return list(seeded.ecs().list_tasks(cluster=CLUSTER, desiredStatus="RUNNING")["taskArns"])

    first.until(lambda: bool(created()), what="RunTask to create the task")
    assert first.arn(key) is None  # the answer is still held
    (arn,) = created()
    endpoint.faults = FaultSettings()

    second = make_executor()
    orphan = SimpleNamespace(key=key, external_executor_id=None, executor_config={})
    never_launched = SimpleNamespace(
        key=make_workload("never").ti.key, external_executor_id=None, executor_config={}
    )
    assert list(second.executor.try_adopt_task_instances([orphan, never_launched])) == [never_launched]
    assert orphan.external_executor_id == arn
    assert key in second.executor.running
    seeded.ecs().stop_task(cluster=CLUSTER, task=arn, reason="end of adoption test")
    assert second.wait_final(key) == "failed"
