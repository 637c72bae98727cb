"""The DAG bundle, as data both platforms render: the DAGs bucket's settings, Airflow's bundle config, and
who may read it.

With the bundle on, the stack keeps the project's `dags/` in a bucket of its own and every process that
parses or runs DAGs reads it through the Amazon provider's `S3DagBundle`
(airflow.providers.amazon.aws.bundles.s3): the dag-processor refreshes its copy every `REFRESH_SECONDS`
and parses what changed; each Airflow task (ECS task container, Edge worker job) downloads the bundle
when it starts. `farflow dags push` writes the bucket with the user's own credentials; no role of the
stack may write it.

Why the provider's bundle serves: it refreshes on an interval, downloads only objects whose size or time
changed, deletes local files whose object is gone, and needs only ListBucket and GetObject. It does not
version (`supports_versioning = False`), so Airflow records no bundle version on a DAG run: the scheduler
plans a run in flight with the latest parsed DAG and each task that starts after a push runs the pushed
code (docs/deploy.md, "Change a DAG"). The bucket is versioned all the same, so an earlier push can be
restored from S3.

The bundle lives at the bucket's root (`PREFIX` empty): the provider refuses to start on a prefix with
no object under it, and the bucket of a new stack is empty until its first push.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from farflow.spec import workload_store

BUNDLE_NAME = "farflow-dags"
CLASSPATH = "airflow.providers.amazon.aws.bundles.s3.S3DagBundle"
PREFIX = ""
# Seconds between the dag-processor's looks at the bucket: a ListObjectsV2 each (about 173,000 a month,
# under $1 at S3's request prices), so a push is parsed well within a minute.
REFRESH_SECONDS = 15
# Airflow's default: the project's dags folder, read in place (the bundle off).
FOLDER_BUNDLE: Mapping[str, Any] = {
    "name": "dags-folder",
    "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
    "kwargs": {},
}
# What reading the bundle calls: HeadBucket and ListObjectsV2 (s3:ListBucket), HeadObject and GetObject
# (s3:GetObject).
BUCKET_READ_ACTIONS = ("s3:ListBucket",)
OBJECT_READ_ACTIONS = ("s3:GetObject",)


@dataclass(frozen=True)
class BucketSettings:
    """The DAGs bucket's properties (the local seed sets those moto honours)."""

    # SSE-S3: DAG files carry no credentials, and every reader then needs S3 permissions only.
    encryption: str = "AES256"
    block_public_access: bool = True
    enforce_tls: bool = True
    # On: every push keeps the files it replaced or deleted as noncurrent versions, for a while.
    versioned: bool = True
    noncurrent_expire_after_days: int = 30


BUCKET = BucketSettings()

# Private as the workload store is: every public access setting blocked.
PUBLIC_ACCESS_BLOCK = workload_store.PUBLIC_ACCESS_BLOCK


def bundle_config(bucket: str | None) -> list[dict[str, Any]]:
    """`[dag_processor] dag_bundle_config_list`: the S3 bundle of `bucket`, or the dags folder if None."""
    if not bucket:
        return [dict(FOLDER_BUNDLE)]
    return [
        {
            "name": BUNDLE_NAME,
            "classpath": CLASSPATH,
            "kwargs": {
                "bucket_name": bucket,
                "prefix": PREFIX,
                "refresh_interval": REFRESH_SECONDS,
                # No Airflow connection: the default credential chain (the task role on AWS, the local
                # endpoint's keys locally), and no connection lookup on every task start.
                "aws_conn_id": None,
            },
        }
    ]


def config_list(bucket: str | None) -> str:
    """`bundle_config` as the variable's JSON text."""
    return json.dumps(bundle_config(bucket), separators=(",", ":"))


def encryption_configuration() -> dict[str, Any]:
    """S3's PutBucketEncryption `ServerSideEncryptionConfiguration`."""
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": BUCKET.encryption}}]}


def lifecycle_rules() -> list[dict[str, Any]]:
    """S3's PutBucketLifecycleConfiguration `Rules`: replaced and deleted files go after a while."""
    return [
        {
            "ID": "farflow-expire-replaced-dags",
            "Status": "Enabled",
            "Filter": {"Prefix": PREFIX},
            "NoncurrentVersionExpiration": {"NoncurrentDays": BUCKET.noncurrent_expire_after_days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
    ]


def reader_statements(bucket_arn: str) -> list[dict[str, Any]]:
    """What a role that reads the bundle gets: list the bucket, read its objects; nothing else."""
    return [
        {
            "Sid": "FarflowDagBundleList",
            "Effect": "Allow",
            "Action": list(BUCKET_READ_ACTIONS),
            "Resource": bucket_arn,
        },
        {
            "Sid": "FarflowDagBundleRead",
            "Effect": "Allow",
            "Action": list(OBJECT_READ_ACTIONS),
            "Resource": f"{bucket_arn}/*",
        },
    ]
