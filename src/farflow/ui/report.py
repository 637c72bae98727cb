"""What the plugin shows, from the executor's task events: pure functions over farflow.cost_report's
EcsTaskEvent, so the numbers are the ones `farflow cost` adds up."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from farflow.cost_report import EcsTaskEvent
from farflow.executor.phases import start_latency

CONSOLE = "https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/tasks/{task}/configuration?region={region}"


def run_report(events: Iterable[EcsTaskEvent]) -> dict[str, Any]:
    """`GET /farflow/api/runs/{dag_id}/{run_id}`: every ECS task of one run (relaunched tries too), in the
    order they stopped, and the run's total Fargate cost."""
    ordered = sorted(events, key=lambda event: event.when)
    tasks = [
        {
            "task_id": event.task_id,
            "map_index": event.map_index,
            "try_number": event.try_number,
            "ecs_task_id": event.ecs_task_id,
            "phases": dict(event.phases),
            "stop_code": event.stop_code,
            "exit_code": event.exit_code,
            "cost_usd": event.usd,
        }
        for event in ordered
    ]
    return {"cost_usd": round(sum(event.usd or 0.0 for event in ordered), 6), "tasks": tasks}


@dataclass(frozen=True)
class RunPoint:
    """One DAG run on the per-DAG chart."""

    run_id: str
    first_stop: str  # ISO time of its first ECS task's end: the chart's order
    cost_usd: float
    median_start_seconds: float | None  # over its ECS tasks that ran; None if none did
    ecs_tasks: int


def dag_series(events: Iterable[EcsTaskEvent]) -> list[RunPoint]:
    """Per run of one DAG, oldest first: its Fargate cost and the median start latency of its ECS tasks."""
    runs: defaultdict[str, list[EcsTaskEvent]] = defaultdict(list)
    for event in events:
        if event.run_id is not None:
            runs[event.run_id].append(event)
    points = []
    for run_id, members in runs.items():
        latencies = [value for event in members if (value := start_latency(event.phases)) is not None]
        points.append(
            RunPoint(
                run_id=run_id,
                first_stop=min(event.when for event in members).isoformat(),
                cost_usd=round(sum(event.usd or 0.0 for event in members), 6),
                median_start_seconds=round(statistics.median(latencies), 3) if latencies else None,
                ecs_tasks=len(members),
            )
        )
    return sorted(points, key=lambda point: point.first_stop)


def console_url(arn: str) -> str | None:
    """The ECS console page of the task an ARN names (arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "ecs" or not parts[5].startswith("task/"):
        return None
    path = parts[5].split("/")
    if len(path) != 3:
        return None
    return CONSOLE.format(region=parts[3], cluster=quote(path[1]), task=quote(path[2]))
