"""The base of every RunTask request, from [ecs_fargate]: each placement, the network, run_task_kwargs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from farflow.executor.request import base_request, build_run_task_request
from farflow.executor.settings import load_settings
from tests.unit.executor.request.support import (
    COMMAND,
    CONFIG,
    CONTAINER,
    EC2,
    EC2_PROVIDER,
    EXECUTOR_TAGS,
    TOKEN,
    airflow_container,
    build,
    config_error,
    env_of,
    spec,
    tags_of,
    valid,
)


def test_fargate_request_has_every_field_it_needs() -> None:
    assert build() == {
        "cluster": "farflow",
        "taskDefinition": "farflow-airflow",
        "count": 1,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "DISABLED",
            }
        },
        "overrides": {"containerOverrides": [{"name": CONTAINER, "command": list(COMMAND)}]},
        "tags": [{"key": key, "value": value} for key, value in EXECUTOR_TAGS.items()],
        "startedBy": "farflow-exec123",
        "clientToken": TOKEN,
    }


def test_assign_public_ip_enabled_on_fargate() -> None:
    awsvpc = build(assign_public_ip="True")["networkConfiguration"]["awsvpcConfiguration"]
    assert awsvpc["assignPublicIp"] == "ENABLED"


def test_ec2_drops_platform_version_and_public_ip() -> None:
    request = build(**EC2)
    assert request["launchType"] == "EC2"
    assert "platformVersion" not in request
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-a", "subnet-b"],
        "securityGroups": ["sg-1"],
    }


def test_ec2_without_subnets_sends_no_network_config() -> None:
    request = build(launch_type="EC2", subnets=None, security_groups=None)
    assert "networkConfiguration" not in request


def test_ec2_with_public_ip_is_a_config_error() -> None:
    message = config_error(launch_type="EC2", assign_public_ip="True")
    assert "assign_public_ip" in message and "AIRFLOW__ECS_FARGATE__ASSIGN_PUBLIC_IP" in message


def test_fargate_capacity_providers_replace_launch_type_and_keep_platform_version() -> None:
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 3}, {"capacityProvider": "FARGATE", "base": 1}]
    request = build(launch_type=None, capacity_provider_strategy=strategy)
    assert request["capacityProviderStrategy"] == strategy
    assert "launchType" not in request
    assert request["platformVersion"] == "LATEST"
    assert request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"


def test_ec2_capacity_provider_is_treated_as_ec2() -> None:
    request = build(**EC2_PROVIDER)
    assert "launchType" not in request and "platformVersion" not in request
    assert "assignPublicIp" not in request["networkConfiguration"]["awsvpcConfiguration"]


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"subnets": None}, id="fargate"),
        pytest.param(
            {
                "subnets": None,
                "launch_type": None,
                "capacity_provider_strategy": [{"capacityProvider": "FARGATE"}],
            },
            id="fargate-provider",
        ),
    ],
)
def test_fargate_without_subnets_is_a_config_error(config: dict[str, Any]) -> None:
    message = config_error(**config)
    assert "[ecs_fargate] subnets" in message and "AIRFLOW__ECS_FARGATE__SUBNETS" in message


def test_security_groups_without_subnets_is_a_config_error_on_ec2() -> None:
    assert "AIRFLOW__ECS_FARGATE__SUBNETS" in config_error(launch_type="EC2", subnets=None)


def test_subnets_may_come_from_run_task_kwargs() -> None:
    kwargs = {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-z"]}}}
    request = build(subnets=None, security_groups=None, run_task_kwargs=kwargs)
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-z"],
        "assignPublicIp": "DISABLED",
    }


def test_run_task_kwargs_are_deep_merged_over_the_config() -> None:
    kwargs = {
        "platformVersion": "1.4.0",
        "enableExecuteCommand": True,
        "networkConfiguration": {"awsvpcConfiguration": {"securityGroups": ["sg-9"]}},
        "overrides": {
            "taskRoleArn": "arn:aws:iam::123456789012:role/etl",
            "containerOverrides": [
                {"name": CONTAINER, "environment": [{"name": "STAGE", "value": "prod"}]},
                {"name": "log-router", "memoryReservation": 64},
            ],
        },
    }
    request = build(run_task_kwargs=kwargs)
    assert request["platformVersion"] == "1.4.0"
    assert request["enableExecuteCommand"] is True
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-a", "subnet-b"],
        "securityGroups": ["sg-9"],
        "assignPublicIp": "DISABLED",
    }
    assert request["overrides"]["taskRoleArn"] == "arn:aws:iam::123456789012:role/etl"
    assert airflow_container(request) == {
        "name": CONTAINER,
        "environment": [{"name": "STAGE", "value": "prod"}],
        "command": list(COMMAND),
    }
    assert {"name": "log-router", "memoryReservation": 64} in request["overrides"]["containerOverrides"]


def test_run_task_kwargs_capacity_strategy_replaces_the_default_launch_type() -> None:
    kwargs = {"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}
    request = build(run_task_kwargs=kwargs)
    assert "launchType" not in request
    assert request["capacityProviderStrategy"] == kwargs["capacityProviderStrategy"]


def test_run_task_kwargs_launch_type_ec2_replaces_fargate() -> None:
    request = build(run_task_kwargs={"launchType": "EC2"})
    assert request["launchType"] == "EC2" and "platformVersion" not in request


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {"overrides": {"containerOverrides": [{"name": CONTAINER, "command": ["echo"]}]}},
            "command",
            id="command",
        ),
        pytest.param({"overrides": {"containerOverrides": [{"cpu": 1}]}}, "'name'", id="unnamed-container"),
        pytest.param(
            {"overrides": {"containerOverrides": [{"name": CONTAINER}, {"name": CONTAINER, "cpu": 1}]}},
            "more than once",
            id="container-twice",
        ),
        pytest.param({"count": 2}, "count", id="count"),
        pytest.param({"clientToken": "x"}, "clientToken", id="clientToken"),
        pytest.param({"startedBy": "me"}, "startedBy", id="startedBy"),
        pytest.param({"cluster": "other"}, "cluster", id="other-cluster"),
        pytest.param({"launchType": "EC2", "capacityProviderStrategy": []}, "both", id="placement-twice"),
        pytest.param({"lauchType": "EC2"}, "'lauchType'", id="typo"),
        pytest.param({"tags": [{"key": "aws:owner", "value": "x"}]}, "aws:", id="reserved-tag"),
        pytest.param({"tags": {"team": "data"}}, "list", id="tags-not-a-list"),
        pytest.param(
            {
                "overrides": {
                    "containerOverrides": [{"name": "x", "environment": [{"name": "A", "value": "v" * 9000}]}]
                }
            },
            "8192",
            id="overrides-too-large",
        ),
    ],
)
def test_run_task_kwargs_that_cannot_work_are_config_errors(kwargs: dict[str, Any], expected: str) -> None:
    message = config_error(run_task_kwargs=kwargs)
    assert expected in message
    assert "AIRFLOW__ECS_FARGATE__RUN_TASK_KWARGS" in message


def test_run_task_kwargs_from_json_text() -> None:
    text = '{"tags": [{"key": "team", "value": "data"}], "propagateTags": "TASK_DEFINITION"}'
    current = load_settings({**CONFIG, "run_task_kwargs": text}.get)
    request = valid(build_run_task_request(current, base_request(current), spec()))
    assert request["propagateTags"] == "TASK_DEFINITION"
    assert tags_of(request)["team"] == "data"


def test_run_task_kwargs_from_a_dotted_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "farflow_test_kwargs.py").write_text(
        "RUN_TASK_KWARGS = {'enableECSManagedTags': True, 'overrides': {'containerOverrides': "
        "[{'name': 'airflow', 'environment': [{'name': 'FROM_MODULE', 'value': '1'}]}]}}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "farflow_test_kwargs", raising=False)
    current = load_settings({**CONFIG, "run_task_kwargs": "farflow_test_kwargs.RUN_TASK_KWARGS"}.get)
    request = valid(build_run_task_request(current, base_request(current), spec({"env": {"EXTRA": "2"}})))
    assert request["enableECSManagedTags"] is True
    assert env_of(request) == {"FROM_MODULE": "1", "EXTRA": "2"}
