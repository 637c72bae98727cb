"""Preflight's real boto3 probes against moto's server: STS names the account, SSM the bootstrap version."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from farflow.deploy.config import DeployConfig, LoadBalancerConfig
from farflow.deploy.preflight import BOOTSTRAP_PARAMETER, aws_probes, preflight
from farflow.deploy.toolkit import NodeSearch
from tests.support.preflight_probes import NODE

REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto's backends are per process, not per server: start from an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        yield url
    finally:
        server.stop()


def test_account_and_bootstrap_version_come_from_aws(endpoint: str) -> None:
    probes = aws_probes(endpoint_url=endpoint)
    assert probes.account(REGION) == MOTO_ACCOUNT
    assert probes.bootstrap_version(REGION) is None
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=endpoint)
    ssm.put_parameter(Name=BOOTSTRAP_PARAMETER, Value="21", Type="String")
    assert probes.bootstrap_version(REGION) == 21


def test_preflight_on_real_aws_answers_finds_the_missing_bootstrap(endpoint: str) -> None:
    machine = {"node": lambda: NodeSearch(NODE, ()), "docker": lambda: None, "region": lambda: REGION}
    probes = replace(aws_probes(endpoint_url=endpoint), **machine)
    # An address of one's own in allowed_cidrs: the placeholder `farflow init` writes is refused too.
    config = DeployConfig(load_balancer=LoadBalancerConfig(allowed_cidrs=("100.64.0.7/32",)))
    result = preflight("deploy", config, probes, Path("my-project"))
    assert result.account == MOTO_ACCOUNT
    (problem,) = result.problems
    assert f"aws://{MOTO_ACCOUNT}/{REGION} is not bootstrapped" in problem
    assert "farflow bootstrap --project my-project" in problem
