"""The AWS rendering of the spec: every slot filled, extras in one place, secrets never plain."""

from __future__ import annotations

from dataclasses import replace

import pytest

from farflow.deploy.environment import (
    DATABASE_URL_COMMAND,
    EDGE_API_PATH,
    AwsEnvironment,
    PlatformValues,
)
from farflow.spec import (
    AIRFLOW_TASK,
    API_SERVER,
    MIGRATION,
    SCHEDULER,
    SERVICES,
    WORKER,
    Component,
    Names,
    Secret,
    Slot,
)
from tests.support.spec_settings import setting_names

VALUES = PlatformValues(
    region="eu-west-1",
    internal_api_url="http://api-server.demo.internal:8080",
    ui_url="https://airflow.example.com",
    trusted_proxies="10.0.0.0/22,10.0.4.0/22",  # the public subnets of a 10.0.0.0/16
    subnets=("subnet-a", "subnet-b"),
    security_groups=("sg-tasks",),
    assign_public_ip=False,
    remote_log_group_arn="arn:aws:logs:eu-west-1:123456789012:log-group:/demo/airflow-task-logs",
    workload_store="s3://demo-workloads-123456789012-eu-west-1/workloads/",
    events_queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/demo-task-events",
)
ENVIRONMENT = AwsEnvironment(Names("demo"), VALUES)
ALL = (*SERVICES, AIRFLOW_TASK, MIGRATION)


def test_every_slot_is_filled() -> None:
    assert set(ENVIRONMENT.slots) == set(Slot)


def test_names_come_from_the_prefix() -> None:
    slots = ENVIRONMENT.slots
    assert slots[Slot.CLUSTER] == "demo"
    assert slots[Slot.AIRFLOW_TASK_DEFINITION] == "demo-airflow"
    assert slots[Slot.TASK_DEFINITION_PREFIX] == "demo-"
    assert slots[Slot.SUBNETS] == "subnet-a,subnet-b"
    assert slots[Slot.REMOTE_LOG_FOLDER] == f"cloudwatch://{VALUES.remote_log_group_arn}"


def test_the_scheduler_can_be_pinned_to_one_revision() -> None:
    arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo-airflow:42"
    pinned = ENVIRONMENT.pinned_to(arn)
    assert pinned.slots[Slot.AIRFLOW_TASK_DEFINITION] == arn
    assert pinned.for_component(SCHEDULER)["AIRFLOW__ECS_FARGATE__TASK_DEFINITION"] == arn
    assert ENVIRONMENT.slots[Slot.AIRFLOW_TASK_DEFINITION] == "demo-airflow"  # the original is unchanged


@pytest.mark.parametrize("component", ALL, ids=lambda c: c.name)
def test_extras_never_redefine_the_spec_or_carry_a_secret(component: Component) -> None:
    extras = ENVIRONMENT.aws_only_settings(component)
    assert not set(extras) & setting_names(component)
    assert not set(extras) & {secret.env_var for secret in Secret}
    environment = ENVIRONMENT.for_component(component)
    assert set(environment) == setting_names(component) | set(extras)


def test_database_command_only_where_the_database_is() -> None:
    holders = {
        c.name for c in ALL if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD" in ENVIRONMENT.for_component(c)
    }
    assert holders == {c.name for c in ALL if Secret.DATABASE_URL in c.secrets}
    api_server = ENVIRONMENT.for_component(API_SERVER)
    assert {key: value for key, value in api_server.items() if key.startswith("AIRFLOW__DATABASE__")} == {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": DATABASE_URL_COMMAND,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC_CMD": f"{DATABASE_URL_COMMAND} --async",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": "farflow.database_tls.ASYNC_CONNECT_ARGS",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "55",  # spec.components.API_SERVER_POOL
    }
    holders_async = {
        c.name for c in ALL if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC_CMD" in ENVIRONMENT.for_component(c)
    }
    assert holders_async == holders


def test_edge_api_on_the_api_server_and_its_url_on_workers() -> None:
    assert ENVIRONMENT.for_component(API_SERVER)["AIRFLOW__EDGE__API_ENABLED"] == "True"
    assert ENVIRONMENT.for_component(WORKER)["AIRFLOW__EDGE__API_URL"] == (
        f"{VALUES.internal_api_url}{EDGE_API_PATH}"
    )
    assert ENVIRONMENT.for_component(WORKER)["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
        f"{VALUES.internal_api_url}/execution/"
    )


def test_a_secret_smuggled_into_the_spec_is_refused() -> None:
    from farflow.spec import Setting

    leaky = Component("leaky", ("x",), (Setting(Secret.FERNET_KEY.env_var, "oops"),), frozenset(), False)
    with pytest.raises(ValueError, match="FERNET_KEY"):
        ENVIRONMENT.for_component(leaky)


def test_the_api_server_reads_forwarded_headers_from_the_load_balancers_subnets_only() -> None:
    assert AwsEnvironment.command(API_SERVER) == (*API_SERVER.command, "--proxy-headers")
    assert all(AwsEnvironment.command(c) == c.command for c in ALL if c != API_SERVER)
    extras = ENVIRONMENT.aws_only_settings(API_SERVER)
    assert extras["FORWARDED_ALLOW_IPS"] == "10.0.0.0/22,10.0.4.0/22"
    assert extras["AIRFLOW__FAB__COOKIE_SECURE"] == "True"
    plain = AwsEnvironment(Names("demo"), replace(VALUES, ui_url="http://lb.example"))
    assert plain.aws_only_settings(API_SERVER)["AIRFLOW__FAB__COOKIE_SECURE"] == "False"
    assert not {"FORWARDED_ALLOW_IPS", "AIRFLOW__FAB__COOKIE_SECURE"} & set(
        ENVIRONMENT.aws_only_settings(WORKER)
    )
