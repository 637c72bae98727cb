"""The CloudWatch agent beside each Airflow service: it takes Airflow's StatsD on the task's loopback and
publishes it to the stack's namespace (why StatsD and a sidecar: farflow.spec.metrics).

The agent is not essential: if it stops, Airflow keeps running and only its metrics pause (the heartbeat
alarm then says so). It runs inside the service task's existing Fargate size, so it adds no Fargate
cost; CloudWatch bills each metric name it publishes and its PutMetricData calls.
"""

from __future__ import annotations

import json

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs

from farflow.spec.metrics import STATSD_PORT

# A released tag of the agent's public image, pinned so a deploy never changes it unasked.
AGENT_IMAGE = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304"
AGENT_CONTAINER = "cloudwatch-agent"
# What the agent may hold of the task's memory before Airflow's container is squeezed.
AGENT_MEMORY_MIB = 64


def agent_config(namespace: str, region: str) -> str:
    """The agent's configuration (CW_CONFIG_CONTENT): StatsD in, one-minute points out, no host dimension,
    so the metrics of several tasks of one service (count = 2) add up to one series.

    metric_separator "." keeps Airflow's dotted names (airflow.scheduler_heartbeat, which the alarms read):
    the agent's default joins them with "_" ("Retrieve custom metrics with StatsD", Amazon CloudWatch
    User Guide: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-custom-metrics-statsd.html).
    """
    statsd = {
        "service_address": f"127.0.0.1:{STATSD_PORT}",
        "metric_separator": ".",
        "metrics_collection_interval": 60,
        "metrics_aggregation_interval": 60,
    }
    config = {
        "agent": {"region": region, "omit_hostname": True},
        "metrics": {"namespace": namespace, "metrics_collected": {"statsd": statsd}},
    }
    return json.dumps(config, sort_keys=True)


def add_metrics_agent(
    task_definition: ecs.TaskDefinition, namespace: str, region: str, log_group: logs.ILogGroup
) -> ecs.ContainerDefinition:
    """Add the agent to `task_definition`; its task role may put metrics into `namespace` only (the
    spec's `Metrics` policy, farflow.spec.iam)."""
    container = task_definition.add_container(
        AGENT_CONTAINER,
        container_name=AGENT_CONTAINER,
        image=ecs.ContainerImage.from_registry(AGENT_IMAGE),
        essential=False,
        memory_reservation_mib=AGENT_MEMORY_MIB,
        environment={"CW_CONFIG_CONTENT": agent_config(namespace, region)},
        logging=ecs.LogDrivers.aws_logs(stream_prefix=AGENT_CONTAINER, log_group=log_group),
    )
    return container
