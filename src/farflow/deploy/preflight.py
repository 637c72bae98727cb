"""What `farflow deploy` needs before it starts the CDK toolkit, each missing piece named with how to get it.

The toolkit's own failures come late (after a synth, mid-publish) and speak CDK; these checks take a
few seconds and speak farflow. They are pure over `Probes`, the few questions asked of the machine and
of AWS, so each failure is testable without either.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farflow.deploy.config import DeployConfig, stack_name
from farflow.deploy.config_rules import CHECK_IP, YOUR_ADDRESS, show, unreachable_cidrs
from farflow.deploy.region import REGION_PROBLEM
from farflow.deploy.toolkit import CDK_PACKAGE, Node, NodeSearch, bundled_node, find_node, system_node

BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
BOOTSTRAP_STACK = "CDKToolkit"
MIN_BOOTSTRAP_VERSION = 6
"""The oldest bootstrap stack the default synthesizer's templates accept."""

# What each toolkit action needs besides a Node.js: Docker builds image assets, which only deploy publishes.
NEEDS_DOCKER = frozenset({"deploy"})
NEEDS_BOOTSTRAP = frozenset({"deploy"})
# Only deploy makes the UI: synth and diff of a new project's placeholder address are fine.
NEEDS_REACHABLE_UI = frozenset({"deploy"})
# Stack statuses of a stack that has never been created whole: its next deploy is still the first one.
# CREATE_FAILED is where a first deploy without rollback stops; the toolkit deletes a stack in
# ROLLBACK_COMPLETE and creates it anew; REVIEW_IN_PROGRESS holds only a change set.
NOT_YET_CREATED = frozenset({"CREATE_FAILED", "ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"})


class ProbeError(RuntimeError):
    """AWS could not answer; the message says why in a sentence."""


class UnreachableError(ProbeError):
    """AWS was not reached at all (no network, DNS, a proxy, TLS): nothing is known of the credentials."""


@dataclass(frozen=True)
class Probes:
    """The questions preflight asks; `aws_probes()` answers them for real, tests with plain functions."""

    node: Callable[[], NodeSearch]
    docker: Callable[[], str | None]  # None if `docker info` works, else why not
    region: Callable[[], str | None]  # the Region of the environment / profile
    account: Callable[[str], str]  # sts:GetCallerIdentity's account; ProbeError if no credentials work
    bootstrap_version: Callable[[str], int | None]  # in a Region; None: not bootstrapped; ProbeError: unknown
    # (Region, stack name) -> the stack's status; None: no such stack; ProbeError: unknown
    stack_status: Callable[[str, str], str | None]


@dataclass(frozen=True)
class Preflight:
    node: Node | None
    account: str
    region: str
    problems: tuple[str, ...]
    notes: tuple[str, ...]  # what could not be checked; worth saying, not worth stopping for
    # Deploy only: the stack has never been created whole, so a failure must not roll it back.
    first_deploy: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def preflight(action: str, config: DeployConfig, probes: Probes, project: Path) -> Preflight:
    """Every check `action` needs, all run, so one attempt lists everything that is missing."""
    problems: list[str] = []
    notes: list[str] = []
    if action in NEEDS_REACHABLE_UI and (problem := placeholder_problem(config, project)):
        problems.append(problem)
    search = probes.node()
    if search.node is None:
        problems.append(node_problem(search))
    if action in NEEDS_DOCKER and (docker := probes.docker()) is not None:
        problems.append(docker_problem(docker))
    region = config.project.region or probes.region() or ""
    if not region:
        problems.append(REGION_PROBLEM)
    account = ""
    if region:
        try:
            account = probes.account(region)
        except UnreachableError as error:
            problems.append(unreachable_problem(region, str(error)))
        except ProbeError as error:
            problems.append(credentials_problem(str(error)))
    if account and config.project.account and account != config.project.account:
        problems.append(
            f"The AWS credentials are for account {account}, but farflow.toml's [project] account is "
            f"{config.project.account}. Use that account's credentials (e.g. export AWS_PROFILE=NAME), or "
            "change or empty [project] account."
        )
        account = ""
    if account and action in NEEDS_BOOTSTRAP:
        try:
            version = probes.bootstrap_version(region)
        except ProbeError as error:
            notes.append(f"Could not check that aws://{account}/{region} is bootstrapped ({error}).")
        else:
            if problem := bootstrap_problem(version, account, region, project):
                problems.append(problem)
    first_deploy = False
    if account and action == "deploy":
        name = stack_name(config)
        try:
            status = probes.stack_status(region, name)
        except ProbeError as error:
            notes.append(
                f"Could not read the state of stack {name} ({error}); if it fails, the deploy rolls back."
            )
        else:
            first_deploy = status is None or status in NOT_YET_CREATED
    return Preflight(search.node, account, region, tuple(problems), tuple(notes), first_deploy)


def placeholder_problem(config: DeployConfig, project: Path) -> str | None:
    """None unless `allowed_cidrs` holds a documentation address (the placeholder `farflow init` writes):
    a UI allowed from there is one nobody can open, deployed for nothing."""
    placeholders = unreachable_cidrs(config.load_balancer.allowed_cidrs)
    if not placeholders:
        return None
    return (
        f"{project / 'farflow.toml'}: [load_balancer] allowed_cidrs holds {show(placeholders)}, reserved for "
        "documentation: no one has such an address, so nobody could open the UI. Replace it with your "
        f"own address as /32, allowed_cidrs = [{show(YOUR_ADDRESS)}] ({CHECK_IP} prints it), or your "
        "office's block."
    )


