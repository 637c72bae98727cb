"""Custom resource: run the migration task once per deploy and fail the deploy unless it exits 0.

CloudFormation sends Create, and Update whenever a property changes (the migration's task definition
ARN changes with the image and the environment). `on_event` starts the task; the CDK provider framework
then calls `is_complete` every query interval until the task stops. Delete does nothing: the database
outlives the migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PHYSICAL_ID = "farflow-migration"
STARTED_BY = "farflow-migration"


def run_task_request(properties: dict[str, Any]) -> dict[str, Any]:
    """The RunTask request for the migration task, from the custom resource's properties."""
    return {
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


@dataclass(frozen=True)
class Outcome:
    """Whether the task has stopped, and if it failed, what to tell the person deploying."""

    stopped: bool
    error: str | None = None


def judge(task: dict[str, Any], properties: dict[str, Any]) -> Outcome:
    """Success only when the task stopped and the migration container exited 0."""
    if task.get("lastStatus") != "STOPPED":
        return Outcome(stopped=False)
    name = properties["ContainerName"]
    container: dict[str, Any] = next((c for c in task.get("containers", []) if c.get("name") == name), {})
    exit_code = container.get("exitCode")
    if exit_code == 0:
        return Outcome(stopped=True)
    task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1]
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
            f"{exit_code}{': ' + details if details else ''}. Its output: CloudWatch log group "
            f"{properties['LogGroup']}, stream {properties['StreamPrefix']}/{name}/{task_id}."
        ),
    )


def _ecs() -> Any:
    import boto3

    return boto3.client("ecs")


def on_event(event: dict[str, Any], context: object = None, ecs: Any = None) -> dict[str, Any]:
    """Start the migration task (Create, Update); nothing on Delete."""
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    response = (ecs or _ecs()).run_task(**run_task_request(event["ResourceProperties"]))
    tasks = response.get("tasks") or []
    if not tasks:
        raise RuntimeError(f"RunTask started no migration task: {response.get('failures')}")
    return {
        "PhysicalResourceId": event.get("PhysicalResourceId", PHYSICAL_ID),
        "Data": {"TaskArn": tasks[0]["taskArn"]},
    }


def is_complete(event: dict[str, Any], context: object = None, ecs: Any = None) -> dict[str, Any]:
    """Done when the task stopped with exit code 0; raising fails the deploy with the reason."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    properties = event["ResourceProperties"]
    task_arn = event["Data"]["TaskArn"]
    response = (ecs or _ecs()).describe_tasks(cluster=properties["Cluster"], tasks=[task_arn])
    tasks = response.get("tasks") or []
    if not tasks:
        raise RuntimeError(f"The migration task {task_arn} is unknown to ECS: {response.get('failures')}")
    outcome = judge(tasks[0], properties)
    if outcome.error:
        raise RuntimeError(outcome.error)
    return {"IsComplete": outcome.stopped}
