"""The workload store, as data both platforms render: bucket settings, lifecycle, and every policy.

Each Airflow task's workload holds a token that acts as that task instance on Airflow's execution API.
The executor writes it to `s3://<bucket>/<PREFIX><family>/<clientToken>.json` and the task's container
fetches and deletes it (docs/security.md). The bar: a principal with AWS's read-only policies (their
`s3:Get*` covers plain S3 objects) must not be able to read it. So the bucket is encrypted with a KMS
key of its own whose policy lets only the Airflow task roles decrypt, and only through S3, and only
objects under their own task definition family's folder.

`farflow.local.seed` creates the bucket and key on the local endpoint from this module; `farflow.deploy`
renders the same data into CDK (`iam.PolicyStatement.from_json` takes these statements as they are).
Actions come from `farflow.spec.aws_actions`, the one list the executor is tested against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from farflow.spec.aws_actions import EXECUTOR_ACTIONS, TASK_ACTIONS, Scope

PREFIX = "workloads/"
"""Key prefix of the objects in the bucket; `[ecs_fargate] workload_store` is s3://<bucket>/<PREFIX>."""
EXPIRE_AFTER_DAYS = 1
"""S3's lifecycle rule deletes any object this many days old: what neither the container nor the
executor deleted (a scheduler that died between write and launch). A token lives far shorter."""

# What may administer the key without being able to use it: the account root, so the key can never be
# orphaned, but no Encrypt, Decrypt or GenerateDataKey (which IAM policies could then hand to anyone).
KEY_ADMIN_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)


@dataclass(frozen=True)
class BucketSettings:
    """The bucket's properties, as the deploy sets them (the local seed sets those moto honours)."""

    encryption: str = "aws:kms"  # SSE-KMS with the store's own customer managed key, never aws/s3
    # Off: S3 then names each object in its KMS encryption context, so the key policy can limit a task
    # role to its family's folder. The cost, a KMS request per write and read, is ~20/s at most.
    bucket_key_enabled: bool = False
    block_public_access: bool = True
    enforce_tls: bool = True
    # Off: a deleted workload must be gone, not kept as a noncurrent version.
    versioned: bool = False
    key_rotation: bool = True
    expire_after_days: int = EXPIRE_AFTER_DAYS


BUCKET = BucketSettings()

PUBLIC_ACCESS_BLOCK: Mapping[str, bool] = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def lifecycle_rules(prefix: str = PREFIX) -> list[dict[str, Any]]:
    """S3's PutBucketLifecycleConfiguration `Rules`: expire every object under `prefix` after a day."""
    return [
        {
            "ID": "farflow-expire-workloads",
            "Status": "Enabled",
            "Filter": {"Prefix": prefix},
            "Expiration": {"Days": BUCKET.expire_after_days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": BUCKET.expire_after_days},
        }
    ]


def encryption_configuration(key_arn: str) -> dict[str, Any]:
    """S3's PutBucketEncryption `ServerSideEncryptionConfiguration`."""
    return {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": BUCKET.encryption,
                    "KMSMasterKeyID": key_arn,
                },
                "BucketKeyEnabled": BUCKET.bucket_key_enabled,
            }
        ]
    }


def _actions(actions: Any, *scopes: Scope) -> list[str]:
    return sorted({entry.action for entry in actions if entry.scope in scopes})


def _objects(bucket: str, prefix: str, family: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}/{prefix}{family + '/' if family else ''}*"


def _via_s3(region: str, bucket: str, prefix: str, family: str | None = None) -> dict[str, Any]:
    """KMS conditions: used through S3 only, for objects under the prefix (or the family's folder)."""
    return {
        "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": _objects(bucket, prefix, family)},
    }


def scheduler_statements(
    bucket: str, key_arn: str, region: str, prefix: str = PREFIX
) -> list[dict[str, Any]]:
    """The scheduler role's identity policy for the store: write and delete under the prefix, encrypt."""
    return [
        {
            "Sid": "FarflowWorkloadObjects",
            "Effect": "Allow",
            "Action": _actions(EXECUTOR_ACTIONS, Scope.WORKLOAD_OBJECTS),
            "Resource": _objects(bucket, prefix),
        },
        {
            "Sid": "FarflowWorkloadKeyViaS3",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey"],
            "Resource": key_arn,
            "Condition": _via_s3(region, bucket, prefix),
        },
        {
            "Sid": "FarflowWorkloadKeyCheck",
            "Effect": "Allow",
            "Action": ["kms:DescribeKey"],
            "Resource": key_arn,
        },
    ]


