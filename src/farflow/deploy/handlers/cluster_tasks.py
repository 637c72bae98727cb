"""Custom resource: when the stack is deleted, stop the cluster's standalone tasks and wait until they stop.

ECS refuses to delete a cluster that has active tasks (DeleteCluster: ClusterContainsTasksException),
and CloudFormation does not stop the tasks it did not start: the Airflow tasks farflow's executor
launched, the tasks/<name> tasks the sample DAG's operators started, a migration still running.
Every service depends on this resource, so CloudFormation deletes the services first (no scheduler or
worker starts new tasks) and this resource next, before the cluster. On Delete `on_event` stops every
task that no service owns; `is_complete` stops any that started since and reports done once none of
them is still stopping. Create and Update do nothing.

Standard library and boto3 only: this folder is the Lambda's code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

PHYSICAL_ID = "farflow-cluster-tasks"
STOP_REASON = "farflow: the stack is being deleted"
# DescribeTasks takes at most 100 tasks per call.
BATCH = 100


def _ecs() -> Any:
    import boto3

    return boto3.client("ecs")


def _task_arns(ecs: Any, cluster: str, desired_status: str) -> Iterator[str]:
    paginator = ecs.get_paginator("list_tasks")
    for page in paginator.paginate(cluster=cluster, desiredStatus=desired_status):
        yield from page.get("taskArns", [])


def _described(ecs: Any, cluster: str, arns: list[str]) -> Iterator[dict[str, Any]]:
    for start in range(0, len(arns), BATCH):
        yield from ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + BATCH]).get("tasks", [])


def standalone(task: dict[str, Any]) -> bool:
    """A task no service owns (a service's tasks are in group `service:<name>`; the service stops them)."""
    return not str(task.get("group", "")).startswith("service:")


def stop_standalone_tasks(ecs: Any, cluster: str) -> list[str]:
    """Stop every running or pending task no service owns; the ARNs stopped."""
    running = list(_task_arns(ecs, cluster, "RUNNING"))
    stopped = []
    for task in _described(ecs, cluster, running):
        if standalone(task):
            ecs.stop_task(cluster=cluster, task=task["taskArn"], reason=STOP_REASON)
            stopped.append(str(task["taskArn"]))
    return stopped


def still_stopping(ecs: Any, cluster: str) -> list[str]:
    """Standalone tasks told to stop whose containers have not stopped yet."""
    told = list(_task_arns(ecs, cluster, "STOPPED"))
    return [
        str(task["taskArn"])
        for task in _described(ecs, cluster, told)
        if standalone(task) and task.get("lastStatus") != "STOPPED"
    ]


def on_event(event: dict[str, Any], context: object = None, ecs: Any = None) -> dict[str, Any]:
    """Delete: stop the standalone tasks. Create, Update: nothing."""
    physical_id = event.get("PhysicalResourceId", PHYSICAL_ID)
    if event["RequestType"] == "Delete":
        cluster = event["ResourceProperties"]["Cluster"]
        stopped = stop_standalone_tasks(ecs or _ecs(), cluster)
        print(f"Stopping {len(stopped)} task(s) in cluster {cluster} before it is deleted: {stopped}")
    return {"PhysicalResourceId": physical_id}


def is_complete(event: dict[str, Any], context: object = None, ecs: Any = None) -> dict[str, Any]:
    """Delete: done once no standalone task runs or is stopping. Create, Update: done."""
    if event["RequestType"] != "Delete":
        return {"IsComplete": True}
    client = ecs or _ecs()
    cluster = event["ResourceProperties"]["Cluster"]
    late = stop_standalone_tasks(client, cluster)
    waiting = still_stopping(client, cluster)
    if late or waiting:
        print(f"Waiting for {len(late) + len(waiting)} task(s) in cluster {cluster} to stop")
    return {"IsComplete": not late and not waiting}
