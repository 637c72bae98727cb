"""IAM statements rendered from declared AWS actions, each scoped the way its `Scope` says.

The scheduler's policy is `EXECUTOR_ACTIONS` (farflow.executor.aws_actions) rendered here; the sample
DAG's EcsRunTaskOperator and the migration custom resource declare theirs the same way below, so every
RunTask in the stack is limited to named task definition families in this cluster and every PassRole
to named roles handed to ECS tasks. Each statement carries why any wildcard in it is as narrow as IAM
allows, and `acknowledge_wildcards` hands exactly those findings to cdk-nag with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from farflow.deploy.nag import acknowledge, finding_text
from farflow.executor.aws_actions import AwsAction, Scope
from farflow.spec import Names, secrets_backend, workload_store

ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"

# What EcsRunTaskOperator calls (sample DAG: in Airflow task containers and on workers).
OPERATOR_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction("ecs:RunTask", "RunTask", Scope.TASK_DEFINITIONS_IN_CLUSTER, "start a tasks/<name> task"),
    AwsAction("ecs:DescribeTasks", "DescribeTasks", Scope.TASKS_IN_CLUSTER, "wait for it to stop"),
    AwsAction("ecs:StopTask", "StopTask", Scope.TASKS_IN_CLUSTER, "stop it when the Airflow task is killed"),
    AwsAction("iam:PassRole", None, Scope.TASK_ROLES, "RunTask hands the task its roles"),
)

# What an Edge worker's ECS agent calls, with the worker's task role, when the worker sets its own task
# scale-in protection ("Protect your Amazon ECS tasks from being terminated by scale-in events", IAM
# permissions: the agent endpoint's PUT calls UpdateTaskProtection, its GET GetTaskProtection).
WORKER_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction(
        "ecs:UpdateTaskProtection",
        "UpdateTaskProtection",
        Scope.TASKS_IN_CLUSTER,
        "keep a busy worker out of scale-in and deploys (farflow.worker.protection)",
    ),
    AwsAction("ecs:GetTaskProtection", "GetTaskProtection", Scope.TASKS_IN_CLUSTER, "read it back"),
)

# What the ECS operator's deferred trigger (TaskDoneTrigger, in the triggerer) calls besides reading the
# task's log stream (`log_reader`): the `tasks_stopped` waiter's DescribeTasks.
TRIGGER_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction(
        "ecs:DescribeTasks", "DescribeTasks", Scope.TASKS_IN_CLUSTER, "wait for a deferred task to stop"
    ),
)

# What the migration custom resource's two functions call: one starts the task, one follows it.
MIGRATION_START_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction("ecs:RunTask", "RunTask", Scope.TASK_DEFINITIONS_IN_CLUSTER, "start the migration"),
    AwsAction("iam:PassRole", None, Scope.TASK_ROLES, "RunTask hands the task its roles"),
)
MIGRATION_CHECK_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction("ecs:DescribeTasks", "DescribeTasks", Scope.TASKS_IN_CLUSTER, "wait for its exit code"),
    AwsAction("ecs:StopTask", "StopTask", Scope.TASKS_IN_CLUSTER, "stop it when it times out or fails"),
)

# What the cluster tasks custom resource calls when the stack is deleted (farflow.deploy.teardown).
TEARDOWN_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction("ecs:ListTasks", "ListTasks", Scope.ANY, "find the cluster's running and stopping tasks"),
    AwsAction("ecs:DescribeTasks", "DescribeTasks", Scope.TASKS_IN_CLUSTER, "tell service tasks apart"),
    AwsAction("ecs:StopTask", "StopTask", Scope.TASKS_IN_CLUSTER, "stop the tasks no service owns"),
)

_WILDCARD_REASONS = {
    Scope.TASK_DEFINITIONS_IN_CLUSTER: (
        "Every revision of one named task definition family (each deploy registers a new revision), "
        "and only in this cluster (ecs:cluster condition)."
    ),
    Scope.TASKS_IN_CLUSTER: "Task ids are random: this covers only the tasks of this stack's cluster.",
    Scope.TAG_ON_RUN_TASK: "Only tags RunTask sets (ecs:CreateAction condition), on tasks of this cluster.",
    Scope.ANY: (
        "ecs:DescribeTaskDefinition has no resource-level permissions in IAM, and ecs:ListTasks only lists "
        "task ARNs (for adoption after a scheduler crash, and to stop tasks before the cluster is "
        "deleted); both only read."
    ),
    Scope.WORKLOAD_OBJECTS: (
        "Each launch writes its own object (<family>/<clientToken>.json): only objects under the workload "
        "store's prefix, in the store's own bucket."
    ),
    Scope.FAMILY_WORKLOAD_OBJECTS: (
        "Each launch has its own object (<clientToken>.json): only the objects of this task definition "
        "family's folder of the workload store."
    ),
}
# Rendered from farflow.spec.workload_store's statements (which carry the KMS conditions), not here.
STORE_SCOPES = frozenset({Scope.WORKLOAD_OBJECTS, Scope.FAMILY_WORKLOAD_OBJECTS, Scope.WORKLOAD_KEY})


@dataclass(frozen=True)
class Grant:
    """A statement, and why the wildcards in its resources are as narrow as IAM allows."""

    statement: iam.PolicyStatement
    why_wildcards: str = ""


@dataclass(frozen=True)
class StoreTargets:
    """The workload store as the store's scopes see it: its bucket, its key, the objects' prefix."""

    bucket_name: str
    key_arn: str
    region: str
    prefix: str = workload_store.PREFIX


@dataclass(frozen=True)
class EcsTargets:
    """What the scopes mean in this stack: one cluster, the families it may run, the roles it may pass,
    the workload store and the task events queue (for the scopes that need them)."""

    cluster_name: str
    cluster_arn: str
    families: Sequence[str]
    roles: Sequence[iam.IRole]
    store: StoreTargets | None = None
    events_queue_arn: str = ""


def task_definition_arn(stack: Stack, family: str) -> str:
    """Every revision of one family."""
    return stack.format_arn(service="ecs", resource="task-definition", resource_name=f"{family}:*")


def tasks_arn(stack: Stack, cluster_name: str) -> str:
    """Every task of one cluster."""
    return stack.format_arn(service="ecs", resource="task", resource_name=f"{cluster_name}/*")


def scoped_statement(
    stack: Stack, scope: Scope, actions: Sequence[str], targets: EcsTargets
) -> iam.PolicyStatement:
    """One statement: `actions` on what `scope` covers, with the conditions that scope requires."""
    resources: list[str]
    conditions: dict[str, dict[str, str]] = {}
    if scope is Scope.TASK_DEFINITIONS_IN_CLUSTER:
        resources = [task_definition_arn(stack, family) for family in targets.families]
        conditions = {"ArnEquals": {"ecs:cluster": targets.cluster_arn}}
    elif scope is Scope.TASKS_IN_CLUSTER:
        resources = [tasks_arn(stack, targets.cluster_name)]
    elif scope is Scope.CLUSTER:
        resources = [targets.cluster_arn]
    elif scope is Scope.TAG_ON_RUN_TASK:
        resources = [tasks_arn(stack, targets.cluster_name)]
        conditions = {"StringEquals": {"ecs:CreateAction": "RunTask"}}
    elif scope is Scope.TASK_ROLES:
        resources = [role.role_arn for role in targets.roles]
        conditions = {"StringEquals": {"iam:PassedToService": ECS_TASKS_PRINCIPAL}}
    elif scope is Scope.EVENTS_QUEUE:
        if not targets.events_queue_arn:
            raise ValueError(f"{list(actions)} need the task events queue")
        resources = [targets.events_queue_arn]
    elif scope is Scope.ANY:
        resources = ["*"]
    else:
        raise ValueError(f"No rendering of {scope} here")
    return iam.PolicyStatement(actions=list(actions), resources=resources, conditions=conditions or None)


def store_grants(declared: Sequence[AwsAction], targets: EcsTargets) -> list[Grant]:
    """The workload store's statements, as `farflow.spec.workload_store` writes them: the executor's
    (the whole prefix), or, when `declared` is family-scoped, those of each family of `targets`."""
    store = targets.store
    if store is None:
        raise ValueError("The workload store's actions need the workload store")
    family_scoped = any(entry.scope is Scope.FAMILY_WORKLOAD_OBJECTS for entry in declared)
    if family_scoped:
        statements = [
            statement
            for family in targets.families
            for statement in workload_store.task_role_statements(
                store.bucket_name, store.key_arn, store.region, family, store.prefix
            )
        ]
        reason = _WILDCARD_REASONS[Scope.FAMILY_WORKLOAD_OBJECTS]
    else:
        statements = workload_store.scheduler_statements(
            store.bucket_name, store.key_arn, store.region, store.prefix
        )
        reason = _WILDCARD_REASONS[Scope.WORKLOAD_OBJECTS]
    wanted = {entry.action for entry in declared if entry.scope in STORE_SCOPES}
    rendered = {action for statement in statements for action in statement["Action"]}
    if rendered != wanted:
        raise ValueError(f"farflow.spec.workload_store grants {sorted(rendered)}, declared: {sorted(wanted)}")
    return [Grant(iam.PolicyStatement.from_json(statement), reason) for statement in statements]


def grants(stack: Stack, declared: Iterable[AwsAction], targets: EcsTargets) -> list[Grant]:
    """One statement per scope, in the order the scopes first appear; the workload store's scopes as
    its spec's statements, where the first of them appears."""
    declared = list(declared)
    by_scope: dict[Scope, list[str]] = {}
    for entry in declared:
        by_scope.setdefault(entry.scope, []).append(entry.action)
    rendered: list[Grant] = []
    store_done = False
    for scope, actions in by_scope.items():
        if scope in STORE_SCOPES:
            if not store_done:
                rendered += store_grants(declared, targets)
                store_done = True
            continue
        rendered.append(
            Grant(scoped_statement(stack, scope, actions, targets), _WILDCARD_REASONS.get(scope, ""))
        )
    return rendered


