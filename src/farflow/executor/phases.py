"""Where an ECS task's time went, phase by phase, from ECS's own timestamps: a pure function, and its one
text form (kept in the task's "ecs task stopped" event, read back by `farflow cost` and the UI plugin).

ECS stamps a task as it moves (DescribeTasks `Task`, and the "ECS Task State Change" event's detail;
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html): `createdAt` (the task was
created), `pullStartedAt` / `pullStoppedAt` (its first and last image pull), `startedAt` (it moved to
RUNNING), `stoppingAt` (it began to stop), `executionStoppedAt` (its essential container exited) and
`stoppedAt` (it reached STOPPED). The phases are the gaps between them, in that order:

- queued: Airflow queued the task -> ECS answered RunTask (farflow's share: rate limit, request, call);
  measured on the scheduler's clock, unknown for a task this scheduler adopted;
- provisioning: createdAt -> pullStartedAt (capacity, network interface);
- pull: pullStartedAt -> pullStoppedAt (the container images);
- start: pullStoppedAt -> startedAt (containers created and started);
- run: startedAt -> the earlier of stoppingAt and executionStoppedAt (the Airflow task itself);
- stop: that -> stoppedAt (SIGTERM, the stop timeout, the network interface released).

A task that stopped before reaching a stamp (a failed pull, a Spot interruption while provisioning) has
the phase it was in end where its stopping began, and no later phases but `stop`. Clocks are ECS's for all
phases but `queued`; a negative gap (stamps of one second apart rounded differently) counts as zero.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from farflow.executor.timestamps import timestamp

QUEUED = "queued"
PHASES = (QUEUED, "provisioning", "pull", "start", "run", "stop")
"""Every phase, in order."""
STARTING = PHASES[: PHASES.index("run")]
"""The phases before the task's own work: their sum is its start latency."""

# (phase, ECS stamp that begins it): each phase ends where the next present stamp begins.
_STAMPS = (
    ("provisioning", "createdAt"),
    ("pull", "pullStartedAt"),
    ("start", "pullStoppedAt"),
    ("run", "startedAt"),
)


def _stopping(task: Mapping[str, Any]) -> datetime | None:
    moments = [timestamp(task.get(key)) for key in ("stoppingAt", "executionStoppedAt")]
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


def _seconds(begin: datetime, end: datetime) -> float:
    return round(max(0.0, (end - begin).total_seconds()), 3)


def task_phases(task: Mapping[str, Any], queued_seconds: float | None = None) -> dict[str, float]:
    """Seconds per phase (in PHASES order) of a task as DescribeTasks or its event shows it; a phase not
    reached, or still under way, is absent. `queued_seconds`: farflow's share, None when not known."""
    phases: dict[str, float] = {}
    if queued_seconds is not None:
        phases[QUEUED] = round(max(0.0, queued_seconds), 3)
    stopping, stopped = _stopping(task), timestamp(task.get("stoppedAt"))
    marks = [(name, timestamp(task.get(key))) for name, key in _STAMPS]
    reached = [(name, moment) for name, moment in marks if moment is not None]
    if stopping is None and stopped is not None:
        stopping = stopped
    for index, (name, begin) in enumerate(reached):
        end = reached[index + 1][1] if index + 1 < len(reached) else stopping
        if end is None:
            break  # under way
        phases[name] = _seconds(begin, end)
    if stopping is not None and stopped is not None:
        phases["stop"] = _seconds(stopping, stopped)
    return phases


def start_latency(phases: Mapping[str, float]) -> float | None:
    """Seconds from Airflow's queueing to the container running; None for a task that never ran."""
    if "run" not in phases:
        return None
    return round(sum(phases.get(name, 0.0) for name in STARTING), 3)


# --- the text in the task event ------------------------------------------------------------------------

_PHASE = re.compile(r"\b(?P<name>" + "|".join(PHASES) + r") (?P<seconds>\d+(?:\.\d+)?) s\b")
_PHASES = re.compile(r"\bphases: (?P<list>[^;]*)")


def describe(phases: Mapping[str, float]) -> str:
    """`phases: queued 0.210 s, provisioning 31.402 s, pull 8.100 s, start 1.000 s, run 12.300 s, stop 2.000 s`."""
    listed = ", ".join(f"{name} {phases[name]:.3f} s" for name in PHASES if name in phases)
    return f"phases: {listed or 'none'}"


def read_phases(text: str) -> dict[str, float]:
    """The phases `describe` wrote into a task event's text (empty when there are none)."""
    match = _PHASES.search(text or "")
    if not match:
        return {}
    return {found["name"]: float(found["seconds"]) for found in _PHASE.finditer(match["list"])}
