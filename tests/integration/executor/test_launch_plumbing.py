"""Credentials, idempotent launches and DescribeTasks batching, against the local endpoint."""

from __future__ import annotations

import logging
import math
import queue
import time
from typing import Any

import pytest

from farflow.executor.launcher import Launcher, LaunchJob, Prepared
from farflow.executor.messages import Launched, Message
from farflow.executor.tracker import Tracker
from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint
from tests.integration.executor.conftest import CLUSTER, Seeded, seed
from tests.integration.executor.test_executor import queue as queue_task


@pytest.fixture
def no_ambient_credentials(seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No credentials anywhere boto3 looks (environment, files, instance metadata), once the endpoint is seeded."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_ambient_credentials")
def test_missing_credentials_keep_tasks_queued_and_warn_once(
    make_executor: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="farflow.executor.launcher")
    driver = make_executor(start=False, check_health_on_startup=False)
    keys = [queue_task(driver, f"ok_{index}") for index in range(3)]
    driver.until(lambda: "credentials are missing" in caplog.text, what="the credentials warning")
    driver.until(lambda: driver.executor.launcher.calls >= 9, what="three attempts per task")
    assert all(driver.final_state(key) is None for key in keys)
    assert caplog.text.count("credentials are missing") == 1

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for key in keys:
        assert driver.wait_final(key, timeout=60) == "success"


def test_a_repeated_launch_with_the_same_token_starts_one_task(seeded: Seeded) -> None:
    results: queue.SimpleQueue[Message] = queue.SimpleQueue()
    launcher = Launcher(
        seeded.ecs,
        results,
        rate=20,
        burst=100,
        concurrency=2,
        capacity_retry_seconds=60,
        warning_interval=60,
    )
    request = {
        "cluster": CLUSTER,
        "taskDefinition": "farflow-airflow",
        "launchType": "FARGATE",
        "clientToken": "same-token-for-both-calls",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": [seeded.subnet]}},
        "overrides": {
            "containerOverrides": [
                {"name": "airflow", "command": ["python", "--json-string", '{"ti": {"task_id": "sleep"}}']}
            ]
        },
    }
    launcher.start()
    try:
        launcher.submit(LaunchJob("first", lambda: Prepared(request), time.monotonic()))
        launcher.submit(LaunchJob("retry", lambda: Prepared(request), time.monotonic()))
        launched = [results.get(timeout=30), results.get(timeout=30)]
    finally:
        launcher.stop()
    assert all(isinstance(message, Launched) for message in launched)
    assert len({message.arn for message in launched if isinstance(message, Launched)}) == 1
    arns = seeded.ecs().list_tasks(cluster=CLUSTER)["taskArns"]
    assert len(arns) == 1
    seeded.ecs().stop_task(cluster=CLUSTER, task=arns[0])


def test_describe_tasks_goes_one_hundred_tasks_a_call() -> None:
    with LocalEcsEndpoint(faults=FaultSettings(), execute=False) as endpoint:
        seeded = seed(endpoint.url)
        ecs = seeded.ecs()
        arns = [
            ecs.run_task(
                cluster=CLUSTER,
                taskDefinition="farflow-airflow",
                launchType="FARGATE",
                networkConfiguration={"awsvpcConfiguration": {"subnets": [seeded.subnet]}},
            )["tasks"][0]["taskArn"]
            for _ in range(150)
        ]
        results: queue.SimpleQueue[Message] = queue.SimpleQueue()
        tracker = Tracker(lambda: ecs, CLUSTER, results, poll_interval=0)
        for arn in arns:
            tracker.track(arn)
        tracker.describe_round()
        tracker.describe_round()
        calls = endpoint.calls()
    assert calls["RunTask"] == 150
    assert calls["DescribeTasks"] == 4
    assert tracker.rounds == 2
    assert tracker.describe_calls == 2 * math.ceil(len(arns) / 100)
    changed = set()
    while not results.empty():
        changed.add(results.get().arn)  # type: ignore[union-attr]
    assert changed == set(arns)


@pytest.mark.usefixtures("no_ambient_credentials")
def test_conn_id_takes_credentials_from_an_airflow_aws_connection(
    make_executor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_FARFLOW_AWS", '{"conn_type": "aws", "login": "conn-key", "password": "conn-secret"}'
    )
    driver = make_executor(conn_id="farflow_aws")
    key = queue_task(driver, "ok")
    assert driver.wait_final(key) == "success"
