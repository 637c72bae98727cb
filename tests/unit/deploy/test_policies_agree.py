"""One definition of the IAM, two renderings: every task role gets the same named policies with the same
statements in the synthesized template as on the local endpoint (`farflow.local.roles`), and the
workload store's and the events queue's resource policies agree too.

The template's ARNs are CloudFormation intrinsics; the local ones are concrete. Both are brought to one
form: each intrinsic that names a resource becomes `<logical id>`, and each local ARN of the resource
the deploy's logical id stands for becomes the same `<logical id>` (the pairing below is by name, e.g.
the log group named /farflow/tasks, or by the task definition's container).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from farflow.local.roles import (
    LocalResources,
    execution_role_name,
    folder_role_name,
    internal_secret_arn,
    role_name,
    targets,
)
from farflow.spec import Names, Secret, events_queue_shape, workload_store
from farflow.spec.iam import (
    Account,
    Role,
    events_queue_policy,
    folder_statements,
    own_roles,
    role_statements,
    stack_policies,
)
from tests.support.deploy import PERMISSIONS, REGION, Synthesized

NAMES = Names()
ACCOUNT = "{account}"
FOLDERS = ("multi_task", "number_task")  # the sample project's tasks/<name> folders
CONTAINERS = {
    Role.SCHEDULER: "scheduler",
    Role.API_SERVER: "api-server",
    Role.DAG_PROCESSOR: "dag-processor",
    Role.TRIGGERER: "triggerer",
    Role.AIRFLOW_TASK: "airflow",
    Role.WORKER: "worker",
    Role.MIGRATION: "migration",
}
BUCKET = f"{NAMES.prefix}-workloads-{ACCOUNT}-{REGION}"


def resolve(value: Any) -> Any:
    """The template's intrinsics as plain strings: pseudo parameters by name, resources by logical id."""
    if isinstance(value, list):
        return [resolve(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": REGION}.get(
            value["Ref"], f"<{value['Ref']}>"
        )
    if set(value) == {"Fn::GetAtt"}:
        return f"<{value['Fn::GetAtt'][0]}>"
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(part) for part in parts)
    return {key: resolve(item) for key, item in value.items()}


