"""Custom resource: empty the workload store's bucket when the stack is deleted.

CloudFormation cannot delete a bucket that still holds objects, and the store always may: a workload
written moments before, a probe, leftovers the one-day lifecycle rule has not expired yet. So on Delete
this removes every object; on Create and Update it does nothing. The bucket's name is the resource's
physical id, so were the bucket ever replaced, CloudFormation's Delete of the old resource empties the
old bucket. The bucket is unversioned (farflow.spec.workload_store), so objects are all there is.
The stack deletes the scheduler's service before this resource: no write races the emptying.
"""

from __future__ import annotations

from typing import Any

BATCH = 1000  # DeleteObjects takes at most 1,000 keys


def empty(client: Any, bucket: str) -> int:
    """Delete every object in `bucket`; return how many. A bucket already gone counts as empty."""
    deleted = 0
    try:
        while True:
            listing = client.list_objects_v2(Bucket=bucket, MaxKeys=BATCH)
            keys = [{"Key": entry["Key"]} for entry in listing.get("Contents", [])]
            if not keys:
                return deleted
            answer = client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise RuntimeError(
                    f"Could not delete {len(answer['Errors'])} objects of {bucket}, e.g. "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )
            deleted += len(keys)
    except client.exceptions.NoSuchBucket:
        return deleted


def on_event(event: dict[str, Any], context: object = None, client: Any = None) -> dict[str, Any]:
    bucket = event["ResourceProperties"]["BucketName"]
    if event["RequestType"] == "Delete":
        bucket = event.get("PhysicalResourceId") or bucket
        if client is None:
            import boto3

            client = boto3.client("s3")
        print(f"Emptied {bucket}: {empty(client, bucket)} objects deleted")  # to its log group
    return {"PhysicalResourceId": bucket}
