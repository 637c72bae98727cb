"""Custom resource: run the migration task once per deploy and fail the deploy unless it exits 0.

CloudFormation sends Create, and Update whenever a property changes (the migration's task definition
ARN changes with the image and the environment). `on_event` starts the task, retrying RunTask while ECS
throttles or has no capacity (as long as its own Lambda time allows); the CDK provider framework then
calls `is_complete` every query interval until the task stops. A task that outlives the resource's
deadline (`TimeoutSeconds`, before the framework's own timeout) or whose check fails is stopped, so a
failed deploy leaves no migration running against the database. Delete does nothing: the database
outlives the migration.

Standard library and boto3 only: this folder is the Lambda's code.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PHYSICAL_ID = "farflow-migration"
STARTED_BY = "farflow-migration"
# What RunTask errors and failures mean, as farflow's executor reads them: try again, or wait for
# capacity, rather than fail the deploy. One module holds them; the deploy stages it beside this one.
try:
    from farflow.spec.run_task_errors import CAPACITY_PHRASES, RETRY_CODES
except ModuleNotFoundError as missing:  # in the Lambda, where farflow is not installed
    if missing.name != "farflow":
        raise  # farflow is there but broken: its own error says why
    from run_task_errors import CAPACITY_PHRASES, RETRY_CODES  # type: ignore[import-not-found,no-redef]

# Stop retrying RunTask this long before the Lambda's own timeout, to report why.
LAMBDA_MARGIN_SECONDS = 20.0
MAX_BACKOFF_SECONDS = 20.0


class TransientLaunchError(RuntimeError):
    """RunTask did not start the task for a reason waiting can fix (throttling, capacity, 5xx)."""


def run_task_request(properties: Mapping[str, Any], client_token: str | None = None) -> dict[str, Any]:
    """The RunTask request for the migration task, from the custom resource's properties.

    The clientToken makes retries idempotent: a retried call that had started the task after all
    answers with that task instead of starting a second migration.
    """
    request: dict[str, Any] = {
        "cluster": properties["Cluster"],
        "taskDefinition": properties["TaskDefinition"],
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": STARTED_BY,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(properties["Subnets"]),
                "securityGroups": list(properties["SecurityGroups"]),
                "assignPublicIp": properties["AssignPublicIp"],
            }
        },
    }
    if client_token:
        request["clientToken"] = client_token
    return request


def _error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code or "")


def _says_no_capacity(failures: Sequence[Mapping[str, Any]]) -> bool:
    for failure in failures:
        reason = str(failure.get("reason") or "")
        text = f"{reason} {failure.get('detail') or ''}".lower()
        if reason.startswith("RESOURCE") or reason == "AGENT" or any(p in text for p in CAPACITY_PHRASES):
            return True
    return False


def start_once(ecs: Any, request: Mapping[str, Any]) -> str:
    """One RunTask: the task's ARN; TransientLaunchError when waiting can fix it, else RuntimeError."""
    try:
        response = ecs.run_task(**request)
    except Exception as error:
        code = _error_code(error)
        if code in RETRY_CODES:
            raise TransientLaunchError(f"RunTask: {code}: {error}") from error
        raise
    tasks = response.get("tasks") or []
    if tasks:
        return str(tasks[0]["taskArn"])
    failures = response.get("failures") or []
    if not failures or _says_no_capacity(failures):
        raise TransientLaunchError(f"RunTask started no migration task: {failures}")
    raise RuntimeError(f"RunTask started no migration task: {failures}")


