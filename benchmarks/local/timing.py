"""Where a hop's seconds go, from what Airflow, the endpoint and the task's own log report (pure).

A hop is one farflow-executor task's start after its upstream's end (or after the trigger, for the
first task). Its segments, each the time between two recorded moments:

    upstream end_date (or the trigger) -> queued_when         scheduler: notices, schedules, queues
    queued_when -> RunTask admitted by the endpoint            executor: heartbeat, launcher, RunTask
    admitted -> container process started (forked/spawned)    endpoint: lifecycle, fork or spawn
    started -> "Executing workload" logged by the task         interpreter start, imports, workload parsed
    "Executing workload" -> start_date                         supervisor: API client, fork, first API call

start_date is the time the task's supervisor sent with its first execution-API call (ti.run). Moments
a run did not record (an endpoint without a timeline, a task without that log line) leave their
segments unknown (None) and the next segment spans them.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEGMENTS = ("scheduler", "executor", "endpoint", "interpreter + imports", "supervisor + first API call")
EXECUTING = "Executing workload"


def epoch(value: str | None) -> float | None:
    """An Airflow ISO timestamp as seconds since the epoch."""
    return datetime.fromisoformat(value).timestamp() if value else None


@dataclass(frozen=True)
class Hop:
    """One task's start after what it waited for."""

    task_id: str
    after: str  # the upstream task it waited for last, or "trigger"
    total: float
    segments: Mapping[str, float | None] = field(default_factory=dict)
    forked: bool | None = None  # None: the endpoint reported no timeline


def upstreams(tasks: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """task_id -> its upstream task ids, from the REST API's /dags/{dag_id}/tasks entries."""
    found: dict[str, list[str]] = {str(task["task_id"]): [] for task in tasks}
    for task in tasks:
        for downstream in task.get("downstream_task_ids") or ():
            found.setdefault(str(downstream), []).append(str(task["task_id"]))
    return found


def executing_at(lines: Iterable[Mapping[str, Any]]) -> float | None:
    """When the task logged "Executing workload" (its imports done): the line's own timestamp, else the
    time CloudWatch Logs received it."""
    for event in lines:
        message = str(event.get("message", ""))
        if EXECUTING not in message:
            continue
        try:
            return epoch(json.loads(message)["timestamp"])
        except (ValueError, KeyError, TypeError):
            return float(event["timestamp"]) / 1000
    return None


def hop(
    task_id: str,
    after: str,
    ready_at: float,
    instance: Mapping[str, Any],
    *,
    steps: Mapping[str, float] | None,
    executing: float | None,
) -> Hop | None:
    """The hop of one task instance, from the moment it could start (`ready_at`)."""
    start = epoch(instance.get("start_date"))
    if start is None:
        return None
    steps = steps or {}
    moments = [
        ready_at,
        epoch(instance.get("queued_when")),
        steps.get("admitted"),
        steps.get("started", steps.get("spawned")),
        executing,
        start,
    ]
    segments: dict[str, float | None] = {}
    last = ready_at
    for name, moment in zip(SEGMENTS, moments[1:], strict=True):
        if moment is None:
            segments[name] = None
            continue
        segments[name] = moment - last
        last = moment
    forked = None if not steps else "started" in steps
    return Hop(task_id, after, start - ready_at, segments, forked)


def run_hops(
    instances: Sequence[Mapping[str, Any]],
    graph: Mapping[str, Sequence[str]],
    triggered_at: float,
    *,
    arns: Mapping[str, str],
    timeline: Mapping[str, Mapping[str, float]],
    executing: Mapping[str, float | None],
) -> tuple[list[Hop], list[Hop]]:
    """(farflow-executor hops after an upstream, and the first tasks' hops after the trigger)."""
    by_id = {str(instance["task_id"]): instance for instance in instances}
    after_upstream: list[Hop] = []
    after_trigger: list[Hop] = []
    for task_id, instance in by_id.items():
        arn = arns.get(task_id)
        if arn is None:
            continue  # not on farflow's executor
        ends = [(epoch(by_id[up].get("end_date")), up) for up in graph.get(task_id, ()) if up in by_id]
        known = [(end, up) for end, up in ends if end is not None]
        if graph.get(task_id) and not known:
            continue
        ready_at, after = max(known) if known else (triggered_at, "trigger")
        found = hop(task_id, after, ready_at, instance, steps=timeline.get(arn), executing=executing.get(arn))
        if found is not None:
            (after_upstream if known else after_trigger).append(found)
    return after_upstream, after_trigger


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def segment_medians(hops: Sequence[Hop]) -> dict[str, float | None]:
    """The median of each segment over the hops that recorded it."""
    return {
        name: median([value for item in hops if (value := item.segments.get(name)) is not None])
        for name in SEGMENTS
    }
