"""The bad-input matrix of docs/reliability.md: one case per row, the real executor driven as the scheduler
drives it, through boto3, against the local moto-backed ECS endpoint.

Each case checks the row's promises: the user sees a message naming the key (or executor_config entry)
and the fix; the scheduler keeps running (heartbeat returns and sync never fails); a good task queued
alongside still succeeds; nothing already queued is lost. Settings that cannot work stop the scheduler
at start instead, before any task is taken. Other tests cover single rows in more depth: the "also"
notes in docs/reliability.md's test column name them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from farflow.executor.settings import OPTIONS, ConfigError
from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint
from tests.integration.executor.conftest import Driver, Seeded
from tests.integration.executor.fake_task import GATE
from tests.integration.executor.test_executor import event_text, queue

REQUIRED = [option.name for option in OPTIONS if option.required]
LACKS_AIRFLOW = "no-airflow-container"  # a task definition whose only container is "base"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The warnings of farflow's background threads (the executor class logs through Airflow's own)."""
    caplog.set_level(logging.WARNING, logger="farflow")
    return caplog


def scheduler_went_on(driver: Driver) -> bool:
    """Heartbeats returned (the test got here) and no sync raised, even into the executor's own catch."""
    driver.beat()
    return bool(driver.executor.sync_failures == 0)


@pytest.fixture
def lacking(seeded: Seeded) -> str:
    seeded.ecs().register_task_definition(
        family=LACKS_AIRFLOW,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "base", "image": "python", "command": ["python", "-c", "pass"]}],
    )
    return LACKS_AIRFLOW


def launched_gated(driver: Driver, task_id: str, gate: Path) -> Any:
    """A task that runs until the test creates `gate`, once ECS has launched it."""
    key = queue(driver, f"gated_{task_id}", executor_config={"env": {GATE: str(gate)}})
    driver.until(lambda: driver.arn(key) is not None, what=f"{task_id}'s launch")
    return key


def run_task_calls(endpoint: LocalEcsEndpoint) -> int:
    return endpoint.calls().get("RunTask", 0)


# --- settings: the scheduler does not start, and says which key to fix ------------------------------


