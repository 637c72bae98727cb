"""The synthesized workload store's policies admit the executor's own writes, as AWS would decide them.

moto keeps bucket and key policies but never evaluates them. Here the default template's bucket policy,
the key's policy and the scheduler role's policies (made concrete for one account) are decided by
`farflow.policy` against the exact S3 requests the executor sends: configured from the scheduler
container's `AIRFLOW__ECS_FARGATE__*` environment, against a moto bucket with the template's default
encryption, each request read off the wire with botocore's `before-send` hook. Its start-up probe and a
launch's write must be allowed; a write naming another encryption must be denied; and on stack delete
the custom resource that empties the bucket must be allowed to.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from farflow.deploy.handlers import empty_bucket
from farflow.executor.client import make_client
from farflow.executor.health import check_workload_store
from farflow.executor.settings import ExecutorSettings, settings_from_mapping
from farflow.executor.workload_writer import WorkloadWriter
from farflow.policy import Decision, Request, Statement, authorize, parse_policy
from farflow.policy.s3 import s3_request, s3_requests
from farflow.spec import SCHEDULER
from tests.support.cloudformation import Resolver
from tests.support.deploy import REGION, Synthesized

ACCOUNT = "123456789012"
SETTING = "AIRFLOW__ECS_FARGATE__"


@dataclass(frozen=True)
class Sent:
    """One request as botocore sent it."""

    service: str
    operation: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Store:
    """The deployed store as the template describes it, on moto, and the executor configured for it."""

    settings: ExecutorSettings
    store: WorkloadWriter
    kms: Any
    key_arn: str
    scheduler_role: str
    bucket_policy: tuple[Statement, ...]
    key_policy: tuple[Statement, ...]
    scheduler_policies: list[tuple[Statement, ...]]
    sent: list[Sent]
    resolve: Resolver

    def decide(self, request: Request, resource_policy: tuple[Statement, ...]) -> Decision:
        """The scheduler's request on the bucket (its policy and the role's, a union)."""
        return authorize(request, self.scheduler_policies, resource_policy).decision

    def key_decides(self, request: Request) -> Decision:
        """The scheduler's request on the key, whose policy must allow it by itself."""
        return authorize(request, self.scheduler_policies, self.key_policy, resource_must_allow=True).decision

    def s3_requests(self, operation: str) -> list[Request]:
        return [
            s3_request(s.operation, s.url, s.headers, self.scheduler_role)
            for s in self.sent
            if s.service == "s3" and s.operation == operation
        ]


def _record(sent: list[Sent], client: Any) -> None:
    service = client.meta.service_model.service_name

    def record(request: Any, event_name: str, **_: Any) -> None:
        body = request.body if isinstance(request.body, bytes) else b""
        headers = {
            name: value.decode() if isinstance(value, bytes) else value
            for name, value in request.headers.items()
        }
        sent.append(Sent(service, event_name.rsplit(".", 1)[-1], request.url, headers, body))

    # First, so it sees each request before moto's own before-send handler answers it.
    client.meta.events.register_first(f"before-send.{service}", record)


def _bucket_encryption(resolve: Resolver, stack: Synthesized) -> dict[str, Any]:
    """The template's BucketEncryption (CloudFormation's shape) as S3's PutBucketEncryption takes it."""
    [(_, bucket)] = [
        (key, value)
        for key, value in stack.of_type("AWS::S3::Bucket").items()
        if key.startswith("WorkloadStore")
    ]
    rules = resolve(bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"])
    return {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
                    "KMSMasterKeyID": rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"],
                },
                "BucketKeyEnabled": rule["BucketKeyEnabled"],
            }
            for rule in rules
        ]
    }


