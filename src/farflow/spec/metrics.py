"""Airflow's metrics on AWS: StatsD to a CloudWatch agent beside each service, and the names alarms read.

StatsD, not OpenTelemetry: it is Airflow's default metrics path, the CloudWatch agent listens for it
itself (no collector to configure), and the agent is one small non-essential sidecar per service task,
inside the task's existing Fargate size. OpenTelemetry would need the ADOT collector with its own
pipeline configuration for the same CloudWatch metrics. Only the services get the agent: Airflow tasks
run one per ECS task, and a sidecar in each would add its start-up to every task. farflow's own metrics
(`ecs_fargate.*`: launches, throttles, capacity waits, cost, the oldest queued task's age) go through
Airflow's Stats from the executor in the scheduler, so they travel the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from farflow.spec.airflow_options import AirflowOption, env_var
from farflow.spec.names import Names

# Airflow's StatsD client needs this package (Airflow's `statsd` extra); the image's Dockerfile installs it.
STATSD_REQUIREMENT = "statsd>=3.3.0"
STATSD_PORT = 8125
STATSD_PREFIX = "airflow"
# Where the agent publishes: one namespace per stack.
SERVICES_WITH_AGENT = frozenset({"api-server", "scheduler", "dag-processor", "triggerer"})
# What reaches CloudWatch (each metric name costs per month): the heartbeats, the executors' and pools'
# gauges, parsing, task outcomes and farflow's executor metrics. Airflow 3 searches each entry as a regular
# expression anywhere in the stat's name, which has no `airflow.` prefix yet (re.findall in its
# PatternAllowListValidator, airflow/_shared/observability/metrics/validators.py), so each is anchored: `^...\.` keeps a family,
# `^...$` one name (triggers.running, not its legacy per-host triggers.running.<hostname>, which would add
# a billed metric per triggerer task). Entries cannot hold a comma: Airflow splits the list on commas.
ALLOWED = (
    r"^scheduler_heartbeat$",
    r"^triggerer_heartbeat$",
    r"^executor\.",
    r"^ecs_fargate\.",
    r"^pool\.",
    r"^dag_processing\.total_parse_time$",
    r"^dag_processing\.import_errors$",
    r"^dagbag_size$",
    r"^ti_failures$",
    r"^ti_successes$",
    r"^triggers\.running$",
)
# Airflow's default [scheduler] task_queued_timeout (a test checks it against the installed Airflow).
DEFAULT_TASK_QUEUED_TIMEOUT = 600.0
SCHEDULER_HEARTBEAT = f"{STATSD_PREFIX}.scheduler_heartbeat"
OLDEST_QUEUED = f"{STATSD_PREFIX}.ecs_fargate.oldest_queued_seconds"


def task_queued_timeout(options: Iterable[AirflowOption]) -> float:
    """[scheduler] task_queued_timeout as the project sets it, else Airflow's default."""
    for option in options:
        if option.name == "scheduler.task_queued_timeout":
            return float(option.value)
    return DEFAULT_TASK_QUEUED_TIMEOUT


def namespace(names: Names) -> str:
    return f"{names.prefix}/Airflow"


def statsd_settings() -> dict[str, str]:
    """`[metrics]` for a service whose task runs the agent: StatsD to it on the task's loopback."""
    return {
        env_var("metrics", "statsd_on"): "True",
        env_var("metrics", "statsd_host"): "127.0.0.1",
        env_var("metrics", "statsd_port"): str(STATSD_PORT),
        env_var("metrics", "statsd_prefix"): STATSD_PREFIX,
        env_var("metrics", "metrics_allow_list"): ",".join(ALLOWED),
    }
