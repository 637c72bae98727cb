"""Which RunTask errors waiting can fix: shared by the executor and the deploy's migration Lambda.

Standard library only and importing nothing of farflow: the deploy stages this file beside the Lambda
handlers (`farflow.deploy.functions`), where it is imported as a top-level module.
"""

from __future__ import annotations

THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
    }
)
"""AWS asked the caller to slow down."""

RETRY_CODES = THROTTLE_CODES | frozenset(
    {
        "ServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
"""Error codes a retry of the same request can get past: throttling and AWS's own 5xx and timeouts."""

CAPACITY_PHRASES = (
    "capacity is unavailable",
    "capacity unavailable",
    "insufficient capacity",
    "insufficient spot capacity",
    "spot capacity is not available",
    "not enough capacity",
    "reached the limit on the number of tasks",
    "reached the limit on the number of vcpus",
)
"""Wording (lower case) that means "no room now" in RunTask failures and error messages.

Phrases, not words: "FARGATE_SPOT capacity provider is not associated with the cluster" and
"the cluster has no capacity providers" are configuration errors, not a shortage.
"""
