"""The environment of every local process, built by pure functions from one `StackLayout`.

Three audiences: Airflow's components (api-server, scheduler, dag-processor, triggerer), Airflow task
processes that the local ECS endpoint starts from the Airflow task definition, and the sample DAG, which
reads the FARFLOW_* names that a deployment on AWS sets the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from farflow.local.state import ADMIN_USER, Secrets, StateDir

CLUSTER = "farflow"
AIRFLOW_FAMILY = "farflow-airflow"
AIRFLOW_CONTAINER = "airflow"
AIRFLOW_IMAGE = "farflow/airflow:local"
TASK_DEFINITION_PREFIX = "farflow-"
TASK_LOG_GROUP = "/farflow/tasks"
AIRFLOW_LOG_GROUP = "/farflow/airflow"
EXECUTORS = "farflow.executor.EcsFargateExecutor,LocalExecutor"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "farflow-local", "AWS_SECRET_ACCESS_KEY": "farflow-local"}

# Names the sample DAG reads; documented in docs/local.md and set the same way by `farflow deploy`.
DAG_VARIABLES = (
    "FARFLOW_CLUSTER",
    "FARFLOW_SUBNETS",
    "FARFLOW_SECURITY_GROUPS",
    "FARFLOW_TASK_DEFINITION_PREFIX",
    "FARFLOW_LOG_GROUP",
    "FARFLOW_WAITER_DELAY",
)

# Fast loops for one machine: a task should start within a second or two of being ready, not five.
LOCAL_TUNING: Mapping[str, str] = {
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.25",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "30",
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
    "AIRFLOW__DAG_PROCESSOR__STALE_DAG_THRESHOLD": "30",
    "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "300",
    "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "5",
    "AIRFLOW__ECS_FARGATE__POLL_INTERVAL": "0.5",
    "FARFLOW_WAITER_DELAY": "1",
}

# Every process the stack starts carries this variable (the value is one stack's id), so stop() can find
# and end even processes that left their parent's process group, session and tree.
STACK_MARKER = "FARFLOW_LOCAL_STACK"

# What a task process may inherit from the user's shell: programs, modules and a locale, no more. (Tasks
# run in this Python environment, so they see the modules it sees.)
INHERITED_BY_TASKS = (
    "PATH",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
)


class StackConfigError(ValueError):
    """A setting of the local stack is unusable; the message names it and the fix."""


@dataclass(frozen=True)
class Network:
    """What the seed created on the endpoint: the names the executor and the DAG need."""

    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    cluster: str = CLUSTER


@dataclass(frozen=True)
class StackLayout:
    """Where everything is: project, state, ports, database, endpoint."""

    project: Path
    state: StateDir
    api_port: int
    endpoint_url: str
    database_url: str
    region: str = "us-east-1"
    stack_id: str = "farflow"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.api_port}"

    @property
    def dags_folder(self) -> Path:
        return self.project / "dags"


def default_database_url(state: StateDir) -> str:
    return f"sqlite:///{state.database}"


def check_database_url(url: str) -> str:
    """Accept SQLite and PostgreSQL URLs (what the local stack is tested with); name the fix otherwise."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite" or scheme.startswith("postgresql"):
        return url
    raise StackConfigError(
        f"The database URL's scheme {scheme!r} is not supported locally. Use sqlite:////absolute/path.db or "
        "postgresql+psycopg2://USER@127.0.0.1:5432/DBNAME (--database-url or FARFLOW_DATABASE_URL)."
    )


def dag_variables(network: Network) -> dict[str, str]:
    """The FARFLOW_* names the sample DAG reads."""
    return {
        "FARFLOW_CLUSTER": network.cluster,
        "FARFLOW_SUBNETS": ",".join(network.subnets),
        "FARFLOW_SECURITY_GROUPS": ",".join(network.security_groups),
        "FARFLOW_TASK_DEFINITION_PREFIX": TASK_DEFINITION_PREFIX,
        "FARFLOW_LOG_GROUP": TASK_LOG_GROUP,
        "FARFLOW_WAITER_DELAY": LOCAL_TUNING["FARFLOW_WAITER_DELAY"],
    }


