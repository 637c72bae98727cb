"""The custom resources' handlers when ECS throttles, has no capacity, or a task outlives the deploy.

Real boto3 ECS clients under botocore's Stubber: every request is validated against the ECS model, and
each answer is one ECS could give.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from farflow.deploy.functions import HANDLERS, staged_handlers
from farflow.deploy.handlers import cluster_tasks, migration
from farflow.executor import outcomes
from tests.unit.deploy.test_handlers import PROPERTIES, REQUEST_ID, TASK_ARN

CLUSTER = PROPERTIES["Cluster"]
CAPACITY = "Capacity is unavailable at this time. Please try again later or in a different availability zone"


def _client() -> Any:
    return boto3.client(
        "ecs", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def ecs() -> Iterator[tuple[Any, Stubber]]:
    client = _client()
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _run_task_params() -> dict[str, Any]:
    return migration.run_task_request(PROPERTIES, client_token=REQUEST_ID)


def _create() -> dict[str, Any]:
    return {"RequestType": "Create", "RequestId": REQUEST_ID, "ResourceProperties": PROPERTIES}


class LambdaTime:
    """A Lambda context whose remaining time shrinks by what the handler sleeps."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sleeps: list[float] = []

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.seconds -= seconds


def test_the_migration_reads_the_executors_retry_lists() -> None:
    assert migration.RETRY_CODES is outcomes.RETRY_CODES
    assert migration.CAPACITY_PHRASES is outcomes.CAPACITY_PHRASES


def test_the_staged_lambda_code_imports_without_farflow(tmp_path: Path) -> None:
    """In the Lambda only the staged folder is on the path: the handlers import the shared module there."""
    previous = os.umask(0o077)  # a private umask must not make the code unreadable to Lambda
    try:
        folder = staged_handlers(tmp_path)
    finally:
        os.umask(previous)
    handlers = [path.name for path in HANDLERS.glob("*.py") if path.name != "__init__.py"]
    assert sorted(path.name for path in folder.iterdir()) == sorted([*handlers, "run_task_errors.py"])
    assert {oct(path.stat().st_mode & 0o777) for path in folder.iterdir()} == {oct(0o644)}
    assert staged_handlers(tmp_path) == folder  # staged once per content, never rewritten in place
    probe = (
        f"import sys; sys.path.insert(0, {str(folder)!r})\n"
        "import migration, run_task_errors\n"
        "assert 'farflow' not in sys.modules, sorted(sys.modules)\n"
        "assert migration.CAPACITY_PHRASES is run_task_errors.CAPACITY_PHRASES\n"
        "print(len(migration.RETRY_CODES))"
    )
    # -I: neither the working directory nor PYTHONPATH is on the path; -S: nor site-packages, where
    # farflow is installed (the handlers import boto3 only inside their functions).
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(outcomes.RETRY_CODES)


