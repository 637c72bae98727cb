"""The DAG bundle on AWS: `farflow.spec.dag_bundle` rendered as an S3 bucket and a read-only policy.

The bucket is the stack's own: versioned, SSE-S3, private, TLS only. `farflow dags push` (and `farflow
deploy`, after the toolkit) write it with the user's own credentials; in the stack only the roles that
read DAGs get a policy on it, and that policy only lists and reads (`admit`).

It is kept when the stack is deleted (its files are the project's dags/, small, and a stack deleted by
mistake then loses no DAGs); CloudFormation names it, so a new stack of the same project gets a new one.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from farflow.deploy.nag import acknowledge, acknowledge_checkov
from farflow.deploy.workload_store import block_public_access
from farflow.spec import dag_bundle as spec


class DagBundle(Construct):
    """The DAGs bucket; `admit` gives roles read access."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        settings = spec.BUCKET
        [rule] = spec.lifecycle_rules()
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            versioned=settings.versioned,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=block_public_access(spec.PUBLIC_ACCESS_BLOCK),
            enforce_ssl=settings.enforce_tls,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=rule["ID"],
                    enabled=rule["Status"] == "Enabled",
                    noncurrent_version_expiration=Duration.days(
                        rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
                    ),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
                    ),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        in_cloudtrail = (
            "The DAGs bucket is written by `farflow dags push` with the user's own credentials and read by "
            "the stack's roles; CloudTrail's S3 data events name who wrote and read each file, where S3 "
            "server access logs would need another bucket."
        )
        acknowledge(self.bucket, "S1", in_cloudtrail)
        acknowledge_checkov(self.bucket, "CKV_AWS_18", in_cloudtrail)
