"""What both executors need on the endpoint: the same network, cluster and Airflow task definition that
`farflow local up` seeds (farflow.local.seed), so the benchmark runs against the product's own setup."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from benchmarks.launch.env import REGION
from farflow.local.layout import DEFAULT_NAMES
from farflow.local.seed import airflow_task_definition, seed_network


@dataclass(frozen=True)
class Seeded:
    url: str
    subnet: str
    security_group: str
    workload_store: str  # s3://bucket/prefix/ with its own KMS key, as `farflow local up` seeds it
    cluster: str = DEFAULT_NAMES.cluster
    task_definition: str = DEFAULT_NAMES.airflow_family
    container: str = DEFAULT_NAMES.airflow_container


def seed(url: str) -> Seeded:
    network = seed_network(url, REGION)
    boto3.client("ecs", endpoint_url=url, region_name=REGION).register_task_definition(
        **airflow_task_definition({}, REGION)
    )
    return Seeded(url, network.subnets[0], network.security_groups[0], network.workload_store)