def start_with_retries(
    ecs: Any,
    request: Mapping[str, Any],
    seconds_left: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """RunTask until a task starts, backing off (full jitter, at most MAX_BACKOFF_SECONDS) on transient
    failures while `seconds_left()` allows another wait; then the last failure fails the deploy."""
    attempt = 0
    while True:
        try:
            return start_once(ecs, request)
        except TransientLaunchError as error:
            delay = random.uniform(0, min(MAX_BACKOFF_SECONDS, 2.0**attempt))
            if seconds_left() - delay < LAMBDA_MARGIN_SECONDS:
                raise RuntimeError(
                    f"The migration task did not start after {attempt + 1} tries; the last: {error}. "
                    "Deploy again when ECS has capacity."
                ) from error
            attempt += 1
            sleep(delay)


@dataclass(frozen=True)
class Outcome:
    """Whether the task has stopped, and if it failed, what to tell the person deploying."""

    stopped: bool
    error: str | None = None


def log_stream(properties: Mapping[str, Any], task_arn: str) -> str:
    task_id = task_arn.rsplit("/", 1)[-1]
    return f"CloudWatch log group {properties['LogGroup']}, stream {properties['StreamPrefix']}/{properties['ContainerName']}/{task_id}"


def judge(task: Mapping[str, Any], properties: Mapping[str, Any]) -> Outcome:
    """Success only when the task stopped and the migration container exited 0."""
    if task.get("lastStatus") != "STOPPED":
        return Outcome(stopped=False)
    name = properties["ContainerName"]
    container: Mapping[str, Any] = next((c for c in task.get("containers", []) if c.get("name") == name), {})
    exit_code = container.get("exitCode")
    if exit_code == 0:
        return Outcome(stopped=True)
    details = "; ".join(
        part
        for part in (
            f"stop code {task.get('stopCode')}" if task.get("stopCode") else "",
            str(task.get("stoppedReason") or ""),
            str(container.get("reason") or ""),
        )
        if part
    )
    return Outcome(
        stopped=True,
        error=(
            f"The Airflow migration (airflow db migrate, then the admin user) failed with exit code "
            f"{exit_code}{': ' + details if details else ''}. Its output: "
            f"{log_stream(properties, str(task.get('taskArn', '')))}."
        ),
    )


def _ecs() -> Any:
    import boto3

    return boto3.client("ecs")


def _seconds_left(context: object) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000.0 if callable(remaining) else 60.0


def on_event(
    event: dict[str, Any],
    context: object = None,
    ecs: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Start the migration task (Create, Update); nothing on Delete."""
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    properties = event["ResourceProperties"]
    # CloudFormation's RequestId is one per request: the same token on every retry of this start.
    request = run_task_request(properties, client_token=event.get("RequestId"))
    task_arn = start_with_retries(ecs or _ecs(), request, lambda: _seconds_left(context), sleep)
    deadline = now() + float(properties["TimeoutSeconds"])
    return {
        "PhysicalResourceId": event.get("PhysicalResourceId", PHYSICAL_ID),
        "Data": {"TaskArn": task_arn, "Deadline": str(deadline)},
    }


def _stop(ecs: Any, cluster: str, task_arn: str, reason: str) -> None:
    """Stop the migration task, best effort: the error being reported matters more than this one."""
    try:
        ecs.stop_task(cluster=cluster, task=task_arn, reason=reason[:255])
    except Exception as error:  # reported; the original failure is still raised
        print(f"Could not stop the migration task {task_arn}: {error}")


def is_complete(
    event: dict[str, Any], context: object = None, ecs: Any = None, now: Callable[[], float] = time.time
) -> dict[str, Any]:
    """Done when the task stopped with exit code 0; raising fails the deploy with the reason.

    A task still running past the deadline, or one whose check fails, is stopped before raising.
    """
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    properties = event["ResourceProperties"]
    cluster = properties["Cluster"]
    task_arn = event["Data"]["TaskArn"]
    client = ecs or _ecs()
    try:
        response = client.describe_tasks(cluster=cluster, tasks=[task_arn])
    except Exception as error:
        if _error_code(error) in RETRY_CODES:
            return {"IsComplete": False}  # asked again at the next interval
        _stop(client, cluster, task_arn, "farflow: the deploy could not follow the migration")
        raise
    tasks = response.get("tasks") or []
    if not tasks:
        raise RuntimeError(f"The migration task {task_arn} is unknown to ECS: {response.get('failures')}")
    outcome = judge(tasks[0], properties)
    if outcome.error:
        raise RuntimeError(outcome.error)
    if not outcome.stopped and now() > float(event["Data"]["Deadline"]):
        _stop(client, cluster, task_arn, "farflow: the migration timed out")
        raise RuntimeError(
            f"The Airflow migration did not finish within {properties['TimeoutSeconds']} seconds; farflow "
            f"stopped it. Its output: {log_stream(properties, task_arn)}."
        )
    return {"IsComplete": outcome.stopped}
