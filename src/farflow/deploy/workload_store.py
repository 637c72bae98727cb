"""The workload store on AWS: `farflow.spec.workload_store` rendered as a KMS key and an S3 bucket.

Each Airflow task's workload (with its execution API token) waits here between the executor's write
and its container's fetch (docs/security.md). The bucket is encrypted with a customer managed key of
its own, whose policy (the spec's) lets only the Airflow task roles decrypt, only through S3 and only
their family's folder; AWS's read-only policies therefore cannot read a workload. Nothing here restates
the spec: settings, lifecycle and every statement come from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from farflow.deploy.functions import handler_function, provider
from farflow.deploy.nag import acknowledge, acknowledge_checkov, finding_text
from farflow.spec import Names
from farflow.spec import workload_store as spec
from farflow.spec.iam import StoreTargets

# Objects live for minutes and are removed with the bucket (`_BucketEmptier`): nothing to keep on delete.
KEY_PENDING_WINDOW = Duration.days(7)


def bucket_name(names: Names, stack: Stack) -> str:
    """Known at synth time (the key's policy names it, and the bucket names the key): one per account,
    Region and `[project] name` (at most 20 characters, so at most 58 in all)."""
    return f"{names.prefix.lower()}-workloads-{stack.account}-{stack.region}"


@dataclass(frozen=True)
class WorkloadStoreProps:
    names: Names
    function_logs: logs.ILogGroup
    """Where the custom resource that empties the bucket on stack delete writes its logs."""


class WorkloadStore(Construct):
    """The store's key and bucket; `admit` adds the key policy once the roles exist."""

    def __init__(self, scope: Construct, construct_id: str, props: WorkloadStoreProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        settings = spec.BUCKET
        self.bucket_name = bucket_name(props.names, stack)
        self.key = kms.Key(
            self,
            "Key",
            description="farflow's workload store: only Airflow task roles decrypt, through S3",
            enable_key_rotation=settings.key_rotation,
            # Given (empty until `admit`), so CDK adds no admin statement of its own: the spec's only.
            policy=iam.PolicyDocument(),
            pending_window=KEY_PENDING_WINDOW,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=self.bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=settings.bucket_key_enabled,
            block_public_access=block_public_access(spec.PUBLIC_ACCESS_BLOCK),
            versioned=settings.versioned,
            lifecycle_rules=[_lifecycle_rule(rule) for rule in spec.lifecycle_rules()],
            removal_policy=RemovalPolicy.DESTROY,
        )
        # TLS only, and only the store's key: the spec's statements (enforce_tls among them). The
        # bucket's Ref, not its name, so cdk-nag (S10) sees the policy is this bucket's.
        for statement in spec.bucket_policy_statements(self.bucket.bucket_name, self.key.key_arn):
            self.bucket.add_to_resource_policy(iam.PolicyStatement.from_json(statement))
        in_cloudtrail = (
            "Workloads live for minutes and are read by one task role each; who wrote, read and deleted "
            "them is in CloudTrail (S3 data events, and the KMS calls each read needs), which names the "
            "role, where S3 server access logs would not."
        )
        acknowledge(self.bucket, "S1", in_cloudtrail)
        acknowledge_checkov(self.bucket, "CKV_AWS_18", in_cloudtrail)
        acknowledge_checkov(
            self.bucket,
            "CKV_AWS_21",
            "Each workload carries an execution API token and is written once, read once and expired: "
            "versioning would keep deleted workloads, tokens included, as noncurrent versions.",
        )
        # On stack delete, the bucket's objects go first, so CloudFormation can delete the bucket.
        self.emptied = _BucketEmptier(self, "Emptier", self.bucket, props.function_logs).resource

    @property
    def url(self) -> str:
        """`[ecs_fargate] workload_store`: s3://<bucket>/<prefix>."""
        return f"s3://{self.bucket_name}/{spec.PREFIX}"

    @property
    def targets(self) -> StoreTargets:
        return StoreTargets(self.bucket_name, self.key.key_arn, Stack.of(self).region)

    def admit(self, scheduler: iam.IRole, task_roles: Mapping[str, iam.IRole]) -> None:
        """The key's policy, from the spec: the account administers, the scheduler encrypts, each
        family's task role (`task_roles`: family to role) decrypts its own folder's objects."""
        stack = Stack.of(self)
        for statement in spec.key_policy_statements(
            account=stack.account,
            region=stack.region,
            bucket=self.bucket_name,
            scheduler_role_arn=scheduler.role_arn,
            task_role_arns={family: role.role_arn for family, role in task_roles.items()},
        ):
            self.key.add_to_resource_policy(iam.PolicyStatement.from_json(statement))


class _BucketEmptier(Construct):
    """Custom resource that empties the bucket when the stack is deleted (`handlers/empty_bucket.py`).

    Not CDK's `auto_delete_objects`: its provider runs on a role with AWSLambdaBasicExecutionRole and
    may rewrite the bucket's policy; this one may only list the bucket and delete its objects, and
    logs to the stack's function log group like the stack's other functions. It needs no bucket or key
    policy statement: same-account requests are allowed by the role's own policy, the bucket policy
    denies only plain-HTTP requests and writes, and deleting an object needs no KMS key. Whatever writes
    to the store must depend on `resource`, so CloudFormation deletes the writer first.
    """

    def __init__(
        self, scope: Construct, construct_id: str, bucket: s3.IBucket, log_group: logs.ILogGroup
    ) -> None:
        super().__init__(scope, construct_id)
        function = handler_function(self, "Function", "empty_bucket.on_event", log_group, Duration.minutes(5))
        objects = bucket.arn_for_objects("*")
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:DeleteObject"], resources=[objects]))
        role = function.role
        assert role is not None
        acknowledge(
            role,
            "IAM5",
            "Emptying the workload store on stack delete means deleting whatever objects it holds: all of "
            "this one bucket's objects, nothing else.",
            f"Resource::{finding_text(self, objects)}",
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider(self, "Provider", log_group, function).service_token,
            resource_type="Custom::FarflowEmptyBucket",
            properties={"BucketName": bucket.bucket_name},
        )


def _lifecycle_rule(rule: Mapping[str, Any]) -> s3.LifecycleRule:
    """One rule of S3's API shape (the spec's) as CDK's."""
    if set(rule) != {"ID", "Status", "Filter", "Expiration", "AbortIncompleteMultipartUpload"}:
        raise ValueError(f"Cannot render lifecycle rule {rule!r}")
    return s3.LifecycleRule(
        id=rule["ID"],
        enabled=rule["Status"] == "Enabled",
        prefix=rule["Filter"]["Prefix"],
        expiration=Duration.days(rule["Expiration"]["Days"]),
        abort_incomplete_multipart_upload_after=Duration.days(
            rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        ),
    )


def block_public_access(settings: Mapping[str, bool]) -> s3.BlockPublicAccess:
    """A bucket's public access block, from the spec's PublicAccessBlockConfiguration."""
    return s3.BlockPublicAccess(
        block_public_acls=settings["BlockPublicAcls"],
        ignore_public_acls=settings["IgnorePublicAcls"],
        block_public_policy=settings["BlockPublicPolicy"],
        restrict_public_buckets=settings["RestrictPublicBuckets"],
    )
