"""The executor's side of `[ecs_fargate] workload_store`: write each launch's workload, delete leftovers.

Calls happen on the launcher's threads (writes, before RunTask) and its background pool (deletes), never
on the scheduler thread. An object's body holds the task's Airflow token: it is never logged, and a
Stash's repr leaves it out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from farflow.executor.client import SharedClient
from farflow.workload.reference import StoreLocation, family_of, reference_in

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stash:
    """One launch's workload, written to the store before its RunTask."""

    workload_reference: str
    """s3://bucket/key, the Airflow container's one argument."""
    key: str
    body: bytes = field(repr=False)  # holds the Airflow token: never log it


class WorkloadWriter:
    """Writes and deletes workload objects under one bucket and prefix; shared by the launcher's threads.

    The store itself (bucket, key, policies) is `farflow.spec.workload_store`; this only writes to it."""

    def __init__(self, location: StoreLocation, client_factory: Callable[[], Any]) -> None:
        self.location = location
        self.shared = SharedClient(client_factory, "S3")

    @property
    def client(self) -> Any:
        return self.shared.get()

    def stash(self, task_definition: str, client_token: str, body: bytes) -> Stash:
        """The object one launch writes (pure): the same task definition family and clientToken, the same key."""
        key = self.location.key(family_of(task_definition), client_token)
        return Stash(self.location.reference(key), key, body)

    def put(self, stash: Stash) -> Any:
        """Write the workload and return S3's answer; raises what S3 raises. A retried launch writes the
        same object again. The one write the executor makes (launches and the start-up probe alike).

        No encryption headers: S3 encrypts with the bucket's default, the store's own KMS key, and the
        store's bucket policy denies only writes that name another encryption
        (`farflow.spec.workload_store.bucket_policy_statements` says why).
        """
        return self.client.put_object(
            Bucket=self.location.bucket, Key=stash.key, Body=stash.body, ContentType="application/json"
        )

    def delete(self, workload_reference: str) -> None:
        """Delete an object of this store (others are left alone); a failure is logged, not raised:
        the store's lifecycle rule removes what is left after a day."""
        if not self.location.holds(workload_reference):
            return
        key = workload_reference.removeprefix(f"s3://{self.location.bucket}/")
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=key)
        except Exception as error:
            log.warning("Could not delete the workload object %s: %s", workload_reference, error)


def workload_reference_in_task(task: Mapping[str, Any], container_name: str) -> str | None:
    """The workload reference a DescribeTasks task names in its Airflow container's command, if any."""
    overrides = task.get("overrides") or {}
    for entry in overrides.get("containerOverrides") or ():
        if isinstance(entry, Mapping) and entry.get("name") == container_name:
            return reference_in(entry.get("command") or ())
    return None
