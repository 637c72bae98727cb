"""A push against S3 (moto, created as the local seed creates the DAGs bucket): what the plan says is
written, ETags match the files' MD5 so a second push sends nothing, and deletions leave the bundle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from farflow.dags.bucket import BundleBucket
from farflow.dags.sync import sync
from farflow.local.seed import create_dags_bucket


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


def _bucket(s3: Any) -> BundleBucket:
    return BundleBucket(s3, create_dags_bucket(s3))


def test_a_second_push_sends_nothing_and_deletions_reach_the_bucket(s3: Any, tmp_path: Path) -> None:
    bucket = _bucket(s3)
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "b.py").write_text("b = 2\n")
    first, _ = sync(bucket, tmp_path)
    assert [f.key for f in first.new] == ["a.py", "lib/b.py"]
    again, written_again = sync(bucket, tmp_path)
    assert again.empty and again.unchanged == 2
    assert written_again is None

    (tmp_path / "a.py").write_text("a = 3\n")
    (tmp_path / "lib" / "b.py").unlink()
    third, _ = sync(bucket, tmp_path)
    assert ([f.key for f in third.changed], third.deleted) == (["a.py"], ("lib/b.py",))
    listed = s3.list_objects_v2(Bucket=bucket.name).get("Contents", [])
    assert [entry["Key"] for entry in listed] == ["a.py"]
    assert s3.get_object(Bucket=bucket.name, Key="a.py")["Body"].read() == b"a = 3\n"


def test_the_seeded_bucket_is_versioned_encrypted_and_private(s3: Any) -> None:
    bucket = _bucket(s3)
    assert s3.get_bucket_versioning(Bucket=bucket.name)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket.name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket.name)["PublicAccessBlockConfiguration"]
    assert all(block.values())
