"""The push's calls to S3: list the bundle's objects, write what the plan says, delete what is gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from farflow.dags.plan import Remote, SyncPlan
from farflow.spec import dag_bundle

# DeleteObjects takes at most this many keys a call.
DELETE_BATCH = 1000


@dataclass(frozen=True)
class BundleBucket:
    """One DAGs bucket, through a boto3 S3 client with the pusher's credentials."""

    s3: Any
    name: str
    prefix: str = dag_bundle.PREFIX

    def remote(self) -> Remote:
        etags: dict[str, str] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=self.prefix):
            for entry in page.get("Contents", []):
                if not entry["Key"].endswith("/"):
                    etags[entry["Key"][len(self.prefix) :]] = entry["ETag"]
        return Remote(etags)

    def apply(self, plan: SyncPlan) -> datetime | None:
        """Upload, then delete, as planned; return S3's time of the last write (None if nothing was done).

        One PutObject a file (so its ETag is its MD5, see farflow.dags.plan), no encryption headers: the
        bucket's default encryption applies.
        """
        written: datetime | None = None
        for file in plan.uploads:
            answer = self.s3.put_object(
                Bucket=self.name,
                Key=f"{self.prefix}{file.key}",
                Body=file.path.read_bytes(),
                ContentMD5=_content_md5(file.md5),
            )
            written = _server_time(answer) or written
        keys = [f"{self.prefix}{key}" for key in plan.deleted]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            answer = self.s3.delete_objects(
                Bucket=self.name, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise PermissionError(f"S3 did not delete {first.get('Key')}: {first.get('Message')}")
            written = _server_time(answer) or written
        return written


def _content_md5(hex_digest: str) -> str:
    """S3's Content-MD5 header (base64 of the digest): S3 refuses a body that arrived altered."""
    import base64

    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def _server_time(answer: dict[str, Any]) -> datetime | None:
    """The Date header S3 answered with: the push's time on the cloud's clock, not this machine's."""
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None
