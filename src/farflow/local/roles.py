"""The deploy's roles on the local endpoint: who each local process is, and what it may do.

On Fargate each task runs as its task definition's task role. Locally each process that calls AWS gets
keys that name its role (`farflow-role.<role name>`): the components and the migration from their
environment (`credentials`), each ECS task from its task definition's taskRoleArn (the endpoint sets
them). `seed_roles` creates the roles in the endpoint's IAM with the identity policies of
`farflow.spec.iam.stack_policies`, and puts the workload store's key policy and the events queue's
policy and the bucket's on those resources, as the deploy does (with the project's farflow.toml
`[permissions]` statements on the Airflow task, worker and tasks/<name> roles; its managed policies are
not modelled: the endpoint cannot know an AWS managed policy's content, so locally they grant nothing); the endpoint decides each call against them
(`farflow.local.endpoint.access`). Keys that name no role (the CLI's own, `farflow-local`) act as the
account's administrator, as the deploying user does on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farflow.local.layout import SeededNames, StackLayout
from farflow.local.local_only import DUMMY_CREDENTIALS
from farflow.local.seed import endpoint_client
from farflow.spec import Names, events_queue_shape, metrics, project_task_shapes, workload_store
from farflow.spec.iam import (
    ECS_TASKS_PRINCIPAL,
    PROJECT_POLICY_PREFIX,
    Account,
    NamedPolicy,
    Role,
    StackTargets,
    StoreTargets,
    events_queue_policy,
    folder_statements,
    own_roles,
    project_policies,
    role_statements,
    stack_policies,
)
from farflow.spec.policy_check import policy_problem
from farflow.spec.project_permissions import ProjectPermissions
from farflow.spec.secrets import Secret

ROLE_KEY_PREFIX = "farflow-role."
PARTITION = "aws"


def role_name(names: Names, role: Role) -> str:
    return f"{names.prefix}-{role.value}"


def folder_role_name(names: Names, folder: str) -> str:
    """The task role of the tasks/<folder> task definition."""
    return f"{names.prefix}-task-{folder}"


def execution_role_name(names: Names, owner: str) -> str:
    """The execution role of a task definition (`owner`: `airflow-task` or a tasks/<name> folder)."""
    return f"{names.prefix}-execution-{owner}"


def access_key(name: str) -> str:
    """The access key id that names role `name` to the local endpoint."""
    return f"{ROLE_KEY_PREFIX}{name}"


def role_of_key(key: str) -> str | None:
    """The role name an access key id names, or None (a key of the CLI or a test: the administrator)."""
    return key.removeprefix(ROLE_KEY_PREFIX) if key.startswith(ROLE_KEY_PREFIX) else None


def credentials(name: str) -> dict[str, str]:
    """AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a process that runs as role `name`."""
    return {**DUMMY_CREDENTIALS, "AWS_ACCESS_KEY_ID": access_key(name)}


@dataclass(frozen=True)
class LocalResources:
    """What the seed created that the policies name."""

    account: str
    region: str
    cluster_name: str
    cluster_arn: str
    bucket: str
    key_arn: str
    queue_url: str
    queue_arn: str
    rule_arn: str
    dags_bucket: str = ""
    """The DAG bundle's bucket, when the stack reads DAGs from one (`farflow local up --dag-bundle`)."""


@dataclass(frozen=True)
class LocalRoles:
    """The roles created, and each task definition family's task and execution role ARNs."""

    account: Account
    policies: Sequence[NamedPolicy]
    task_roles: Mapping[str, tuple[str, str]]
    bucket_policy: Sequence[Mapping[str, Any]] = ()
    """The workload store's bucket policy."""