@pytest.fixture
def deployed(stack: Synthesized, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        import boto3

        key_logical_id, _ = stack.one("AWS::KMS::Key")
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        resolve = Resolver(stack.template, ACCOUNT, REGION, {key_logical_id: key_arn})
        container = stack.containers()[SCHEDULER.name]
        environment = {entry["Name"]: resolve(entry["Value"]) for entry in container["Environment"]}
        settings = settings_from_mapping(
            {
                name.removeprefix(SETTING).lower(): value
                for name, value in environment.items()
                if name.startswith(SETTING)
            }
        )
        assert settings.workload_store is not None
        assert settings.endpoint_url is None and settings.conn_id is None  # the real AWS endpoints
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=settings.workload_store.bucket,
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
        boto3.client("s3", region_name=REGION).put_bucket_encryption(
            Bucket=settings.workload_store.bucket,
            ServerSideEncryptionConfiguration=_bucket_encryption(resolve, stack),
        )
        sent: list[Sent] = []
        store = WorkloadWriter(settings.workload_store, lambda: make_client(settings, "s3"))
        _record(sent, store.client)
        kms = make_client(settings, "kms")
        _record(sent, kms)
        [bucket_policy] = [
            resolve(value["Properties"]["PolicyDocument"])
            for value in stack.of_type("AWS::S3::BucketPolicy").values()
            if value["Properties"]["Bucket"]["Ref"].startswith("WorkloadStore")
        ]
        _, key = stack.one("AWS::KMS::Key")
        scheduler_role = resolve.arn(stack.role_of(SCHEDULER.name))
        yield Store(
            settings=settings,
            store=store,
            kms=kms,
            key_arn=key_arn,
            scheduler_role=scheduler_role,
            bucket_policy=parse_policy(bucket_policy),
            key_policy=parse_policy(resolve(key["Properties"]["KeyPolicy"])),
            scheduler_policies=[
                parse_policy(resolve(policy["PolicyDocument"]))
                for policy in stack.policies_of(stack.role_of(SCHEDULER.name))
            ],
            sent=sent,
            resolve=resolve,
        )


def test_the_executors_probe_and_launch_writes_are_allowed(deployed: Store) -> None:
    check_workload_store(deployed.store, deployed.kms)  # the start-up probe: put, check the key, delete
    store = deployed.store
    store.put(store.stash(deployed.settings.task_definition, "0123456789abcdef", b'{"token": "t"}'))
    puts = deployed.s3_requests("PutObject")
    assert len(puts) == 2, "the probe's write and the launch's"
    for put in puts:
        assert put.context.get("aws:securetransport") == ("true",)
        assert "s3:x-amz-server-side-encryption" not in put.context  # S3 encrypts by default
        evaluation = authorize(put, deployed.scheduler_policies, deployed.bucket_policy)
        assert evaluation.decision is Decision.ALLOW, (put.resource, evaluation)
        # S3 then asks KMS for a data key under the bucket's key, as the scheduler, via S3.
        data_key = Request(
            "kms:GenerateDataKey",
            deployed.key_arn,
            deployed.scheduler_role,
            {
                "kms:ViaService": f"s3.{REGION}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": put.resource,
            },
        )
        assert deployed.key_decides(data_key) is Decision.ALLOW
    [delete] = deployed.s3_requests("DeleteObject")
    assert deployed.decide(delete, deployed.bucket_policy) is Decision.ALLOW
    [describe] = [s for s in deployed.sent if s.operation == "DescribeKey"]
    key_id = json.loads(describe.body)["KeyId"]
    assert key_id == deployed.key_arn, "the probe describes the key S3 answered it encrypted with"
    assert deployed.key_decides(Request("kms:DescribeKey", key_id, deployed.scheduler_role)) is Decision.ALLOW


OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    "encryption",
    [
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": OTHER_KEY},
        {"ServerSideEncryption": "aws:kms"},  # S3 would use the AWS managed key aws/s3
        {"ServerSideEncryption": "AES256"},
        {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32},
    ],
    ids=["another-key", "aws-s3-key", "sse-s3", "sse-c"],
)
def test_a_write_naming_another_encryption_is_denied(deployed: Store, encryption: dict[str, str]) -> None:
    location = deployed.store.location
    # moto may refuse what it cannot do (ClientError): the request was sent, and recorded, all the same.
    with contextlib.suppress(ClientError):
        deployed.store.client.put_object(
            Bucket=location.bucket, Key=f"{location.prefix}x.json", Body=b"{}", **encryption
        )
    [put] = deployed.s3_requests("PutObject")
    evaluation = authorize(put, deployed.scheduler_policies, deployed.bucket_policy)
    assert evaluation.decision is Decision.EXPLICIT_DENY, evaluation


def test_a_write_with_the_stores_own_key_named_is_allowed_and_plain_http_is_not(deployed: Store) -> None:
    location = deployed.store.location
    deployed.store.client.put_object(
        Bucket=location.bucket,
        Key=f"{location.prefix}x.json",
        Body=b"{}",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=deployed.key_arn,
    )
    [put] = deployed.s3_requests("PutObject")
    assert deployed.decide(put, deployed.bucket_policy) is Decision.ALLOW
    plain = Request(put.action, put.resource, put.principal, {**put.keys, "aws:SecureTransport": "false"})
    assert deployed.decide(plain, deployed.bucket_policy) is Decision.EXPLICIT_DENY


def test_the_emptier_may_empty_the_bucket_on_stack_delete(deployed: Store, stack: Synthesized) -> None:
    store = deployed.store
    for token in ("a", "b"):
        store.put(store.stash(deployed.settings.task_definition, token, b"{}"))
    import boto3

    client = boto3.client("s3", region_name=REGION)
    _record(deployed.sent, client)
    bucket = store.location.bucket
    event = {
        "RequestType": "Delete",
        "PhysicalResourceId": bucket,
        "ResourceProperties": {"BucketName": bucket},
    }
    empty_bucket.on_event(event, client=client)
    assert boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    [function] = [
        value
        for value in stack.of_type("AWS::Lambda::Function").values()
        if value["Properties"].get("Handler") == "empty_bucket.on_event"
    ]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role_policies = [parse_policy(deployed.resolve(p["PolicyDocument"])) for p in stack.policies_of(role)]
    requests = [
        request
        for sent in deployed.sent
        if sent.operation in ("ListObjectsV2", "DeleteObjects")
        for request in s3_requests(
            sent.operation, sent.url, sent.headers, sent.body, deployed.resolve.arn(role)
        )
    ]
    assert sorted(r.action for r in requests) == [
        "s3:DeleteObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "s3:ListBucket",
    ]
    for request in requests:
        evaluation = authorize(request, role_policies, deployed.bucket_policy)
        assert evaluation.decision is Decision.ALLOW, (request, evaluation)
