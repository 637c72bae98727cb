"""Who may do what: the task roles' policies, `farflow.spec.iam.stack_policies` rendered into CDK.

The spec names each policy and the roles it goes on (see its docstring for who gets what); this
construct fills in the stack's ARNs, creates one `iam.Policy` per named policy on those roles, and the
workload store's key policy; the project's own grants (farflow.toml `[permissions]`) are named policies
of the spec too, and their managed policy ARNs are attached here. Execution roles (image pull, awslogs, secrets) are CDK's grants and stay
separate from these. `of(role)` lists the policies on a role, so the service that runs as it can wait
for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from farflow.deploy.cluster import Cluster
from farflow.deploy.iam import Grant, account_of, policy, rendered
from farflow.deploy.nag import acknowledge
from farflow.deploy.workload_store import WorkloadStore
from farflow.spec import SCHEDULER, Component, Names
from farflow.spec.iam import PROJECT_REASON, Role, StackTargets, role_of, secret_arns, stack_policies
from farflow.spec.project_permissions import ProjectPermissions, RoleGrants


@dataclass(frozen=True)
class PermissionsProps:
    cluster: Cluster
    airflow_task: ecs.TaskDefinition
    folder_tasks: Sequence[ecs.TaskDefinition]
    # Each long-running component's task role (farflow.spec.components.TABLE).
    services: Mapping[Component, iam.IRole]
    # None without a worker pool ([worker] enabled = false).
    worker: iam.IRole | None
    task_logs: logs.ILogGroup
    remote_logs: logs.ILogGroup
    workload_store: WorkloadStore
    events_queue: sqs.IQueue
    names: Names
    dags_bucket_arn: str
    # Where the services' CloudWatch agents put Airflow's metrics (farflow.spec.metrics).
    metrics_namespace: str
    # [airflow] secrets = "secrets-manager": the containers that resolve connections and variables read
    # the stack's prefixes.
    secrets_backend: bool = False
    # farflow.toml's [permissions]: the project's own grants to the roles that run its code.
    project: ProjectPermissions = field(default_factory=ProjectPermissions)
    # The migration task's role and farflow's own secrets: named by the guard (spec.iam.guard_policies).
    migration: iam.IRole | None = None
    internal_secret_arns: Sequence[str] = ()
    # The execution role of each of farflow's own task definitions: named by the guard too.
    execution_roles: Mapping[Role, iam.IRole] = field(default_factory=dict)


def _own_roles(props: PermissionsProps) -> dict[Role, str]:
    """The task role ARN of each of farflow's own roles the stack has."""
    given = {
        **{role_of(component): role for component, role in props.services.items()},
        Role.AIRFLOW_TASK: props.airflow_task.task_role,
        Role.WORKER: props.worker,
        Role.MIGRATION: props.migration,
    }
    return {role: given_role.role_arn for role, given_role in given.items() if given_role is not None}


def _roles_of(task_definitions: Sequence[ecs.TaskDefinition]) -> list[iam.IRole]:
    """The task and execution roles RunTask hands each task definition's tasks."""
    return [role for td in task_definitions for role in (td.task_role, td.obtain_execution_role())]


class Permissions(Construct):
    """One named policy per purpose, attached to exactly the task roles that need it."""

    def __init__(self, scope: Construct, construct_id: str, props: PermissionsProps) -> None:
        super().__init__(scope, construct_id)
        self._by_role: list[tuple[iam.IRole, iam.Policy]] = []
        roles: dict[Role, iam.IRole] = {
            role_of(component): role for component, role in props.services.items()
        }
        roles[Role.AIRFLOW_TASK] = props.airflow_task.task_role
        if props.worker:
            roles[Role.WORKER] = props.worker
        folder_roles = {
            td.family.removeprefix(props.names.task_definition_prefix): td.task_role
            for td in props.folder_tasks
        }
        self.policies: dict[str, iam.Policy] = {}
        for named in stack_policies(targets(props)):
            attached = [roles[role] for role in named.roles] + [folder_roles[name] for name in named.folders]
            self.policies[named.name] = self._policy(named.name, rendered(named.grants), attached)
        project = props.project
        managed = [(Role.AIRFLOW_TASK.value, project.airflow_task, roles[Role.AIRFLOW_TASK])]
        if props.worker:
            managed.append((Role.WORKER.value, project.worker, props.worker))
        managed += [
            (f"tasks-{folder}", grants, folder_roles[folder])
            for folder, grants in project.tasks
            if folder in folder_roles
        ]
        for owner, grants, role in managed:
            self._attach_managed(owner, grants, role)
        props.workload_store.admit(
            props.services[SCHEDULER], {props.airflow_task.family: props.airflow_task.task_role}
        )

    def _policy(self, construct_id: str, given: Sequence[Grant], roles: Sequence[iam.IRole]) -> iam.Policy:
        created = policy(self, construct_id, given, roles)
        self._by_role += [(role, created) for role in roles]
        return created

    def _attach_managed(self, owner: str, grants: RoleGrants, role: iam.IRole) -> None:
        """The managed policies farflow.toml names for one role, attached as given."""
        for index, arn in enumerate(grants.managed_policies):
            role.add_managed_policy(
                iam.ManagedPolicy.from_managed_policy_arn(self, f"Managed-{owner}-{index}", arn)
            )
        # cdk-nag's IAM4 reports AWS managed policies (an account's own are not its finding).
        aws_managed = [arn for arn in grants.managed_policies if ":iam::aws:policy/" in arn]
        if aws_managed:
            acknowledge(role, "IAM4", PROJECT_REASON, *(f"Policy::{arn}" for arn in aws_managed))

    def of(self, *roles: iam.IRole) -> list[iam.Policy]:
        """The policies on any of `roles`: what a service running as one of them must wait for."""
        # By construct path: jsii may hand out a new Python proxy for the same role.
        wanted = {role.node.path for role in roles}
        found = [created for role, created in self._by_role if role.node.path in wanted]
        return list(dict.fromkeys(found))


def targets(props: PermissionsProps) -> StackTargets:
    """This stack's resources, as the spec's policies name them."""
    account = account_of(Stack.of(props.cluster))
    return StackTargets(
        account=account,
        cluster_name=props.cluster.name,
        cluster_arn=props.cluster.cluster.cluster_arn,
        airflow_family=props.airflow_task.family,
        airflow_roles=[role.role_arn for role in _roles_of([props.airflow_task])],
        folder_families=[td.family for td in props.folder_tasks],
        folders=[td.family.removeprefix(props.names.task_definition_prefix) for td in props.folder_tasks],
        folder_roles=[role.role_arn for role in _roles_of(props.folder_tasks)],
        store=props.workload_store.targets,
        events_queue_arn=props.events_queue.queue_arn,
        task_log_group_arn=props.task_logs.log_group_arn,
        remote_log_group_arn=props.remote_logs.log_group_arn,
        worker=props.worker is not None,
        dags_bucket_arn=props.dags_bucket_arn,
        metrics_namespace=props.metrics_namespace,
        secret_arns=secret_arns(account, props.names) if props.secrets_backend else (),
        project=props.project,
        own_roles=_own_roles(props),
        own_execution_roles={role: given.role_arn for role, given in props.execution_roles.items()},
        stack_name=Stack.of(props.cluster).stack_name,
        internal_secret_arns=props.internal_secret_arns,
    )
