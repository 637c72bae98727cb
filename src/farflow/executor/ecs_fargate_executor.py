"""EcsFargateExecutor: the thin Airflow-facing class. AWS calls happen on background threads.

The scheduler thread only builds requests (a pure function), hands them to the launcher, and in `sync()`
turns what the launcher and tracker report into Airflow state changes and task events.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from airflow._shared.observability.metrics import stats
from airflow.executors import workloads
from airflow.executors.base_executor import BaseExecutor
from airflow.utils.state import TaskInstanceState

from farflow.executor import orphans
from farflow.executor.advice import with_advice
from farflow.executor.client import make_client, make_ecs_client, make_sqs_client
from farflow.executor.cost import TaskCost, task_cost
from farflow.executor.cost import describe as describe_cost
from farflow.executor.events_reader import EventsReader
from farflow.executor.health import HealthCheckError, check_events_queue, check_health, check_workload_store
from farflow.executor.heartbeat_first import HeartbeatFirst
from farflow.executor.launcher import Launcher, LaunchJob, Prepared
from farflow.executor.messages import (
    Launched,
    LaunchFailed,
    LaunchRetried,
    Message,
    PhaseChanged,
    Rejected,
    TaskMissing,
)
from farflow.executor.outcomes import LaunchVerdict, StopVerdict, classify_stopped_task
from farflow.executor.phases import describe as describe_phases
from farflow.executor.phases import task_phases
from farflow.executor.redaction import install_airflow_token_redaction
from farflow.executor.request import (
    LaunchSpec,
    base_request,
    build_run_task_request,
    clean_tag_value,
    client_token,
    task_definition_of,
)
from farflow.executor.settings import SECTION, ExecutorSettings, load_settings, where
from farflow.executor.tracker import Tracker
from farflow.executor.workload_writer import WorkloadWriter, workload_reference_in_task
from farflow.spec.events import STARTED_BY_PREFIX
from farflow.workload.reference import reference_command
from farflow.workload.token import TOKEN_LIFETIME_SETTING, expires_at

MAX_MESSAGES_PER_SYNC = 5000
SYNC_BUDGET_SECONDS = 0.02  # about 100 task endings; the rest wait for the next heartbeat


def started_by(executor_id: str) -> str:
    """Every task's startedBy: the events rule matches the prefix, the tracker the whole value."""
    return f"{STARTED_BY_PREFIX}{executor_id}"


@dataclass
class TaskRecord:
    """What the scheduler thread knows of one Airflow task while this executor owns it."""

    key: Any  # TaskInstanceKey
    workload: workloads.ExecuteTask | None = field(repr=False)  # holds the Airflow token; None once adopted
    executor_config: dict[str, Any]
    launch_attempt: int = 0
    arn: str | None = None
    adopted: bool = False
    waiting_for_capacity: bool = False
    workload_reference: str | None = None  # the launched task's object in the workload store (its URL)
    queued_seconds: float | None = None  # queue_workload (or relaunch) to RunTask's answer; None if adopted

    # When this executor took the task (monotonic): its age until ECS accepts it is its queued time.
    queued_at: float = field(default_factory=time.monotonic)


def workload_command(workload: workloads.ExecuteTask) -> tuple[str, ...]:
    """The container command that runs one workload through the Task SDK."""
    return (
        "python",
        "-m",
        "airflow.sdk.execution_time.execute_workload",
        "--json-string",
        workload.model_dump_json(),
    )


