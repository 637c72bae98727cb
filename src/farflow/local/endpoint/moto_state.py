"""moto's models are process-global and not thread-safe: one lock guards them, and each endpoint gets an
account of its own so endpoints in one process (tests start one per test) never see each other's state.

The account is passed to moto as the `x-moto-account-id` header on every request (see wsgi.py). The first
endpoint alive in a process gets moto's default account, 123456789012, so ARNs look familiar; others get
fresh ones. An account's ECS, EC2, CloudWatch Logs, IAM, KMS, S3, SQS and EventBridge state is cleared when
an endpoint claims it.
MOTO_ACCOUNT_ID in the environment overrides all of this, as it does for moto itself.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
from typing import Any

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
MOTO_LOCK = threading.RLock()
"""Held around every moto request and every direct change to moto's models."""

_claimed: Counter[str] = Counter()
_fresh = itertools.count(100000000001)


def claim_account() -> str:
    """An account for a starting endpoint, with empty ECS, EC2, Logs, IAM, KMS, S3, SQS and EventBridge state."""
    with MOTO_LOCK:
        account = os.environ.get("MOTO_ACCOUNT_ID")
        if account is None:
            account = DEFAULT_ACCOUNT_ID
            while account in _claimed:
                account = str(next(_fresh))
        if account not in _claimed:
            from moto.ec2.models import ec2_backends
            from moto.ecs.models import ecs_backends
            from moto.events.models import events_backends
            from moto.iam.models import iam_backends
            from moto.kms.models import kms_backends
            from moto.logs.models import logs_backends
            from moto.sqs.models import sqs_backends

            for backends in (
                ecs_backends,
                ec2_backends,
                logs_backends,
                kms_backends,
                sqs_backends,
                events_backends,
                iam_backends,
            ):
                if account in backends:
                    backends[account].reset()
            _clear_buckets(account)
        _claimed[account] += 1
        return account


def _clear_buckets(account: str) -> None:
    """Forget the account's buckets. Not moto's S3 reset: it closes the objects of every account,
    including those of endpoints still running."""
    from moto.s3.models import s3_backends

    if account not in s3_backends:
        return
    for backend in s3_backends[account].values():
        for name in list(backend.buckets):
            s3_backends.bucket_accounts.pop(name, None)
        backend.buckets.clear()


def release_account(account: str) -> None:
    with MOTO_LOCK:
        _claimed[account] -= 1
        if _claimed[account] <= 0:
            del _claimed[account]


def ecs_backend(account: str, region: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[account][region]


def logs_backend(account: str, region: str) -> Any:
    from moto.logs.models import logs_backends  # imported here: moto takes seconds to import

    return logs_backends[account][region]


def events_backend(account: str, region: str) -> Any:
    from moto.events.models import events_backends

    return events_backends[account][region]


def queue_wait_seconds(account: str, region: str, queue_url: str) -> float:
    """A queue's ReceiveMessageWaitTimeSeconds (0 if there is no such queue: moto then answers the error)."""
    from moto.sqs.models import sqs_backends

    with MOTO_LOCK:
        queue = sqs_backends[account][region].queues.get(queue_url.rsplit("/", 1)[-1])
        return float(queue.receive_message_wait_time_seconds or 0) if queue is not None else 0.0
