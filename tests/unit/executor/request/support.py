"""What the request tests share: settings, a launch spec, and a build that checks ECS's RunTask shape."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.session import get_session
from botocore.validate import validate_parameters

from farflow.executor.request import (
    InvalidTaskRequest,
    LaunchSpec,
    base_request,
    build_run_task_request,
    client_token,
)
from farflow.executor.settings import ConfigError, ExecutorSettings, settings_from_mapping

RUN_TASK_SHAPE = get_session().get_service_model("ecs").operation_model("RunTask").input_shape

SECRET = "eyJhbGciOiJIUzI1NiJ9.SECRET-JWT"
COMMAND = (
    "python",
    "-m",
    "airflow.sdk.execution_time.execute_workload",
    "--json-string",
    f'{{"token":"{SECRET}"}}',
)
CONTAINER = "airflow"
EXECUTOR_TAGS = {"farflow:executor": "exec123", "airflow:dag_id": "etl", "airflow:task_id": "load"}
TOKEN = client_token("etl", "load", "manual__2026-01-01T00:00:00+00:00", -1, 1, 0)
CONFIG: dict[str, Any] = {
    "region": "us-east-1",
    "cluster": "farflow",
    "container_name": CONTAINER,
    "task_definition": "farflow-airflow",
    "subnets": "subnet-a,subnet-b",
    "security_groups": "sg-1",
}
EC2 = {"launch_type": "EC2"}
EC2_PROVIDER = {"capacity_provider_strategy": [{"capacityProvider": "gpu-asg", "weight": 1}]}


def settings(**config: Any) -> ExecutorSettings:
    return settings_from_mapping({**CONFIG, **config})


def spec(executor_config: Any = None, **fields: Any) -> LaunchSpec:
    values: dict[str, Any] = {
        "command": COMMAND,
        "executor_config": executor_config or {},
        "client_token": TOKEN,
        "started_by": "farflow-exec123",
        "tags": EXECUTOR_TAGS,
        **fields,
    }
    return LaunchSpec(**values)


def valid(request: dict[str, Any]) -> dict[str, Any]:
    validate_parameters(request, RUN_TASK_SHAPE)  # raises ParamValidationError if ECS would refuse the shape
    return request


def build(executor_config: Any = None, **config: Any) -> dict[str, Any]:
    current = settings(**config)
    return valid(build_run_task_request(current, valid(base_request(current)), spec(executor_config)))


def rejected(executor_config: Any, **config: Any) -> str:
    with pytest.raises(InvalidTaskRequest) as info:
        build(executor_config, **config)
    message = str(info.value)
    assert SECRET not in message and "execute_workload" not in message  # the command never leaks
    return message


def config_error(**config: Any) -> str:
    with pytest.raises(ConfigError) as info:
        base_request(settings(**config))
    return str(info.value)


def airflow_container(request: dict[str, Any]) -> dict[str, Any]:
    entries = [item for item in request["overrides"]["containerOverrides"] if item["name"] == CONTAINER]
    assert len(entries) == 1
    return entries[0]


def env_of(request: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in airflow_container(request).get("environment", [])}


def tags_of(request: dict[str, Any]) -> dict[str, str]:
    return {item["key"]: item["value"] for item in request["tags"]}
