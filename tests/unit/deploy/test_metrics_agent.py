"""The CloudWatch agent's StatsD configuration keeps Airflow's dotted metric names."""

from __future__ import annotations

import json

from farflow.deploy.metrics_agent import agent_config


def test_the_agent_joins_statsd_names_with_dots_as_the_alarms_read_them() -> None:
    """Without metric_separator the agent's statsd input joins name parts with "_", so CloudWatch would
    get airflow_scheduler_heartbeat while the alarms read airflow.scheduler_heartbeat."""
    statsd = json.loads(agent_config("farflow/Airflow", "eu-west-1"))["metrics"]["metrics_collected"][
        "statsd"
    ]
    assert statsd["metric_separator"] == "."
