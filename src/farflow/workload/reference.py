"""Where a launch's workload waits for its container: the store's URL, each object's key, the command.

The store is `[ecs_fargate] workload_store`, an `s3://bucket/prefix/` URL. Each launch writes one object,
`<prefix><task definition family>/<clientToken>.json`, and its container is started with only that
object's URL: `python -m farflow.workload s3://bucket/<key>`. The clientToken is a hash of the task's
public identifiers and the launch attempt, so the key says nothing about the token, and a retried launch
writes the same object. The family folder lets the deploy give each task role its own prefix.

Standard library only: `[ecs_fargate]` settings (read without boto3 or Airflow) parse the URL here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SCHEME = "s3://"
ENTRY_POINT = ("python", "-m", "farflow.workload")
"""The container command's start; the object's URL follows it."""
HEALTH_CHECK_OBJECT = "farflow-health-check.json"
"""Written and deleted under the prefix by the executor's start-up check; holds no workload."""

# S3's rules for new bucket names: 3-63 characters, lower-case letters, digits, dots and hyphens,
# starting and ending with a letter or digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class StoreUrlError(ValueError):
    """A store URL or object reference that farflow cannot use; the message says what is wrong."""


@dataclass(frozen=True)
class StoreLocation:
    """A bucket and a key prefix ("" or ending in "/")."""

    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}"

    def key(self, family: str, client_token: str) -> str:
        """The object one launch writes: the same family and clientToken give the same key."""
        return f"{self.prefix}{family}/{client_token}.json"

    def reference(self, key: str) -> str:
        """The URL the container gets in its command."""
        return f"{SCHEME}{self.bucket}/{key}"

    def holds(self, reference: str) -> bool:
        """Whether `reference` names an object under this store's prefix (the executor deletes no other)."""
        try:
            bucket, key = parse_reference(reference)
        except StoreUrlError:
            return False
        return bucket == self.bucket and key.startswith(self.prefix)


def parse_store_url(url: str) -> StoreLocation:
    """`s3://bucket/prefix/` as a StoreLocation; a prefix without its trailing slash gets one."""
    if not url.startswith(SCHEME):
        raise StoreUrlError(f"{url!r} is not an s3:// URL; use s3://BUCKET/PREFIX/.")
    bucket, _, prefix = url[len(SCHEME) :].partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise StoreUrlError(
            f"{bucket!r} is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)."
        )
    if prefix.startswith("/") or "//" in prefix or any(part in {".", ".."} for part in prefix.split("/")):
        raise StoreUrlError(f"the prefix {prefix!r} has an empty, '.' or '..' segment; use s3://BUCKET/a/b/.")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return StoreLocation(bucket, prefix)


def parse_reference(reference: str) -> tuple[str, str]:
    """An object URL `s3://bucket/key` as (bucket, key)."""
    if not reference.startswith(SCHEME):
        raise StoreUrlError(f"{reference!r} is not an s3:// object URL.")
    bucket, _, key = reference[len(SCHEME) :].partition("/")
    if not _BUCKET.match(bucket) or not key or key.endswith("/"):
        raise StoreUrlError(f"{reference!r} does not name an object; expected s3://BUCKET/KEY.")
    return bucket, key


def family_of(task_definition: str) -> str:
    """The family of `family`, `family:3` or `arn:aws:ecs:REGION:ACCOUNT:task-definition/family:3`."""
    name = task_definition.rsplit("/", 1)[-1] if task_definition.startswith("arn:") else task_definition
    return name.split(":", 1)[0]


def reference_command(reference: str) -> tuple[str, ...]:
    """The Airflow container's command for a stored workload: the entry point and the object's URL."""
    return (*ENTRY_POINT, reference)


def reference_in(command: Sequence[object]) -> str | None:
    """The object URL in a command `reference_command` made, else None."""
    parts = list(command)
    if len(parts) == len(ENTRY_POINT) + 1 and tuple(parts[:-1]) == ENTRY_POINT and isinstance(parts[-1], str):
        return parts[-1]
    return None
