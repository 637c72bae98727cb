"""The workload store is `farflow.spec.workload_store` rendered: its own rotating KMS key whose policy
is the spec's, a private TLS-only bucket encrypted with it, the 1-day lifecycle rule, and its URL in
the scheduler's environment (docs/security.md)."""

from __future__ import annotations

from typing import Any

from farflow.spec import SCHEDULER, Names, workload_store
from tests.support.deploy import REGION, Synthesized
from tests.unit.deploy.test_synth_iam import flat, normal, store_names

NAMES = Names()


def _store(stack: Synthesized) -> tuple[str, dict[str, Any]]:
    return next(
        (key, value)
        for key, value in stack.of_type("AWS::S3::Bucket").items()
        if key.startswith("WorkloadStore")
    )


def _scheduler_environment(stack: Synthesized) -> dict[str, Any]:
    container = stack.containers()[SCHEDULER.name]
    return {entry["Name"]: entry["Value"] for entry in container["Environment"]}


def test_the_key_rotates_and_its_policy_is_the_specs(stack: Synthesized) -> None:
    _, key = stack.one("AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is workload_store.BUCKET.key_rotation is True
    bucket, _ = store_names(stack)
    expected = workload_store.key_policy_statements(
        account="<AWS::AccountId>",
        region=REGION,
        bucket=bucket,
        scheduler_role_arn=f"<{stack.role_of(SCHEDULER.name)}.Arn>",
        task_role_arns={NAMES.airflow_family: f"<{stack.role_of(NAMES.airflow_container)}.Arn>"},
    )
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert [normal(s) for s in statements] == [normal(s) for s in expected]


def test_the_account_administers_the_key_but_cannot_use_it(stack: Synthesized) -> None:
    _, key = stack.one("AWS::KMS::Key")
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    [root] = [s for s in statements if flat(s["Principal"])["AWS"].endswith(":root")]
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:*"} & set(root["Action"])


def test_the_bucket_is_encrypted_with_the_stores_key_not_aws_s3(stack: Synthesized) -> None:
    key, _ = stack.one("AWS::KMS::Key")
    _, bucket = _store(stack)
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": workload_store.BUCKET.bucket_key_enabled,
            "ServerSideEncryptionByDefault": {
                "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]},
                "SSEAlgorithm": workload_store.BUCKET.encryption,
            },
        }
    ]


def test_the_bucket_is_private_unversioned_and_expires_workloads_after_a_day(stack: Synthesized) -> None:
    _, bucket = _store(stack)
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == dict(workload_store.PUBLIC_ACCESS_BLOCK)
    assert "VersioningConfiguration" not in properties
    [spec_rule] = workload_store.lifecycle_rules()
    assert properties["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": spec_rule["ID"],
            "Status": "Enabled",
            "Prefix": workload_store.PREFIX,
            "ExpirationInDays": 1,
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
    ]


def test_the_bucket_policy_is_the_specs_tls_only_and_store_key_only(stack: Synthesized) -> None:
    logical_id, _ = _store(stack)
    key, _ = stack.one("AWS::KMS::Key")
    [policy] = [
        value
        for value in stack.of_type("AWS::S3::BucketPolicy").values()
        if value["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    expected = workload_store.bucket_policy_statements(f"<{logical_id}>", f"<{key}.Arn>")
    assert [normal(s) for s in statements] == [normal(s) for s in expected]
    assert normal(statements[0])["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_scheduler_is_told_the_store_and_the_events_queue(stack: Synthesized) -> None:
    environment = _scheduler_environment(stack)
    bucket, _ = store_names(stack)
    assert (
        flat(environment["AIRFLOW__ECS_FARGATE__WORKLOAD_STORE"]) == f"s3://{bucket}/{workload_store.PREFIX}"
    )
    queue = next(key for key in stack.of_type("AWS::SQS::Queue") if key.startswith("TaskEventsQueue"))
    assert environment["AIRFLOW__ECS_FARGATE__EVENTS_QUEUE_URL"] == {"Ref": queue}


def test_the_bucket_is_emptied_on_stack_delete_after_the_scheduler_is_gone(stack: Synthesized) -> None:
    bucket, _ = _store(stack)
    [(emptier, resource)] = stack.of_type("Custom::FarflowEmptyBucket").items()
    assert resource["Properties"]["BucketName"] == {"Ref": bucket}
    # CloudFormation deletes dependents first: the scheduler's service, then the emptier, then the bucket.
    _, service = stack.service_of(SCHEDULER.name)
    assert emptier in service["DependsOn"]
    [function] = [
        value
        for value in stack.of_type("AWS::Lambda::Function").values()
        if value["Properties"].get("Handler") == "empty_bucket.on_event"
    ]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [normal(s) for p in stack.policies_of(role) for s in p["PolicyDocument"]["Statement"]]
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in s["Action"])]
    assert s3_statements == [
        {"Action": ["s3:ListBucket"], "Effect": "Allow", "Resource": [f"<{bucket}.Arn>"]},
        {"Action": ["s3:DeleteObject"], "Effect": "Allow", "Resource": [f"<{bucket}.Arn>/*"]},
    ]
    assert {a for s in statements for a in s["Action"]} == {
        "s3:ListBucket",
        "s3:DeleteObject",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
