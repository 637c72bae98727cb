"""The workload store's deploy data: every action it grants is one the executor or a task declares, and
no statement lets anyone but a task role decrypt."""

from __future__ import annotations

import json

import pytest

from farflow.policy import Decision, Request, evaluate, parse_policy
from farflow.spec import workload_store
from farflow.spec.aws_actions import EXECUTOR_ACTIONS, TASK_ACTIONS
from farflow.workload.reference import parse_store_url

BUCKET, KEY = "farflow-workloads-1", "arn:aws:kms:eu-west-1:123456789012:key/k"
SCHEDULER = "arn:aws:iam::123456789012:role/farflow-scheduler"
TASK_ROLES = {
    "farflow-airflow": "arn:aws:iam::123456789012:role/farflow-airflow-task",
    "gpu_airflow": "arn:aws:iam::123456789012:role/gpu",
}


def actions(statements: list[dict[str, object]]) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        value = statement["Action"]
        found |= {value} if isinstance(value, str) else set(value)  # type: ignore[arg-type]
    return found


def test_the_scheduler_gets_only_declared_executor_actions() -> None:
    granted = actions(workload_store.scheduler_statements(BUCKET, KEY, "eu-west-1"))
    assert granted == {"s3:PutObject", "s3:DeleteObject", "kms:GenerateDataKey", "kms:DescribeKey"}
    assert granted <= {entry.action for entry in EXECUTOR_ACTIONS}


def test_a_task_role_reads_and_deletes_only_its_familys_folder_and_decrypts_only_through_s3() -> None:
    statements = workload_store.task_role_statements(BUCKET, KEY, "eu-west-1", "farflow-airflow")
    assert actions(statements) == {entry.action for entry in TASK_ACTIONS}
    objects, decrypt = statements
    assert objects["Resource"] == f"arn:aws:s3:::{BUCKET}/workloads/farflow-airflow/*"
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{BUCKET}/workloads/farflow-airflow/*"
        },
    }


def test_the_key_policy_lets_only_task_roles_decrypt_and_the_account_only_administer() -> None:
    statements = workload_store.key_policy_statements(
        account="123456789012",
        region="eu-west-1",
        bucket=BUCKET,
        scheduler_role_arn=SCHEDULER,
        task_role_arns=TASK_ROLES,
    )
    decrypters = {
        statement["Principal"]["AWS"]  # type: ignore[index]
        for statement in statements
        if {"kms:Decrypt", "kms:*"} & actions([statement])
    }
    assert decrypters == set(TASK_ROLES.values())
    root = statements[0]
    assert root["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert not any(action in root["Action"] for action in ("kms:*", "kms:Decrypt", "kms:Encrypt"))  # type: ignore[operator]
    sids = [statement["Sid"] for statement in statements]
    assert len(set(sids)) == len(sids) and all(str(sid).isalnum() for sid in sids)


def test_the_bucket_is_tls_only_and_takes_no_other_encryption() -> None:
    text = json.dumps(workload_store.bucket_policy_statements(BUCKET, KEY))
    assert '"aws:SecureTransport": "false"' in text and KEY in text
    assert workload_store.encryption_configuration(KEY)["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": KEY,
    }


def test_leftovers_expire_after_a_day_and_the_prefix_is_a_valid_store_prefix() -> None:
    [rule] = workload_store.lifecycle_rules()
    assert rule["Expiration"] == {"Days": 1} and rule["Filter"] == {"Prefix": workload_store.PREFIX}
    assert parse_store_url(f"s3://{BUCKET}/{workload_store.PREFIX}").prefix == workload_store.PREFIX
    assert not workload_store.BUCKET.versioned and not workload_store.BUCKET.bucket_key_enabled


@pytest.mark.parametrize(
    ("headers", "denied"),
    [
        ({}, False),  # the executor's writes: S3 applies the default encryption, the store's key
        (
            {
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY,
            },
            False,
        ),
        ({"s3:x-amz-server-side-encryption": "aws:kms"}, True),  # aws/s3
        (
            {
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": "k2",
            },
            True,
        ),
        ({"s3:x-amz-server-side-encryption": "AES256"}, True),
        ({"s3:x-amz-server-side-encryption-customer-algorithm": "AES256"}, True),
    ],
)
def test_the_bucket_policy_denies_only_writes_naming_another_encryption(
    headers: dict[str, str], denied: bool
) -> None:
    policy = parse_policy(workload_store.bucket_policy_statements(BUCKET, KEY))
    put = Request(
        "s3:PutObject",
        f"arn:aws:s3:::{BUCKET}/workloads/farflow-airflow/t.json",
        SCHEDULER,
        {"aws:SecureTransport": "true", **headers},
    )
    assert (evaluate([policy], put).decision is Decision.EXPLICIT_DENY) is denied