class EcsFargateExecutor(BaseExecutor):
    """Runs every Airflow task as its own ECS task on Fargate, Fargate Spot or ECS on EC2."""

    is_local = False
    serve_logs = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install_airflow_token_redaction()
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
        self._writer: WorkloadWriter | None = None
        self._events: EventsReader | None = None
        self._unsaved_events: list[Any] = []
        # Endings held back one heartbeat, behind their task's unread RUNNING event (see _finish).
        self._held_endings: list[tuple[Hashable, str]] = []
        self.heartbeat_first = HeartbeatFirst()  # the background threads hold off while heartbeat() runs
        self.sync_failures = 0  # syncs that raised and were caught: the scheduler went on regardless

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        launcher = self._ensure_started()
        # Airflow loads its metrics registry (a YAML file, ~0.25 s) on the first metric: pay that here, at
        # start, rather than inside the first heartbeat.
        self._emit_gauges()
        self._warn_about_airflow_tokens()
        prices = self.settings.fargate_prices
        if prices.region != self.settings.region:
            self.log.warning(
                "Task costs use %s prices of %s, and the cluster is in %s; set [ecs_fargate] fargate_prices.",
                prices.region,
                prices.taken,
                self.settings.region,
            )
        if self.settings.check_health_on_startup:
            try:
                check_health(launcher.client, self.settings)
                if self._writer is not None:
                    check_workload_store(self._writer, make_client(self.settings, "kms"))
                if self._events is not None:
                    check_events_queue(make_sqs_client(self.settings), self.settings)
            except HealthCheckError as error:
                self.log.error("farflow's ECS executor health check failed: %s", error)
                raise
            self.log.info("farflow's ECS executor health check passed for cluster %s", self.settings.cluster)

    def _warn_about_airflow_tokens(self) -> None:
        """Once, at start: where the workload's Airflow token travels, and whether the waits fit its lifetime."""
        settings = self.settings
        if settings.workload_store is None:
            self.log.warning(
                "%s is not set: each task's Airflow token travels in its RunTask command, where anyone "
                "allowed ecs:DescribeTasks (AWS's read-only policies included) can read it while the task "
                "lives, and CloudTrail records it. Set it to an s3:// URL (see docs/security.md).",
                where("workload_store"),
            )
        lifetime = float(self.conf.get("scheduler", "task_queued_timeout", fallback=None) or "nan")
        if settings.capacity_retry_seconds + settings.task_start_seconds > lifetime:
            self.log.warning(
                "%s (%.0f s) plus %s (%.0f s) is longer than %s (%.0f s), which is how long a task's "
                "Airflow token lives: tasks stop waiting for capacity when their token runs short.",
                where("capacity_retry_seconds"),
                settings.capacity_retry_seconds,
                where("task_start_seconds"),
                settings.task_start_seconds,
                TOKEN_LIFETIME_SETTING,
                lifetime,
            )

    def _ensure_started(self) -> Launcher:
        if self._launcher is None:
            settings = self.settings
            if settings.workload_store is not None:
                self._writer = WorkloadWriter(settings.workload_store, lambda: make_client(settings, "s3"))
            self._launcher = Launcher(
                lambda: make_ecs_client(settings),
                self._results,
                rate=settings.run_task_rate,
                burst=settings.run_task_burst,
                concurrency=settings.launch_concurrency,
                capacity_retry_seconds=settings.capacity_retry_seconds,
                warning_interval=settings.warning_interval,
                task_start_seconds=settings.task_start_seconds,
                writer=self._writer,
                wait_for_heartbeat=self.heartbeat_first.wait,
            )
            launcher = self._launcher
            events = settings.events_queue_url
            self._tracker = tracker = Tracker(
                lambda: launcher.client,
                settings.cluster,
                self._results,
                settings.poll_interval,
                reconcile_interval=settings.reconcile_interval if events else None,
                started_by=started_by(self.executor_id),
                warning_interval=settings.warning_interval,
                on_credentials_error=launcher.rebuild_clients,
                wait_for_heartbeat=self.heartbeat_first.wait,
            )
            if events:
                self._events = EventsReader(
                    lambda: make_sqs_client(settings),
                    events,
                    tracker.observe,
                    tracker.events_healthy,
                    warning_interval=settings.warning_interval,
                    wait_for_heartbeat=self.heartbeat_first.wait,
                )
                self._events.start()
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
        self._release_held_endings()
        if self._events is not None:
            self._events.stop()
        if self._tracker is not None:
            self._tracker.stop()
        if self._launcher is not None:
            self._launcher.stop()

    def terminate(self) -> None:
        """Stop this executor's ECS tasks (and no one else's) and delete their workload objects, then end
        (which waits for the deletes)."""
        try:
            for arn in list(self._keys_by_arn):
                self.launcher.stop_task_now(self.settings.cluster, arn, "Airflow scheduler terminated")
            for record in self._records.values():
                if record.workload_reference is not None:
                    self.launcher.discard_workload(record.workload_reference)
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

    def _prepare(
        self, workload: workloads.ExecuteTask, executor_config: dict[str, Any], launch_attempt: int
    ) -> Prepared:
        """Runs on a launcher thread: serialising the workload and checking the request cost ~1 ms a task.

        With a workload store the command carries only the object's URL, and the launcher writes the
        workload there before RunTask; without one, the command carries the workload itself.
        """
        key = workload.ti.key
        run_task_client_token = client_token(
            key.dag_id, key.task_id, key.run_id, key.map_index, key.try_number, launch_attempt
        )
        stash = None
        if self._writer is None:
            command = workload_command(workload)
        else:
            task_definition = task_definition_of(self._base_request, executor_config)
            stash = self._writer.stash(
                task_definition, run_task_client_token, workload.model_dump_json().encode()
            )
            command = reference_command(stash.workload_reference)
        spec = LaunchSpec(
            command=command,
            executor_config=executor_config,
            client_token=run_task_client_token,
            started_by=started_by(self.executor_id),
            tags={
                "farflow:executor": self.executor_id,
                "airflow:dag_id": clean_tag_value(key.dag_id),
                "airflow:task_id": clean_tag_value(key.task_id),
                "airflow:run_id": clean_tag_value(key.run_id),
                "airflow:map_index": str(key.map_index),
                "airflow:try_number": str(key.try_number),
            },
        )
        return Prepared(build_run_task_request(self.settings, self._base_request, spec), stash)

    def _submit(self, *records: TaskRecord) -> None:
        """Hand launches to the launcher in one batch; the requests are built there, not here."""
        now, wall = time.monotonic(), time.time()
        jobs = []
        for record in records:
            assert record.workload is not None, "adopted tasks are never relaunched"
            build = partial(self._prepare, record.workload, record.executor_config, record.launch_attempt)
            expiry = expires_at(record.workload.token)
            deadline = None if expiry is None else now + (expiry - wall)
            jobs.append(LaunchJob(record.key, build, now, airflow_token_deadline=deadline))
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

    def heartbeat(self) -> None:
        """Airflow's heartbeat, with the background threads holding off new work meanwhile (heartbeat_first.py)."""
        with self.heartbeat_first.heartbeat():
            super().heartbeat()

    def _release_saved_events(self) -> None:
        """Drop our references to events the scheduler has taken off the queue (and so saved)."""
        queued = {id(log) for log in self._task_event_logs}
        self._unsaved_events = [log for log in self._unsaved_events if id(log) in queued]

    def sync(self) -> None:
        try:
            self._release_saved_events()
            self._release_held_endings()
            # A burst (thousands of tasks ending together) is spread over heartbeats, not one long one.
            deadline = time.perf_counter() + SYNC_BUDGET_SECONDS
            for _ in range(MAX_MESSAGES_PER_SYNC):
                try:
                    message = self._results.get_nowait()
                except queue.Empty:
                    break
                self._handle(message)
                if time.perf_counter() > deadline:
                    break
            self.tracker.poke()
            self._emit_gauges()
        except Exception:
            # Never let the executor take the scheduler down; the next sync picks up where this one stopped.
            self.sync_failures += 1
            self.log.exception("farflow's ECS executor failed to sync")

    def _release_held_endings(self) -> None:
        """Endings held back at the last heartbeat: the scheduler has read their RUNNING events since."""
        held, self._held_endings = self._held_endings, []
        for key, outcome in held:
            self._end(key, outcome)

    def _emit_gauges(self) -> None:
        stats.gauge("ecs_fargate.pending", self.launcher.pending())
        stats.gauge("ecs_fargate.running", len(self._keys_by_arn))
        stats.gauge("ecs_fargate.oldest_queued_seconds", self.oldest_queued_seconds())

    def oldest_queued_seconds(self, now: float | None = None) -> float:
        """How long the longest-waiting task not yet accepted by ECS has waited (0 if none waits): launch
        queue, throttling and capacity waits; the alarm compares it with task_queued_timeout."""
        waiting = [record.queued_at for record in self._records.values() if record.arn is None]
        return max(0.0, (time.monotonic() if now is None else now) - min(waiting)) if waiting else 0.0

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
            # Revoked while RunTask was in flight: don't leave its task (or its workload) behind.
            self.launcher.stop_task(self.settings.cluster, message.arn, "Airflow revoked the task")
            if message.workload_reference is not None:
                self.launcher.discard_workload(message.workload_reference)
            return
        record.arn = message.arn
        record.workload_reference = message.workload_reference
        record.queued_seconds = message.latency
        self._keys_by_arn[message.arn] = record.key
        self.tracker.track(message.arn)
        self.running_state(record.key, message.arn)
        self.log_task_event(event="ecs task launched", extra=message.arn, ti_key=record.key)
        stats.timing("ecs_fargate.launch_latency", message.latency * 1000)
        stats.incr("ecs_fargate.launches")

    def _on_launch_failed(self, message: LaunchFailed) -> None:
        stats.incr("ecs_fargate.launch_failures")
        record = self._records.get(message.key)
        if record is not None:
            reason = with_advice(message.reason, record.executor_config)
            self._finish(record, "failed", "ecs task launch failed", reason)

    def _on_launch_retried(self, message: LaunchRetried) -> None:
        if message.verdict is LaunchVerdict.CAPACITY:
            stats.incr("ecs_fargate.capacity_retries")
            record = self._records.get(message.key)
            if record is not None and not record.waiting_for_capacity:
                record.waiting_for_capacity = True
                self.log_task_event(
                    event="ecs task waiting for capacity", extra=message.reason, ti_key=record.key
                )
        if message.throttled:
            stats.incr("ecs_fargate.throttles")

    def _on_phase(self, message: PhaseChanged) -> None:
        key = self._keys_by_arn.get(message.arn)
        record = self._records.get(key) if key is not None else None
        if record is None:
            self.tracker.untrack(message.arn)
            return
        if message.phase == "stopped":
            container = self.settings.container_name
            # An adopted task's object is named only in its command.
            record.workload_reference = record.workload_reference or workload_reference_in_task(
                message.task, container
            )
            verdict = classify_stopped_task(message.task, container)
            ending = f"{self._cost(record, message.task)}; {self._phases(record, message.task)}"
            self._on_stopped(record, verdict, ending)

    def _cost(self, record: TaskRecord, task: Mapping[str, Any]) -> str:
        """What Fargate bills for the stopped task, for its task event (and as a metric)."""
        cost = task_cost(task, self.settings.fargate_prices)
        if isinstance(cost, TaskCost):
            micros = round(cost.usd * 1_000_000)
            stats.incr("ecs_fargate.cost_microdollars", micros, tags={"dag_id": record.key.dag_id})
        return describe_cost(cost)

    def _phases(self, record: TaskRecord, task: Mapping[str, Any]) -> str:
        """Where the stopped task's time went, for its task event (and as timers, one per phase)."""
        phases = task_phases(task, record.queued_seconds)
        for name, seconds in phases.items():
            stats.timing(f"ecs_fargate.phase.{name}", seconds * 1000, tags={"dag_id": record.key.dag_id})
        return describe_phases(phases)

    def _on_stopped(self, record: TaskRecord, verdict: StopVerdict, ending: str) -> None:
        """`ending`: the cost and phases text that follows the verdict's reason in the task event."""
        if verdict.outcome == "relaunch":
            if not record.adopted and record.launch_attempt < self.settings.max_relaunches:
                extra = f"{record.arn}: {verdict.reason}; {ending}"
                self._forget_arn(record)
                record.launch_attempt += 1
                record.queued_seconds = None
                stats.incr("ecs_fargate.relaunches")
                self.log_task_event(event="ecs task relaunched", extra=extra, ti_key=record.key)
                self._submit(record)
                return
            reason = f"{verdict.reason} (not relaunched: {record.launch_attempt} relaunches already)"
            self._finish(record, "failed", "ecs task stopped", f"{reason}; {ending}")
            return
        self._finish(record, verdict.outcome, "ecs task stopped", f"{verdict.reason}; {ending}")

    def _on_missing(self, message: TaskMissing) -> None:
        key = self._keys_by_arn.get(message.arn)
        record = self._records.get(key) if key is not None else None
        if record is not None:
            self._finish(record, "failed", "ecs task missing", f"ECS no longer knows task {message.arn}")

    def _forget_arn(self, record: TaskRecord) -> None:
        """The launched task is done with (stopped, missing or revoked): so is its workload object, which
        its container deleted if it started; a task that never started leaves it to the executor."""
        if record.arn is not None:
            self._keys_by_arn.pop(record.arn, None)
            self.tracker.untrack(record.arn)
            record.arn = None
        if record.workload_reference is not None:
            self.launcher.discard_workload(record.workload_reference)
            record.workload_reference = None

    def _finish(self, record: TaskRecord, outcome: str, event: str, reason: str) -> None:
        """The one place a task leaves this executor: a task event, then Airflow's success or fail."""
        arn_prefix = f"{record.arn}: " if record.arn else ""
        self._forget_arn(record)
        self._records.pop(record.key, None)
        self.log_task_event(event=event, extra=f"{arn_prefix}{reason}", ti_key=record.key)
        if outcome != "success":
            self.log.warning("Task %s failed on ECS: %s%s", record.key, arn_prefix, reason)
        if self._running_unread(record.key):
            # Airflow's event buffer holds one event per task, and the scheduler reads it once a loop. A
            # task that started and ended within one loop (a fast task, a slow RunTask answer) would have
            # its RUNNING event, which carries the ECS task ARN into task_instance.external_executor_id,
            # replaced by this one: the ending waits for the next heartbeat.
            self._held_endings.append((record.key, outcome))
        else:
            self._end(record.key, outcome)

    def _running_unread(self, key: Hashable) -> bool:
        state, _info = self.event_buffer.get(key, (None, None))
        return bool(state == TaskInstanceState.RUNNING)

    def _end(self, key: Hashable, outcome: str) -> None:
        if outcome == "success":
            self.success(key)
        else:
            self.fail(key)

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
        """Adopt tasks whose ECS task ECS still knows: by external_executor_id (the ARN), or, for a task
        instance without one (its scheduler died with RunTask in flight), by the tags of a running task
        launched for its try (orphans.py), recording the ARN. Hand back the rest, to be reset."""
        by_arn = {ti.external_executor_id: ti for ti in tis if ti.external_executor_id}
        try:
            known = self.tracker.known(list(by_arn))
        except Exception as error:
            self.log.warning(
                "Could not describe tasks to adopt (%s); handing them back to the scheduler", error
            )
            return tis
        for ti, arn in self._find_unrecorded([ti for ti in tis if not ti.external_executor_id]):
            ti.external_executor_id = arn  # saved with the adoption
            by_arn[arn] = ti
            known.add(arn)
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

    def _find_unrecorded(self, tis: Sequence[Any]) -> list[tuple[Any, str]]:
        """(ti, ARN) for task instances without an ARN whose try has a running ECS task."""
        if not tis:
            return []
        try:
            tasks = orphans.running_tasks(self.launcher.client, self.settings.cluster)
        except Exception as error:
            self.log.warning(
                "Could not list the cluster's tasks to adopt %d task instances without an ECS task ARN "
                "(%s); handing them back to the scheduler, which launches them again",
                len(tis),
                error,
            )
            return []
        found = orphans.match([ti.key for ti in tis], tasks)
        return [(ti, found[ti.key]) for ti in tis if ti.key in found]
