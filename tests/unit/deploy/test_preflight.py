"""Preflight: each missing piece gives its own message naming how to get it; nothing stops on the first."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from farflow.deploy.config import DeployConfig, LoadBalancerConfig, ProjectConfig
from farflow.deploy.preflight import (
    BOOTSTRAP_PARAMETER,
    REGION_PROBLEM,
    ProbeError,
    Probes,
    aws_probes,
    bootstrap_version,
    docker_info,
    preflight,
    stack_status,
)
from farflow.deploy.toolkit import NodeSearch
from farflow.local.ports import free_port
from tests.support.preflight_probes import ACCOUNT, NODE, REGION, ready_probes

PROJECT = Path("my-project")


# An address someone has: `farflow init`'s placeholder is one no one has, which deploy refuses.
REACHABLE = LoadBalancerConfig(allowed_cidrs=("100.64.0.7/32",))
# farflow.toml's `region = ""`: the Region comes from the probes (the profile), as these tests want.
PROFILE_REGION = DeployConfig(project=ProjectConfig(region=""), load_balancer=REACHABLE)


def check(probes: Probes, action: str = "deploy", config: DeployConfig | None = None) -> Any:
    return preflight(action, config or PROFILE_REGION, probes, PROJECT)


def never(*args: object) -> Any:
    raise AssertionError("this probe must not be asked")


def test_a_ready_machine_passes_with_the_account_and_region() -> None:
    result = check(ready_probes())
    assert result.ok
    assert (result.node, result.account, result.region) == (NODE, ACCOUNT, REGION)
    assert result.notes == ()


def test_no_node_says_where_to_get_one() -> None:
    tried = ("v18.19.0 at /usr/bin/node (from PATH)",)
    result = check(replace(ready_probes(), node=lambda: NodeSearch(None, tried)))
    (problem,) = result.problems
    assert "Node.js 20 or newer" in problem
    assert "v18.19.0 at /usr/bin/node" in problem
    assert "pip install 'farflow[deploy]'" in problem
    assert "https://nodejs.org" in problem


def test_no_docker_says_to_install_and_start_it() -> None:
    result = check(replace(ready_probes(), docker=lambda: "Cannot connect to the Docker daemon"))
    (problem,) = result.problems
    assert "`docker info` failed (Cannot connect to the Docker daemon)" in problem
    assert "https://docs.docker.com/get-docker/" in problem


@pytest.mark.parametrize("action", ["diff", "destroy", "bootstrap"])
def test_only_deploy_needs_docker_and_a_bootstrap(action: str) -> None:
    result = check(replace(ready_probes(), docker=never, bootstrap_version=never), action)
    assert result.ok


def test_no_region_says_where_to_set_one_and_skips_aws() -> None:
    result = check(replace(ready_probes(), region=lambda: None, account=never))
    assert result.problems == (REGION_PROBLEM,)
    assert "[project] region" in REGION_PROBLEM
    assert "AWS_REGION" in REGION_PROBLEM


def test_the_config_region_wins_over_the_profile() -> None:
    asked: list[str] = []
    probes = replace(ready_probes(), region=never, account=lambda region: asked.append(region) or ACCOUNT)
    result = check(probes, config=DeployConfig(project=ProjectConfig(region="ap-south-1")))
    assert result.region == "ap-south-1"
    assert asked == ["ap-south-1"]


def test_no_credentials_say_how_to_get_them() -> None:
    def refuse(region: str) -> str:
        raise ProbeError("Unable to locate credentials")

    result = check(replace(ready_probes(), account=refuse, bootstrap_version=never))
    (problem,) = result.problems
    assert "No working AWS credentials: Unable to locate credentials" in problem
    assert "aws configure" in problem
    assert "aws sso login" in problem


def test_credentials_for_another_account_are_refused() -> None:
    config = DeployConfig(project=ProjectConfig(account="999999999999"), load_balancer=REACHABLE)
    result = check(replace(ready_probes(), bootstrap_version=never), config=config)
    (problem,) = result.problems
    assert f"credentials are for account {ACCOUNT}" in problem
    assert "[project] account is 999999999999" in problem


def test_an_environment_not_bootstrapped_gets_the_command() -> None:
    result = check(replace(ready_probes(), bootstrap_version=lambda region: None))
    (problem,) = result.problems
    assert f"aws://{ACCOUNT}/{REGION} is not bootstrapped" in problem
    assert f"farflow bootstrap --project {PROJECT}" in problem
    assert f"npx aws-cdk@2.1148.1 bootstrap aws://{ACCOUNT}/{REGION}" in problem


def test_an_old_bootstrap_is_to_be_upgraded() -> None:
    result = check(replace(ready_probes(), bootstrap_version=lambda region: 5))
    (problem,) = result.problems
    assert "bootstrap version 5" in problem
    assert "6 or newer" in problem


def test_a_bootstrap_that_cannot_be_read_is_a_note_not_a_stop() -> None:
    def unknown(region: str) -> int:
        raise ProbeError("AccessDenied: not allowed")

    result = check(replace(ready_probes(), bootstrap_version=unknown))
    assert result.ok
    assert result.notes == (
        f"Could not check that aws://{ACCOUNT}/{REGION} is bootstrapped (AccessDenied: not allowed).",
    )


def test_every_problem_is_listed_at_once() -> None:
    probes = Probes(
        node=lambda: NodeSearch(None, ()),
        docker=lambda: "`docker` is not installed (not on PATH)",
        region=lambda: None,
        account=never,
        bootstrap_version=never,
        stack_status=never,
    )
    assert len(check(probes).problems) == 3


def test_deploy_refuses_the_placeholder_address_with_the_fix() -> None:
    placeholder = replace(PROFILE_REGION, load_balancer=LoadBalancerConfig())
    (problem,) = check(ready_probes(), config=placeholder).problems
    assert problem.startswith(
        f'{PROJECT / "farflow.toml"}: [load_balancer] allowed_cidrs holds ["192.0.2.1/32"]'
    )
    assert 'allowed_cidrs = ["<your address>/32"]' in problem
    assert "https://checkip.amazonaws.com" in problem
    assert check(ready_probes(), "diff", placeholder).ok


def completed(code: int, stderr: str = "") -> Any:
    return lambda *args, **kwargs: subprocess.CompletedProcess(args[0], code, "", stderr)


def test_docker_info_reports_the_last_line_of_its_error() -> None:
    assert docker_info(completed(0)) is None
    error = "Client: ...\nCannot connect to the Docker daemon at unix:///var/run/docker.sock.\n"
    assert (
        docker_info(completed(1, error))
        == "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."
    )


def test_docker_info_uses_cdk_docker_and_names_a_missing_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_DOCKER", "finch")
    seen: list[list[str]] = []

    def missing(command: list[str], **kwargs: Any) -> Any:
        seen.append(command)
        raise FileNotFoundError(command[0])

    assert docker_info(missing) == "`finch` is not installed (not on PATH)"
    assert seen == [["finch", "info"]]


def client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


class FakeSsm:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def get_parameter(self, Name: str) -> Any:
        assert Name == BOOTSTRAP_PARAMETER
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Parameter": {"Value": self.answer}}


class FakeCloudFormation:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def describe_stacks(self, StackName: str) -> Any:
        assert StackName == "CDKToolkit"
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Stacks": [{"Outputs": [{"OutputKey": "BootstrapVersion", "OutputValue": self.answer}]}]}


def test_the_bootstrap_version_comes_from_ssm_then_the_stack() -> None:
    assert bootstrap_version(FakeSsm("28"), FakeCloudFormation(never)) == 28
    assert bootstrap_version(FakeSsm(client_error("ParameterNotFound")), FakeCloudFormation(never)) is None
    denied = FakeSsm(client_error("AccessDeniedException", "no ssm"))
    assert bootstrap_version(denied, FakeCloudFormation("27")) == 27
    gone = client_error("ValidationError", "Stack with id CDKToolkit does not exist")
    assert bootstrap_version(denied, FakeCloudFormation(gone)) is None
    with pytest.raises(ProbeError, match="AccessDeniedException: no ssm; AccessDenied: no cfn"):
        bootstrap_version(denied, FakeCloudFormation(client_error("AccessDenied", "no cfn")))


def test_real_boto3_without_credentials_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    with pytest.raises(ProbeError, match="Unable to locate credentials"):
        aws_probes().account("us-east-1")


def test_the_region_is_read_as_the_toolkit_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert aws_probes().region() == "ap-south-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    assert aws_probes().region() == "eu-north-1"


@pytest.mark.parametrize(
    ("status", "first"),
    [
        (None, True),
        ("CREATE_FAILED", True),
        ("ROLLBACK_COMPLETE", True),
        ("CREATE_COMPLETE", False),
        ("UPDATE_COMPLETE", False),
        ("UPDATE_ROLLBACK_COMPLETE", False),
    ],
)
def test_a_deploy_knows_whether_the_stack_was_ever_created(status: str | None, first: bool) -> None:
    asked: list[tuple[str, str]] = []

    def stack_status(region: str, name: str) -> str | None:
        asked.append((region, name))
        return status

    result = check(replace(ready_probes(), stack_status=stack_status))
    assert result.ok
    assert result.first_deploy is first
    assert asked == [(REGION, "farflow")]


def test_a_stack_state_that_cannot_be_read_is_a_note_and_the_deploy_rolls_back() -> None:
    def unknown(region: str, name: str) -> str | None:
        raise ProbeError("AccessDenied: no cloudformation:DescribeStacks")

    result = check(replace(ready_probes(), stack_status=unknown))
    assert result.ok
    assert not result.first_deploy
    assert result.notes == (
        "Could not read the state of stack farflow (AccessDenied: no cloudformation:DescribeStacks); if it "
        "fails, the deploy rolls back.",
    )


@pytest.mark.parametrize("action", ["diff", "destroy", "bootstrap"])
def test_only_deploy_asks_for_the_stack(action: str) -> None:
    result = check(replace(ready_probes(), stack_status=never), action=action)
    assert result.ok
    assert not result.first_deploy


def test_the_stack_status_is_read_from_cloudformation() -> None:
    """DescribeStacks through boto3 against moto: a stack's status, None for no stack of that name."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        assert stack_status(cloudformation, "farflow") is None
        template = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'
        cloudformation.create_stack(StackName="farflow", TemplateBody=template)
        assert stack_status(cloudformation, "farflow") == "CREATE_COMPLETE"
    denied = FakeCloudFormation(client_error("AccessDenied", "no cfn"))
    with pytest.raises(ProbeError, match="AccessDenied: no cfn"):
        stack_status(denied, "CDKToolkit")


def test_no_network_is_named_as_such_not_blamed_on_the_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Credentials that would do, and an AWS that cannot be reached (a closed loopback port).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    probes = replace(ready_probes(), account=aws_probes(f"http://127.0.0.1:{free_port()}").account)
    result = check(
        probes, config=DeployConfig(project=ProjectConfig(region="eu-west-1"), load_balancer=REACHABLE)
    )
    (problem,) = result.problems
    assert problem.startswith("Cannot reach AWS in eu-west-1: Could not connect to the endpoint URL")
    assert "network" in problem
    assert "No working AWS credentials" not in problem
