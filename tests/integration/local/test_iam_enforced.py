"""The local endpoint holds every call to the deploy's policies: each role as `farflow.local.roles` seeds
it, each resource policy as the deploy writes it; denials answer as AWS does and name what decided."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from farflow.local.endpoint import LocalEcsEndpoint
from farflow.local.iam_mode import IamMode
from farflow.local.roles import LocalResources, credentials, find_resources, seed_roles
from farflow.local.seed import seed_network, seed_task_definitions
from farflow.spec import Names

NAMES = Names()
FOLDER = "hello"
WORKLOAD = f"workloads/{NAMES.airflow_family}/token.json"

# The bucket policy as the first deploy wrote it: a Deny with ...IfExists matches a write that sends no
# encryption header, so it refused the executor's own (default-encrypted) writes on AWS.
OLD_BUCKET_POLICY = [
    {
        "Sid": "StoreKeyOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "{key}"}},
    }
]


@dataclass
class Seeded:
    endpoint: LocalEcsEndpoint
    resources: LocalResources
    subnets: tuple[str, ...]

    def client(self, role: str, service: str) -> Any:
        keys = credentials(role)
        return self.endpoint.client(
            service,
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        )


def seed(endpoint: LocalEcsEndpoint) -> Seeded:
    network = seed_network(endpoint.url, endpoint.region, NAMES)
    cluster_arn = f"arn:aws:ecs:{endpoint.region}:{endpoint.account_id}:cluster/{network.cluster}"
    resources = find_resources(endpoint.url, endpoint.region, cluster_arn, network.workload_store, NAMES)
    roles = seed_roles(endpoint.url, resources, NAMES, [FOLDER])
    seed_task_definitions(
        endpoint.url, endpoint.region, {}, Path("/nonexistent"), NAMES, task_roles=roles.task_roles
    )
    return Seeded(endpoint, resources, network.subnets)


@pytest.fixture(scope="module")
def enforced() -> Iterator[Seeded]:
    with LocalEcsEndpoint(execute=False, iam=IamMode.ENFORCE) as endpoint:
        yield seed(endpoint)


def denied(call: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return dict(raised.value.response["Error"])


def test_the_executor_writes_and_the_airflow_task_reads_and_deletes_its_workload(enforced: Seeded) -> None:
    bucket = enforced.resources.bucket
    enforced.client("farflow-scheduler", "s3").put_object(Bucket=bucket, Key=WORKLOAD, Body=b"{}")
    task = enforced.client("farflow-airflow-task", "s3")
    assert task.get_object(Bucket=bucket, Key=WORKLOAD)["Body"].read() == b"{}"
    task.delete_object(Bucket=bucket, Key=WORKLOAD)


def test_a_task_role_without_s3_get_object_is_denied_as_s3_denies(enforced: Seeded) -> None:
    bucket = enforced.resources.bucket
    enforced.client("farflow-scheduler", "s3").put_object(Bucket=bucket, Key=WORKLOAD, Body=b"{}")
    error = denied(
        lambda: enforced.client(f"farflow-task-{FOLDER}", "s3").get_object(Bucket=bucket, Key=WORKLOAD)
    )
    assert error["Code"] == "AccessDenied"
    assert "s3:GetObject" in error["Message"] and f"assumed-role/farflow-task-{FOLDER}/" in error["Message"]


def test_the_airflow_task_cannot_decrypt_another_family_s_workloads(enforced: Seeded) -> None:
    """Its identity policy allows s3:GetObject only under its own family's folder."""
    bucket, other = enforced.resources.bucket, "workloads/farflow-other/token.json"
    enforced.client("farflow-scheduler", "s3").put_object(Bucket=bucket, Key=other, Body=b"{}")
    error = denied(lambda: enforced.client("farflow-airflow-task", "s3").get_object(Bucket=bucket, Key=other))
    assert error["Code"] == "AccessDenied"


def test_a_write_naming_another_encryption_is_denied_by_store_key_only(enforced: Seeded) -> None:
    scheduler = enforced.client("farflow-scheduler", "s3")
    error = denied(
        lambda: scheduler.put_object(
            Bucket=enforced.resources.bucket, Key=WORKLOAD, Body=b"{}", ServerSideEncryption="AES256"
        )
    )
    assert error["Code"] == "AccessDenied" and "StoreKeyOnly" in error["Message"]


def test_the_scheduler_runs_the_airflow_task_definition_and_passes_its_roles(enforced: Seeded) -> None:
    answer = enforced.client("farflow-scheduler", "ecs").run_task(
        cluster=NAMES.cluster,
        taskDefinition=NAMES.airflow_family,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": list(enforced.subnets)}},
        tags=[{"key": "farflow", "value": "yes"}],
    )
    assert answer["tasks"]


