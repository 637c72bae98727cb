"""AWS policy evaluation, pure: parse policy statements and decide a request as AWS does.

moto stores bucket, key and queue policies but never evaluates them, and IAM on AWS is where a deploy
first meets its own mistakes. This package decides a request (action, resource ARN, principal, condition
keys) against identity-based and resource-based policies the way AWS's documentation says AWS does, so
tests can check a template's policies against the exact requests farflow sends (`farflow.policy.s3`
turns a sent S3 request into its request context). Each module cites the AWS pages it follows.
"""

from farflow.policy.errors import PolicyError
from farflow.policy.evaluation import (
    Decision,
    Evaluation,
    Request,
    Statement,
    authorize,
    evaluate,
    parse_policy,
    parse_statement,
)

__all__ = [
    "Decision",
    "Evaluation",
    "PolicyError",
    "Request",
    "Statement",
    "authorize",
    "evaluate",
    "parse_policy",
    "parse_statement",
]
