"""EcsFargateExecutor: the thin Airflow-facing class. AWS calls happen on background threads.

The scheduler thread only builds requests (a pure function), hands them to the launcher, and in `sync()`
turns what the launcher and tracker report into Airflow state changes and task events.
"""

from __future__ import annotations

import queue
import re
import time
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from airflow._shared.observability.metrics import stats
from airflow.executors import workloads
from airflow.executors.base_executor import BaseExecutor

from farflow.executor.client import make_ecs_client
from farflow.executor.config import ExecutorSettings, load_settings
from farflow.executor.health import HealthCheckError, check_health
from farflow.executor.launcher import Launcher, LaunchJob
from farflow.executor.messages import (
    Launched,
    LaunchFailed,
    LaunchRetried,
    Message,
    PhaseChanged,
    Rejected,
    TaskMissing,
)
from farflow.executor.options import SECTION
from farflow.executor.outcomes import LaunchVerdict, StopVerdict, classify_stopped_task
from farflow.executor.redaction import install_token_redaction
from farflow.executor.requests import (
    LaunchSpec,
    base_request,
    build_run_task_request,
    client_token,
)
from farflow.executor.tracker import DESCRIBE_BATCH, Tracker

MAX_MESSAGES_PER_SYNC = 5000
_TAG_VALUE = re.compile(r"[^\w .:/=+\-@]")


@dataclass
class TaskRecord:
    """What the scheduler thread knows of one Airflow task while this executor owns it."""

    key: Any  # TaskInstanceKey
    workload: workloads.ExecuteTask | None = field(repr=False)  # holds the token; None once adopted
    executor_config: dict[str, Any]
    launch_attempt: int = 0
    arn: str | None = None
    adopted: bool = False
    waiting_for_capacity: bool = False


def workload_command(workload: workloads.ExecuteTask) -> tuple[str, ...]:
    """The container command that runs one workload through the Task SDK."""
    return (
        "python",
        "-m",
        "airflow.sdk.execution_time.execute_workload",
        "--json-string",
        workload.model_dump_json(),
    )


def _tag(value: object) -> str:
    return _TAG_VALUE.sub("_", str(value))[:256]