def airflow_settings(layout: StackLayout, shared: Secrets) -> dict[str, str]:
    """Airflow configuration shared by components and task processes: no airflow.cfg needed."""
    state = layout.state
    return {
        "AIRFLOW_HOME": str(state.airflow_home),
        "AIRFLOW_CONFIG": str(state.airflow_config),
        "AIRFLOW__CORE__DAGS_FOLDER": str(layout.dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": EXECUTORS,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{layout.api_url}/execution/",
        "AIRFLOW__CORE__FERNET_KEY": shared.fernet_key,
        "AIRFLOW__API_AUTH__JWT_SECRET": shared.jwt_secret,
        "AIRFLOW__API__SECRET_KEY": shared.secret_key,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": layout.database_url,
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(state.task_logs),
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH": str(state.airflow_home / "dag_bundles"),
        "PYTHONUNBUFFERED": "1",
    }


def executor_settings(layout: StackLayout, network: Network) -> dict[str, str]:
    """`[ecs_fargate]` for the scheduler: farflow's executor against the local endpoint."""
    return {
        "AIRFLOW__ECS_FARGATE__REGION": layout.region,
        "AIRFLOW__ECS_FARGATE__CLUSTER": network.cluster,
        "AIRFLOW__ECS_FARGATE__CONTAINER_NAME": AIRFLOW_CONTAINER,
        "AIRFLOW__ECS_FARGATE__TASK_DEFINITION": AIRFLOW_FAMILY,
        "AIRFLOW__ECS_FARGATE__LAUNCH_TYPE": "FARGATE",
        "AIRFLOW__ECS_FARGATE__SUBNETS": ",".join(network.subnets),
        "AIRFLOW__ECS_FARGATE__SECURITY_GROUPS": ",".join(network.security_groups),
        "AIRFLOW__ECS_FARGATE__ENDPOINT_URL": layout.endpoint_url,
    }


def aws_settings(layout: StackLayout) -> dict[str, str]:
    """Point every AWS client at the local endpoint with dummy keys, so nothing can reach real AWS."""
    return {
        "AWS_ENDPOINT_URL": layout.endpoint_url,
        "AWS_DEFAULT_REGION": layout.region,
        "AWS_REGION": layout.region,
        **DUMMY_CREDENTIALS,
    }


def component_env(
    inherited: Mapping[str, str], layout: StackLayout, network: Network, shared: Secrets
) -> dict[str, str]:
    """Environment of api-server, scheduler, dag-processor and triggerer.

    The user's shell is kept (their own AIRFLOW__* tuning included) except AWS credentials and profile
    settings, which could otherwise send a local run to a real account; ours override the rest.
    """
    kept = {
        key: value
        for key, value in inherited.items()
        if not key.startswith("AWS_") and key not in {"AIRFLOW_HOME", "AIRFLOW_CONFIG"}
    }
    return {
        **kept,
        **LOCAL_TUNING,
        **airflow_settings(layout, shared),
        **executor_settings(layout, network),
        **dag_variables(network),
        **aws_settings(layout),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(layout.api_port),
        "AIRFLOW__API__BASE_URL": layout.ui_url,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(layout.state.passwords_file),
        STACK_MARKER: layout.stack_id,
    }


def airflow_task_env(layout: StackLayout, network: Network, shared: Secrets) -> dict[str, str]:
    """The Airflow task definition's environment: what `execute_workload` needs, nothing inherited.

    The endpoint adds AWS_ENDPOINT_URL, the region and dummy keys itself.
    """
    return {
        **airflow_settings(layout, shared),
        **dag_variables(network),
    }


def task_base_env(inherited: Mapping[str, str], stack_id: str) -> dict[str, str]:
    """What every ECS task process starts from (the endpoint's base_env): a few basics and the marker."""
    kept = {key: inherited[key] for key in INHERITED_BY_TASKS if key in inherited}
    return {**kept, STACK_MARKER: stack_id}