def log_reader(group: logs.ILogGroup) -> Grant:
    """Read the events of any stream of one log group."""
    return Grant(iam.PolicyStatement(actions=["logs:GetLogEvents"], resources=[group.log_group_arn]))


def log_writers(stack: Stack, group: logs.ILogGroup) -> list[Grant]:
    """Write streams of one log group; watchtower (Airflow's CloudWatch handler) lists groups first."""
    any_group = stack.format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    return [
        Grant(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[group.log_group_arn]
            )
        ),
        Grant(
            iam.PolicyStatement(actions=["logs:DescribeLogGroups"], resources=[any_group]),
            "logs:DescribeLogGroups lists log groups and takes no narrower resource; Airflow's CloudWatch "
            "handler (watchtower) calls it before writing, and it reads names only.",
        ),
    ]


def secrets_reader(stack: Stack, names: Names) -> Grant:
    """Read the secrets under the stack's connections and variables prefixes (farflow.spec.secrets_backend)."""
    arns = [
        stack.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=pattern,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for pattern in secrets_backend.secret_name_patterns(names)
    ]
    return Grant(
        iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=arns),
        "Connections and variables are secrets named <prefix>/<id>, and Secrets Manager adds six random "
        "characters to each ARN: only the secrets under the stack's two prefixes, read only.",
    )


def log_group_arn_without_streams(stack: Stack, group_name: str) -> str:
    """`arn:...:log-group:<name>` (CDK's log_group_arn ends in `:*`), as Airflow's remote logging wants it."""
    return stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def policy(
    scope: Construct, construct_id: str, given: Sequence[Grant], roles: Sequence[iam.IRole]
) -> iam.Policy:
    """A named policy of `given` on `roles`, its justified wildcards acknowledged."""
    created = iam.Policy(
        scope, construct_id, statements=[grant.statement for grant in given], roles=list(roles)
    )
    acknowledge_wildcards(created, given)
    return created


def acknowledge_wildcards(construct: IConstruct, given: Iterable[Grant]) -> None:
    """Acknowledge cdk-nag's IAM5 for each wildcard resource of `given`, with the grant's reason."""
    for grant in given:
        for resource in grant.statement.resources:
            text = finding_text(construct, resource)
            if "*" in text:
                if not grant.why_wildcards:
                    raise ValueError(f"The wildcard in {text} needs a reason")
                acknowledge(construct, "IAM5", grant.why_wildcards, f"Resource::{text}")
