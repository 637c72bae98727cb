"""The executors under test, each configured by environment variables against one endpoint."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benchmarks.launch.env import REGION
from benchmarks.launch.seed import Seeded


@dataclass(frozen=True)
class ExecutorSpec:
    name: str
    label: str  # short, for the table
    import_path: str
    distribution: str  # whose version the report names
    # The Amazon executor's end() waits for every ECS task to stop; with tasks that never stop
    # (execute=False) it would wait forever. It has no threads, so leaving it is a clean stop.
    call_end: bool = True

    def create(self, seeded: Seeded, parallelism: int) -> Any:
        """Point this executor at `seeded` (through its config section) and construct it."""
        os.environ.update(self.environment(seeded))
        module, _, cls = self.import_path.rpartition(".")
        return getattr(importlib.import_module(module), cls)(parallelism=parallelism)

    def describe(self) -> str:
        """'farflow: farflow.executor.EcsFargateExecutor (farflow 0.1.0)'."""
        try:
            version = importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        return f"{self.label}: `{self.import_path}` ({self.distribution} {version})"

    def stop(self, executor: Any) -> None:
        if self.call_end:
            executor.end()

    def environment(self, seeded: Seeded) -> Mapping[str, str]:
        return ENVIRONMENTS[self.name](seeded)


def _farflow(seeded: Seeded) -> dict[str, str]:
    prefix = "AIRFLOW__ECS_FARGATE__"
    return {
        f"{prefix}REGION": REGION,
        f"{prefix}CLUSTER": seeded.cluster,
        f"{prefix}CONTAINER_NAME": seeded.container,
        f"{prefix}TASK_DEFINITION": seeded.task_definition,
        f"{prefix}LAUNCH_TYPE": "FARGATE",
        f"{prefix}SUBNETS": seeded.subnet,
        f"{prefix}SECURITY_GROUPS": seeded.security_group,
        f"{prefix}ENDPOINT_URL": seeded.url,
        f"{prefix}CHECK_HEALTH_ON_STARTUP": "True",
        f"{prefix}WORKLOAD_STORE": "",  # cells share the process environment: unset what farflow+store set
    }


def _amazon(seeded: Seeded) -> dict[str, str]:
    prefix = "AIRFLOW__AWS_ECS_EXECUTOR__"
    connection = {"conn_type": "aws", "extra": {"endpoint_url": seeded.url, "region_name": REGION}}
    return {
        f"{prefix}REGION_NAME": REGION,
        f"{prefix}CLUSTER": seeded.cluster,
        f"{prefix}CONTAINER_NAME": seeded.container,
        f"{prefix}TASK_DEFINITION": seeded.task_definition,
        f"{prefix}LAUNCH_TYPE": "FARGATE",
        f"{prefix}SUBNETS": seeded.subnet,
        f"{prefix}SECURITY_GROUPS": seeded.security_group,
        f"{prefix}CHECK_HEALTH_ON_STARTUP": "True",
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
    }


def _farflow_store(seeded: Seeded) -> dict[str, str]:
    """farflow with [ecs_fargate] workload_store: each launch also writes its workload to S3."""
    return {**_farflow(seeded), "AIRFLOW__ECS_FARGATE__WORKLOAD_STORE": seeded.workload_store}


ENVIRONMENTS = {"farflow": _farflow, "farflow-store": _farflow_store, "amazon": _amazon}

EXECUTORS: dict[str, ExecutorSpec] = {
    "farflow": ExecutorSpec("farflow", "farflow", "farflow.executor.EcsFargateExecutor", "farflow"),
    "farflow-store": ExecutorSpec(
        "farflow-store", "farflow+store", "farflow.executor.EcsFargateExecutor", "farflow"
    ),
    "amazon": ExecutorSpec(
        "amazon",
        "Amazon",
        "airflow.providers.amazon.aws.executors.ecs.ecs_executor.AwsEcsExecutor",
        "apache-airflow-providers-amazon",
        call_end=False,
    ),
}
