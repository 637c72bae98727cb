"""Creates on the local endpoint what `farflow deploy` creates on AWS: network, cluster, log groups, the
workload store, the task events queue and rule, the Airflow task definition and one task definition per
`tasks/<name>` folder of the project.

Names and task definition shapes come from `farflow.spec`, which the deploy renders too; this module
only adds what is local (images that map to this machine, the RegisterTaskDefinition request). The
requests are built by pure functions; only the `seed_*` functions talk to the endpoint.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

from farflow.local.layout import DEFAULT_NAMES, SeededNames
from farflow.local.local_only import DUMMY_CREDENTIALS
from farflow.spec import (
    CAPACITY_PROVIDERS,
    EventsQueueShape,
    Names,
    TaskDefinitionShape,
    TaskFolderError,
    airflow_task_shape,
    dag_bundle,
    events_queue_shape,
    project_task_shapes,
    task_state_change_pattern,
    workload_store,
)

AIRFLOW_IMAGE = "farflow/airflow:local"
TASK_IMAGE_REPOSITORY = "farflow-local"

# A tasks/<name> folder that cannot become a task definition: the spec's error, which the deploy raises
# for the same folder, under the name the CLI has always caught.
SeedError = TaskFolderError


def task_image(name: str) -> str:
    """The image name for tasks/<name>: its last path segment names the folder (see docs/local.md)."""
    return f"{TASK_IMAGE_REPOSITORY}/{name}:latest"


def shape_image(shape: TaskDefinitionShape) -> str:
    """Locally, a folder's image runs in that folder and the Airflow image in this Python environment."""
    return task_image(shape.folder.name) if shape.folder is not None else AIRFLOW_IMAGE


def register_request(
    shape: TaskDefinitionShape,
    region: str,
    environment: Mapping[str, str] | None = None,
    roles: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """RegisterTaskDefinition kwargs for a spec shape: a Fargate task of one essential container, with
    its task and execution role ARNs when given (`farflow.local.roles`)."""
    spec = shape.container
    container: dict[str, Any] = {
        "name": spec.name,
        "image": shape_image(shape),
        "essential": True,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": spec.log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": spec.log_stream_prefix,
            },
        },
        "stopTimeout": spec.stop_timeout,
    }
    if spec.command:
        container["command"] = list(spec.command)
    if environment:
        container["environment"] = [{"name": key, "value": environment[key]} for key in sorted(environment)]
    request: dict[str, Any] = {
        "family": shape.family,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(shape.cpu),
        "memory": str(shape.memory),
        "containerDefinitions": [container],
    }
    if roles is not None:
        request["taskRoleArn"], request["executionRoleArn"] = roles
    return request


def airflow_task_definition(
    environment: Mapping[str, str], region: str, names: Names = DEFAULT_NAMES
) -> dict[str, Any]:
    """RegisterTaskDefinition kwargs for the task definition farflow's executor runs Airflow tasks in."""
    return register_request(airflow_task_shape(names), region, environment)


def endpoint_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client of the local endpoint, with the CLI's own keys (the account's administrator)."""
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def seed_workload_store(endpoint_url: str, region: str, names: Names = DEFAULT_NAMES) -> str:
    """Create the workload store's KMS key and bucket as `farflow.spec.workload_store` describes them;
    return the `[ecs_fargate] workload_store` URL. (moto keeps the key's policy but does not enforce it.)"""
    key_arn = endpoint_client("kms", endpoint_url, region).create_key(
        Description=f"{names.prefix}: Airflow task workloads (tokens)"
    )["KeyMetadata"]["Arn"]
    # Bucket names are global; moto shares them between the accounts of endpoints in one process.
    bucket = f"{names.prefix}-workloads-{uuid.uuid4().hex[:12]}"
    s3 = endpoint_client("s3", endpoint_url, region)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(
        Bucket=bucket, ServerSideEncryptionConfiguration=workload_store.encryption_configuration(key_arn)
    )
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=dict(workload_store.PUBLIC_ACCESS_BLOCK)
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": workload_store.lifecycle_rules()}
    )
    return f"s3://{bucket}/{workload_store.PREFIX}"


def create_dags_bucket(s3: Any, names: Names = DEFAULT_NAMES) -> str:
    """Create the DAG bundle's bucket as `farflow.spec.dag_bundle` describes it; return its name."""
    bucket = f"{names.prefix}-dags-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    if dag_bundle.BUCKET.versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket, ServerSideEncryptionConfiguration=dag_bundle.encryption_configuration()
    )
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=dict(dag_bundle.PUBLIC_ACCESS_BLOCK)
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": dag_bundle.lifecycle_rules()}
    )
    return bucket


