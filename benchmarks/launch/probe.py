"""Measurement probes, wrapped on one executor instance: they change nothing the wrapped methods do."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Round:
    tracked: int  # ARNs the round described
    calls: int  # DescribeTasks calls it made
    completed: bool


class RoundProbe:
    """farflow's DescribeTasks rounds: the ARNs each round described and the calls it made."""

    def __init__(self, tracker: Any) -> None:
        self.rounds: list[Round] = []
        self._tracker = tracker
        self._local = threading.local()
        self._original_round = tracker.describe_round
        self._original_tracked = tracker.tracked
        tracker.describe_round = self._round
        tracker.tracked = self._tracked

    def _tracked(self) -> list[str]:
        arns: list[str] = self._original_tracked()
        if getattr(self._local, "inside", False):
            self._local.size = len(arns)
        return arns

    def _round(self) -> None:
        self._local.inside, self._local.size = True, 0
        before = self._tracker.describe_calls
        completed = False
        try:
            self._original_round()
            completed = True
        finally:
            self._local.inside = False
            if self._local.size:
                self.rounds.append(Round(self._local.size, self._tracker.describe_calls - before, completed))


class HeartbeatSplit:
    """Times the executor's own parts of each heartbeat: `_process_workloads` (handing over new tasks)
    and `sync`. The rest of a heartbeat is Airflow's BaseExecutor (metrics, ordering the queue)."""

    def __init__(self, executor: Any) -> None:
        self.process = 0.0
        self.sync = 0.0
        process, sync = executor._process_workloads, executor.sync

        def timed_process(items: Any) -> None:
            started = time.perf_counter()
            try:
                process(items)
            finally:
                self.process += time.perf_counter() - started

        def timed_sync() -> None:
            started = time.perf_counter()
            try:
                sync()
            finally:
                self.sync += time.perf_counter() - started

        executor._process_workloads, executor.sync = timed_process, timed_sync

    def take(self) -> tuple[float, float]:
        """(process, sync) seconds since the last take."""
        taken, self.process, self.sync = (self.process, self.sync), 0.0, 0.0
        return taken
