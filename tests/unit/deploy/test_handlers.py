"""The custom resources' Lambda handlers, with fake AWS clients: what they call and what they report."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from farflow.deploy.handlers import fernet_key, migration

PROPERTIES = {
    "Cluster": "farflow",
    "TaskDefinition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/farflow-migration:7",
    "ContainerName": "migration",
    "Subnets": ["subnet-a", "subnet-b"],
    "SecurityGroups": ["sg-1"],
    "AssignPublicIp": "DISABLED",
    "LogGroup": "/farflow/airflow",
    "StreamPrefix": "migration",
    "ImageHash": "abc",
    "TimeoutSeconds": "2700",
}
TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/farflow/0123456789abcdef"
REQUEST_ID = "5b4e4b8c-6a2e-4d1c-9f5e-2b7f0c1d2e3f"


class FakeEcs:
    def __init__(
        self, tasks: list[dict[str, Any]] | None = None, failures: list[dict[str, str]] | None = None
    ):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.tasks = tasks if tasks is not None else [{"taskArn": TASK_ARN}]
        self.failures = failures or []

    def run_task(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("run_task", request))
        return {"tasks": self.tasks, "failures": self.failures}

    def describe_tasks(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("describe_tasks", request))
        return {"tasks": self.tasks, "failures": self.failures}


def _event(request_type: str, **extra: Any) -> dict[str, Any]:
    return {"RequestType": request_type, "ResourceProperties": PROPERTIES, **extra}


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_start_one_fargate_task_in_the_given_network(request_type: str) -> None:
    ecs = FakeEcs()
    event = _event(request_type, PhysicalResourceId="farflow-migration", RequestId=REQUEST_ID)
    result = migration.on_event(event, ecs=ecs, now=lambda: 1000.0)
    assert result == {
        "PhysicalResourceId": "farflow-migration",
        "Data": {"TaskArn": TASK_ARN, "Deadline": "3700.0"},
    }
    [(name, request)] = ecs.calls
    assert name == "run_task"
    assert request == {
        "cluster": "farflow",
        "taskDefinition": PROPERTIES["TaskDefinition"],
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": "farflow-migration",
        "clientToken": REQUEST_ID,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "DISABLED",
            }
        },
    }


def test_delete_runs_nothing() -> None:
    ecs = FakeEcs()
    assert migration.on_event(_event("Delete", PhysicalResourceId="x"), ecs=ecs) == {
        "PhysicalResourceId": "x"
    }
    assert migration.is_complete(_event("Delete"), ecs=ecs) == {"IsComplete": True}
    assert ecs.calls == []


def test_a_task_ecs_would_not_start_fails_the_deploy_with_the_reason() -> None:
    ecs = FakeEcs(tasks=[], failures=[{"arn": PROPERTIES["TaskDefinition"], "reason": "MISSING"}])
    with pytest.raises(RuntimeError, match="MISSING"):
        migration.on_event(_event("Create"), ecs=ecs)
    assert len(ecs.calls) == 1  # not a failure waiting can fix: no retry


def _check(task: dict[str, Any]) -> dict[str, Any]:
    ecs = FakeEcs(tasks=[{"taskArn": TASK_ARN, **task}])
    return migration.is_complete(_event("Update", Data={"TaskArn": TASK_ARN, "Deadline": "1e12"}), ecs=ecs)


def test_running_task_is_not_complete() -> None:
    assert _check({"lastStatus": "RUNNING", "containers": [{"name": "migration"}]}) == {"IsComplete": False}


def test_exit_code_zero_completes() -> None:
    assert _check({"lastStatus": "STOPPED", "containers": [{"name": "migration", "exitCode": 0}]}) == {
        "IsComplete": True
    }


def test_nonzero_exit_fails_the_deploy_and_points_at_the_log_stream() -> None:
    with pytest.raises(RuntimeError) as raised:
        _check(
            {
                "lastStatus": "STOPPED",
                "stopCode": "EssentialContainerExited",
                "stoppedReason": "Essential container in task exited",
                "containers": [{"name": "sidecar", "exitCode": 0}, {"name": "migration", "exitCode": 1}],
            }
        )
    message = str(raised.value)
    assert "exit code 1" in message
    assert "EssentialContainerExited" in message
    assert "/farflow/airflow, stream migration/migration/0123456789abcdef" in message


def test_task_that_never_started_fails_with_ecs_reason() -> None:
    with pytest.raises(RuntimeError, match="CannotPullContainerError"):
        _check(
            {
                "lastStatus": "STOPPED",
                "stopCode": "TaskFailedToStart",
                "stoppedReason": "CannotPullContainerError: pull access denied",
                "containers": [{"name": "migration"}],
            }
        )


def test_task_unknown_to_ecs_fails() -> None:
    ecs = FakeEcs(tasks=[], failures=[{"arn": TASK_ARN, "reason": "MISSING"}])
    with pytest.raises(RuntimeError, match="MISSING"):
        migration.is_complete(_event("Update", Data={"TaskArn": TASK_ARN, "Deadline": "1e12"}), ecs=ecs)


class FakeSecrets:
    def __init__(self, value: str):
        self.value = value
        self.puts: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": self.value}

    def put_secret_value(self, SecretId: str, SecretString: str) -> None:
        self.puts.append(SecretString)
        self.value = SecretString


def test_fernet_key_replaces_the_generated_password_with_a_fernet_key() -> None:
    from cryptography.fernet import Fernet

    client = FakeSecrets("GeneratedPasswordNotAKey")
    result = fernet_key.on_event(
        {"RequestType": "Create", "ResourceProperties": {"SecretId": "arn:secret"}}, client=client
    )
    assert result == {"PhysicalResourceId": "arn:secret"}  # the key itself is never returned
    [key] = client.puts
    Fernet(key.encode())  # Airflow builds exactly this
    assert len(base64.urlsafe_b64decode(key)) == 32


def test_fernet_key_once_written_is_never_replaced() -> None:
    key = fernet_key.new_fernet_key()
    client = FakeSecrets(key)
    fernet_key.on_event({"RequestType": "Update", "ResourceProperties": {"SecretId": "s"}}, client=client)
    assert client.puts == []
    assert client.value == key


def test_fernet_key_delete_touches_nothing() -> None:
    client = FakeSecrets("x")
    fernet_key.on_event({"RequestType": "Delete", "ResourceProperties": {"SecretId": "s"}}, client=client)
    assert client.puts == []


@pytest.mark.parametrize("value", ["", "short", "é" * 44, base64.urlsafe_b64encode(b"x" * 31).decode()])
def test_only_32_byte_urlsafe_keys_count_as_fernet_keys(value: str) -> None:
    assert not fernet_key.is_fernet_key(value)
