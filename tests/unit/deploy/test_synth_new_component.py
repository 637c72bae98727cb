"""A new row of `farflow.spec.components.TABLE` is a new service, task definition, task role and
farflow.toml table on AWS, with no deploy code naming it (tests.support.extra_component)."""

from __future__ import annotations

import pytest

from farflow.deploy.config import ScaledService
from farflow.deploy.config_file import DeployConfigError, parse, render_default
from farflow.spec import Component
from tests.support.deploy import REGION, synthesized
from tests.support.extra_component import EXTRA, extra_component

__all__ = ["extra_component"]  # the fixture, used by name

WATCHDOG_TOML = f"""
[project]
region = "{REGION}"
[airflow]
secrets = "secrets-manager"
[airflow.watchdog]
cpu = 512
memory = 1024
count = 2
"""


def test_farflow_toml_knows_a_new_components_table(extra_component: Component) -> None:
    config = parse(WATCHDOG_TOML)
    assert config.airflow.size(extra_component) == ScaledService(512, 1024, count=2)
    written = "\n# A watchdog that exists only in tests.\n[airflow.watchdog]\ncpu = 256\nmemory = 512\n# Watchdogs.\ncount = 1\n"
    assert written in render_default()
    with pytest.raises(DeployConfigError, match=r"\[airflow.watchdog\] cpu = 256, memory = 4096"):
        parse("[airflow.watchdog]\nmemory = 4096\n")


def test_farflow_toml_refuses_it_without_its_row() -> None:
    with pytest.raises(DeployConfigError, match=r"\[airflow\] watchdog is not a key of \[airflow\]"):
        parse(WATCHDOG_TOML)


def test_the_stack_runs_a_new_component_as_its_own_service(
    extra_component: Component, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stack = synthesized(tmp_path_factory, "extra-component", parse(WATCHDOG_TOML))
    _, task_definition = stack.task_definition_of(EXTRA.name)
    assert task_definition["Properties"]["Cpu"] == "512"
    assert task_definition["Properties"]["Memory"] == "1024"
    container = task_definition["Properties"]["ContainerDefinitions"][0]
    assert container["Command"] == list(EXTRA.command)
    _, service = stack.service_of(EXTRA.name)
    assert service["Properties"]["DesiredCount"] == 2
    role = stack.role_of(EXTRA.name)
    assert stack.resources[role]["Type"] == "AWS::IAM::Role"
    # Its role is one of the long-running components' roles: the secrets backend's readers include it.
    assert [policy["PolicyName"] for policy in stack.policies_of(role)] == [
        stack.resources[key]["Properties"]["PolicyName"]
        for key in stack.of_type("AWS::IAM::Policy")
        if key.startswith("PermissionsSecretsRead")
    ]
