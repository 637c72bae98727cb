"""IAM statements rendered from `farflow.spec.iam`, as CDK policy statements on the stack's roles.

The spec writes every statement (the scheduler's, the task roles', the sample DAG's EcsRunTaskOperator's)
as plain policy JSON; this module turns them into `iam.PolicyStatement`s with the stack's partition,
Region and account, and declares the migration and teardown custom resources' own actions the same way,
so every RunTask in the stack is limited to named task definition families in this cluster and every
PassRole to named roles handed to ECS tasks. Each statement carries why any wildcard in it is as narrow
as IAM allows, and `acknowledge_wildcards` hands exactly those findings to cdk-nag with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from farflow.deploy.nag import acknowledge, finding_text
from farflow.spec import iam as spec
from farflow.spec.aws_actions import AwsAction, Scope

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


BLANKET_ACTIONS = frozenset({"*", "iam:*"})
"""Action wildcards never acknowledged, whatever the reason: a grant of them fails the synth's checks."""


@dataclass(frozen=True)
class Grant:
    """A statement, and why the wildcards in its resources are as narrow as IAM allows."""

    statement: iam.PolicyStatement
    why_wildcards: str = ""


def account_of(stack: Stack) -> spec.Account:
    """The stack's partition, Region and account (tokens), for the spec's ARNs."""
    return spec.Account(stack.partition, stack.region, stack.account)


def rendered(given: Iterable[spec.Grant]) -> list[Grant]:
    """The spec's statements as CDK's."""
    return [Grant(iam.PolicyStatement.from_json(grant.statement), grant.why_wildcards) for grant in given]


def grants(
    stack: Stack,
    declared: Iterable[AwsAction],
    cluster: tuple[str, str],
    families: Sequence[str],
    roles: Sequence[iam.IRole],
) -> list[Grant]:
    """`declared` on the cluster (`(name, arn)`), `families` and `roles` of this stack, as the spec
    scopes them (for the custom resources' functions; the task roles' are `spec.stack_policies`)."""
    targets = spec.EcsTargets(
        account_of(stack), cluster[0], cluster[1], families, [role.role_arn for role in roles]
    )
    return rendered(spec.grants(declared, targets))


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
    """Acknowledge cdk-nag's IAM5 for each wildcard resource (and action) of `given`, with the grant's
    reason."""
    for grant in given:
        # cdk-nag's IAM5 reports wildcards in Allow statements only.
        if grant.statement.effect == iam.Effect.DENY:
            continue
        for action in grant.statement.actions:
            if action.lower() in BLANKET_ACTIONS:
                # Every action (of IAM): left for cdk-nag to report, so the synth names it.
                continue
            if "*" in action:
                if not grant.why_wildcards:
                    raise ValueError(f"The wildcard in {action} needs a reason")
                acknowledge(construct, "IAM5", grant.why_wildcards, f"Action::{action}")
        for resource in grant.statement.resources:
            text = finding_text(construct, resource)
            if "*" in text:
                if not grant.why_wildcards:
                    raise ValueError(f"The wildcard in {text} needs a reason")
                acknowledge(construct, "IAM5", grant.why_wildcards, f"Resource::{text}")


def log_group_arn_without_streams(stack: Stack, group_name: str) -> str:
    """`arn:...:log-group:<name>` (CDK's log_group_arn ends in `:*`), as Airflow's remote logging wants it."""
    return stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