def queue_attributes(shape: EventsQueueShape, dead_letter_arn: str) -> dict[str, str]:
    """CreateQueue attributes of the task events queue (SSE-SQS: no KMS key, so no KMS permissions)."""
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": shape.max_receive_count}
    return {
        "VisibilityTimeout": str(shape.visibility_timeout_seconds),
        "MessageRetentionPeriod": str(shape.retention_seconds),
        "ReceiveMessageWaitTimeSeconds": str(shape.receive_wait_seconds),
        "RedrivePolicy": json.dumps(redrive),
        "SqsManagedSseEnabled": "true",
    }


def seed_events(endpoint_url: str, region: str, cluster_arn: str, names: Names = DEFAULT_NAMES) -> str:
    """The task events queue, its DLQ, and the rule that sends farflow's task state changes to it; its URL."""
    shape = events_queue_shape(names)
    sqs = endpoint_client("sqs", endpoint_url, region)
    dead_letter_url = sqs.create_queue(
        QueueName=shape.dead_letter_queue_name,
        Attributes={
            "MessageRetentionPeriod": str(shape.dead_letter_retention_seconds),
            "SqsManagedSseEnabled": "true",
        },
    )["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    queue_url = str(
        sqs.create_queue(QueueName=shape.queue_name, Attributes=queue_attributes(shape, dead_letter_arn))[
            "QueueUrl"
        ]
    )
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = endpoint_client("events", endpoint_url, region)
    events.put_rule(Name=shape.rule_name, EventPattern=json.dumps(task_state_change_pattern(cluster_arn)))
    events.put_targets(
        Rule=shape.rule_name,
        Targets=[{"Id": "executor-queue", "Arn": queue_arn, "DeadLetterConfig": {"Arn": dead_letter_arn}}],
    )
    return queue_url


def seed_network(
    endpoint_url: str, region: str, names: Names = DEFAULT_NAMES, dags_bucket: bool = False
) -> SeededNames:
    """Create VPC, subnet, security group, cluster, log groups, the workload store, the task events
    queue and rule, and with `dags_bucket` the DAG bundle's bucket, on the endpoint."""
    ec2 = endpoint_client("ec2", endpoint_url, region)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto refuses awsvpc tasks in a VPC without DNS hostnames.
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(
        GroupName=f"{names.prefix}-tasks", Description="farflow local tasks", VpcId=vpc_id
    )["GroupId"]
    # With the capacity providers the deployed cluster has, so Spot tasks run here and others fail as on AWS.
    cluster = endpoint_client("ecs", endpoint_url, region).create_cluster(
        clusterName=names.cluster, capacityProviders=list(CAPACITY_PROVIDERS)
    )["cluster"]
    seed_events(endpoint_url, region, cluster["clusterArn"], names)
    logs = endpoint_client("logs", endpoint_url, region)
    existing = {g["logGroupName"] for g in logs.describe_log_groups().get("logGroups", [])}
    for log_group in (names.airflow_log_group, names.task_log_group):
        if log_group not in existing:
            logs.create_log_group(logGroupName=log_group)
    store = seed_workload_store(endpoint_url, region, names)
    bucket = create_dags_bucket(endpoint_client("s3", endpoint_url, region), names) if dags_bucket else ""
    return SeededNames(
        subnets=(subnet,),
        security_groups=(group,),
        cluster=names.cluster,
        workload_store=store,
        dags_bucket=bucket,
    )


def seed_task_definitions(
    endpoint_url: str,
    region: str,
    airflow_environment: Mapping[str, str],
    project: Path,
    names: Names = DEFAULT_NAMES,
    *,
    task_roles: Mapping[str, tuple[str, str]] | None = None,
) -> list[str]:
    """Register the Airflow task definition and one per tasks/<name> folder, each with its task and
    execution roles from `task_roles` (family to ARNs); return their families."""
    roles = task_roles or {}
    definitions = [
        register_request(
            airflow_task_shape(names), region, airflow_environment, roles.get(names.airflow_family)
        )
    ]
    definitions += [
        register_request(shape, region, roles=roles.get(shape.family))
        for shape in project_task_shapes(project, names)
    ]
    ecs = endpoint_client("ecs", endpoint_url, region)
    for definition in definitions:
        ecs.register_task_definition(**definition)
    return [definition["family"] for definition in definitions]
