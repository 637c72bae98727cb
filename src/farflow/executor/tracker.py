"""Background DescribeTasks: one round at a time, 100 tasks a call, reporting only what changed."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from farflow.executor.messages import Message, PhaseChanged, TaskMissing
from farflow.executor.outcomes import classify_describe_failure, task_phase

log = logging.getLogger(__name__)

DESCRIBE_BATCH = 100  # ECS's limit on tasks per DescribeTasks call
BATCHES_IN_FLIGHT = 4


class Tracker:
    """Watches task ARNs. `poke()` (from sync) starts a round when the last one is done and the interval passed."""

    def __init__(
        self,
        client: Callable[[], Any],
        cluster: str,
        results: queue.SimpleQueue[Message],
        poll_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._cluster = cluster
        self._results = results
        self._poll_interval = poll_interval
        self._clock = clock
        self._phases: dict[str, str] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_round: float | None = None
        self._thread = threading.Thread(target=self._run, name="farflow-tracker", daemon=True)
        # A round's batches go out together: at 250 ms a call, 1000 tasks take one call's time, not ten.
        self._batches = ThreadPoolExecutor(
            max_workers=BATCHES_IN_FLIGHT, thread_name_prefix="farflow-describe"
        )
        self.describe_calls = 0
        self.rounds = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._batches.shutdown(wait=False, cancel_futures=True)

    def track(self, arn: str, phase: str = "pending") -> None:
        with self._lock:
            self._phases.setdefault(arn, phase)

    def untrack(self, arn: str) -> None:
        with self._lock:
            self._phases.pop(arn, None)

    def tracked(self) -> list[str]:
        with self._lock:
            return list(self._phases)

    def poke(self) -> None:
        self._wake.set()

    def _due(self) -> bool:
        return self._last_round is None or self._clock() - self._last_round >= self._poll_interval

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            if not self._due():
                assert self._last_round is not None
                self._stop.wait(self._poll_interval - (self._clock() - self._last_round))
                continue
            self._wake.clear()
            self._last_round = self._clock()
            try:
                self.describe_round()
            except Exception:
                log.exception("DescribeTasks round failed; the next sync tries again")

    def describe_round(self) -> None:
        arns = self.tracked()
        if not arns:
            return
        self.rounds += 1
        batches = [arns[start : start + DESCRIBE_BATCH] for start in range(0, len(arns), DESCRIBE_BATCH)]
        self.describe_calls += len(batches)
        for outcome in [self._batches.submit(self._describe, batch) for batch in batches]:
            outcome.result()

    def _describe(self, batch: list[str]) -> None:
        response = self._client().describe_tasks(cluster=self._cluster, tasks=batch)
        for task in response.get("tasks", []):
            self._report(task)
        for failure in response.get("failures", []):
            if classify_describe_failure(failure) == "missing" and failure.get("arn"):
                self._results.put(TaskMissing(failure["arn"]))

    def _report(self, task: dict[str, Any]) -> None:
        arn = task["taskArn"]
        phase = task_phase(task)
        with self._lock:
            if arn not in self._phases or self._phases[arn] == phase:
                return
            self._phases[arn] = phase
        self._results.put(PhaseChanged(arn, phase, task))