def targets(
    resources: LocalResources,
    names: Names,
    folders: Sequence[str],
    worker: bool,
    project: ProjectPermissions | None = None,
) -> StackTargets:
    """The local stack's resources as the spec's policies name them (log group ARNs as CDK's end, `:*`)."""
    account = Account(PARTITION, resources.region, resources.account)

    def roles(owner: str, task_role: str) -> list[str]:
        return [account.role(task_role), account.role(execution_role_name(names, owner))]

    return StackTargets(
        account=account,
        cluster_name=resources.cluster_name,
        cluster_arn=resources.cluster_arn,
        airflow_family=names.airflow_family,
        airflow_roles=roles(Role.AIRFLOW_TASK.value, role_name(names, Role.AIRFLOW_TASK)),
        folder_families=[names.folder_family(folder) for folder in folders],
        folder_roles=[arn for folder in folders for arn in roles(folder, folder_role_name(names, folder))],
        store=StoreTargets(resources.bucket, resources.key_arn, resources.region),
        events_queue_arn=resources.queue_arn,
        task_log_group_arn=f"{account.log_group(names.task_log_group)}:*",
        remote_log_group_arn=f"{account.log_group(names.remote_log_group)}:*",
        worker=worker,
        dags_bucket_arn=f"arn:{PARTITION}:s3:::{resources.dags_bucket}" if resources.dags_bucket else "",
        # Nothing here puts metrics, but the roles are the deploy's, whose service agents do.
        metrics_namespace=metrics.namespace(names),
        folders=list(folders),
        project=project or ProjectPermissions(),
        own_roles={
            role: account.role(role_name(names, role))
            for role in own_roles()
            if worker or role is not Role.WORKER
        },
        own_execution_roles={
            role: account.role(execution_role_name(names, role.value))
            for role in own_roles()
            if worker or role is not Role.WORKER
        },
        # No CloudFormation here, but the guard is the deploy's (whose stack is named as the prefix).
        stack_name=names.prefix,
        internal_secret_arns=[internal_secret_arn(account, names, secret) for secret in Secret],
    )


def internal_secret_arn(account: Account, names: Names, secret: Secret) -> str:
    """Where farflow's own secret would be: the local stack keeps them in its state folder, not in the
    endpoint, but the guard names them as the deploy does (`farflow.spec.iam.guard_policies`)."""
    return account.arn("secretsmanager", f"secret:{names.prefix}/{secret.name.lower()}-??????")


