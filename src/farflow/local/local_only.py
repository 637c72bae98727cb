"""Everything the local stack sets that a deployed container does not get, in one place.

A deployed container gets exactly its spec's settings and secrets (`farflow.spec`). A local process gets
those plus, at most, the keys in `LOCAL_ONLY`: paths on this disk, the loopback endpoint and its dummy
keys, faster loops for one machine, the UI's address and login, and the stack marker. A test compares
the two renderings per component and allows only these keys to differ, so any other difference is drift.
"""

from __future__ import annotations

from collections.abc import Mapping

from farflow.local.layout import StackLayout
from farflow.local.state import PRIVATE_FILE, PRIVATE_FOLDER
from farflow.spec.ui_user import ADMIN_USER

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
    # A lost (or fault-injected) event delays a task's end by at most this, not the default two minutes.
    "AIRFLOW__ECS_FARGATE__RECONCILE_INTERVAL": "15",
}

# What keeps runs right on one machine that restarts components and is often overloaded (every ECS task
# is a Python process importing Airflow).
RESILIENCE_TUNING: Mapping[str, str] = {
    # After farflow restarts a scheduler that died, the new one takes over the old one's queued and
    # running tasks once the old one's heartbeat is older than the health threshold; it looks every 15 s
    # instead of every 5 minutes, so a task the dead scheduler had queued waits well under a minute.
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "15",
    # A starved api-server can take tens of seconds to answer a task's first call (PATCH .../run). With
    # Airflow's 5 s the task gives up on a call the server then carries out, retries, is refused (400:
    # the task is already running) and fails; seen with ten DAGs at once on a loaded 2-core machine.
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
}

DUMMY_CREDENTIALS: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "farflow-local",
    "AWS_SECRET_ACCESS_KEY": "farflow-local",
}

# Airflow's task and DAG-parsing logs on this disk are the user's alone, like the rest of the state folder
# (Airflow's defaults, 0o775 and 0o664, let the group write for impersonation, which runs nothing here).
PRIVATE_LOGS: Mapping[str, str] = {
    "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": oct(PRIVATE_FOLDER),
    "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": oct(PRIVATE_FILE),
}

# Every process the stack starts carries this variable (the value is one stack's id), so stop() can find
# and end even processes that left their parent's process group, session and tree.
STACK_MARKER = "FARFLOW_LOCAL_STACK"

LOCAL_ONLY: frozenset[str] = frozenset(
    {
        *LOCAL_TUNING,
        *RESILIENCE_TUNING,
        *DUMMY_CREDENTIALS,
        # Airflow's home, config file and folders on this disk (on AWS: the image's defaults).
        "AIRFLOW_HOME",
        "AIRFLOW_CONFIG",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
        *PRIVATE_LOGS,
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH",
        # The loopback endpoint (on AWS: the Region's endpoints and the task role).
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AIRFLOW__ECS_FARGATE__ENDPOINT_URL",
        # The UI on 127.0.0.1 and its one user (on AWS: behind the load balancer).
        "AIRFLOW__API__HOST",
        "AIRFLOW__API__PORT",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
        STACK_MARKER,
    }
)


def home_settings(layout: StackLayout) -> dict[str, str]:
    """Airflow's home and folders under `<project>/.farflow`; the placeholder config keeps Airflow from
    writing one full of generated secrets."""
    state = layout.state
    return {
        "AIRFLOW_HOME": str(state.airflow_home),
        "AIRFLOW_CONFIG": str(state.airflow_config),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(state.task_logs),
        **PRIVATE_LOGS,
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH": str(state.airflow_home / "dag_bundles"),
    }


def aws_settings(layout: StackLayout) -> dict[str, str]:
    """Point every AWS client at the local endpoint with dummy keys, so nothing can reach real AWS."""
    return {
        "AWS_ENDPOINT_URL": layout.endpoint_url,
        "AWS_DEFAULT_REGION": layout.region,
        "AWS_REGION": layout.region,
        **DUMMY_CREDENTIALS,
    }


def component_extras(layout: StackLayout) -> dict[str, str]:
    """What every local component gets on top of its spec: one machine, one disk, one loopback endpoint."""
    return {
        **LOCAL_TUNING,
        **RESILIENCE_TUNING,
        **home_settings(layout),
        **aws_settings(layout),
        "AIRFLOW__ECS_FARGATE__ENDPOINT_URL": layout.endpoint_url,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(layout.api_port),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(layout.state.passwords_file),
        STACK_MARKER: layout.stack_id,
    }


def task_extras(layout: StackLayout) -> dict[str, str]:
    """What the local Airflow task definition adds to its spec (the endpoint adds its URL and keys)."""
    return {**RESILIENCE_TUNING, **home_settings(layout)}
