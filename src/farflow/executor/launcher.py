"""Background RunTask calls: a pool of threads behind a rate limiter, retrying what AWS says is passing.

With a workload store, each launch first writes its workload (which holds the Airflow token) to the
store, once, and then calls RunTask with only the object's URL; retries send the same clientToken and,
if the write itself must be retried, write the same object. A launch that ends without a task deletes
its object. No launch is sent when the task's Airflow token would expire before its container starts.
"""

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

from farflow.executor.client import SharedClient
from farflow.executor.delayqueue import DelayQueue
from farflow.executor.heartbeat_first import never_wait
from farflow.executor.messages import Launched, LaunchFailed, LaunchRetried, Message, Rejected
from farflow.executor.outcomes import (
    LaunchVerdict,
    classify_launch_error,
    classify_launch_failures,
    error_code,
    is_throttle,
)
from farflow.executor.ratelimit import RateLimiter
from farflow.executor.redaction import redact
from farflow.executor.request import InvalidTaskRequest
from farflow.executor.settings import where
from farflow.executor.throttled_log import ThrottledLog
from farflow.executor.workload_writer import Stash, WorkloadWriter
from farflow.workload.token import TOKEN_LIFETIME_SETTING

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """What one launch sends: its RunTask request and, with a workload store, the object written first."""

    request: Mapping[str, Any] = field(repr=False)  # without a store it holds the Airflow token: never log it
    stash: Stash | None = None


@dataclass(frozen=True)
class LaunchJob:
    """One launch. The request is built on a launcher thread, so the scheduler's heartbeat stays short."""

    key: Hashable
    build: Callable[[], Prepared] = field(repr=False)  # raises InvalidTaskRequest
    submitted_at: float
    airflow_token_deadline: float | None = None
    """When the task's Airflow token expires, on the launcher's clock; None when unknown."""
    retries: int = 0
    capacity_since: float | None = None
    capacity_reason: str | None = None
    prepared: Prepared | None = field(default=None, repr=False)
    stored: bool = False
    """The workload object is written; retries send RunTask only."""
    last_error: str | None = None
    """Why the last try did not launch (a network error, a 5xx, credentials): said if the launch is given up."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: the n-th retry waits a random time in [0, min(cap, base * 2**n)]
    seconds, so launches that failed together do not retry together."""

    base: float
    cap: float

    def delay(self, retries: int) -> float:
        return float(random.uniform(0, min(self.cap, self.base * 2**retries)))


