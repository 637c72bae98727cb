"""A local ECS endpoint with a seeded cluster, and a factory for executors pointed at it."""

from __future__ import annotations

import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from farflow.local.endpoint import FaultSettings, ImageResolver, LocalEcsEndpoint
from farflow.local.environment import AIRFLOW_CONTAINER, AIRFLOW_FAMILY, CLUSTER
from farflow.local.layout import DEFAULT_NAMES
from farflow.local.roles import find_resources, seed_roles
from farflow.local.seed import seed_network, seed_task_definitions
from farflow.spec import events_queue_shape
from tests.support.polling import wait_until

FAKE_TASK = Path(__file__).with_name("fake_task.py")
REGION = "us-east-1"
TASK_DEFINITION = AIRFLOW_FAMILY
CONTAINER = AIRFLOW_CONTAINER


@dataclass
class Seeded:
    url: str
    subnet: str
    security_group: str
    workload_store: str  # s3://bucket/prefix/, encrypted with its own KMS key, as the local stack seeds it

    def ecs(self) -> Any:
        return self.client("ecs")

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=REGION)  # type: ignore[call-overload]

    def events_queue_url(self) -> str:
        """The task events queue the seed created (with its rule), for `events_queue_url`."""
        sqs = boto3.client("sqs", endpoint_url=self.url, region_name="us-east-1")
        return str(sqs.get_queue_url(QueueName=events_queue_shape(DEFAULT_NAMES).queue_name)["QueueUrl"])


def _shim(tmp: Path) -> Path:
    """The 'python' of the Airflow image: runs fake_task.py with whatever arguments the task got."""
    shim = tmp / "python"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_TASK}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return shim


def seed(url: str) -> Seeded:
    """The network, cluster and Airflow task definition that `farflow local up` seeds."""
    network = seed_network(url, REGION)
    cluster_arn = boto3.client("ecs", endpoint_url=url, region_name=REGION).describe_clusters(
        clusters=[network.cluster]
    )["clusters"][0]["clusterArn"]
    resources = find_resources(url, REGION, cluster_arn, network.workload_store, DEFAULT_NAMES)
    # The task runs as the Airflow task role, which reads and deletes its own workloads (no task role
    # would leave it without credentials, as on Fargate).
    roles = seed_roles(url, resources, DEFAULT_NAMES, [])
    seed_task_definitions(url, REGION, {}, Path("/nonexistent"), DEFAULT_NAMES, task_roles=roles.task_roles)
    return Seeded(url, network.subnets[0], network.security_groups[0], network.workload_store)


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[LocalEcsEndpoint]:
    local = LocalEcsEndpoint(
        faults=FaultSettings(), images=ImageResolver(project_dir=tmp_path, python=str(_shim(tmp_path)))
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def seeded(endpoint: LocalEcsEndpoint) -> Seeded:
    return seed(endpoint.url)


@dataclass
class Driver:
    """Drives an executor the way the scheduler does: heartbeat in a loop, collecting its events."""

    executor: Any
    events: dict[Any, list[tuple[str, Any]]] = field(default_factory=dict)

    def beat(self) -> None:
        self.executor.heartbeat()
        for key, (state, info) in self.executor.get_event_buffer().items():
            self.events.setdefault(key, []).append((str(state), info))

    def until(self, done: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
        wait_until(done, what=what, timeout=timeout, step=self.beat, detail=lambda: f"events: {self.events}")

    def final_state(self, key: Any) -> str | None:
        finals = [state for state, _ in self.events.get(key, []) if state in {"success", "failed"}]
        return finals[-1] if finals else None

    def wait_final(self, key: Any, timeout: float = 30.0) -> str:
        self.until(lambda: self.final_state(key) is not None, timeout, f"{key} to finish")
        state = self.final_state(key)
        assert state is not None
        return state

    def arn(self, key: Any) -> str | None:
        arns = [info for state, info in self.events.get(key, []) if state == "running"]
        return arns[-1] if arns else None

    def task_events(self, key: Any) -> list[tuple[str, str]]:
        return [
            (log.event, log.extra) for log in self.executor._task_event_logs if log.task_id == key.task_id
        ]


@pytest.fixture
def make_executor(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Driver]]:
    started: list[Any] = []

    def factory(start: bool = True, **options: Any) -> Driver:
        from farflow.executor import EcsFargateExecutor

        config = {
            "region": "us-east-1",
            "cluster": CLUSTER,
            "container_name": CONTAINER,
            "task_definition": TASK_DEFINITION,
            "subnets": seeded.subnet,
            "security_groups": seeded.security_group,
            "endpoint_url": seeded.url,
            "poll_interval": "0.2",
            "capacity_retry_seconds": "600",
        } | {name: str(value) for name, value in options.items()}
        for name, value in config.items():
            monkeypatch.setenv(f"AIRFLOW__ECS_FARGATE__{name.upper()}", value)
        executor = EcsFargateExecutor(parallelism=64)
        if start:
            executor.start()
        started.append(executor)
        return Driver(executor)

    yield factory
    for executor in started:
        executor.end()