def test_the_scheduler_may_not_run_a_tasks_folder_s_definition(enforced: Seeded) -> None:
    error = denied(
        lambda: enforced.client("farflow-scheduler", "ecs").run_task(
            cluster=NAMES.cluster,
            taskDefinition=NAMES.folder_family(FOLDER),
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": list(enforced.subnets)}},
        )
    )
    assert error["Code"] == "AccessDeniedException" and "ecs:RunTask" in error["Message"]


def test_a_component_with_no_ecs_grant_is_denied_as_ecs_denies(enforced: Seeded) -> None:
    error = denied(lambda: enforced.client("farflow-dag-processor", "ecs").list_tasks(cluster=NAMES.cluster))
    assert error["Code"] == "AccessDeniedException"


def test_ec2_eventbridge_iam_and_secrets_calls_are_decided_as_their_actions_on_aws_s_resources(
    enforced: Seeded,
) -> None:
    """The components call none of these; the message names the action and the ARN AWS authorizes."""
    account, region = enforced.endpoint.account_id, enforced.endpoint.region
    role = "farflow-dag-processor"
    cases = [
        (lambda: enforced.client(role, "ec2").describe_subnets(), "ec2:DescribeSubnets", "*"),
        (
            lambda: enforced.client(role, "events").describe_rule(Name="farflow-task-state-changes"),
            "events:DescribeRule",
            f"arn:aws:events:{region}:{account}:rule/farflow-task-state-changes",
        ),
        (
            lambda: enforced.client(role, "iam").get_role(RoleName="farflow-scheduler"),
            "iam:GetRole",
            f"arn:aws:iam::{account}:role/farflow-scheduler",
        ),
    ]
    secret = enforced.endpoint.client("secretsmanager").create_secret(
        Name="farflow/connections/db", SecretString="x"
    )
    cases.append(
        (
            lambda: enforced.client(role, "secretsmanager").get_secret_value(
                SecretId="farflow/connections/db"
            ),
            "secretsmanager:GetSecretValue",
            secret["ARN"],
        )
    )
    codes = []
    for call, action, resource in cases:
        error = denied(call)
        assert f"perform: {action} on resource: {resource} " in error["Message"], error
        codes.append(error["Code"])
    # Each service's own error code.
    assert codes == [
        "UnauthorizedOperation",
        "AccessDeniedException",
        "AccessDenied",
        "AccessDeniedException",
    ]


def test_every_call_is_evaluated(enforced: Seeded) -> None:
    before = enforced.endpoint.iam_counts()["evaluated"]
    answered = sum(sum(counts.values()) for counts in enforced.endpoint.client_calls().values())
    enforced.client("farflow-scheduler", "sqs").receive_message(QueueUrl=enforced.resources.queue_url)
    assert enforced.endpoint.iam_counts()["evaluated"] == before + 1
    assert before == answered


def test_the_old_bucket_policy_refuses_the_executor_s_write_naming_its_statement(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with LocalEcsEndpoint(execute=False, iam=IamMode.ENFORCE) as endpoint:
        seeded = seed(endpoint)
        bucket, key = seeded.resources.bucket, seeded.resources.key_arn
        old = json.dumps(OLD_BUCKET_POLICY).replace("{bucket}", bucket).replace("{key}", key)
        endpoint.client("s3").put_bucket_policy(
            Bucket=bucket, Policy=json.dumps({"Statement": json.loads(old)})
        )
        with caplog.at_level(logging.WARNING, logger="farflow.local.endpoint.access"):
            error = denied(
                lambda: seeded.client("farflow-scheduler", "s3").put_object(
                    Bucket=bucket, Key=WORKLOAD, Body=b"{}"
                )
            )
    assert error["Code"] == "AccessDenied" and "StoreKeyOnly" in error["Message"]
    [logged] = [record.getMessage() for record in caplog.records if "IAM" in record.getMessage()]
    assert "farflow-scheduler" in logged and "s3:PutObject" in logged and "StoreKeyOnly" in logged


def test_warn_lets_a_denied_call_through_and_counts_it() -> None:
    with LocalEcsEndpoint(execute=False, iam=IamMode.WARN) as endpoint:
        seeded = seed(endpoint)
        seeded.client("farflow-dag-processor", "ecs").list_tasks(cluster=NAMES.cluster)
        assert endpoint.iam_counts()["denied"] == 1
