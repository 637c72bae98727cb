"""How much of the synthesized stack moto's CloudFormation (5.2.5) can stand up, offline.

moto skips resource types it does not model, and the stack then fails on what refers to them (an IAM
policy on a missing secret is a malformed document). So this test publishes the file assets as the CDK
toolkit would, removes the types moto lacks and everything that refers to them, and creates the rest:
network, cluster, load balancer, log groups, queues, roles, functions, the waiter state machine. The
exact list of types moto lacks is asserted, so a moto upgrade or a new resource type shows up here.
Custom resources are always removed: moto would invoke their functions, in Docker.

Offline and bounded: every name lookup and socket connection fails the test (moto answers in process), and each test
has a time limit. Besides the synth, most of its time is importing moto's CloudFormation (all of
moto's backends). On the 2-core machine a cold run of this file, synth included, took 28 s (synth 17 s,
moto 10 s) quiet and 104 s with other work on the cores; about 16 s of CPU either way.
"""

from __future__ import annotations

import io
import json
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.deploy import DEFAULT, REGION, Synthesized, synthesized

pytestmark = pytest.mark.timeout(300)  # synth about 15-90 s, moto about 10-50 s, on 2 shared cores

ACCOUNT = "123456789012"  # moto's
# AWS::KMS::Key moto 5.2.5 models, but its CloudFormation handler reads the key's Tags as TagKey/TagValue
# and fails (KeyError) on CloudFormation's Key/Value, and every stack resource is tagged.
MOTO_FAILS = {"AWS::KMS::Key"}
# Types in the stack that moto 5.2.5's CloudFormation does not create.
MOTO_LACKS = {
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::ServiceDiscovery::Service",
}


# Not stood up even where moto models them: CloudFormation would run their Lambda functions.
CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesized(tmp_path_factory, "default", DEFAULT)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name lookup or connection (internet, Docker's socket, a metadata endpoint) fails the test."""

    def refuse(*arguments: object) -> None:
        raise AssertionError(f"the moto CloudFormation test tried to reach the network: {arguments!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt":
                yield item[0] if isinstance(item, list) else str(item).split(".")[0]
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _supported_types() -> set[str]:
    from moto.cloudformation.parsing import get_model_map

    return set(get_model_map())


def _custom(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == CUSTOM_RESOURCE


def moto_subset(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The template without custom resources, what moto lacks and what refers to them.

    Ordering-only DependsOn on a removed resource is dropped.
    """
    resources = template["Resources"]
    supported = _supported_types()
    removed = {
        key
        for key, value in resources.items()
        if _custom(value["Type"]) or value["Type"] not in supported or value["Type"] in MOTO_FAILS
    }
    growing = True
    while growing:
        growing = False
        for key, value in resources.items():
            if key not in removed and set(_references(value.get("Properties", {}))) & removed:
                removed.add(key)
                growing = True
    kept = {}
    for key, value in resources.items():
        if key in removed:
            continue
        entry = dict(value)
        depends = entry.pop("DependsOn", [])
        depends = [
            name for name in ([depends] if isinstance(depends, str) else depends) if name not in removed
        ]
        if depends:
            entry["DependsOn"] = depends
        kept[key] = entry
    outputs = {k: v for k, v in template.get("Outputs", {}).items() if not set(_references(v)) & removed}
    return {**template, "Resources": kept, "Outputs": outputs}, removed


def publish_file_assets(stack: Synthesized, s3: Any) -> None:
    """What `cdk deploy` does before CreateStack: zip each file asset into the bootstrap bucket."""
    manifest = json.loads((stack.outdir / "farflow.assets.json").read_text())
    for asset in manifest["files"].values():
        source = stack.outdir / asset["source"]["path"]
        for destination in asset["destinations"].values():
            bucket = (
                destination["bucketName"]
                .replace("${AWS::AccountId}", ACCOUNT)
                .replace("${AWS::Region}", REGION)
            )
            if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            body = _zip(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


def test_moto_lacks_exactly_these_types(stack: Synthesized) -> None:
    types = {value["Type"] for value in stack.resources.values() if not _custom(value["Type"])}
    assert types - _supported_types() == MOTO_LACKS


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.usefixtures("offline")
def test_moto_creates_everything_it_models(stack: Synthesized) -> None:
    from moto import mock_aws

    subset, removed = moto_subset(stack.template)
    with mock_aws():
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String"
        )
        publish_file_assets(stack, boto3.client("s3", region_name=REGION))
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(
            StackName="farflow", TemplateBody=json.dumps(subset), Capabilities=["CAPABILITY_IAM"]
        )
        [described] = cloudformation.describe_stacks(StackName="farflow")["Stacks"]
        assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
        summaries = cloudformation.list_stack_resources(StackName="farflow")["StackResourceSummaries"]
        assert {s["LogicalResourceId"] for s in summaries} == set(subset["Resources"])
        assert {s["ResourceStatus"] for s in summaries} == {"CREATE_COMPLETE"}

        ecs = boto3.client("ecs", region_name=REGION)
        assert [arn.rsplit("/", 1)[-1] for arn in ecs.list_clusters()["clusterArns"]] == ["farflow"]
        families = set(ecs.list_task_definition_families()["families"])
        assert {"farflow-multi_task", "farflow-number_task"} <= families
        groups = {
            g["logGroupName"]
            for g in boto3.client("logs", region_name=REGION).describe_log_groups()["logGroups"]
        }
        assert {"/farflow/airflow", "/farflow/tasks", "/farflow/airflow-task-logs"} <= groups
        balancers = boto3.client("elbv2", region_name=REGION).describe_load_balancers()["LoadBalancers"]
        assert [b["Scheme"] for b in balancers] == ["internet-facing"]

    # What moto could not create, by type: the secrets and all that reads them (services, task
    # definitions with secrets, the database, both custom resources), and the types it lacks.
    removed_types = {stack.resources[key]["Type"] for key in removed}
    assert removed_types >= MOTO_LACKS | MOTO_FAILS
    assert {"AWS::RDS::DBInstance", "AWS::ECS::Service", "Custom::FarflowMigration"} <= removed_types
    assert not [value for value in subset["Resources"].values() if _custom(value["Type"])]
    assert len(subset["Resources"]) > len(removed)
