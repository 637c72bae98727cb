"""One mode of the tracking benchmark: a fresh endpoint process, farflow's executor configured for the
mode (polling, or events with or without faults), N tasks."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from benchmarks.launch.endpoint import EndpointProcess
from benchmarks.launch.env import REGION
from benchmarks.launch.executors import EXECUTORS
from benchmarks.launch.seed import seed
from benchmarks.tracking.drive import Pacing, drive
from benchmarks.tracking.metrics import Result, summarise
from farflow.local.layout import DEFAULT_NAMES
from farflow.spec import events_queue_shape

# Launching is not what this benchmark measures: let the executor launch as fast as the endpoint goes.
LAUNCH = {"RUN_TASK_RATE": "500", "RUN_TASK_BURST": "500", "LAUNCH_CONCURRENCY": "16"}
FAULTS = {"event_drop_rate": 0.05, "event_duplicate_rate": 0.05, "event_reorder_rate": 0.05, "seed": 7}


@dataclass(frozen=True)
class Mode:
    name: str
    events: bool
    faults: Mapping[str, Any] = field(default_factory=dict)


MODES = {
    "polling": Mode("polling", events=False),
    "events": Mode("events", events=True),
    "faults": Mode("events, 5% lost, duplicated, reordered", events=True, faults=FAULTS),
}


def _events_queue(url: str, events: bool) -> str:
    """With events, the seeded queue's URL; without, no rule either (the endpoint then publishes nothing)."""
    shape = events_queue_shape(DEFAULT_NAMES)
    if not events:
        rules = boto3.client("events", endpoint_url=url, region_name=REGION)
        targets = rules.list_targets_by_rule(Rule=shape.rule_name)["Targets"]
        rules.remove_targets(Rule=shape.rule_name, Ids=[target["Id"] for target in targets])
        rules.delete_rule(Name=shape.rule_name)
        return ""
    sqs = boto3.client("sqs", endpoint_url=url, region_name=REGION)
    return str(sqs.get_queue_url(QueueName=shape.queue_name)["QueueUrl"])


def run_mode(mode: Mode, n: int, pacing: Pacing, reconcile_interval: float) -> Result:
    from tests.support.workloads import make_workload

    spec = EXECUTORS["farflow"]
    with EndpointProcess(0, module="benchmarks.tracking.endpoint") as endpoint:
        seeded = seed(endpoint.url)
        settings = {
            **LAUNCH,
            "EVENTS_QUEUE_URL": _events_queue(endpoint.url, mode.events),
            "RECONCILE_INTERVAL": str(reconcile_interval),
        }
        os.environ.update({f"AIRFLOW__ECS_FARGATE__{key}": value for key, value in settings.items()})
        if mode.faults:
            endpoint.ask(f"faults {json.dumps(dict(mode.faults))}")
        executor = spec.create(seeded, parallelism=max(n, 32))
        workloads = [make_workload(f"task_{index:05d}") for index in range(n)]
        samples = drive(executor, workloads, pacing, endpoint.ask)
    return summarise(mode.name, samples)
