"""The local endpoint gets the deploy's roles, policies and resource policies from `farflow.local.roles`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

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
    # The executor's, and the one the deploy's CloudWatch agent sidecar uses (nothing here puts metrics).
    assert iam.list_role_policies(RoleName="farflow-scheduler")["PolicyNames"] == ["Executor", "Metrics"]
    executor = iam.get_role_policy(RoleName="farflow-scheduler", PolicyName="Executor")["PolicyDocument"]
    assert {"ecs:RunTask", "s3:PutObject"} <= {a for s in executor["Statement"] for a in s["Action"]}
    # A tasks/<name> role: farflow's guard only (Denies), until farflow.toml grants it something.
    assert iam.list_role_policies(RoleName="farflow-task-hello")["PolicyNames"] == ["Guard", "GuardWorkloads"]
    bucket_policy = json.loads(endpoint.client("s3").get_bucket_policy(Bucket=resources.bucket)["Policy"])
    assert (
        "StoreKeyOnly"
        in {s["Sid"] for s in bucket_policy["Statement"]}
        == {s["Sid"] for s in roles.bucket_policy}
    )
    key_policy = json.loads(
        endpoint.client("kms").get_key_policy(KeyId=resources.key_arn, PolicyName="default")["Policy"]
    )
    assert "TaskRoleDecryptsFarflowAirflow" in {s["Sid"] for s in key_policy["Statement"]}
    queue = endpoint.client("sqs").get_queue_attributes(
        QueueUrl=resources.queue_url, AttributeNames=["Policy"]
    )
    assert "RuleSends" in queue["Attributes"]["Policy"]
    assert roles.task_roles["farflow-hello"][0].endswith(":role/farflow-task-hello")


def test_moto_s3_would_refuse_a_write_the_store_s_bucket_policy_allows_on_aws() -> None:
    """Why the endpoint decides bucket policies itself (access.leave_bucket_policies_to_farflow): moto's S3
    asks its IAMPolicy about the action and resource alone, so the store's conditional Denies match a
    plain write (no encryption header), which AWS allows."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    bucket, key_arn = "farflow-moto-bucket-policy", "arn:aws:kms:us-east-1:123456789012:key/k"
    statements = workload_store.bucket_policy_statements(bucket, key_arn)
    url = f"https://{bucket}.s3.us-east-1.amazonaws.com/workloads/a.json"
    on_aws = authorize(
        s3_request("PutObject", url, {}, "arn:aws:iam::123456789012:role/r"), [], parse_policy(statements)
    )
    assert on_aws.decision is not Decision.EXPLICIT_DENY
    by_moto = IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    assert (
        by_moto.is_action_permitted("s3:PutObject", f"arn:aws:s3:::{bucket}/workloads/a.json")
        == PermissionResult.DENIED
    )
