"""What the tests compare the endpoint's call counts with: the operations the executor is declared to call
(`farflow.spec.aws_actions.EXECUTOR_ACTIONS`, from which its IAM policy is rendered)."""

from __future__ import annotations

from collections.abc import Mapping, Set

from farflow.spec.aws_actions import EXECUTOR_ACTIONS


def called_operations() -> frozenset[str]:
    """The API operations (ECS, SQS, S3 and KMS) the executor may call."""
    return frozenset(entry.operation for entry in EXECUTOR_ACTIONS if entry.operation)


def undeclared(called: Mapping[str, int], declared: Set[str]) -> list[str]:
    """The operations in `called` that `declared` does not list, sorted: what IAM would deny on AWS."""
    return sorted(set(called) - set(declared))
