"""Background RunTask calls: a pool of threads behind a token bucket, retrying what AWS says is passing."""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from farflow.executor.delayqueue import DelayQueue
from farflow.executor.messages import Launched, LaunchFailed, LaunchRetried, Message, Rejected
from farflow.executor.outcomes import (
    LaunchVerdict,
    classify_launch_error,
    classify_launch_failures,
    error_code,
    is_throttle,
)
from farflow.executor.ratelimit import TokenBucket
from farflow.executor.redaction import redact
from farflow.executor.requests import InvalidTaskRequest

log = logging.getLogger(__name__)

THROTTLE_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)


@dataclass(frozen=True)
class LaunchJob:
    """One launch. The request is built on a launcher thread, so the scheduler's heartbeat stays short."""

    key: Hashable
    build: Callable[[], Mapping[str, Any]] = field(repr=False)  # raises InvalidTaskRequest
    submitted_at: float
    retries: int = 0
    capacity_since: float | None = None
    request: Mapping[str, Any] | None = field(default=None, repr=False)  # holds the token: never log it


def backoff(retries: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter."""
    return float(random.uniform(0, min(cap, base * 2**retries)))


class ThrottledLog:
    """Logs a repeated warning at most once per interval, not once per task."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def warning(self, message: str, *args: object) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.interval:
                return
            self._last = now
        log.warning(message, *args)


class Launcher:
    """Runs RunTask for queued launches on `concurrency` threads; reports every result on `results`."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        results: queue.SimpleQueue[Message],
        *,
        rate: float,
        burst: int,
        concurrency: int,
        capacity_retry_seconds: float,
        credentials_log_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_factory = client_factory
        self._client = client_factory()
        self._client_lock = threading.Lock()
        self._results = results
        self.bucket = TokenBucket(rate, burst, clock)
        self._concurrency = concurrency
        self._capacity_retry_seconds = capacity_retry_seconds
        self._credentials_log = ThrottledLog(credentials_log_interval, clock)
        self._clock = clock
        self._jobs: DelayQueue[LaunchJob] = DelayQueue(clock)
        self._cancelled: set[Hashable] = set()
        self._cancel_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stoppers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="farflow-stop")
        self.calls = 0  # RunTask calls made, retries included

    @property
    def client(self) -> Any:
        with self._client_lock:
            return self._client

    def start(self) -> None:
        for index in range(self._concurrency):
            thread = threading.Thread(target=self._work, name=f"farflow-launch-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._jobs.close()
        deadline = self._clock() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - self._clock()))
        self._stoppers.shutdown(wait=True, cancel_futures=False)

    def submit(self, *jobs: LaunchJob) -> None:
        with self._cancel_lock:
            self._cancelled.difference_update(job.key for job in jobs)
        self._jobs.put_many(jobs)

    def cancel(self, key: Hashable) -> None:
        """Drop a launch that has not been sent yet; one already in flight is reported as usual."""
        with self._cancel_lock:
            self._cancelled.add(key)

    def stop_task(self, cluster: str, arn: str, reason: str) -> None:
        """StopTask in the background, so revoking never waits on AWS."""
        self._stoppers.submit(self._stop_task, cluster, arn, reason)

    def _stop_task(self, cluster: str, arn: str, reason: str) -> None:
        try:
            self.client.stop_task(cluster=cluster, task=arn, reason=reason[:255])
        except Exception as error:
            log.warning("StopTask for %s failed: %s", arn, error)

    def pending(self) -> int:
        return len(self._jobs)

    def _is_cancelled(self, key: Hashable) -> bool:
        with self._cancel_lock:
            if key in self._cancelled:
                self._cancelled.discard(key)
                return True
            return False

    def _work(self) -> None:
        while not self._stop.is_set():
            job = self._jobs.get(timeout=0.5)
            if job is None or self._is_cancelled(job.key):
                continue
            if job.request is None:
                try:
                    job = replace(job, request=job.build())
                except InvalidTaskRequest as error:
                    self._results.put(Rejected(job.key, str(error)))
                    continue
            if not self.bucket.acquire(self._stop):
                return
            self._launch(job)

    def _launch(self, job: LaunchJob) -> None:
        self.calls += 1
        try:
            response = self.client.run_task(**(job.request or {}))
        except Exception as error:
            self._on_error(job, error)
            return
        tasks = response.get("tasks") or []
        if tasks:
            self.bucket.on_success()
            self._results.put(Launched(job.key, tasks[0]["taskArn"], self._clock() - job.submitted_at))
            return
        verdict, reason = classify_launch_failures(response.get("failures") or [])
        self._on_verdict(job, verdict, reason)

    def _on_error(self, job: LaunchJob, error: Exception) -> None:
        verdict = classify_launch_error(error)
        code = error_code(error)
        if is_throttle(error):
            self.bucket.on_throttle()
        if verdict is LaunchVerdict.CREDENTIALS:
            self._credentials_log.warning(
                "AWS credentials are missing or expired (%s); rebuilding the ECS client. Tasks stay queued.",
                code,
            )
            self._rebuild_client()
        self._on_verdict(job, verdict, redact(f"{code}: {error}"))

    def _rebuild_client(self) -> None:
        try:
            client = self._client_factory()
        except Exception as error:
            log.warning("Could not rebuild the ECS client: %s", error)
            return
        with self._client_lock:
            self._client = client

    def _on_verdict(self, job: LaunchJob, verdict: LaunchVerdict, reason: str) -> None:
        if verdict is LaunchVerdict.PERMANENT:
            self._results.put(LaunchFailed(job.key, verdict, reason))
            return
        now = self._clock()
        if verdict is LaunchVerdict.CAPACITY:
            since = job.capacity_since if job.capacity_since is not None else now
            if now - since >= self._capacity_retry_seconds:
                waited = f"waited {now - since:.0f} s for capacity, [ecs_fargate] capacity_retry_seconds"
                self._results.put(LaunchFailed(job.key, verdict, f"{reason} ({waited})"))
                return
            job = replace(job, capacity_since=since)
            delay = min(backoff(job.retries, 2.0, 60.0), max(0.0, since + self._capacity_retry_seconds - now))
        elif verdict is LaunchVerdict.CREDENTIALS:
            delay = backoff(job.retries, 1.0, 10.0)
        else:
            delay = backoff(job.retries, 0.2, 20.0)
        self._results.put(LaunchRetried(job.key, verdict, reason))
        self._jobs.put(replace(job, retries=job.retries + 1), delay)
