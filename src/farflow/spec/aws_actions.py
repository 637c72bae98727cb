"""Every AWS action farflow's executor performs, declared once, and those its task containers need.

The deploy grants the scheduler exactly EXECUTOR_ACTIONS, each scoped as `scope` says, and each Airflow
task role TASK_ACTIONS; the health check names them when one is denied; a test records the calls the
executor makes against the local endpoint and checks each is declared here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Scope(Enum):
    """What an action may touch, which the deploy turns into resource ARNs and conditions."""

    # task-definition/<family>:* of farflow's families, only in farflow's cluster (ecs:cluster).
    TASK_DEFINITIONS_IN_CLUSTER = "task definitions, in this cluster"
    # task/<cluster>/*
    TASKS_IN_CLUSTER = "tasks of this cluster"
    # The cluster itself.
    CLUSTER = "this cluster"
    # Tagging only as part of RunTask (ecs:CreateAction = RunTask).
    TAG_ON_RUN_TASK = "tags set by RunTask"
    # The Airflow task definition's task and execution roles, passed only to ecs-tasks.amazonaws.com.
    TASK_ROLES = "the task and execution roles"
    # Objects under [ecs_fargate] workload_store's prefix: s3://bucket/prefix/*.
    WORKLOAD_OBJECTS = "objects under the workload store's prefix"
    # Objects under <prefix><family>/ only, for the task role of that task definition family.
    FAMILY_WORKLOAD_OBJECTS = "objects under the workload store's prefix for this task definition family"
    # The workload store's own KMS key (never the AWS managed aws/s3 key), used only through S3
    # (kms:ViaService = s3.<region>.amazonaws.com).
    WORKLOAD_KEY = "the workload store's KMS key, through S3"
    # Describe calls that IAM cannot scope to a resource.
    ANY = "*"
    # The task events queue ([ecs_fargate] events_queue_url), only when events are on.
    EVENTS_QUEUE = "the task events queue"


@dataclass(frozen=True)
class AwsAction:
    action: str
    # The API operation called (as the endpoint counts it); None when AWS checks the action as part
    # of another call (PassRole and TagResource during RunTask, KMS during S3 calls).
    operation: str | None
    scope: Scope
    why: str


EXECUTOR_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction("ecs:RunTask", "RunTask", Scope.TASK_DEFINITIONS_IN_CLUSTER, "start each Airflow task"),
    AwsAction("ecs:DescribeTasks", "DescribeTasks", Scope.TASKS_IN_CLUSTER, "follow tasks, adopt them"),
    AwsAction("ecs:StopTask", "StopTask", Scope.TASKS_IN_CLUSTER, "revoke and terminate tasks"),
    AwsAction("ecs:DescribeClusters", "DescribeClusters", Scope.CLUSTER, "start-up health check"),
    AwsAction(
        "ecs:DescribeTaskDefinition",
        "DescribeTaskDefinition",
        Scope.ANY,
        "start-up health check: the container exists",
    ),
    AwsAction(
        "ecs:ListTasks",
        "ListTasks",
        Scope.ANY,
        "adoption: find the task of a task instance whose scheduler died before recording its ARN",
    ),
    AwsAction("ecs:TagResource", None, Scope.TAG_ON_RUN_TASK, "tags on each task, set by RunTask"),
    AwsAction("iam:PassRole", None, Scope.TASK_ROLES, "RunTask hands the task its roles"),
    AwsAction("s3:PutObject", "PutObject", Scope.WORKLOAD_OBJECTS, "write each launch's workload"),
    AwsAction(
        "s3:DeleteObject",
        "DeleteObject",
        Scope.WORKLOAD_OBJECTS,
        "delete workloads of tasks that stopped before their container fetched them",
    ),
    AwsAction("kms:GenerateDataKey", None, Scope.WORKLOAD_KEY, "S3 encrypts each workload object"),
    AwsAction(
        "kms:DescribeKey",
        "DescribeKey",
        Scope.WORKLOAD_KEY,
        "start-up health check: the store's key is a customer managed key",
    ),
    AwsAction("sqs:ReceiveMessage", "ReceiveMessage", Scope.EVENTS_QUEUE, "read task state change events"),
    AwsAction("sqs:DeleteMessage", "DeleteMessageBatch", Scope.EVENTS_QUEUE, "delete the events read"),
    AwsAction(
        "sqs:GetQueueAttributes", "GetQueueAttributes", Scope.EVENTS_QUEUE, "start-up health check: the queue"
    ),
)

TASK_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction(
        "s3:GetObject",
        "GetObject",
        Scope.FAMILY_WORKLOAD_OBJECTS,
        "python -m farflow.workload fetches the task's workload",
    ),
    AwsAction(
        "s3:DeleteObject",
        "DeleteObject",
        Scope.FAMILY_WORKLOAD_OBJECTS,
        "python -m farflow.workload deletes it once fetched",
    ),
    AwsAction("kms:Decrypt", None, Scope.WORKLOAD_KEY, "S3 decrypts the workload object for the task"),
)
"""What each Airflow task role needs (on ECS the container's role, not the scheduler's)."""


def action_names() -> list[str]:
    return [entry.action for entry in EXECUTOR_ACTIONS]
