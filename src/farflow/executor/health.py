"""The start-up check: is the cluster there, may we use it, and does the task definition fit?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from farflow.executor.config import ExecutorSettings
from farflow.executor.outcomes import LaunchVerdict, classify_launch_error

ATTEMPTS = 5


class HealthCheckError(RuntimeError):
    """The executor cannot run tasks; the message says what to fix."""


def _denied(error: ClientError, action: str) -> HealthCheckError | None:
    code = error.response.get("Error", {}).get("Code", "")
    if "AccessDenied" in code or "UnauthorizedOperation" in code:
        return HealthCheckError(
            f"farflow's executor lacks the IAM permission {action} ({code}). Grant the scheduler's role "
            "ecs:RunTask, ecs:DescribeTasks, ecs:StopTask, ecs:DescribeClusters, ecs:DescribeTaskDefinition, "
            "ecs:TagResource and iam:PassRole on the task roles."
        )
    return None


def _patiently(call: Callable[..., Any], **kwargs: Any) -> Any:
    """Ride out throttling and passing faults, so a busy account does not stop the scheduler starting."""
    for attempt in range(ATTEMPTS):
        try:
            return call(**kwargs)
        except (ClientError, BotoCoreError) as error:
            if attempt == ATTEMPTS - 1 or classify_launch_error(error) is not LaunchVerdict.RETRY:
                raise
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


def check_health(client: Any, settings: ExecutorSettings) -> None:
    """Raise HealthCheckError naming the problem; return quietly when the executor can work."""
    try:
        clusters = _patiently(client.describe_clusters, clusters=[settings.cluster])
    except ClientError as error:
        raise _denied(error, "ecs:DescribeClusters") or HealthCheckError(
            f"DescribeClusters failed: {error}"
        ) from None
    except BotoCoreError as error:
        raise HealthCheckError(
            f"Cannot reach ECS ({error}). Check [ecs_fargate] region, endpoint_url and the network."
        ) from None
    found = [c for c in clusters.get("clusters", []) if c.get("status") == "ACTIVE"]
    if not found:
        raise HealthCheckError(
            f"ECS cluster {settings.cluster!r} was not found (or is not ACTIVE) in {settings.region}. "
            "Create it, or fix [ecs_fargate] cluster (AIRFLOW__ECS_FARGATE__CLUSTER)."
        )
    try:
        definition = _patiently(client.describe_task_definition, taskDefinition=settings.task_definition)[
            "taskDefinition"
        ]
    except ClientError as error:
        raise _denied(error, "ecs:DescribeTaskDefinition") or HealthCheckError(
            f"Task definition {settings.task_definition!r} was not found ({error}). Register it, or fix "
            "[ecs_fargate] task_definition (AIRFLOW__ECS_FARGATE__TASK_DEFINITION)."
        ) from None
    names = [c.get("name") for c in definition.get("containerDefinitions", [])]
    if settings.container_name not in names:
        raise HealthCheckError(
            f"Task definition {settings.task_definition!r} has no container named "
            f"{settings.container_name!r} (it has {', '.join(map(str, names))}). "
            "Fix [ecs_fargate] container_name (AIRFLOW__ECS_FARGATE__CONTAINER_NAME)."
        )
