from __future__ import annotations

from typing import Any

import pytest

from farflow.local.endpoint.image_resolver import ImageResolver
from farflow.local.endpoint.logs import LogTarget
from farflow.local.endpoint.plan import StartFailure, TaskContext, plan_task, task_memory_mib

ARN = "arn:aws:ecs:us-east-1:123456789012:task/c/0123abcd"
CONTEXT = TaskContext(
    task_arn=ARN,
    account="123456789012",
    region="us-east-1",
    endpoint_url="http://127.0.0.1:5555",
    base_env={"PATH": "/bin", "AWS_REGION": "from-base", "KEEP": "base"},
)
IMAGES = ImageResolver(python="/env/bin/python")


def container(**extra: Any) -> dict[str, Any]:
    return {"name": "main", "image": "apache/airflow:3", "command": ["python", "-c", "pass"], **extra}


def test_environment_precedence() -> None:
    definition = container(
        environment=[{"name": "A", "value": "def"}, {"name": "AWS_REGION", "value": "eu-west-1"}]
    )
    overrides = {
        "containerOverrides": [{"name": "main", "environment": [{"name": "A", "value": "override"}]}]
    }
    env = plan_task(CONTEXT, [definition], overrides, IMAGES)["main"].env
    assert env["KEEP"] == "base"
    assert env["PATH"] == "/bin"
    assert env["A"] == "override"
    assert env["AWS_REGION"] == "eu-west-1"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5555"
    assert "AWS_ACCESS_KEY_ID" not in env  # no task role: no credentials, as on Fargate
    assert env["FARFLOW_ECS_TASK_ARN"] == ARN


def test_override_command_replaces_the_definitions_and_follows_the_entry_point() -> None:
    definition = container(entryPoint=["python", "-u"], command=["old.py"])
    overrides = {"containerOverrides": [{"name": "main", "command": ["new.py", "--flag"]}]}
    plan = plan_task(CONTEXT, [definition], overrides, IMAGES)["main"]
    assert plan.argv == ("/env/bin/python", "-u", "new.py", "--flag")


def test_only_essential_containers_run() -> None:
    sidecar = {"name": "router", "image": "fluent-bit", "essential": False}
    plans = plan_task(CONTEXT, [container(), sidecar], {}, IMAGES)
    assert list(plans) == ["main"]


def test_no_command_cannot_start() -> None:
    with pytest.raises(StartFailure, match="has no command"):
        plan_task(CONTEXT, [container(command=None)], {}, IMAGES)


def test_unknown_image_cannot_start() -> None:
    with pytest.raises(StartFailure, match=r"^CannotPullContainerError:"):
        plan_task(CONTEXT, [container(image="nginx")], {}, IMAGES)


def test_awslogs_stream_is_prefix_container_task_id() -> None:
    options = {"awslogs-group": "/g", "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}
    plan = plan_task(
        CONTEXT, [container(logConfiguration={"logDriver": "awslogs", "options": options})], {}, IMAGES
    )
    assert plan["main"].log == LogTarget("123456789012", "us-east-1", "/g", "ecs/main/0123abcd", True)


def test_awslogs_without_group_cannot_start() -> None:
    config = {"logDriver": "awslogs", "options": {"awslogs-stream-prefix": "ecs"}}
    with pytest.raises(StartFailure, match="awslogs-group"):
        plan_task(CONTEXT, [container(logConfiguration=config)], {}, IMAGES)


def test_memory_limits() -> None:
    assert task_memory_mib({"memory": "64"}, "512") == 64
    assert task_memory_mib({}, "1 GB") == 1024
    assert task_memory_mib({}, None) is None
    overrides = {"containerOverrides": [{"name": "main", "memory": 128}]}
    assert plan_task(CONTEXT, [container(memory=256)], overrides, IMAGES)["main"].memory_mib == 128
    assert plan_task(CONTEXT, [container(memory=256)], {}, IMAGES)["main"].memory_mib == 256


def test_stop_timeout_defaults_to_ecs() -> None:
    assert plan_task(CONTEXT, [container()], {}, IMAGES)["main"].stop_timeout == 30.0
    assert plan_task(CONTEXT, [container(stopTimeout=2)], {}, IMAGES)["main"].stop_timeout == 2.0


def test_plans_keep_secrets_out_of_repr() -> None:
    definition = container(
        environment=[{"name": "TOKEN", "value": "s3cret-value"}],
        command=["python", "-m", "work", "--json-string", '{"token": "jwt-value"}'],
    )
    plan = plan_task(CONTEXT, [definition], {}, IMAGES)["main"]
    assert "s3cret-value" not in repr(plan)
    assert "jwt-value" not in repr(plan)
