"""What the real-account smoke test needs, and the steps it takes, apart from the test so both are testable.

`missing()` is the preflight: it names every missing piece (the opt-in, working AWS credentials, a
Docker engine for the image build) so a skip says what to do. Credentials are checked with
sts:GetCallerIdentity, and only after opting in: before that nothing here calls AWS. The steps drive
`farflow bootstrap`, `farflow deploy` and `farflow destroy` through the CLI, as a user would, and read
the stack's outputs from the file the deploy writes.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farflow.deploy.preflight import ProbeError

OPT_IN = "FARFLOW_AWS_SMOKE"
HOW_TO_RUN = f"{OPT_IN}=1 .venv/bin/pytest tests/aws -v -s"
DEFAULT_REGION = "us-east-1"
# tests/conftest.py sets these placeholders for moto; on AWS they would hide the real credentials.
PLACEHOLDER_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DAG_ID = "sample_dag"


@dataclass(frozen=True)
class SmokeProbes:
    """The two questions asked of the machine and of AWS; tests answer them with plain functions."""

    account: Callable[[str], str]  # region -> account id; ProbeError if no credentials work
    docker: Callable[[], str | None]  # None if the engine answers, else why not


def aws_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for real AWS calls: the test suite's placeholder keys removed, so boto3's chain
    (environment, profiles, SSO, instance roles) finds the real credentials."""
    environment = dict(environ)
    if all(environment.get(key) == value for key, value in PLACEHOLDER_KEYS.items()):
        for key in PLACEHOLDER_KEYS:
            environment.pop(key)
    return environment


def smoke_region(environ: Mapping[str, str]) -> str:
    """The Region to deploy to: AWS_REGION, else farflow init's default."""
    return environ.get("AWS_REGION") or DEFAULT_REGION


def missing(environ: Mapping[str, str], region: str, probes: SmokeProbes) -> list[str]:
    """Everything the smoke test lacks, each with how to get it; empty when it can run."""
    if environ.get(OPT_IN) != "1":
        return [
            f"{OPT_IN}=1 is not set. This test deploys the sample project to a real AWS account "
            "(about a dollar for the hour it stands) and destroys it; it also needs working AWS "
            f"credentials and Docker, checked once opted in. Run: {HOW_TO_RUN}"
        ]
    problems = []
    try:
        probes.account(region)
    except ProbeError as error:
        problems.append(
            f"No working AWS credentials in {region} ({error}): sts:GetCallerIdentity must succeed. Export "
            "AWS_PROFILE=NAME (after `aws sso login` if it is an SSO profile) or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY; AWS_REGION picks the Region."
        )
    if (docker := probes.docker()) is not None:
        problems.append(
            f"Docker does not answer ({docker}): the deploy builds the Airflow image. Start Docker, or set "
            "CDK_DOCKER to another engine (finch, podman)."
        )
    return problems


def skip_reason(problems: list[str]) -> str:
    return "AWS smoke test not run: " + " | ".join(problems)


def real_probes() -> SmokeProbes:
    """STS through boto3's chain, and `docker info`, as `farflow deploy`'s own preflight asks them."""
    import boto3

    from farflow.deploy.preflight import caller_account, docker_info

    session = boto3.Session()
    return SmokeProbes(
        account=lambda region: caller_account(session.client("sts", region_name=region)),
        docker=docker_info,
    )


@dataclass(frozen=True)
class Kept:
    """What the stack keeps when it is deleted (RETAIN, SNAPSHOT), read before the destroy to remove after."""

    buckets: tuple[str, ...]
    db_instances: tuple[str, ...]


def kept_resources(cloudformation: Any, stack: str) -> Kept:
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]

    def physical(resource_type: str) -> tuple[str, ...]:
        return tuple(
            str(resource["PhysicalResourceId"])
            for resource in resources
            if resource["ResourceType"] == resource_type and resource.get("PhysicalResourceId")
        )

    return Kept(physical("AWS::S3::Bucket"), physical("AWS::RDS::DBInstance"))


def remove_kept(kept: Kept, s3: Any, rds: Any) -> list[str]:
    """Empty and delete the kept buckets, delete the database's final snapshots; what was removed."""
    removed = []
    for bucket in kept.buckets:
        try:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                objects = [
                    {"Key": item["Key"], "VersionId": item["VersionId"]}
                    for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                if objects:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
            s3.delete_bucket(Bucket=bucket)
        except s3.exceptions.NoSuchBucket:
            continue
        removed.append(f"bucket {bucket}")
    for instance in kept.db_instances:
        snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=instance, SnapshotType="manual")
        for snapshot in snapshots["DBSnapshots"]:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])
            removed.append(f"snapshot {snapshot['DBSnapshotIdentifier']}")
    return removed


def configure(project: Path, name: str, region: str) -> None:
    """The sample project's farflow.toml, made destroyable: its own name, the Region, no deletion protection."""
    path = project / "farflow.toml"
    text = path.read_text()
    for key, value in (("name", f'"{name}"'), ("region", f'"{region}"'), ("deletion_protection", "false")):
        text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        assert count == 1, f"farflow.toml has no `{key} =` line"
    path.write_text(text)


def stack_name() -> str:
    """A fresh `[project] name` (at most 20 characters), so a run never touches another stack."""
    return f"ffsmoke{secrets.token_hex(3)}"


def farflow(*arguments: str, environment: Mapping[str, str], cwd: Path) -> None:
    """Run the farflow CLI (this interpreter's), its output on the terminal; fail on a non-zero exit."""
    command = [str(Path(sys.executable).with_name("farflow")), *arguments]
    done = subprocess.run(command, cwd=cwd, env=dict(environment), check=False)
    assert done.returncode == 0, f"{' '.join(arguments)} exited with {done.returncode}"


def finished(run: Mapping[str, Any]) -> str | None:
    """A DAG run's final state, or None while it runs."""
    state = str(run.get("state"))
    return state if state in {"success", "failed"} else None


def log_text(log: Mapping[str, Any]) -> str:
    """The text of a task log answer (Airflow's structured `content`, or plain text)."""
    content = log.get("content", [])
    if isinstance(content, str):
        return content
    return "\n".join(
        str(line.get("event", line)) if isinstance(line, dict) else str(line) for line in content
    )