def test_throttling_and_no_capacity_are_retried_with_one_client_token(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    params = _run_task_params()
    stubber.add_client_error("run_task", "ThrottlingException", "Rate exceeded", 400, expected_params=params)
    stubber.add_response(
        "run_task", {"tasks": [], "failures": [{"reason": CAPACITY}]}, expected_params=params
    )
    stubber.add_response(
        "run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, expected_params=params
    )
    time = LambdaTime(300)
    result = migration.on_event(_create(), context=time, ecs=client, sleep=time.sleep, now=lambda: 0.0)
    assert result["Data"]["TaskArn"] == TASK_ARN
    assert len(time.sleeps) == 2
    assert all(0 <= delay <= migration.MAX_BACKOFF_SECONDS for delay in time.sleeps)


def test_capacity_that_never_comes_fails_the_deploy_before_the_lambda_times_out() -> None:
    client = _client()
    time = LambdaTime(60)
    with Stubber(client) as stubber:  # more answers than the handler has time to use
        for _ in range(200):
            stubber.add_response("run_task", {"tasks": [], "failures": [{"reason": CAPACITY}]})
        with pytest.raises(RuntimeError, match="Capacity is unavailable") as raised:
            migration.on_event(_create(), context=time, ecs=client, sleep=time.sleep)
    assert "did not start after" in str(raised.value)
    assert len(time.sleeps) >= 3
    assert time.seconds >= migration.LAMBDA_MARGIN_SECONDS


def _check_event(deadline: float) -> dict[str, Any]:
    return {
        "RequestType": "Update",
        "ResourceProperties": PROPERTIES,
        "Data": {"TaskArn": TASK_ARN, "Deadline": str(deadline)},
    }


def _running() -> dict[str, Any]:
    return {"tasks": [{"taskArn": TASK_ARN, "lastStatus": "RUNNING", "containers": []}], "failures": []}


def test_a_migration_past_its_deadline_is_stopped_and_fails_the_deploy(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    stubber.add_response("describe_tasks", _running(), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    stubber.add_response(
        "stop_task",
        {"task": {"taskArn": TASK_ARN}},
        {"cluster": CLUSTER, "task": TASK_ARN, "reason": "farflow: the migration timed out"},
    )
    with pytest.raises(RuntimeError, match="did not finish within 2700 seconds"):
        migration.is_complete(_check_event(deadline=100.0), ecs=client, now=lambda: 101.0)


def test_a_running_migration_before_its_deadline_is_left_alone(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    stubber.add_response("describe_tasks", _running())
    assert migration.is_complete(_check_event(deadline=100.0), ecs=client, now=lambda: 99.0) == {
        "IsComplete": False
    }


def test_a_throttled_check_asks_again_later(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    stubber.add_client_error("describe_tasks", "ThrottlingException", "Rate exceeded", 400)
    assert migration.is_complete(_check_event(deadline=100.0), ecs=client, now=lambda: 0.0) == {
        "IsComplete": False
    }


def test_a_check_that_fails_stops_the_migration_and_fails_the_deploy(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    stubber.add_client_error("describe_tasks", "AccessDeniedException", "not authorized", 400)
    stubber.add_response("stop_task", {"task": {"taskArn": TASK_ARN}})
    with pytest.raises(Exception, match="not authorized"):
        migration.is_complete(_check_event(deadline=100.0), ecs=client, now=lambda: 0.0)


# --- the cluster's tasks, stopped before the cluster is deleted ---------------------------------

SERVICE_TASK = f"arn:aws:ecs:eu-west-1:123456789012:task/{CLUSTER}/service0"
AIRFLOW_TASK = f"arn:aws:ecs:eu-west-1:123456789012:task/{CLUSTER}/airflow1"


def _delete() -> dict[str, Any]:
    return {"RequestType": "Delete", "PhysicalResourceId": "x", "ResourceProperties": {"Cluster": CLUSTER}}


def _list(stubber: Stubber, status: str, arns: list[str]) -> None:
    stubber.add_response("list_tasks", {"taskArns": arns}, {"cluster": CLUSTER, "desiredStatus": status})


def _describe(stubber: Stubber, *tasks: dict[str, Any]) -> None:
    arns = [task["taskArn"] for task in tasks]
    stubber.add_response("describe_tasks", {"tasks": list(tasks)}, {"cluster": CLUSTER, "tasks": arns})


def test_delete_stops_every_task_no_service_owns(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    _list(stubber, "RUNNING", [SERVICE_TASK, AIRFLOW_TASK])
    _describe(
        stubber,
        {"taskArn": SERVICE_TASK, "group": "service:farflow-scheduler", "lastStatus": "RUNNING"},
        {"taskArn": AIRFLOW_TASK, "group": "family:farflow-airflow", "lastStatus": "RUNNING"},
    )
    stubber.add_response(
        "stop_task",
        {"task": {"taskArn": AIRFLOW_TASK}},
        {"cluster": CLUSTER, "task": AIRFLOW_TASK, "reason": cluster_tasks.STOP_REASON},
    )
    assert cluster_tasks.on_event(_delete(), ecs=client) == {"PhysicalResourceId": "x"}


def test_delete_completes_only_once_the_stopped_tasks_have_stopped(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    for last_status, complete in (("DEACTIVATING", False), ("STOPPED", True)):
        _list(stubber, "RUNNING", [])
        _list(stubber, "STOPPED", [AIRFLOW_TASK])
        _describe(
            stubber, {"taskArn": AIRFLOW_TASK, "group": "family:farflow-airflow", "lastStatus": last_status}
        )
        assert cluster_tasks.is_complete(_delete(), ecs=client) == {"IsComplete": complete}


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_touch_no_task(ecs: tuple[Any, Stubber], request_type: str) -> None:
    client, _ = ecs
    event = {"RequestType": request_type, "ResourceProperties": {"Cluster": CLUSTER}}
    assert cluster_tasks.on_event(event, ecs=client) == {"PhysicalResourceId": cluster_tasks.PHYSICAL_ID}
    assert cluster_tasks.is_complete(event, ecs=client) == {"IsComplete": True}
