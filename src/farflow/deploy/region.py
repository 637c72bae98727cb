"""Where the stack's Region comes from, and the one message for when it comes from nowhere.

farflow.toml's `[project] region`, else the environment (the CDK toolkit's variable, then the AWS CLI's),
else the AWS profile's `region`. Every command (`synth` offline too: the load balancer's log bucket
policy names the Region's log delivery account) resolves it this way and says the same when none is set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

REGION_VARIABLES = ("CDK_DEFAULT_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")

REGION_PROBLEM = (
    'No AWS Region is set. Set [project] region in farflow.toml (e.g. region = "us-east-1"), or export '
    "AWS_REGION=us-east-1, or give your profile one: aws configure set region us-east-1."
)


def profile_region() -> str | None:
    """The AWS profile's region (~/.aws/config, AWS_PROFILE): read from files, no network, no credentials."""
    import boto3

    return boto3.Session().region_name


def resolve_region(
    configured: str, environ: Mapping[str, str], profile: Callable[[], str | None] | None
) -> str:
    """The Region to use: `configured`, else the environment's, else `profile()`'s (if given); "" if none."""
    from_environment = next((environ[name] for name in REGION_VARIABLES if environ.get(name)), "")
    return configured or from_environment or (profile() if profile else None) or ""
