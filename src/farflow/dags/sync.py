"""A folder into a bundle bucket: plan by content, then write. The push and the local stack's start share it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from farflow.dags.bucket import BundleBucket
from farflow.dags.plan import SyncPlan, local_files, plan


def sync(bucket: BundleBucket, folder: Path) -> tuple[SyncPlan, datetime | None]:
    """Make the bucket's bundle hold exactly `folder`'s files; the plan, and S3's time of the last write."""
    planned = plan(local_files(folder), bucket.remote())
    return planned, bucket.apply(planned)


def push_folder(s3: Any, bucket: str, folder: Path) -> SyncPlan:
    """`sync` for a boto3 S3 client and a bucket name."""
    planned, _ = sync(BundleBucket(s3, bucket), folder)
    return planned
