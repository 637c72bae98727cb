"""The deploy refuses a project whose processes can open more database connections than its RDS class
allows by default (farflow.deploy.connection_budget)."""

from __future__ import annotations

from dataclasses import replace

from farflow.deploy.config import DeployConfig, ScaledService
from farflow.deploy.config_rules import problems
from farflow.deploy.connection_budget import RESERVED, connection_ceiling, connection_problems
from farflow.deploy.database_connections import max_connections
from farflow.spec.airflow_options import AirflowOption

DEFAULT = DeployConfig()


def on(instance_class: str, config: DeployConfig = DEFAULT) -> DeployConfig:
    return replace(config, database=replace(config.database, instance_class=instance_class))


def counts(api_servers: int, schedulers: int) -> DeployConfig:
    airflow = DEFAULT.airflow.with_sizes(
        api_server=ScaledService(1024, 2048, api_servers), scheduler=ScaledService(1024, 2048, schedulers)
    )
    return replace(DEFAULT, airflow=airflow)


def test_the_defaults_fit_the_default_class_with_the_api_servers_pool() -> None:
    # 60 (api-server) + 15 each for the scheduler, dag-processor, triggerer and migration
    assert connection_ceiling(DEFAULT) == 120
    assert connection_ceiling(DEFAULT) <= max_connections(DEFAULT.database.instance_class) - RESERVED
    assert connection_problems(DEFAULT) == []


def test_two_api_servers_and_two_schedulers_fit_the_default_class() -> None:
    assert connection_ceiling(counts(2, 2)) == 195
    assert connection_problems(counts(2, 2)) == []


def test_a_class_too_small_is_refused_naming_the_key_and_a_class_that_fits() -> None:
    [problem] = connection_problems(on("t4g.micro"))
    assert problem.startswith('[database] instance_class = "t4g.micro" allows about 98 connections')
    assert "up to 120" in problem and '"t4g.small" allows 199' in problem
    assert problem in problems(on("t4g.micro"))  # the rules refuse it before synth
    assert connection_problems(on("db.t4g.micro"))  # with RDS's "db." as without


def test_three_api_servers_are_refused_on_the_default_class() -> None:
    [problem] = connection_problems(counts(3, 1))
    assert "up to 240" in problem and '"t4g.medium"' in problem


def test_a_pool_size_from_airflow_options_counts_for_every_process() -> None:
    options = (AirflowOption("database", "sql_alchemy_pool_size", 10),)
    config = replace(DEFAULT, airflow=replace(DEFAULT.airflow, options=options))
    assert connection_ceiling(config) == 65 + 4 * 20


def test_a_class_whose_name_says_no_memory_is_not_refused() -> None:
    assert connection_problems(on("r6g.metal")) == []
