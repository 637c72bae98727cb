"""Airflow options a project sets in farflow.toml's `[airflow.options]`, and which container reads each.

One definition for both platforms: the deploy and the local stack render the same options, as
`AIRFLOW__SECTION__KEY` variables, on the containers that read the option's section (READERS). An option
farflow sets itself (OWNED) is refused, naming what decides it, so nothing is overridden silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OptionValue = str | int | float | bool

# Every Airflow container farflow runs, by its spec component name.
ALL_CONTAINERS = frozenset(
    {"api-server", "scheduler", "dag-processor", "triggerer", "worker", "airflow-task", "migration"}
)
_DATABASE_READERS = frozenset({"api-server", "scheduler", "dag-processor", "triggerer", "migration"})

# The sections one kind of process reads, and who reads them. Any other section ([core], [logging],
# [secrets], [email], [operators], providers' sections...) reaches every Airflow container, since tasks and
# the servers alike read it. The api-server also reads [scheduler] and [triggerer] to judge their health.
READERS: Mapping[str, frozenset[str]] = {
    "api": frozenset({"api-server"}),
    "fab": frozenset({"api-server"}),
    "execution_api": frozenset({"api-server"}),
    "api_auth": frozenset({"api-server", "scheduler", "worker"}),
    "scheduler": frozenset({"scheduler", "api-server"}),
    "ecs_fargate": frozenset({"scheduler"}),
    "dag_processor": frozenset({"dag-processor"}),
    "triggerer": frozenset({"triggerer", "api-server"}),
    "edge": frozenset({"api-server", "scheduler", "worker"}),
    "database": _DATABASE_READERS,
}

_SECRETS = "farflow's generated secrets (Secrets Manager on AWS, the state folder locally)"
_LOCAL = "the local stack (farflow local up)"

# The options farflow sets itself, and what decides each: a farflow.toml key where there is one. A test
# checks that every AIRFLOW__ variable either platform renders is here.
OWNED: Mapping[str, str] = {
    "core.dags_folder": "farflow (the project's dags/ folder)",
    "core.load_examples": "farflow (no example DAGs)",
    "core.executor": "[worker] enabled (farflow's executor, and the Edge executor behind 'worker')",
    "core.execution_api_server_url": "farflow (the api-server's address inside the stack)",
    "core.auth_manager": "farflow (FAB on AWS, the simple auth manager locally)",
    "core.fernet_key": _SECRETS,
    "api_auth.jwt_secret": _SECRETS,
    "api.secret_key": _SECRETS,
    "api.base_url": "[load_balancer] domain_name",
    "database.sql_alchemy_conn": "[database] (the RDS secret)",
    "database.sql_alchemy_conn_async": "[database] (the RDS secret)",
    "database.sql_alchemy_connect_args_async": "[database] (TLS to RDS)",
    "database.sql_alchemy_max_overflow": "farflow (the api-server's pool outnumbers its threads: apache/airflow#66493)",
    "logging.remote_logging": "[logs] (task logs in CloudWatch)",
    "logging.remote_base_log_folder": "[logs] (task logs in CloudWatch)",
    "ecs_fargate.region": "[project] region",
    "ecs_fargate.cluster": "[project] name",
    "ecs_fargate.container_name": "farflow (the Airflow task definition's container)",
    "ecs_fargate.task_definition": "[airflow] task_cpu and task_memory",
    "ecs_fargate.subnets": "[network] nat_gateways",
    "ecs_fargate.security_groups": "farflow (the tasks' security group)",
    "ecs_fargate.assign_public_ip": "[network] nat_gateways",
    "ecs_fargate.workload_store": "farflow (the workload store bucket)",
    "ecs_fargate.events_queue_url": "farflow (the task events queue)",
    "edge.api_enabled": "[worker] enabled",
    "edge.api_url": "[worker] enabled",
    "edge.drain_timeout_sec": "farflow (a worker drains within ECS's stop timeout)",
    "edge.drain_kill_grace_sec": "farflow (a worker drains within ECS's stop timeout)",
    "fab.cookie_secure": "[load_balancer] certificate_arn",
    "secrets.backend": "[airflow] secrets",
    "secrets.backend_kwargs": "[airflow] secrets",
    "metrics.statsd_on": "[alarms] (Airflow's metrics go to CloudWatch)",
    "metrics.statsd_host": "[alarms] (Airflow's metrics go to CloudWatch)",
    "metrics.statsd_port": "[alarms] (Airflow's metrics go to CloudWatch)",
    "metrics.statsd_prefix": "[alarms] (Airflow's metrics go to CloudWatch)",
    "metrics.metrics_allow_list": "[alarms] (the metrics CloudWatch keeps, each billed)",
    "dag_processor.dag_bundle_config_list": "farflow (the DAG bundle: the stack's DAGs bucket, or dags/ locally)",
    "logging.base_log_folder": _LOCAL,
    "logging.file_task_handler_new_folder_permissions": f"{_LOCAL}: its logs are private",
    "logging.file_task_handler_new_file_permissions": f"{_LOCAL}: its logs are private",
    "dag_processor.dag_bundle_storage_path": _LOCAL,
    "ecs_fargate.endpoint_url": _LOCAL,
    "api.host": _LOCAL,
    "api.port": _LOCAL,
    "core.simple_auth_manager_users": _LOCAL,
    "core.simple_auth_manager_passwords_file": _LOCAL,
}


def env_var(section: str, key: str) -> str:
    """The variable Airflow reads the option from (a dotted section such as common.io becomes COMMON_IO)."""
    return f"AIRFLOW__{section.replace('.', '_').upper()}__{key.upper()}"


@dataclass(frozen=True)
class AirflowOption:
    """One option of `[airflow.options]`, checked: a section and key Airflow has, a value of its type."""

    section: str
    key: str
    value: OptionValue

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    @property
    def env_var(self) -> str:
        return env_var(self.section, self.key)

    @property
    def text(self) -> str:
        """The value as Airflow reads it from the environment (True/False for a boolean)."""
        return str(self.value)

    @property
    def readers(self) -> frozenset[str]:
        return READERS.get(self.section, ALL_CONTAINERS)


def options_environment(component: str, options: Iterable[AirflowOption]) -> dict[str, str]:
    """The variables of the options that `component` (a spec component name) reads."""
    return {option.env_var: option.text for option in options if component in option.readers}
