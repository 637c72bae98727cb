"""When each task the endpoint launched reached each step, and which containers started: for benchmarks and
the tests that count duplicate launches.

The lifecycle thread (runtime.py) marks the steps; readers get copies. Both records are bounded, so a long
run keeps the newest TIMELINE_SIZE tasks and STARTS_SIZE container starts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

TIMELINE_SIZE = 10_000  # tasks whose timestamps `steps()` keeps
STARTS_SIZE = 100_000  # container starts `started_containers()` keeps


@dataclass
class Steps:
    """When a task reached each step (time.time()), and which of its containers were forked."""

    times: dict[str, float] = field(default_factory=dict)
    forked: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StartedContainer:
    """One essential container whose process started: the endpoint's own count of code that ran, which
    tests hold against duplicate launches. The task's tags say whose it was (farflow's executor tags each
    task with the Airflow task instance and try)."""

    task_arn: str
    container: str
    tags: Mapping[str, str]
    started_at: float  # time.time()


class Timeline:
    """The last TIMELINE_SIZE tasks' steps by ARN, and the last STARTS_SIZE container starts."""

    def __init__(self) -> None:
        self._steps: dict[str, Steps] = {}
        self._starts: deque[StartedContainer] = deque(maxlen=STARTS_SIZE)
        self._lock = threading.Lock()

    def mark(self, arn: str, steps: Steps, step: str, forked: str | None = None) -> None:
        """Record the first time task `arn` reached `step` (and a container forked for it) in `steps`."""
        with self._lock:
            steps.times.setdefault(step, time.time())
            if forked is not None:
                steps.forked.append(forked)
            if arn not in self._steps:
                if len(self._steps) >= TIMELINE_SIZE:
                    del self._steps[next(iter(self._steps))]
                self._steps[arn] = steps

    def record_start(self, arn: str, container: str, tags: Mapping[str, str]) -> None:
        with self._lock:
            self._starts.append(StartedContainer(arn, container, tags, time.time()))

    def steps(self) -> dict[str, Steps]:
        """Per task ARN: the wall-clock time (time.time()) it was admitted, became pending, was launched,
        its containers started, it became running, its first container exited, it became stopped; and
        which of its containers were forked from a warm interpreter."""
        with self._lock:
            return {arn: Steps(dict(steps.times), list(steps.forked)) for arn, steps in self._steps.items()}

    def started_containers(self) -> list[StartedContainer]:
        """Every essential container whose process started, oldest first (the last STARTS_SIZE)."""
        with self._lock:
            return list(self._starts)
