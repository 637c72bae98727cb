"""The local endpoint gets the deploy's roles, policies and resource policies from `farflow.local.roles`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from farflow.local.endpoint import LocalEcsEndpoint
from farflow.local.roles import find_resources, seed_roles
from farflow.local.seed import seed_network
from farflow.spec import Names

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
    bucket_policy = json.loads(endpoint.client("s3").get_bucket_policy(Bucket=resources.bucket)["Policy"])
    assert "StoreKeyOnly" in {s["Sid"] for s in bucket_policy["Statement"]}
    key_policy = json.loads(
        endpoint.client("kms").get_key_policy(KeyId=resources.key_arn, PolicyName="default")["Policy"]
    )
    assert "TaskRoleDecryptsFarflowAirflow" in {s["Sid"] for s in key_policy["Statement"]}
    queue = endpoint.client("sqs").get_queue_attributes(
        QueueUrl=resources.queue_url, AttributeNames=["Policy"]
    )
    assert "RuleSends" in queue["Attributes"]["Policy"]
    assert roles.task_roles["farflow-hello"][0].endswith(":role/farflow-task-hello")
