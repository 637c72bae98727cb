"""The fix a permanent RunTask failure's task event names: the farflow key or executor_config entry."""

from __future__ import annotations

from typing import Any

import pytest

from farflow.executor.advice import launch_advice, with_advice

BOTO = "An error occurred ({code}) when calling the RunTask operation (reached max retries: 0): {message}"


def refused(code: str, message: str) -> str:
    return f"{code}: {BOTO.format(code=code, message=message)}"


@pytest.mark.parametrize(
    ("reason", "executor_config", "names"),
    [
        (refused("ClusterNotFoundException", "Cluster not found."), {}, "AIRFLOW__ECS_FARGATE__CLUSTER"),
        (
            refused("ClientException", "Unable to describe task definition."),
            {},
            "AIRFLOW__ECS_FARGATE__TASK_DEFINITION",
        ),
        (
            refused("ClientException", "TaskDefinition not found."),
            {"task_definition": "ml:3"},
            "executor_config 'task_definition' ('ml:3')",
        ),
        (
            refused(
                "InvalidParameterException",
                "Override for container named airflow is not a container in the TaskDefinition.",
            ),
            {"task_definition": "ml:3"},
            "AIRFLOW__ECS_FARGATE__CONTAINER_NAME",
        ),
        (refused("AccessDeniedException", "User is not authorized"), {}, "scheduler's role"),
    ],
    ids=["cluster", "task-definition", "executor-config-task-definition", "container", "denied"],
)
def test_a_refusal_names_the_key_to_fix(reason: str, executor_config: dict[str, Any], names: str) -> None:
    fix = launch_advice(reason, executor_config)
    assert fix is not None and names in fix
    assert with_advice(reason, executor_config) == f"{reason} Fix: {fix}"


def test_a_refusal_without_better_advice_keeps_aws_message_alone() -> None:
    reason = refused("PlatformUnknownException", "The specified platform version does not exist.")
    assert launch_advice(reason, {}) is None
    assert with_advice(reason, {}) == reason