class EcsFargateExecutor(BaseExecutor):
    """Runs every Airflow task as its own ECS task on Fargate, Fargate Spot or ECS on EC2."""

    is_local = False
    serve_logs = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install_token_redaction()
        self.settings: ExecutorSettings = load_settings(
            lambda key: self.conf.get(SECTION, key, fallback=None)
        )
        self._base_request = base_request(self.settings)
        self.executor_id = uuid.uuid4().hex[:12]
        self._results: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._records: dict[Hashable, TaskRecord] = {}
        self._keys_by_arn: dict[str, Hashable] = {}
        self._launcher: Launcher | None = None
        self._tracker: Tracker | None = None
        self._unsaved_events: list[Any] = []

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        launcher = self._ensure_started()
        # Airflow loads its metrics registry (a YAML file, ~0.25 s) on the first metric: pay that here, at
        # start, rather than inside the first heartbeat.
        self._emit_gauges()
        if self.settings.check_health_on_startup:
            try:
                check_health(launcher.client, self.settings)
            except HealthCheckError as error:
                self.log.error("farflow's ECS executor health check failed: %s", error)
                raise
            self.log.info("farflow's ECS executor health check passed for cluster %s", self.settings.cluster)

    def _ensure_started(self) -> Launcher:
        if self._launcher is None:
            settings = self.settings
            self._launcher = Launcher(
                lambda: make_ecs_client(settings),
                self._results,
                rate=settings.run_task_rate,
                burst=settings.run_task_burst,
                concurrency=settings.launch_concurrency,
                capacity_retry_seconds=settings.capacity_retry_seconds,
                credentials_log_interval=settings.credentials_log_interval,
            )
            launcher = self._launcher
            self._tracker = Tracker(
                lambda: launcher.client, settings.cluster, self._results, settings.poll_interval
            )
            self._launcher.start()
            self._tracker.start()
        return self._launcher

    @property
    def launcher(self) -> Launcher:
        return self._ensure_started()

    @property
    def tracker(self) -> Tracker:
        self._ensure_started()
        assert self._tracker is not None
        return self._tracker

    def end(self) -> None:
        """Stop the background threads. ECS tasks keep running; a restarted scheduler adopts them."""
        if self._tracker is not None:
            self._tracker.stop()
        if self._launcher is not None:
            self._launcher.stop()

    def terminate(self) -> None:
        """Stop this executor's ECS tasks (and no one else's), then end."""
        try:
            client = self.launcher.client
            for arn in list(self._keys_by_arn):
                try:
                    client.stop_task(
                        cluster=self.settings.cluster, task=arn, reason="Airflow scheduler terminated"
                    )
                except Exception as error:
                    self.log.warning("StopTask for %s failed: %s", arn, error)
        finally:
            self.end()

    # -- queueing --------------------------------------------------------------------------------------

    def _process_workloads(self, workload_items: Sequence[Any]) -> None:
        records = []
        for workload in workload_items:
            if not isinstance(workload, workloads.ExecuteTask):
                raise RuntimeError(
                    f"{type(self).__name__} cannot run workloads of type {type(workload).__name__}"
                )
            key = workload.ti.key
            self.queued_tasks.pop(key, None)
            self.running.add(key)
            record = TaskRecord(key, workload, dict(workload.ti.executor_config or {}))
            self._records[key] = record
            records.append(record)
        self._submit(*records)

    def _build_request(
        self, workload: workloads.ExecuteTask, executor_config: dict[str, Any], launch_attempt: int
    ) -> dict[str, Any]:
        """Runs on a launcher thread: serialising the workload and checking the request cost ~1 ms a task."""
        key = workload.ti.key
        spec = LaunchSpec(
            command=workload_command(workload),
            executor_config=executor_config,
            client_token=client_token(
                key.dag_id, key.task_id, key.run_id, key.map_index, key.try_number, launch_attempt
            ),
            started_by=f"farflow-{self.executor_id}",
            tags={
                "farflow:executor": self.executor_id,
                "airflow:dag_id": _tag(key.dag_id),
                "airflow:task_id": _tag(key.task_id),
                "airflow:run_id": _tag(key.run_id),
                "airflow:map_index": str(key.map_index),
                "airflow:try_number": str(key.try_number),
            },
        )
        return build_run_task_request(self.settings, self._base_request, spec)

    def _submit(self, *records: TaskRecord) -> None:
        """Hand launches to the launcher in one batch; the requests are built there, not here."""
        now = time.monotonic()
        jobs = []
        for record in records:
            assert record.workload is not None, "adopted tasks are never relaunched"
            build = partial(
                self._build_request, record.workload, record.executor_config, record.launch_attempt
            )
            jobs.append(LaunchJob(record.key, build, now))
        self.launcher.submit(*jobs)

    # -- task events ---------------------------------------------------------------------------------

    def log_task_event(self, *, event: str, extra: str, ti_key: Any) -> None:
        """Queue a task event and hold a strong reference to it until the scheduler has saved it.

        Airflow 3.3's scheduler hands a generator of these Log objects to `bulk_save_objects`; under
        SQLAlchemy 2.1 an object referenced only by that generator can be collected before the insert,
        and the save fails (NOT NULL constraint failed: log.event), losing every event of the batch.
        """
        super().log_task_event(event=event, extra=extra, ti_key=ti_key)
        if self._task_event_logs:
            self._unsaved_events.append(self._task_event_logs[-1])

    # -- sync: the only place Airflow state changes --------------------------------------------------

    def _release_saved_events(self) -> None:
        """Drop our references to events the scheduler has taken off the queue (and so saved)."""
        queued = {id(log) for log in self._task_event_logs}
        self._unsaved_events = [log for log in self._unsaved_events if id(log) in queued]

    def sync(self) -> None:
        try:
            self._release_saved_events()
            for _ in range(MAX_MESSAGES_PER_SYNC):
                try:
                    message = self._results.get_nowait()
                except queue.Empty:
                    break
                self._handle(message)
            self.tracker.poke()
            self._emit_gauges()
        except Exception:
            # Never let the executor take the scheduler down; the next sync picks up where this one stopped.
            self.log.exception("farflow's ECS executor failed to sync")

    def _emit_gauges(self) -> None:
        stats.gauge("ecs_fargate.pending", self.launcher.pending())
        stats.gauge("ecs_fargate.running", len(self._keys_by_arn))

    def _handle(self, message: Message) -> None:
        if isinstance(message, Launched):
            self._on_launched(message)
        elif isinstance(message, LaunchFailed):
            self._on_launch_failed(message)
        elif isinstance(message, Rejected):
            record = self._records.get(message.key)
            if record is not None:
                self._finish(record, "failed", "ecs task rejected", message.reason)
        elif isinstance(message, LaunchRetried):
            self._on_launch_retried(message)
        elif isinstance(message, PhaseChanged):
            self._on_phase(message)
        elif isinstance(message, TaskMissing):
            self._on_missing(message)

    def _on_launched(self, message: Launched) -> None:
        record = self._records.get(message.key)
        if record is None or record.arn is not None:
            # Revoked while RunTask was in flight: don't leave its task running.
            self.launcher.stop_task(self.settings.cluster, message.arn, "Airflow revoked the task")
            return
        record.arn = message.arn
        self._keys_by_arn[message.arn] = record.key
        self.tracker.track(message.arn)
        self.running_state(record.key, message.arn)
        self.log_task_event(event="ecs task launched", extra=message.arn, ti_key=record.key)
        stats.timing("ecs_fargate.launch_latency", message.latency * 1000)

    def _on_launch_failed(self, message: LaunchFailed) -> None:
        stats.incr("ecs_fargate.launch_failures")
        record = self._records.get(message.key)
        if record is not None:
            self._finish(record, "failed", "ecs task launch failed", message.reason)

    def _on_launch_retried(self, message: LaunchRetried) -> None:
        if message.verdict is LaunchVerdict.CAPACITY:
            stats.incr("ecs_fargate.capacity_retries")
            record = self._records.get(message.key)
            if record is not None and not record.waiting_for_capacity:
                record.waiting_for_capacity = True
                self.log_task_event(
                    event="ecs task waiting for capacity", extra=message.reason, ti_key=record.key
                )
        elif message.verdict is LaunchVerdict.RETRY and "Throttl" in message.reason:
            stats.incr("ecs_fargate.throttles")

    def _on_phase(self, message: PhaseChanged) -> None:
        key = self._keys_by_arn.get(message.arn)
        record = self._records.get(key) if key is not None else None
        if record is None:
            self.tracker.untrack(message.arn)
            return
        if message.phase == "stopped":
            self._on_stopped(record, classify_stopped_task(message.task, self.settings.container_name))

    def _on_stopped(self, record: TaskRecord, verdict: StopVerdict) -> None:
        if verdict.outcome == "relaunch":
            if not record.adopted and record.launch_attempt < self.settings.max_relaunches:
                self._forget_arn(record)
                record.launch_attempt += 1
                stats.incr("ecs_fargate.relaunches")
                self.log_task_event(event="ecs task relaunched", extra=verdict.reason, ti_key=record.key)
                self._submit(record)
                return
            reason = f"{verdict.reason} (not relaunched: {record.launch_attempt} relaunches already)"
            self._finish(record, "failed", "ecs task stopped", reason)
            return
        self._finish(record, verdict.outcome, "ecs task stopped", verdict.reason)

    def _on_missing(self, message: TaskMissing) -> None:
        key = self._keys_by_arn.get(message.arn)
        record = self._records.get(key) if key is not None else None
        if record is not None:
            self._finish(record, "failed", "ecs task missing", f"ECS no longer knows task {message.arn}")

    def _forget_arn(self, record: TaskRecord) -> None:
        if record.arn is not None:
            self._keys_by_arn.pop(record.arn, None)
            self.tracker.untrack(record.arn)
            record.arn = None

    def _finish(self, record: TaskRecord, outcome: str, event: str, reason: str) -> None:
        """The one place a task leaves this executor: a task event, then Airflow's success or fail."""
        arn_prefix = f"{record.arn}: " if record.arn else ""
        self._forget_arn(record)
        self._records.pop(record.key, None)
        self.log_task_event(event=event, extra=f"{arn_prefix}{reason}", ti_key=record.key)
        if outcome == "success":
            self.success(record.key)
        else:
            self.log.warning("Task %s failed on ECS: %s%s", record.key, arn_prefix, reason)
            self.fail(record.key)

    # -- revoke and adoption ---------------------------------------------------------------------------

    def revoke_task(self, *, ti: Any) -> None:
        """Forget the task and stop its ECS task (for task_queued_timeout); no Airflow events."""
        key = ti.key
        self.queued_tasks.pop(key, None)
        self.running.discard(key)
        record = self._records.pop(key, None)
        if record is None:
            return
        if record.arn is None:
            self.launcher.cancel(key)
        else:
            self.launcher.stop_task(self.settings.cluster, record.arn, "Airflow revoked the task")
            self._forget_arn(record)

    def try_adopt_task_instances(self, tis: Sequence[Any]) -> Sequence[Any]:
        """Adopt tasks whose ECS task (external_executor_id = ARN) ECS still knows; hand back the rest."""
        by_arn = {ti.external_executor_id: ti for ti in tis if ti.external_executor_id}
        known: set[str] = set()
        client = self.launcher.client
        arns = list(by_arn)
        try:
            for start in range(0, len(arns), DESCRIBE_BATCH):
                response = client.describe_tasks(
                    cluster=self.settings.cluster, tasks=arns[start : start + DESCRIBE_BATCH]
                )
                known.update(task["taskArn"] for task in response.get("tasks", []))
        except Exception as error:
            self.log.warning(
                "Could not describe tasks to adopt (%s); handing them back to the scheduler", error
            )
            return tis
        for arn in known:
            ti = by_arn[arn]
            record = TaskRecord(ti.key, None, dict(ti.executor_config or {}), arn=arn, adopted=True)
            self._records[ti.key] = record
            self._keys_by_arn[arn] = ti.key
            self.running.add(ti.key)
            self.tracker.track(arn, phase="adopted")
        if known:
            self.log.info("Adopted %d ECS tasks from a previous scheduler", len(known))
        return [ti for ti in tis if ti.external_executor_id not in known]
