"""What both executors need on the endpoint: the same network, cluster and Airflow task definition that
`farflow local up` seeds (farflow.local.seed), so the benchmark runs against the product's own setup."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from benchmarks.launch.env import REGION
from farflow.local.environment import AIRFLOW_CONTAINER, AIRFLOW_FAMILY, CLUSTER
from farflow.local.seed import airflow_task_definition, seed_network


@dataclass(frozen=True)
class Seeded:
    url: str
    subnet: str
    security_group: str
    cluster: str = CLUSTER
    task_definition: str = AIRFLOW_FAMILY
    container: str = AIRFLOW_CONTAINER


def seed(url: str) -> Seeded:
    network = seed_network(url, REGION)
    boto3.client("ecs", endpoint_url=url, region_name=REGION).register_task_definition(
        **airflow_task_definition({}, REGION)
    )
    return Seeded(url, network.subnets[0], network.security_groups[0])
