"""One definition, two renderings: per component, the local stack and the deployed container get the
same settings and secrets, and the same fixed values; only declared platform-specific keys differ.

Local: `farflow.local.environment` (minus `LOCAL_ONLY`). AWS: the synthesized template's container
environment and ECS secrets (minus `AwsEnvironment.aws_only_settings`). The database URL arrives
differently by design (locally the URL, on AWS the RDS secret's JSON plus `sql_alchemy_conn_cmd`), so
it is compared as the one Airflow key it configures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from farflow.database_url import SECRET_VARIABLE
from farflow.deploy.environment import DATABASE_URL_COMMAND, AwsEnvironment, PlatformValues
from farflow.local.environment import airflow_task_env, component_environment
from farflow.local.local_only import LOCAL_ONLY
from farflow.spec import AIRFLOW_TASK, CAPACITY_PROVIDERS, COMPONENTS, Component, Names, Secret
from tests.support.deploy import Synthesized
from tests.support.layouts import SECRETS, SEEDED, example_layout

SHARED = (*COMPONENTS, AIRFLOW_TASK)
DATABASE_KEY = Secret.DATABASE_URL.env_var
DATABASE_COMMAND_KEY = f"{DATABASE_KEY}_CMD"
PLACEHOLDERS = PlatformValues(
    region="r",
    internal_api_url="u",
    ui_url="u",
    trusted_proxies="t",
    subnets=(),
    security_groups=(),
    assign_public_ip=False,
    remote_log_group_arn="a",
    workload_store="s",
    events_queue_url="q",
)


def local_environment(component: Component, project: Path) -> dict[str, str]:
    layout = example_layout(project)
    if component == AIRFLOW_TASK:
        return airflow_task_env(layout, SEEDED, SECRETS)
    return component_environment(component, {}, layout, SEEDED, SECRETS)


def container_name(component: Component) -> str:
    return Names().airflow_container if component == AIRFLOW_TASK else component.name


def deployed(component: Component, stack: Synthesized) -> tuple[dict[str, Any], set[str]]:
    """The container's plain environment (name -> value) and the names of its ECS secrets."""
    container = stack.containers()[container_name(component)]
    environment = {item["Name"]: item["Value"] for item in container.get("Environment", [])}
    secrets = {item["Name"] for item in container.get("Secrets", [])}
    return environment, secrets


def aws_only(component: Component) -> set[str]:
    return set(AwsEnvironment(Names(), PLACEHOLDERS).aws_only_settings(component))


@pytest.mark.parametrize("component", SHARED, ids=lambda component: component.name)
def test_both_platforms_give_a_component_the_same_keys(
    component: Component, stack: Synthesized, tmp_path: Path
) -> None:
    local_keys = set(local_environment(component, tmp_path)) - LOCAL_ONLY
    environment, secrets = deployed(component, stack)
    deployed_keys = (set(environment) | secrets) - aws_only(component)
    if SECRET_VARIABLE in deployed_keys:
        # The RDS secret's JSON, which Airflow reads through sql_alchemy_conn_cmd: the database URL.
        assert environment.get(DATABASE_COMMAND_KEY) == DATABASE_URL_COMMAND
        deployed_keys = (deployed_keys - {SECRET_VARIABLE}) | {DATABASE_KEY}
    assert local_keys == deployed_keys


@pytest.mark.parametrize("component", SHARED, ids=lambda component: component.name)
def test_secrets_are_secrets_on_both_platforms(component: Component, stack: Synthesized) -> None:
    """What the spec calls a secret is an ECS secret on AWS, never a plain value."""
    environment, secrets = deployed(component, stack)
    expected = {
        SECRET_VARIABLE if secret is Secret.DATABASE_URL else secret.env_var for secret in component.secrets
    }
    assert secrets == expected
    assert not expected & set(environment)


@pytest.mark.parametrize("component", SHARED, ids=lambda component: component.name)
def test_fixed_values_are_equal(component: Component, stack: Synthesized, tmp_path: Path) -> None:
    """Settings the spec fixes (no slot) have the same value on both platforms."""
    local = local_environment(component, tmp_path)
    environment, _ = deployed(component, stack)
    fixed = [setting for setting in component.settings if not setting.slots]
    assert fixed
    for setting in fixed:
        assert local[setting.name] == environment[setting.name] == setting.value


def test_the_deployed_cluster_has_the_capacity_providers_the_local_one_has(stack: Synthesized) -> None:
    """Spot DAGs that run locally must find FARGATE_SPOT on AWS too (ECS refuses an unassociated one)."""
    _, association = stack.one("AWS::ECS::ClusterCapacityProviderAssociations")
    _, cluster = stack.one("AWS::ECS::Cluster")
    assert tuple(association["Properties"]["CapacityProviders"]) == CAPACITY_PROVIDERS
    assert association["Properties"]["Cluster"] == {"Ref": next(iter(stack.of_type("AWS::ECS::Cluster")))}
    assert cluster["Properties"]["ClusterName"] == Names().cluster