def task_role_statements(
    bucket: str, key_arn: str, region: str, family: str, prefix: str = PREFIX
) -> list[dict[str, Any]]:
    """One task definition family's task role: read and delete its own folder's objects, decrypt them."""
    return [
        {
            "Sid": "FarflowOwnWorkloads",
            "Effect": "Allow",
            "Action": _actions(TASK_ACTIONS, Scope.FAMILY_WORKLOAD_OBJECTS),
            "Resource": _objects(bucket, prefix, family),
        },
        {
            "Sid": "FarflowDecryptOwnWorkloads",
            "Effect": "Allow",
            "Action": _actions(TASK_ACTIONS, Scope.WORKLOAD_KEY),
            "Resource": key_arn,
            "Condition": _via_s3(region, bucket, prefix, family),
        },
    ]


def key_policy_statements(
    *,
    account: str,
    region: str,
    bucket: str,
    scheduler_role_arn: str,
    task_role_arns: Mapping[str, str],
    prefix: str = PREFIX,
) -> list[dict[str, Any]]:
    """The KMS key's own policy. It alone decides who may decrypt: the account root may administer the
    key but not use it, so no IAM policy (AWS's read-only ones included) can grant kms:Decrypt on it.
    `task_role_arns` maps each task definition family to its task role."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersOnly",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "SchedulerEncryptsWorkloads",
            "Effect": "Allow",
            "Principal": {"AWS": scheduler_role_arn},
            "Action": ["kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": _via_s3(region, bucket, prefix),
        },
        {
            "Sid": "SchedulerChecksKey",
            "Effect": "Allow",
            "Principal": {"AWS": scheduler_role_arn},
            "Action": ["kms:DescribeKey"],
            "Resource": "*",
        },
    ]
    for family, role_arn in sorted(task_role_arns.items()):
        statements.append(
            {
                "Sid": f"TaskRoleDecrypts{''.join(part.title() for part in family.replace('_', '-').split('-'))}",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": _actions(TASK_ACTIONS, Scope.WORKLOAD_KEY),
                "Resource": "*",
                "Condition": _via_s3(region, bucket, prefix, family),
            }
        )
    return statements


def bucket_policy_statements(bucket: str, key_arn: str) -> list[dict[str, Any]]:
    """The bucket's policy: TLS only, and no object written under any other encryption or key.

    It denies only a write that names another encryption, never one that names none. S3 decides the
    bucket policy on the request as sent, before it applies the bucket's default encryption, so a write
    without encryption headers has no `s3:x-amz-server-side-encryption*` keys; and a negated operator
    (`StringNotEquals`), or any operator with `IfExists`, matches a key that is absent ("IAM JSON policy
    elements: Condition operators", docs.aws.amazon.com/IAM/latest/UserGuide/
    reference_policies_elements_condition_operators.html). A Deny written that way refused the executor's
    own writes. Such a write gets the default encryption, which is this key: so the executor sends no
    encryption headers and needs no key id in its configuration (one setting less that could disagree
    with the bucket), and the start-up probe checks what S3 answered (customer managed SSE-KMS).
    """
    objects = f"arn:aws:s3:::{bucket}/*"
    return [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            # A write that names server-side encryption must name this key: denies AES256, another key,
            # and `aws:kms` without a key id, which S3 would encrypt under the AWS managed key aws/s3
            # (PutObject, x-amz-server-side-encryption-aws-kms-key-id, in the Amazon S3 API Reference).
            # S3 compares the header as sent: it must be the key's ARN (not its id or an alias).
            "Sid": "StoreKeyOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {
                "Null": {"s3:x-amz-server-side-encryption": "false"},
                "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
            },
        },
        {
            # SSE-C: S3 would encrypt with the caller's own key, out of reach of this key's policy.
            "Sid": "NoCustomerKeys",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}},
        },
    ]
