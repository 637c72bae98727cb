"""Who may do what: the task roles' policies, each rendered from declared actions (farflow.deploy.iam).

- scheduler: farflow's executor, `EXECUTOR_ACTIONS`, on the Airflow task definition only, the
  workload store's prefix and key, and the task events queue;
- the Airflow task definition's task role: `TASK_ACTIONS`, on its own family's folder of the workload
  store (the key's policy, `WorkloadStore.admit`, names the same roles);
- Airflow tasks and workers: the sample DAG's EcsRunTaskOperator on the tasks/<name> families, and
  reading those tasks' log group;
- workers: their own task scale-in protection (`WORKER_ACTIONS`, through the ECS agent);
- the triggerer: the deferred EcsRunTaskOperator's trigger, which waits for those tasks to stop and
  forwards their log stream;
- Airflow tasks, workers, triggerer: writing Airflow's remote task logs; api-server: reading them.
Execution roles (image pull, awslogs, secrets) are CDK's grants and stay separate from these.
`of(role)` lists the policies on a role, so the service that runs as it can wait for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from aws_cdk import Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from farflow.deploy.cluster import Cluster
from farflow.deploy.iam import (
    OPERATOR_ACTIONS,
    TRIGGER_ACTIONS,
    WORKER_ACTIONS,
    EcsTargets,
    Grant,
    grants,
    log_reader,
    log_writers,
    policy,
    secrets_reader,
)
from farflow.deploy.workload_store import WorkloadStore
from farflow.executor.aws_actions import EXECUTOR_ACTIONS, TASK_ACTIONS
from farflow.spec import Names


@dataclass(frozen=True)
class PermissionsProps:
    cluster: Cluster
    airflow_task: ecs.TaskDefinition
    folder_tasks: Sequence[ecs.TaskDefinition]
    scheduler: iam.IRole
    api_server: iam.IRole
    triggerer: iam.IRole
    # None without a worker pool ([worker] enabled = false).
    worker: iam.IRole | None
    task_logs: logs.ILogGroup
    remote_logs: logs.ILogGroup
    workload_store: WorkloadStore
    events_queue: sqs.IQueue
    names: Names
    # [airflow] secrets = "secrets-manager": the roles of the containers that resolve connections and
    # variables (farflow.spec.secrets_backend.READERS) read the stack's prefixes; empty: nobody does.
    secret_readers: Sequence[iam.IRole] = ()


def _roles_of(task_definitions: Sequence[ecs.TaskDefinition]) -> list[iam.IRole]:
    """The task and execution roles RunTask hands each task definition's tasks."""
    return [role for td in task_definitions for role in (td.task_role, td.obtain_execution_role())]


class Permissions(Construct):
    """One named policy per purpose, attached to exactly the task roles that need it."""

    def __init__(self, scope: Construct, construct_id: str, props: PermissionsProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._by_role: list[tuple[iam.IRole, iam.Policy]] = []
        executor = EcsTargets(
            cluster_name=props.cluster.name,
            cluster_arn=props.cluster.cluster.cluster_arn,
            families=[props.airflow_task.family],
            roles=_roles_of([props.airflow_task]),
            store=props.workload_store.targets,
            events_queue_arn=props.events_queue.queue_arn,
        )
        self.executor = self._policy("Executor", grants(stack, EXECUTOR_ACTIONS, executor), [props.scheduler])
        # Only the Airflow task definition's tasks fetch workloads: the executor runs no other family
        # (Edge workers run tasks in-process, without the store).
        airflow_role = props.airflow_task.task_role
        self.workloads = self._policy(
            "Workloads", grants(stack, TASK_ACTIONS, replace(executor, roles=[])), [airflow_role]
        )
        props.workload_store.admit(props.scheduler, {props.airflow_task.family: airflow_role})
        task_runners = [props.airflow_task.task_role, *([props.worker] if props.worker else [])]
        self.task_protection: iam.Policy | None = None
        # The cluster's own tasks, with no family to run and no role to pass.
        in_cluster = EcsTargets(
            cluster_name=props.cluster.name,
            cluster_arn=props.cluster.cluster.cluster_arn,
            families=[],
            roles=[],
        )
        if props.worker:
            self.task_protection = self._policy(
                "TaskProtection", grants(stack, WORKER_ACTIONS, in_cluster), [props.worker]
            )
        self.operator: iam.Policy | None = None
        if props.folder_tasks:
            folders = EcsTargets(
                cluster_name=props.cluster.name,
                cluster_arn=props.cluster.cluster.cluster_arn,
                families=[td.family for td in props.folder_tasks],
                roles=_roles_of(props.folder_tasks),
            )
            operator = [*grants(stack, OPERATOR_ACTIONS, folders), log_reader(props.task_logs)]
            self.operator = self._policy("Operator", operator, task_runners)
        # Deferrable operators hand their wait to the triggerer, whatever ran them.
        self.trigger = self._policy(
            "Trigger",
            [*grants(stack, TRIGGER_ACTIONS, in_cluster), log_reader(props.task_logs)],
            [props.triggerer],
        )
        writers = [*task_runners, props.triggerer]
        self.remote_log_writers = self._policy(
            "RemoteLogsWrite", log_writers(stack, props.remote_logs), writers
        )
        self.remote_log_reader = self._policy(
            "RemoteLogsRead", [log_reader(props.remote_logs)], [props.api_server]
        )
        self.secrets: iam.Policy | None = None
        if props.secret_readers:
            self.secrets = self._policy(
                "SecretsRead", [secrets_reader(stack, props.names)], props.secret_readers
            )

    def _policy(self, construct_id: str, given: Sequence[Grant], roles: Sequence[iam.IRole]) -> iam.Policy:
        created = policy(self, construct_id, given, roles)
        self._by_role += [(role, created) for role in roles]
        return created

    def of(self, *roles: iam.IRole) -> list[iam.Policy]:
        """The policies on any of `roles`: what a service running as one of them must wait for."""
        # By construct path: jsii may hand out a new Python proxy for the same role.
        wanted = {role.node.path for role in roles}
        found = [created for role, created in self._by_role if role.node.path in wanted]
        return list(dict.fromkeys(found))
