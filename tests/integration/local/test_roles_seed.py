"""The local endpoint gets the deploy's roles, policies and resource policies from `farflow.local.roles`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from farflow.local.endpoint import LocalEcsEndpoint
from farflow.local.roles import find_resources, seed_roles
from farflow.local.seed import seed_network
from farflow.policy import Decision, authorize, parse_policy
from farflow.policy.s3 import s3_request
from farflow.spec import Names, workload_store

NAMES = Names()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEcsEndpoint]:
    with LocalEcsEndpoint(execute=False) as started:
        yield started


def test_seeded_roles_carry_the_spec_s_policies(endpoint: LocalEcsEndpoint) -> None:
    network = seed_network(endpoint.url, endpoint.region, NAMES)
    cluster_arn = f"arn:aws:ecs:{endpoint.region}:{endpoint.account_id}:cluster/{network.cluster}"
    resources = find_resources(endpoint.url, endpoint.region, cluster_arn, network.workload_store, NAMES)
    roles = seed_roles(endpoint.url, resources, NAMES, ["hello"])
    iam = endpoint.client("iam")
    assert iam.list_role_policies(RoleName="farflow-scheduler")["PolicyNames"] == ["Executor"]
    executor = iam.get_role_policy(RoleName="farflow-scheduler", PolicyName="Executor")["PolicyDocument"]
    assert {"ecs:RunTask", "s3:PutObject"} <= {a for s in executor["Statement"] for a in s["Action"]}
    assert iam.list_role_policies(RoleName="farflow-task-hello")["PolicyNames"] == []
    assert "StoreKeyOnly" in {s["Sid"] for s in roles.bucket_policy}
    key_policy = json.loads(
        endpoint.client("kms").get_key_policy(KeyId=resources.key_arn, PolicyName="default")["Policy"]
    )
    assert "TaskRoleDecryptsFarflowAirflow" in {s["Sid"] for s in key_policy["Statement"]}
    queue = endpoint.client("sqs").get_queue_attributes(
        QueueUrl=resources.queue_url, AttributeNames=["Policy"]
    )
    assert "RuleSends" in queue["Attributes"]["Policy"]
    assert roles.task_roles["farflow-hello"][0].endswith(":role/farflow-task-hello")


def test_moto_s3_refuses_a_write_the_store_s_bucket_policy_allows_on_aws(endpoint: LocalEcsEndpoint) -> None:
    """Why the seed keeps the bucket policy off moto's bucket: moto applies its Deny statements without
    their conditions, so a plain write (no encryption header, which AWS allows) is refused."""
    s3 = endpoint.client("s3")
    bucket = "farflow-moto-bucket-policy"
    s3.create_bucket(Bucket=bucket)
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/k"
    statements = workload_store.bucket_policy_statements(bucket, key_arn)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    url = f"https://{bucket}.s3.us-east-1.amazonaws.com/workloads/a.json"
    on_aws = authorize(
        s3_request("PutObject", url, {}, "arn:aws:iam::123456789012:role/r"), [], parse_policy(statements)
    )
    assert on_aws.decision is not Decision.EXPLICIT_DENY
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="workloads/a.json", Body=b"{}")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
