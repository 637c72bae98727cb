"""How much of IAM's inline policy budget each role that runs the project's code uses, before deploying.

IAM sums every inline policy on one role against 10,240 characters, not counting whitespace ("IAM and
AWS STS quotas", IAM object quotas: "Role policy size cannot exceed 10,240 characters"; "IAM does not
count white space"). CloudFormation would fail the deploy halfway; this renders the stack's policies
(`farflow.spec.iam.stack_policies`, farflow's own and farflow.toml's) with the longest ARNs the deploy's
CDK tokens could stand for, so a farflow.toml over budget is refused before any deploy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from farflow.spec import metrics
from farflow.spec.iam import (
    PROJECT_POLICY_PREFIX,
    Account,
    Role,
    StackTargets,
    StoreTargets,
    folder_statements,
    own_roles,
    role_statements,
    secret_arns,
    stack_policies,
)
from farflow.spec.names import Names
from farflow.spec.project_permissions import AIRFLOW_TASK, TASKS, WORKER, ProjectPermissions
from farflow.spec.secrets import Secret

ROLE_POLICY_BUDGET = 10_240
"""IAM's aggregate inline policy size per role, in characters without whitespace."""

# The longest renderings of the deploy's tokens: the GovCloud partition, a long Region, a role name as
# long as IAM allows (64: CloudFormation's generated names are shorter), a 63-character bucket, and an
# 80-character queue and 512-character (name plus suffix) secret bounded by a generous 100.
_ACCOUNT = Account("aws-us-gov", "ap-southeast-north-9", "123456789012")
_ROLE_NAME = 64
_BUCKET = "b" * 63


def _roles(account: Account, count: int) -> list[str]:
    """`count` distinct role ARNs of the longest name: every role of the stack is its own ARN, and the
    guard names each once (equal ARNs would be counted once and under-count it)."""
    return [account.role(f"{index:0{_ROLE_NAME}d}") for index in range(count)]


@dataclass(frozen=True)
class RoleSize:
    """One role's inline policies: farflow's own characters and the project's."""

    table: str
    """The role as farflow.toml names it: `permissions.airflow_task`, `permissions.tasks.<folder>`."""
    own: int
    project: int

    @property
    def total(self) -> int:
        return self.own + self.project


def _size(statements: Sequence[object]) -> int:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":"))
    return len(re.sub(r"\s", "", document))


def _longest_targets(
    project: ProjectPermissions, names: Names, worker: bool, folders: Sequence[str]
) -> StackTargets:
    account = _ACCOUNT
    roles = iter(_roles(account, 2 * len(own_roles()) + 2 * len(folders)))
    own = {role: next(roles) for role in own_roles()}
    executions = {role: next(roles) for role in own_roles()}
    return StackTargets(
        account=account,
        cluster_name=names.cluster,
        cluster_arn=account.arn("ecs", f"cluster/{names.cluster}"),
        airflow_family=names.airflow_family,
        # The Airflow task definition's roles are farflow's own Airflow task role and its execution role.
        airflow_roles=[own[Role.AIRFLOW_TASK], executions[Role.AIRFLOW_TASK]],
        folder_families=[names.folder_family(folder) for folder in folders],
        folder_roles=[next(roles) for _ in folders for _ in (0, 1)],
        store=StoreTargets(_BUCKET, account.arn("kms", f"key/{'k' * 36}"), account.region),
        events_queue_arn=account.arn("sqs", "q" * 80),
        task_log_group_arn=f"{account.log_group(names.task_log_group)}:*",
        remote_log_group_arn=f"{account.log_group(names.remote_log_group)}:*",
        worker=worker,
        dags_bucket_arn=f"arn:{account.partition}:s3:::{_BUCKET}",
        metrics_namespace=metrics.namespace(names),
        secret_arns=secret_arns(account, names),
        folders=list(folders),
        project=project,
        own_roles=own,
        own_execution_roles=executions,
        stack_name=names.prefix,
        internal_secret_arns=[account.arn("secretsmanager", f"secret:{'s' * 100}") for _ in Secret],
    )


def role_sizes(
    project: ProjectPermissions, names: Names, *, worker: bool, folders: Sequence[str]
) -> list[RoleSize]:
    """The inline policy size (an upper bound) of each role that runs the project's code."""
    policies = stack_policies(_longest_targets(project, names, worker, folders))
    attached = [(f"permissions.{AIRFLOW_TASK}", role_statements(policies, Role.AIRFLOW_TASK))]
    if worker:
        attached.append((f"permissions.{WORKER}", role_statements(policies, Role.WORKER)))
    attached += [(f"permissions.{TASKS}.{folder}", folder_statements(policies, folder)) for folder in folders]
    sizes = []
    for table, named in attached:
        own = sum(_size(s) for name, s in named.items() if not name.startswith(PROJECT_POLICY_PREFIX))
        given = sum(_size(s) for name, s in named.items() if name.startswith(PROJECT_POLICY_PREFIX))
        sizes.append(RoleSize(table, own, given))
    return sizes


def budget_problems(
    project: ProjectPermissions, names: Names, *, worker: bool, folders: Sequence[str]
) -> list[str]:
    """One line per role whose inline policies would exceed IAM's budget."""
    return [
        _over_budget(size, len(folders))
        for size in role_sizes(project, names, worker=worker, folders=folders)
        if size.total > ROLE_POLICY_BUDGET
    ]


def _over_budget(size: RoleSize, folders: int) -> str:
    """The line for a role over budget: the project's grants to trim, or, where farflow's own policies
    alone fill it (they name every tasks/<name> folder's task definition and roles), the folders."""
    over = (
        f"[{size.table}]: the role's inline policies come to up to {size.total:,} characters (farflow's "
        f"own {size.own:,}, farflow.toml's {size.project:,}), over IAM's {ROLE_POLICY_BUDGET:,} per role "
        '(whitespace not counted; "IAM and AWS STS quotas")'
    )
    if size.own > ROLE_POLICY_BUDGET:
        return (
            f"{over}: farflow's own policies name each of the project's {folders} tasks/ folders; "
            "use fewer folders (one image can serve several tasks through its command)."
        )
    return (
        f'{over}: use fewer statements, wildcards (like "s3:Get*" or one resource '
        '"arn:aws:s3:::my-data/*"), or a customer managed policy in managed_policies.'
    )
