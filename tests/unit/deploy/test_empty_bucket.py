"""The custom resource that empties the workload store on stack delete, against S3 on moto: Delete removes
every object (more than one DeleteObjects batch), Create and Update touch nothing, a bucket already gone
is no error, and the physical id is the bucket's name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from farflow.deploy.handlers import empty_bucket

BUCKET = "farflow-workloads-123456789012-eu-west-1"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


def _put(s3: Any, count: int) -> None:
    for index in range(count):
        s3.put_object(Bucket=BUCKET, Key=f"workloads/farflow-airflow/{index}.json", Body=b"{}")


def _event(request_type: str, **extra: Any) -> dict[str, Any]:
    return {"RequestType": request_type, "ResourceProperties": {"BucketName": BUCKET}, **extra}


def test_delete_removes_every_object_in_batches(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(empty_bucket, "BATCH", 2)
    _put(s3, 5)
    answer = empty_bucket.on_event(_event("Delete", PhysicalResourceId=BUCKET), client=s3)
    assert answer == {"PhysicalResourceId": BUCKET}
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    s3.delete_bucket(Bucket=BUCKET)  # what CloudFormation does next: it succeeds on an empty bucket


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_leave_the_objects(s3: Any, request_type: str) -> None:
    _put(s3, 2)
    answer = empty_bucket.on_event(_event(request_type, PhysicalResourceId=BUCKET), client=s3)
    assert answer == {"PhysicalResourceId": BUCKET}
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 2


def test_delete_empties_the_bucket_its_physical_id_names(s3: Any) -> None:
    """A replaced bucket: CloudFormation deletes the old resource, whose id is the old bucket."""
    _put(s3, 1)
    event = {
        "RequestType": "Delete",
        "PhysicalResourceId": BUCKET,
        "ResourceProperties": {"BucketName": "new"},
    }
    empty_bucket.on_event(event, client=s3)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_a_bucket_already_gone_is_empty(s3: Any) -> None:
    assert empty_bucket.empty(s3, "farflow-no-such-bucket") == 0