def normal(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lists of one as their item, as CloudFormation templates and policy documents both allow."""

    def one(value: Any) -> Any:
        if isinstance(value, list):
            return one(value[0]) if len(value) == 1 else [one(item) for item in value]
        if isinstance(value, dict):
            return {key: one(item) for key, item in value.items()}
        return value

    return [one(statement) for statement in statements]


def logical(stack: Synthesized, resource_type: str, **properties: str) -> str:
    [found] = [
        key
        for key, resource in stack.of_type(resource_type).items()
        if all(resource["Properties"].get(name) == value for name, value in properties.items())
    ]
    return f"<{found}>"


def pairing(stack: Synthesized, local: LocalResources) -> dict[str, str]:
    """Each local ARN (or name) -> the `<logical id>` the template names the same resource by."""
    shape = events_queue_shape(NAMES)
    pairs = {
        local.cluster_arn: logical(stack, "AWS::ECS::Cluster"),
        local.key_arn: logical(stack, "AWS::KMS::Key"),
        local.queue_arn: logical(stack, "AWS::SQS::Queue", QueueName=shape.queue_name),
        local.rule_arn: logical(stack, "AWS::Events::Rule", Name=shape.rule_name),
    }
    [dags_bucket] = [
        key for key in stack.of_type("AWS::S3::Bucket") if stack.construct_path(key).startswith("DagBundle/")
    ]
    pairs[f"arn:aws:s3:::{local.dags_bucket}"] = f"<{dags_bucket}>"
    for name in (NAMES.task_log_group, NAMES.remote_log_group):
        pairs[f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"] = logical(
            stack, "AWS::Logs::LogGroup", LogGroupName=name
        )
    roles = {role: (role_name(NAMES, role), role.value) for role in own_roles()}
    for role, (task_role, owner) in roles.items():
        pairs[f"arn:aws:iam::{ACCOUNT}:role/{task_role}"] = f"<{stack.role_of(CONTAINERS[role])}>"
        pairs[f"arn:aws:iam::{ACCOUNT}:role/{execution_role_name(NAMES, owner)}"] = (
            f"<{stack.role_of(CONTAINERS[role], 'ExecutionRoleArn')}>"
        )
    for secret in Secret:
        pairs[internal_secret_arn(Account("aws", REGION, ACCOUNT), NAMES, secret)] = secret_of(stack, secret)
    for folder in FOLDERS:
        pairs[f"arn:aws:iam::{ACCOUNT}:role/{folder_role_name(NAMES, folder)}"] = f"<{stack.role_of(folder)}>"
        pairs[f"arn:aws:iam::{ACCOUNT}:role/{execution_role_name(NAMES, folder)}"] = (
            f"<{stack.role_of(folder, 'ExecutionRoleArn')}>"
        )
    return pairs


def secret_of(stack: Synthesized, secret: Secret) -> str:
    """The `<logical id>` of farflow's own secret: the RDS secret's attachment for the database, else the
    generated secret (farflow.deploy.secrets names its construct after the secret)."""
    if secret is Secret.DATABASE_URL:
        attachment, _ = stack.one("AWS::SecretsManager::SecretTargetAttachment")
        return f"<{attachment}>"
    construct = f"Secrets/{secret.name.title().replace('_', '')}"
    [found] = [
        key for key in stack.of_type("AWS::SecretsManager::Secret") if stack.construct_path(key) == construct
    ]
    return f"<{found}>"


def as_template(value: Any, pairs: dict[str, str]) -> Any:
    text = json.dumps(value)
    for local, deployed in sorted(pairs.items(), key=lambda item: -len(item[0])):
        text = text.replace(json.dumps(local)[1:-1], deployed)
    return json.loads(text)


@pytest.fixture(scope="module")
def local() -> LocalResources:
    return LocalResources(
        account=ACCOUNT,
        region=REGION,
        cluster_name=NAMES.cluster,
        cluster_arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{NAMES.cluster}",
        bucket=BUCKET,
        key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/local",
        queue_url="",
        queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{events_queue_shape(NAMES).queue_name}",
        rule_arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{events_queue_shape(NAMES).rule_name}",
        dags_bucket="farflow-dags-local",
    )


def deployed_policies(stack: Synthesized, role: Role) -> dict[str, list[dict[str, Any]]]:
    """The named policies on a role's task role in the template (by construct name), resolved."""
    return deployed_policies_of(stack, stack.role_of(CONTAINERS[role]))


def deployed_policies_of(stack: Synthesized, role_id: str) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for logical_id, resource in stack.of_type("AWS::IAM::Policy").items():
        if {"Ref": role_id} in resource["Properties"]["Roles"]:
            path = stack.construct_path(logical_id)
            found[path] = normal(resolve(resource["Properties"]["PolicyDocument"]["Statement"]))
    return found


@pytest.mark.parametrize("role", own_roles(), ids=lambda role: role.value)
def test_each_role_has_the_same_policies_here_and_deployed(
    role: Role, stack: Synthesized, local: LocalResources
) -> None:
    policies = stack_policies(targets(local, NAMES, FOLDERS, worker=True))
    rendered = {
        f"Permissions/{name}": normal(as_template(statements, pairing(stack, local)))
        for name, statements in role_statements(policies, role).items()
    }
    # Every policy on a task role is one of the spec's: CDK adds none of its own to them.
    assert deployed_policies(stack, role) == rendered


@pytest.mark.parametrize("folder", FOLDERS)
def test_tasks_folder_roles_have_only_the_guard_here_and_deployed(
    folder: str, stack: Synthesized, local: LocalResources
) -> None:
    role_id = stack.role_of(folder)
    policies = stack_policies(targets(local, NAMES, FOLDERS, worker=True))
    rendered = {
        f"Permissions/{name}": normal(as_template(statements, pairing(stack, local)))
        for name, statements in folder_statements(policies, folder).items()
    }
    assert set(rendered) == {"Permissions/Guard", "Permissions/GuardWorkloads"}
    assert deployed_policies_of(stack, role_id) == rendered


def deployed_project_policies(stack: Synthesized, role_id: str) -> dict[str, list[dict[str, Any]]]:
    return {
        stack.construct_path(logical_id): normal(
            resolve(resource["Properties"]["PolicyDocument"]["Statement"])
        )
        for logical_id, resource in stack.of_type("AWS::IAM::Policy").items()
        if {"Ref": role_id} in resource["Properties"]["Roles"]
        and stack.construct_path(logical_id).startswith("Permissions/Project")
    }


def test_the_project_s_grants_are_the_same_here_and_deployed(
    variant: Synthesized, local: LocalResources
) -> None:
    """farflow.toml's `[permissions]` (the variant's): the same named policies on the Airflow task role and
    each tasks/<name> role, locally and in the template."""
    policies = stack_policies(targets(local, NAMES, FOLDERS, worker=False, project=PERMISSIONS))
    on_roles = {
        variant.role_of("airflow"): role_statements(policies, Role.AIRFLOW_TASK),
        **{variant.role_of(folder): folder_statements(policies, folder) for folder in FOLDERS},
    }
    for role_id, statements in on_roles.items():
        rendered = {
            f"Permissions/{name}": normal(statement)
            for name, statement in statements.items()
            if name.startswith("Project")
        }
        assert deployed_project_policies(variant, role_id) == rendered
    assert any(statements for statements in on_roles.values())


def resource_policy(
    stack: Synthesized, resource_type: str, property_name: str, target: str
) -> list[dict[str, Any]]:
    for resource in stack.of_type(resource_type).values():
        properties = resource["Properties"]
        targets_ = properties.get(property_name)
        if resolve(targets_ if not isinstance(targets_, list) else targets_[0]) == target:
            document = properties.get("PolicyDocument") or properties.get("KeyPolicy")
            return normal(resolve(document["Statement"]))
    raise KeyError(target)


def without_sids(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in statement.items() if key != "Sid"} for statement in statements]


