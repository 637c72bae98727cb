"""What the background threads tell the scheduler thread. Only the scheduler thread changes Airflow state."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from farflow.executor.outcomes import LaunchVerdict


@dataclass(frozen=True)
class Launched:
    key: Hashable
    arn: str
    latency: float  # seconds from queue_workload to RunTask's answer
    workload_reference: str | None = (
        None  # the workload object's URL (with a workload store), deleted if revoked
    )


@dataclass(frozen=True)
class LaunchFailed:
    key: Hashable
    verdict: LaunchVerdict
    reason: str


@dataclass(frozen=True)
class Rejected:
    """The task's executor_config cannot make a valid RunTask request; nothing was sent to AWS."""

    key: Hashable
    reason: str


@dataclass(frozen=True)
class LaunchRetried:
    """A launch is waiting for another try; counted in metrics, never against the task."""

    key: Hashable
    verdict: LaunchVerdict
    reason: str
    throttled: bool  # AWS said to slow down (one of spec.run_task_errors.THROTTLE_CODES): the launcher halved its rate


@dataclass(frozen=True)
class PhaseChanged:
    arn: str
    phase: str  # "pending" | "running" | "stopped"
    task: Mapping[str, Any]


@dataclass(frozen=True)
class TaskMissing:
    arn: str


Message = Launched | LaunchFailed | Rejected | LaunchRetried | PhaseChanged | TaskMissing
