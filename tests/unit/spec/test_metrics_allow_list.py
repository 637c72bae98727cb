"""The metrics allow list as the installed Airflow applies it: Airflow 3 searches each entry as a regular
expression anywhere in the metric name (re.findall in its PatternAllowListValidator), so the entries are
anchored, or a name that only contains one (and every name CloudWatch keeps is billed) would pass."""

from __future__ import annotations

import pytest
from airflow._shared.observability.metrics.validators import get_validator

from farflow.spec.airflow_options import env_var
from farflow.spec.metrics import OLDEST_QUEUED, SCHEDULER_HEARTBEAT, STATSD_PREFIX, statsd_settings


def _allowed(name: str) -> bool:
    """Whether Airflow's StatsD logger would send the stat `name` (before its prefix) with our settings."""
    return get_validator(statsd_settings()[env_var("metrics", "metrics_allow_list")]).test(name)


@pytest.mark.parametrize(
    "name",
    [
        SCHEDULER_HEARTBEAT.removeprefix(f"{STATSD_PREFIX}."),
        OLDEST_QUEUED.removeprefix(f"{STATSD_PREFIX}."),
        "triggerer_heartbeat",
        "executor.open_slots",
        "executor.running_tasks.EcsFargateExecutor",
        "ecs_fargate.launches",
        "pool.open_slots.default_pool",
        "dag_processing.total_parse_time",
        "dag_processing.import_errors",
        "dagbag_size",
        "ti_failures",
        "ti_successes",
        "triggers.running",
    ],
)
def test_the_names_the_alarms_and_dashboard_use_pass(name: str) -> None:
    assert _allowed(name)


@pytest.mark.parametrize(
    "name",
    [
        "foo.executor.bar",
        "dag.my_dag.ecs_fargate.x",
        "scheduler_heartbeat_extra",
        "old_scheduler_heartbeat",
        "dag_processing.total_parse_time_x",
        "dag_processing_total_parse_time",
        "dagbag_sizes",
        "my.pool.open_slots",
        # The legacy per-host name: one new CloudWatch metric (and its monthly charge) per triggerer task.
        "triggers.running.ip-10-0-1-23.ec2.internal",
        "ti.finish.my_dag.my_task.success",
    ],
)
def test_names_that_only_contain_an_entry_do_not(name: str) -> None:
    assert not _allowed(name)