def test_events_queue_policy_is_the_spec_s(stack: Synthesized, local: LocalResources) -> None:
    pairs = pairing(stack, local)
    queue = pairs[local.queue_arn]
    rendered = normal(as_template(events_queue_policy(local.queue_arn, local.rule_arn), pairs))
    queue_ref = "<" + queue.strip("<>") + ">"
    deployed = resource_policy(stack, "AWS::SQS::QueuePolicy", "Queues", queue_ref)
    assert deployed == without_sids(rendered)


def test_workload_store_policies_are_the_spec_s(stack: Synthesized, local: LocalResources) -> None:
    pairs = pairing(stack, local)
    bucket_policy = normal(as_template(workload_store.bucket_policy_statements(BUCKET, local.key_arn), pairs))
    [deployed_bucket] = [
        resource
        for resource in stack.of_type("AWS::S3::BucketPolicy").values()
        if "StoreKeyOnly" in json.dumps(resource["Properties"]["PolicyDocument"])
    ]
    # The deploy names its bucket by Ref; locally by name.
    deployed = json.dumps(normal(resolve(deployed_bucket["Properties"]["PolicyDocument"]["Statement"])))
    bucket_ref = resolve(deployed_bucket["Properties"]["Bucket"])
    assert json.loads(deployed.replace(bucket_ref, BUCKET)) == bucket_policy


def test_workload_key_policy_is_the_spec_s(stack: Synthesized, local: LocalResources) -> None:
    pairs = pairing(stack, local)
    statements = workload_store.key_policy_statements(
        account=ACCOUNT,
        region=REGION,
        bucket=BUCKET,
        scheduler_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{role_name(NAMES, Role.SCHEDULER)}",
        task_role_arns={
            NAMES.airflow_family: f"arn:aws:iam::{ACCOUNT}:role/{role_name(NAMES, Role.AIRFLOW_TASK)}"
        },
    )
    _, key = stack.one("AWS::KMS::Key")
    assert normal(resolve(key["Properties"]["KeyPolicy"]["Statement"])) == normal(
        as_template(statements, pairs)
    )