def node_problem(search: NodeSearch) -> str:
    seen = f" Found only: {'; '.join(search.tried)}." if search.tried else ""
    return (
        f"Node.js 20 or newer is needed to run the AWS CDK toolkit ({CDK_PACKAGE}), and none was found.{seen} "
        "farflow's deploy extra ships one: pip install 'farflow[deploy]'. Or install Node.js 20+ "
        "(https://nodejs.org) with npx, and put it on PATH."
    )


def docker_problem(detail: str) -> str:
    return (
        f"Docker is needed to build the container images that deploy uploads, and `docker info` failed "
        f"({detail}). Install Docker (https://docs.docker.com/get-docker/) and start it; on Linux, add your "
        "user to the docker group. To use another engine (finch, podman), set CDK_DOCKER to its command."
    )


def credentials_problem(detail: str) -> str:
    return (
        f"No working AWS credentials: {detail}. farflow finds them as the AWS CLI does (environment, "
        "~/.aws profiles, SSO, instance roles): run `aws configure`, or `aws sso login --profile NAME` and "
        "export AWS_PROFILE=NAME. `aws sts get-caller-identity` shows when they work."
    )


def unreachable_problem(region: str, detail: str) -> str:
    return (
        f"Cannot reach AWS in {region}: {detail}. Check this machine's network connection (and "
        "HTTPS_PROXY if you need a proxy); the credentials were not checked."
    )


def bootstrap_problem(version: int | None, account: str, region: str, project: Path) -> str | None:
    """None if the Region is bootstrapped recently enough; else the farflow command that bootstraps it."""
    command = f"farflow bootstrap --project {project}"
    if version is None:
        return (
            f"aws://{account}/{region} is not bootstrapped for the AWS CDK (the SSM parameter "
            f"{BOOTSTRAP_PARAMETER} that bootstrapping writes is missing). Run once per account and Region: {command} "
            f"(it runs `npx {CDK_PACKAGE} bootstrap aws://{account}/{region}`)."
        )
    if version < MIN_BOOTSTRAP_VERSION:
        return (
            f"aws://{account}/{region} has CDK bootstrap version {version}; deploy needs "
            f"{MIN_BOOTSTRAP_VERSION} or newer. Upgrade it with: {command}."
        )
    return None


def aws_probes(endpoint_url: str | None = None) -> Probes:
    """The real answers: Node.js on this machine, `docker info`, and boto3's credential chain.

    `endpoint_url` points boto3 at a local endpoint (tests); None means AWS.
    """
    import boto3

    session = boto3.Session()

    def client(service: str, region: str) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint_url)  # type: ignore[call-overload]

    return Probes(
        node=lambda: find_node([bundled_node(), system_node()]),
        docker=docker_info,
        # AWS_REGION first, as the CDK toolkit reads it; boto3 reads only AWS_DEFAULT_REGION and the profile.
        region=lambda: os.environ.get("AWS_REGION") or session.region_name,
        account=lambda region: caller_account(client("sts", region)),
        bootstrap_version=lambda region: bootstrap_version(
            client("ssm", region), client("cloudformation", region)
        ),
        stack_status=lambda region, name: stack_status(client("cloudformation", region), name),
    )


def docker_info(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> str | None:
    """None if the Docker engine answers (the one CDK_DOCKER names, as the toolkit would use), else why not."""
    docker = os.environ.get("CDK_DOCKER", "docker")
    try:
        done = run([docker, "info"], capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        return f"`{docker}` is not installed (not on PATH)"
    except subprocess.TimeoutExpired:
        return f"`{docker} info` did not answer within 60 seconds"
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {done.returncode}"


def caller_account(sts: Any) -> str:
    """The account the credentials belong to, or ProbeError naming why there is none."""
    from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as NotConnected

    try:
        return str(sts.get_caller_identity()["Account"])
    except ClientError as error:
        raise ProbeError(f"AWS refused them ({_error_text(error)})") from None
    except (NotConnected, ConnectionClosedError, ReadTimeoutError) as error:
        raise UnreachableError(str(error).rstrip(".")) from None
    except BotoCoreError as error:
        raise ProbeError(str(error).rstrip(".")) from None


def bootstrap_version(ssm: Any, cloudformation: Any) -> int | None:
    """The CDK bootstrap version in the client's Region, from SSM, else the CDKToolkit stack's output.

    The toolkit reads the SSM parameter; credentials that may not read it may still describe stacks.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return int(ssm.get_parameter(Name=BOOTSTRAP_PARAMETER)["Parameter"]["Value"])
    except ClientError as error:
        if _code(error) == "ParameterNotFound":
            return None
        first = _error_text(error)
    except (BotoCoreError, ValueError) as error:
        first = str(error)
    try:
        stacks = cloudformation.describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise ProbeError(f"{first}; {_error_text(error)}") from None
    except BotoCoreError as error:
        raise ProbeError(f"{first}; {error}") from None
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}
    return int(outputs["BootstrapVersion"]) if "BootstrapVersion" in outputs else None


def stack_status(cloudformation: Any, name: str) -> str | None:
    """The stack's StackStatus (DescribeStacks), None if there is no stack of that name."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise ProbeError(_error_text(error)) from None
    except BotoCoreError as error:
        raise ProbeError(str(error)) from None
    return str(stacks[0]["StackStatus"]) if stacks else None


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_text(error: Any) -> str:
    message = error.response.get("Error", {}).get("Message", "")
    return f"{_code(error)}: {message}" if message else _code(error)