def _document(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUST_ECS_TASKS = _document(
    [{"Effect": "Allow", "Principal": {"Service": ECS_TASKS_PRINCIPAL}, "Action": "sts:AssumeRole"}]
)


def find_resources(
    endpoint_url: str, region: str, cluster_arn: str, store_url: str, names: Names, *, dags_bucket: str = ""
) -> LocalResources:
    """The seeded cluster, workload store and events queue, by the names the seed gave them."""
    bucket = store_url.removeprefix("s3://").split("/", 1)[0]
    s3 = endpoint_client("s3", endpoint_url, region)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    key_arn = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    shape = events_queue_shape(names)
    sqs = endpoint_client("sqs", endpoint_url, region)
    queue_url = sqs.get_queue_url(QueueName=shape.queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule_arn = endpoint_client("events", endpoint_url, region).describe_rule(Name=shape.rule_name)["Arn"]
    return LocalResources(
        account=cluster_arn.split(":")[4],
        region=region,
        cluster_name=cluster_arn.rsplit("/", 1)[-1],
        cluster_arn=cluster_arn,
        bucket=bucket,
        key_arn=key_arn,
        queue_url=queue_url,
        queue_arn=queue_arn,
        rule_arn=rule_arn,
        dags_bucket=dags_bucket,
    )


def seed_roles(
    endpoint_url: str,
    resources: LocalResources,
    names: Names,
    folders: Sequence[str],
    worker: bool = True,
    *,
    project: ProjectPermissions | None = None,
) -> LocalRoles:
    """Create every role with its policies, and the store's and queue's resource policies."""
    region = resources.region
    stack = targets(resources, names, folders, worker, project)
    policies = stack_policies(stack)
    iam = endpoint_client("iam", endpoint_url, region)
    created = [role_name(names, role) for role in own_roles()]
    created += [folder_role_name(names, folder) for folder in folders]
    created += [execution_role_name(names, owner) for owner in (Role.AIRFLOW_TASK.value, *folders)]
    for name in created:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    attached = [(role_name(names, role), role_statements(policies, role)) for role in own_roles()]
    attached += [(folder_role_name(names, folder), folder_statements(policies, folder)) for folder in folders]
    for role, named in attached:
        for policy_name, statements in named.items():
            if not policy_name.startswith(PROJECT_POLICY_PREFIX):
                put_policy(iam, role, policy_name, statements)
    put_project_policies(iam, names, policies, folders)
    account = stack.account
    # The endpoint evaluates it (moto's own check would misapply it: access.leave_bucket_policies_to_farflow).
    bucket_policy = workload_store.bucket_policy_statements(resources.bucket, resources.key_arn)
    endpoint_client("s3", endpoint_url, region).put_bucket_policy(
        Bucket=resources.bucket, Policy=_document(bucket_policy)
    )
    endpoint_client("kms", endpoint_url, region).put_key_policy(
        KeyId=resources.key_arn,
        PolicyName="default",
        Policy=_document(
            workload_store.key_policy_statements(
                account=resources.account,
                region=region,
                bucket=resources.bucket,
                scheduler_role_arn=account.role(role_name(names, Role.SCHEDULER)),
                task_role_arns={names.airflow_family: account.role(role_name(names, Role.AIRFLOW_TASK))},
            )
        ),
    )
    endpoint_client("sqs", endpoint_url, region).set_queue_attributes(
        QueueUrl=resources.queue_url,
        Attributes={"Policy": _document(events_queue_policy(resources.queue_arn, resources.rule_arn))},
    )
    task_roles = {
        names.airflow_family: (
            account.role(role_name(names, Role.AIRFLOW_TASK)),
            account.role(execution_role_name(names, Role.AIRFLOW_TASK.value)),
        ),
        **{
            names.folder_family(folder): (
                account.role(folder_role_name(names, folder)),
                account.role(execution_role_name(names, folder)),
            )
            for folder in folders
        },
    }
    return LocalRoles(account, policies, task_roles, bucket_policy)


def put_project_policies(
    iam: Any, names: Names, policies: Sequence[NamedPolicy], folders: Sequence[str]
) -> None:
    """The project's `[permissions]` policies on the roles that run its code, exactly: each one put, and a
    `Project…` policy no longer written deleted (so applying a changed farflow.toml again is the same as
    seeding it anew)."""
    wanted = {
        role_name(names, role): role_statements(policies, role) for role in (Role.AIRFLOW_TASK, Role.WORKER)
    }
    wanted |= {folder_role_name(names, folder): folder_statements(policies, folder) for folder in folders}
    project = {
        role: {name: s for name, s in attached.items() if name.startswith(PROJECT_POLICY_PREFIX)}
        for role, attached in wanted.items()
    }
    for role, named in project.items():  # all checked before any role changes
        for name, statements in named.items():
            check_policy(role, name, statements)
    for role, named in project.items():
        for existing in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            if existing.startswith(PROJECT_POLICY_PREFIX) and existing not in named:
                iam.delete_role_policy(RoleName=role, PolicyName=existing)
        for name, statements in named.items():
            put_policy(iam, role, name, statements)


class UnparsablePolicyError(ValueError):
    """A policy the local endpoint's evaluator cannot parse: it would decide calls without it."""


def check_policy(role: str, name: str, statements: Sequence[Mapping[str, Any]]) -> None:
    """UnparsablePolicyError unless `farflow.policy` (which decides the endpoint's calls) can decide the
    policy: one it cannot would otherwise be left out of every decision, silently."""
    if problem := policy_problem(statements):
        raise UnparsablePolicyError(
            f"Policy {name} of role {role} cannot be decided locally ({problem}); fix its statements."
        )


def put_policy(iam: Any, role: str, name: str, statements: Sequence[Mapping[str, Any]]) -> None:
    """Put one inline policy on a role, once checked (`check_policy`)."""
    check_policy(role, name, statements)
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=_document(statements))


def stack_folders(project: Path, names: Names) -> list[str]:
    """The project's tasks/<name> folders, each of which has a role."""
    return [shape.folder.name for shape in project_task_shapes(project, names) if shape.folder is not None]


def apply_project_permissions(
    endpoint_url: str, region: str, names: Names, project: Path, permissions: ProjectPermissions
) -> None:
    """Put a (changed) `[permissions]` on a running stack's roles, as a start would seed them."""
    folders = stack_folders(project, names)
    policies = project_policies(permissions, worker=True, folders=folders)
    put_project_policies(endpoint_client("iam", endpoint_url, region), names, policies, folders)


def seed_stack_roles(
    layout: StackLayout,
    network: SeededNames,
    account: str,
    project: Path,
    permissions: ProjectPermissions | None = None,
) -> LocalRoles:
    """`seed_roles` for the stack `seed_network` created, with a role per tasks/<name> folder and the
    project's farflow.toml `permissions`."""
    names = layout.names
    cluster_arn = f"arn:{PARTITION}:ecs:{layout.region}:{account}:cluster/{network.cluster}"
    resources = find_resources(
        layout.endpoint_url,
        layout.region,
        cluster_arn,
        network.workload_store,
        names,
        dags_bucket=network.dags_bucket,
    )
    folders = stack_folders(project, names)
    return seed_roles(layout.endpoint_url, resources, names, folders, project=permissions)


def managed_policy_warning(permissions: ProjectPermissions) -> str | None:
    """One line for `farflow local up` when farflow.toml names managed policies, which grant nothing here."""
    managed = [f"[permissions.{owner}] {arn}" for owner, arn in permissions.managed()]
    if not managed:
        return None
    return (
        f"farflow.toml's managed policies are attached on AWS only; locally they grant nothing "
        f"({'; '.join(managed)}): write the actions a task needs as statements to have them here too."
    )