CAPACITY_BACKOFF = Backoff(base=2.0, cap=60.0)
"""Fargate capacity comes back in minutes; `capacity_retry_seconds` bounds the total wait."""
CREDENTIALS_BACKOFF = Backoff(base=1.0, cap=10.0)
"""Rebuilt clients pick up new credentials at once, or when someone renews them: seconds, then minutes."""
TRANSIENT_BACKOFF = Backoff(base=0.2, cap=20.0)
"""Network errors, 5xx and throttles pass within seconds; the rate limiter has already slowed down."""


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
        warning_interval: float,
        task_start_seconds: float = 0.0,
        writer: WorkloadWriter | None = None,
        clock: Callable[[], float] = time.monotonic,
        wait_for_heartbeat: Callable[[], object] = never_wait,
    ) -> None:
        self._ecs = SharedClient(client_factory, "ECS")
        # Holds off while the scheduler's heartbeat runs (heartbeat_first.py).
        self._wait_for_heartbeat = wait_for_heartbeat
        self._writer = writer
        self._task_start_seconds = task_start_seconds
        self._results = results
        self.rate_limiter = RateLimiter(rate, burst, clock)
        self._concurrency = concurrency
        self._capacity_retry_seconds = capacity_retry_seconds
        self._credentials_log = ThrottledLog(warning_interval, clock, log)
        self._transient_log = ThrottledLog(warning_interval, clock, log)
        self._clock = clock
        self._jobs: DelayQueue[LaunchJob] = DelayQueue(clock)
        self._cancelled: set[Hashable] = set()
        self._cancel_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # StopTask for revoked tasks and deletes of unused workload objects, off the scheduler thread.
        self._background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="farflow-cleanup")
        self.calls = 0  # RunTask calls made, retries included

    @property
    def client(self) -> Any:
        return self._ecs.get()

    def rebuild_clients(self) -> None:
        """After missing or expired credentials (here or in the tracker): new clients read them afresh."""
        self._ecs.rebuild()
        if self._writer is not None:
            self._writer.shared.rebuild()

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
        self._background.shutdown(wait=True, cancel_futures=False)

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
        self._background.submit(self.stop_task_now, cluster, arn, reason)

    def stop_task_now(self, cluster: str, arn: str, reason: str) -> None:
        """StopTask on this thread (when the scheduler is terminating); a failure is logged, not raised."""
        try:
            self.client.stop_task(cluster=cluster, task=arn, reason=reason[:255])
        except Exception as error:
            log.warning("StopTask for %s failed: %s", arn, error)

    def discard_workload(self, workload_reference: str) -> None:
        """Delete a workload object in the background (a task that stopped or was revoked)."""
        if self._writer is not None:
            self._background.submit(self._writer.delete, workload_reference)

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
            if job is None:
                continue
            self._wait_for_heartbeat()
            if self._is_cancelled(job.key):
                self._discard(job)
                continue
            if self._too_late(job):
                continue
            if job.prepared is None:
                try:
                    job = replace(job, prepared=job.build())
                except InvalidTaskRequest as error:
                    self._results.put(Rejected(job.key, str(error)))
                    continue
            if not job.stored and self._stash_of(job) is not None:
                if not self._write(job):
                    continue
                job = replace(job, stored=True)
            if not self.rate_limiter.acquire(self._stop):
                return
            self._wait_for_heartbeat()
            self._launch(job)

    @staticmethod
    def _stash_of(job: LaunchJob) -> Stash | None:
        return job.prepared.stash if job.prepared is not None else None

    def _too_late(self, job: LaunchJob) -> bool:
        """Fail a launch whose Airflow token would expire before its container could start."""
        if job.airflow_token_deadline is None:
            return False
        now = self._clock()
        left = job.airflow_token_deadline - now
        if left > self._task_start_seconds:
            return False
        waited = ""
        if job.capacity_since is not None:
            waited = f"{job.capacity_reason} (waited {now - job.capacity_since:.0f} s for capacity). "
        elif job.last_error is not None:
            waited = f"{job.retries} tries failed, the last with {job.last_error}. "
        self._fail(
            job,
            LaunchVerdict.PERMANENT,
            f"{waited}Not launched: the task's Airflow token expires in {max(left, 0.0):.0f} s, less than "
            f"the {self._task_start_seconds:.0f} s a task may need to start, {where('task_start_seconds')}. "
            f"The token is valid for {TOKEN_LIFETIME_SETTING} from when the task was queued: raise it, or "
            f"lower {where('capacity_retry_seconds')}.",
        )
        return True

    def _write(self, job: LaunchJob) -> bool:
        """Write the launch's workload object; on an error, retry or fail the launch as for RunTask."""
        stash = self._stash_of(job)
        assert stash is not None and self._writer is not None
        try:
            self._writer.put(stash)
        except Exception as error:
            self._on_error(job, error, f"Writing the workload to {stash.workload_reference} failed: ")
            return False
        return True

    def _launch(self, job: LaunchJob) -> None:
        self.calls += 1
        assert job.prepared is not None
        try:
            response = self.client.run_task(**job.prepared.request)
        except Exception as error:
            self._on_error(job, error)
            return
        tasks = response.get("tasks") or []
        if tasks:
            self.rate_limiter.on_success()
            stash = self._stash_of(job)
            latency = self._clock() - job.submitted_at
            self._results.put(
                Launched(job.key, tasks[0]["taskArn"], latency, stash.workload_reference if stash else None)
            )
            return
        verdict, reason = classify_launch_failures(response.get("failures") or [])
        self._on_verdict(job, verdict, reason)

    def _on_error(self, job: LaunchJob, error: Exception, context: str = "") -> None:
        verdict = classify_launch_error(error)
        code = error_code(error)
        throttled = is_throttle(error)
        if throttled:
            self.rate_limiter.on_throttle()
        reason = redact(f"{context}{code}: {error}")
        if verdict is LaunchVerdict.CREDENTIALS:
            self._credentials_log.warning(
                "AWS credentials are missing or expired (%s); rebuilding the AWS clients. Tasks stay queued.",
                code,
            )
            self.rebuild_clients()
        elif verdict is LaunchVerdict.RETRY and not throttled:
            self._transient_log.warning(
                "A launch failed for now (%s); tasks stay queued and are retried with backoff until their "
                "Airflow token runs short. If this lasts, check %s, %s and the network.",
                reason,
                where("region"),
                where("endpoint_url"),
            )
        self._on_verdict(job, verdict, reason, throttled=throttled)

    def _fail(self, job: LaunchJob, verdict: LaunchVerdict, reason: str) -> None:
        self._discard(job)
        self._results.put(LaunchFailed(job.key, verdict, reason))

    def _discard(self, job: LaunchJob) -> None:
        """A launch that ends without a task deletes the object it wrote."""
        stash = self._stash_of(job)
        if job.stored and stash is not None:
            self.discard_workload(stash.workload_reference)

    def _on_verdict(
        self, job: LaunchJob, verdict: LaunchVerdict, reason: str, throttled: bool = False
    ) -> None:
        if verdict is LaunchVerdict.PERMANENT:
            self._fail(job, verdict, reason)
            return
        now = self._clock()
        if verdict is LaunchVerdict.CAPACITY:
            since = job.capacity_since if job.capacity_since is not None else now
            if now - since >= self._capacity_retry_seconds:
                waited = f"waited {now - since:.0f} s for capacity, {where('capacity_retry_seconds')}"
                self._fail(job, verdict, f"{reason} ({waited})")
                return
            job = replace(job, capacity_since=since, capacity_reason=reason)
            delay = min(
                CAPACITY_BACKOFF.delay(job.retries), max(0.0, since + self._capacity_retry_seconds - now)
            )
        else:
            job = replace(job, last_error=reason)
            wait = CREDENTIALS_BACKOFF if verdict is LaunchVerdict.CREDENTIALS else TRANSIENT_BACKOFF
            delay = wait.delay(job.retries)
        if job.airflow_token_deadline is not None:
            # Wake when the Airflow token runs short, to fail then with that reason rather than at the expiry.
            delay = min(delay, max(0.0, job.airflow_token_deadline - self._task_start_seconds - now))
        self._results.put(LaunchRetried(job.key, verdict, reason, throttled))
        self._jobs.put(replace(job, retries=job.retries + 1), delay)
