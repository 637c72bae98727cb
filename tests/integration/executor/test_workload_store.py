"""The executor with [ecs_fargate] workload_store against the local endpoint: real boto3, moto's S3 and
KMS, and farflow's real entry point in each task (fake_task.py stands in only for the Task SDK)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint
from farflow.workload.reference import parse_store_url
from tests.integration.executor.conftest import CLUSTER, Driver, Seeded
from tests.support.workloads import FAKE_TOKEN, make_workload

# A task here runs farflow's entry point, which imports Airflow's workload models (seconds on a busy machine).
SLOW = 120.0


def queue(driver: Driver, task_id: str, **kwargs: Any) -> Any:
    workload = make_workload(task_id, **kwargs)
    driver.executor.queue_workload(workload, session=None)
    return workload.ti.key


def stored_keys(seeded: Seeded) -> list[str]:
    store = parse_store_url(seeded.workload_store)
    listing = seeded.client("s3").list_objects_v2(Bucket=store.bucket, Prefix=store.prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def event_text(driver: Driver, key: Any) -> str:
    return "\n".join(f"{event}: {extra}" for event, extra in driver.task_events(key))


def test_runtask_carries_only_the_objects_url_and_the_task_succeeds_leaving_nothing(
    make_executor: Any, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # botocore then logs every request body, the workload's included
    driver = make_executor(workload_store=seeded.workload_store)  # start-up check: SSE-KMS, own key
    key = queue(driver, "ok")
    assert driver.wait_final(key, timeout=SLOW) == "success"
    arn = driver.arn(key)
    assert arn is not None
    # What anyone allowed ecs:DescribeTasks sees of the task: the object's URL, no token.
    [task] = seeded.ecs().describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"]
    [container] = task["overrides"]["containerOverrides"]
    [python, flag, module, reference] = container["command"]
    assert (python, flag, module) == ("python", "-m", "farflow.workload")
    assert reference.startswith(f"{seeded.workload_store}farflow-airflow/") and reference.endswith(".json")
    assert FAKE_TOKEN not in json.dumps(task, default=str)
    driver.until(lambda: stored_keys(seeded) == [], what="the object to be gone", timeout=SLOW)
    assert FAKE_TOKEN not in caplog.text


def test_a_task_whose_object_was_deleted_fails_saying_so(
    make_executor: Any, seeded: Seeded, endpoint: LocalEcsEndpoint
) -> None:
    """The object is written, RunTask finds no capacity; the object is deleted while the launch waits to
    retry; the retried launch starts a container that finds nothing to run."""
    endpoint.faults = FaultSettings(capacity_rate=1.0)
    driver = make_executor(workload_store=seeded.workload_store)
    key = queue(driver, "ok")
    driver.until(lambda: bool(stored_keys(seeded)), what="the workload to be written", timeout=SLOW)
    [object_key] = stored_keys(seeded)
    seeded.client("s3").delete_object(Bucket=parse_store_url(seeded.workload_store).bucket, Key=object_key)
    endpoint.faults = FaultSettings()
    assert driver.wait_final(key, timeout=SLOW) == "failed"
    text = event_text(driver, key)
    assert "exit code 66: the workload object does not exist" in text, text
    assert FAKE_TOKEN not in text


def test_a_task_that_never_started_has_its_object_deleted_by_the_executor(
    make_executor: Any, seeded: Seeded, endpoint: LocalEcsEndpoint
) -> None:
    endpoint.faults = FaultSettings(start_failure_rate=1.0)
    driver = make_executor(workload_store=seeded.workload_store, max_relaunches="0")
    key = queue(driver, "ok")
    assert driver.wait_final(key, timeout=SLOW) == "failed"
    assert "TaskFailedToStart" in event_text(driver, key)
    driver.until(
        lambda: stored_keys(seeded) == [], what="the executor to delete the unread object", timeout=SLOW
    )


def test_a_launch_that_runtask_refuses_deletes_its_object(make_executor: Any, seeded: Seeded) -> None:
    driver = make_executor(workload_store=seeded.workload_store)
    key = queue(driver, "ok", executor_config={"task_definition": "no-such-family"})
    assert driver.wait_final(key, timeout=SLOW) == "failed"
    driver.until(lambda: stored_keys(seeded) == [], what="the object to be deleted", timeout=SLOW)


def test_the_start_up_check_refuses_a_store_anyone_with_s3_read_could_read(
    make_executor: Any, seeded: Seeded
) -> None:
    from farflow.executor.health import HealthCheckError

    s3 = seeded.client("s3")
    s3.create_bucket(Bucket="farflow-plain-bucket")
    s3.put_bucket_encryption(
        Bucket="farflow-plain-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    driver = make_executor(start=False, workload_store="s3://farflow-plain-bucket/workloads/")
    with pytest.raises(HealthCheckError, match="AES256 encryption, not SSE-KMS"):
        driver.executor.start()
    assert s3.list_objects_v2(Bucket="farflow-plain-bucket").get("KeyCount") == 0  # the probe is gone


def test_the_start_up_check_names_a_missing_bucket_and_the_key_to_fix(make_executor: Any) -> None:
    from farflow.executor.health import HealthCheckError

    driver = make_executor(start=False, workload_store="s3://farflow-no-such-bucket/workloads/")
    with pytest.raises(HealthCheckError, match=r"NoSuchBucket.*AIRFLOW__ECS_FARGATE__WORKLOAD_STORE"):
        driver.executor.start()
