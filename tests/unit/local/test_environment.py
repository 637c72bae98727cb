"""The environment every local process gets: built by pure functions, checked here key by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.local.environment import (
    StackConfigError,
    airflow_task_env,
    check_database_url,
    check_executor_settings,
    component_environment,
    task_base_env,
)
from farflow.spec import DAG_VARIABLES
from tests.support.layouts import SECRETS, SEEDED
from tests.support.layouts import example_layout as layout


def test_dag_variables_are_the_documented_names(tmp_path: Path) -> None:
    env = component_environment("dag-processor", {}, layout(tmp_path), SEEDED, SECRETS)
    variables = {key: value for key, value in env.items() if key.startswith("FARFLOW_")}
    assert set(variables) == set(DAG_VARIABLES) | {"FARFLOW_LOCAL_STACK"}
    assert variables["FARFLOW_SUBNETS"] == "subnet-1,subnet-2"
    assert variables["FARFLOW_SECURITY_GROUPS"] == "sg-1"
    assert variables["FARFLOW_CLUSTER"] == "farflow"


def test_components_share_secrets_and_talk_to_the_local_endpoint(tmp_path: Path) -> None:
    inherited = {"PATH": "/bin", "AWS_PROFILE": "prod", "AWS_SECRET_ACCESS_KEY": "real", "AIRFLOW_HOME": "/x"}
    env = component_environment("scheduler", inherited, layout(tmp_path), SEEDED, SECRETS)
    assert env["PATH"] == "/bin"
    assert "AWS_PROFILE" not in env
    assert env["AWS_SECRET_ACCESS_KEY"] == "farflow-local"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5555"
    assert env["AIRFLOW__ECS_FARGATE__ENDPOINT_URL"] == "http://127.0.0.1:5555"
    assert env["AIRFLOW_HOME"] == str(tmp_path / ".farflow/airflow")
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "jwt"
    assert env["AIRFLOW__API__SECRET_KEY"] == "key"
    assert env["AIRFLOW__CORE__FERNET_KEY"] == "fernet"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "farflow.executor.EcsFargateExecutor,worker:LocalExecutor"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8123/execution/"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__ECS_FARGATE__SUBNETS"] == "subnet-1,subnet-2"
    assert "pw" not in env.values()  # the password lives in the passwords file only


def test_task_processes_get_airflow_settings_and_dag_names_but_nothing_inherited(tmp_path: Path) -> None:
    env = airflow_task_env(layout(tmp_path), SEEDED, SECRETS)
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8123/execution/"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(tmp_path / "dags")
    assert "AIRFLOW__API_AUTH__JWT_SECRET" not in env
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env
    assert env["FARFLOW_SUBNETS"] == "subnet-1,subnet-2"
    assert "PATH" not in env
    assert not any(key.startswith("AWS_") for key in env)


def test_task_base_env_keeps_only_the_basics() -> None:
    assert task_base_env({"PATH": "/bin", "HOME": "/root", "AWS_PROFILE": "prod", "SECRET": "x"}, "id1") == {
        "PATH": "/bin",
        "HOME": "/root",
        "FARFLOW_LOCAL_STACK": "id1",
    }


def test_database_urls() -> None:
    assert check_database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert check_database_url("postgresql+psycopg2://postgres@127.0.0.1/farflow").startswith("postgresql")
    with pytest.raises(StackConfigError, match="--database-url"):
        check_database_url("mysql://root@localhost/airflow")


def test_a_bad_ecs_fargate_value_from_the_shell_is_named_before_the_scheduler_starts() -> None:
    """As the executor itself would say it; what the stack sets (cluster, region, ...) cannot be at fault."""
    check_executor_settings({"AIRFLOW__ECS_FARGATE__CLUSTER": "", "PATH": "/bin"})
    with pytest.raises(StackConfigError) as caught:
        check_executor_settings({"AIRFLOW__ECS_FARGATE__LAUNCH_TYPE": "EC3"})
    message = str(caught.value)
    assert message.startswith(
        "[ecs_fargate] launch_type (environment variable AIRFLOW__ECS_FARGATE__LAUNCH_TYPE) is 'EC3'; "
        "use FARGATE or EC2."
    )
    assert message.endswith("It is set in your shell's environment: fix or unset it.")


@pytest.mark.parametrize("url", ["sqlite:///airflow.db", "sqlite://", "sqlite:///:memory:"])
def test_a_sqlite_url_must_name_an_absolute_file(url: str) -> None:
    with pytest.raises(StackConfigError, match=r"not name an absolute file path.*sqlite:////"):
        check_database_url(url)
    assert check_database_url("sqlite:////tmp/x/airflow.db") == "sqlite:////tmp/x/airflow.db"