@pytest.mark.parametrize("key", REQUIRED)
def test_a_missing_required_key_stops_the_scheduler_at_start_naming_it(
    key: str, make_executor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from farflow.executor import EcsFargateExecutor

    make_executor(start=False)  # every key set, then one taken away
    monkeypatch.delenv(f"AIRFLOW__ECS_FARGATE__{key.upper()}")
    with pytest.raises(ConfigError, match=rf"\[ecs_fargate\] {key} .*AIRFLOW__ECS_FARGATE__{key.upper()}"):
        EcsFargateExecutor()


WRONG_SETTINGS = {
    "unknown-cluster": ({"cluster": "no-such-cluster"}, "AIRFLOW__ECS_FARGATE__CLUSTER"),
    "unknown-task-definition": (
        {"task_definition": "no-such-family"},
        "AIRFLOW__ECS_FARGATE__TASK_DEFINITION",
    ),
    "container-the-task-definition-lacks": (
        {"container_name": "base"},
        "AIRFLOW__ECS_FARGATE__CONTAINER_NAME",
    ),
}


@pytest.mark.parametrize("case", list(WRONG_SETTINGS))
def test_wrong_settings_fail_the_start_up_check_naming_the_key(case: str, make_executor: Any) -> None:
    from farflow.executor.health import HealthCheckError

    options, variable = WRONG_SETTINGS[case]
    driver = make_executor(start=False, **options)
    with pytest.raises(HealthCheckError, match=variable):
        driver.executor.start()


@pytest.mark.parametrize("case", list(WRONG_SETTINGS))
def test_wrong_settings_without_the_check_fail_each_task_naming_the_key(
    case: str, make_executor: Any
) -> None:
    options, variable = WRONG_SETTINGS[case]
    driver = make_executor(check_health_on_startup=False, **options)
    keys = [queue(driver, f"ok_{index}") for index in range(2)]
    for key in keys:
        assert driver.wait_final(key) == "failed"
        assert "Fix: " in event_text(driver, key) and variable in event_text(driver, key)
    assert scheduler_went_on(driver)


# --- executor_config: the task fails, alone, before any call to AWS (or when ECS refuses it) ---------

REJECTED = {
    "unknown-key": ({"cpus": 2}, "unknown key(s) 'cpus'; farflow accepts: cpu, memory"),
    "wrong-type": ({"cpu": [1]}, "executor_config 'cpu' is [1]: give CPU units as an integer"),
    "invalid-cpu-memory": ({"cpu": 1024, "memory": 9000}, "the nearest valid size is cpu=2048, memory=9216"),
    "gpu-on-fargate": ({"gpu": 1}, "Fargate has no GPUs. Set [ecs_fargate] launch_type"),
    "overrides-over-8192": ({"env": {"BIG": "x" * 9000}}, "over ECS's 8192 limit; move large env values"),
}
REFUSED = {
    "unknown-task-definition": (
        {"task_definition": "no-such-family"},
        "Fix: Register that task definition, or fix executor_config 'task_definition' ('no-such-family')",
    ),
    "container-the-task-definition-lacks": (
        {"task_definition": LACKS_AIRFLOW},
        "not a container in the TaskDefinition. Fix: The task definition of executor_config 'task_definition'",
    ),
}


@pytest.mark.usefixtures("lacking")
@pytest.mark.parametrize("case", [*REJECTED, *REFUSED])
def test_a_bad_executor_config_fails_its_task_alone_naming_the_fix(
    case: str, make_executor: Any, endpoint: LocalEcsEndpoint
) -> None:
    executor_config, says = {**REJECTED, **REFUSED}[case]
    driver = make_executor()
    before = queue(driver, "good_before")
    bad = queue(driver, "bad", executor_config=executor_config)
    after = queue(driver, "good_after")
    assert driver.wait_final(bad) == "failed"
    assert says in event_text(driver, bad)
    assert driver.wait_final(before) == "success" and driver.wait_final(after) == "success"
    sent = 2 + (case in REFUSED)  # a rejected task never reaches AWS
    assert run_task_calls(endpoint) == sent
    assert scheduler_went_on(driver)


# --- AWS has a bad day: tasks wait, none is lost, and the log says why once per interval -------------


def test_expired_credentials_keep_tasks_queued_and_running_until_they_work_again(
    make_executor: Any, endpoint: LocalEcsEndpoint, tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    driver = make_executor()
    gate = tmp_path / "gate"
    running = launched_gated(driver, "running", gate)
    endpoint.faults = FaultSettings(error="ExpiredTokenException")
    waiting = queue(driver, "queued_meanwhile")
    gate.touch()  # the running task ends on ECS; the executor cannot hear of it yet
    tracker = driver.executor.tracker
    driver.until(lambda: tracker.failed_rounds >= 3, what="DescribeTasks rounds to fail")
    driver.until(lambda: "credentials are missing or expired" in logs.text, what="the credentials warning")
    assert driver.final_state(running) is None and driver.final_state(waiting) is None
    assert logs.text.count("credentials are missing or expired (ExpiredTokenException)") == 1
    assert logs.text.count("DescribeTasks failed (ExpiredTokenException") == 1

    endpoint.faults = FaultSettings()
    assert driver.wait_final(running) == "success" and driver.wait_final(waiting) == "success"
    assert scheduler_went_on(driver)


def test_an_endpoint_that_does_not_answer_holds_up_no_heartbeat_and_loses_no_task(
    make_executor: Any, endpoint: LocalEcsEndpoint, tmp_path: Path
) -> None:
    driver = make_executor()
    gate = tmp_path / "gate"
    running = launched_gated(driver, "running", gate)
    endpoint.faults = FaultSettings(hold=True)
    try:
        waiting = queue(driver, "queued_meanwhile")
        driver.until(lambda: run_task_calls(endpoint) == 2, what="the second RunTask to be held")
        calls = endpoint.calls().get("DescribeTasks", 0)
        driver.until(lambda: endpoint.calls().get("DescribeTasks", 0) > calls, what="a DescribeTasks held")
        for _ in range(20):
            driver.beat()  # heartbeats go on while both threads wait on ECS
        assert driver.final_state(running) is None and driver.final_state(waiting) is None
        gate.touch()
    finally:
        endpoint.faults = FaultSettings()
    assert driver.wait_final(running) == "success" and driver.wait_final(waiting) == "success"
    assert scheduler_went_on(driver)


def test_an_endpoint_that_refuses_connections_stops_the_start_or_warns_and_keeps_the_task_queued(
    make_executor: Any, logs: pytest.LogCaptureFixture
) -> None:
    from farflow.executor.health import HealthCheckError

    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    checked = make_executor(start=False, endpoint_url=closed)
    with pytest.raises(HealthCheckError, match=r"Cannot reach ECS.*AIRFLOW__ECS_FARGATE__ENDPOINT_URL"):
        checked.executor.start()

    driver = make_executor(endpoint_url=closed, check_health_on_startup=False)
    key = queue(driver, "ok")
    driver.until(lambda: "A launch failed for now (EndpointConnectionError" in logs.text, what="the warning")
    assert "AIRFLOW__ECS_FARGATE__ENDPOINT_URL" in logs.text
    driver.until(lambda: driver.executor.launcher.calls >= 3, what="retries")
    assert driver.final_state(key) is None  # still queued: retried until its Airflow token runs short
    assert scheduler_went_on(driver)


def test_a_describe_tasks_that_keeps_failing_logs_one_line_and_ends_tasks_once_it_works(
    make_executor: Any, endpoint: LocalEcsEndpoint, tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    driver = make_executor()
    gate = tmp_path / "gate"
    first = launched_gated(driver, "first", gate)
    endpoint.faults = FaultSettings(error="ServerException", error_operations=("DescribeTasks",))
    gate.touch()
    second = queue(driver, "launched_meanwhile")
    driver.until(lambda: driver.arn(second) is not None, what="a launch during the outage")
    tracker = driver.executor.tracker
    driver.until(lambda: tracker.failed_rounds >= 10, what="ten failed DescribeTasks rounds")
    assert driver.final_state(first) is None and driver.final_state(second) is None
    failures = [r for r in logs.records if r.getMessage().startswith("DescribeTasks failed (ServerException")]
    assert len(failures) == 1 and not failures[0].exc_info

    endpoint.faults = FaultSettings()
    assert driver.wait_final(first) == "success" and driver.wait_final(second) == "success"
    assert scheduler_went_on(driver)
    assert "DescribeTasks works again" in logs.text
