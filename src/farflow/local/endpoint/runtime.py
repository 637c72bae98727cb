"""The tasks one endpoint launched, moved through ECS's lifecycle by one lifecycle thread.

Request threads only record: RunTask admits tasks (PROVISIONING), StopTask records the wish. The
lifecycle thread does the rest, a pass at a time: PROVISIONING -> PENDING, then (in the same pass, once any
warm interpreter its containers fork from is ready: warm_python_client.py) starts the essential containers
(-> RUNNING), watches their processes and memory, signals them on StopTask, and reports STOPPED once
every container has exited and its output has been written. With execute=False a task stops at RUNNING
with no process and costs nothing until StopTask.

The lifecycle thread holds MOTO_LOCK only to read or write moto's models, never while starting, signalling or
measuring processes. One thread per container reads its output into CloudWatch Logs. Beside it: each
container's process and memory limits (container_run.py), RunTask's clientToken (client_tokens.py), and
the record of when each task reached each step (timeline.py).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farflow.local.endpoint import logs, task_status
from farflow.local.endpoint.client_tokens import ClientTokens
from farflow.local.endpoint.container_run import ContainerRun, over_memory
from farflow.local.endpoint.image_resolver import ImageResolver
from farflow.local.endpoint.lifecycle import (
    ESSENTIAL_EXIT,
    PENDING,
    PROVISIONING,
    RUNNING,
    SIDECAR_EXIT,
    STOPPED,
    TERMINATED,
    ContainerExit,
    Ending,
    container_exit,
    failed_to_start,
    launch_fault,
    next_status,
    user_stop,
)
from farflow.local.endpoint.logs import LogSetupError
from farflow.local.endpoint.moto_state import MOTO_LOCK
from farflow.local.endpoint.plan import (
    ContainerPlan,
    StartFailure,
    TaskContext,
    essential,
    plan_container,
    plan_task,
    task_memory_mib,
)
from farflow.local.endpoint.timeline import Steps, Timeline
from farflow.local.endpoint.warm_python_client import (
    PRELOADS,
    ForkPool,
    assumed_override,
)
from farflow.local.process_tree import TreeSample, sample_trees, start_session

logger = logging.getLogger(__name__)

PASS_INTERVAL = 0.1  # seconds between the lifecycle thread's passes while any task needs watching
MEMORY_INTERVAL = 0.25  # seconds between memory samples of running containers
OUTPUT_GRACE = 2.0  # how long a stopped container's output may keep arriving before STOPPED is reported
SHUTDOWN_REASON = "The local ECS endpoint stopped"


@dataclass(eq=False)
class LocalTask:
    model: Any  # moto's Task
    backend: Any  # moto's ECS backend that holds it
    definitions: list[dict[str, Any]] = field(repr=False)
    definition_memory: object
    task_role_arn: str = ""  # the task definition's (or RunTask's override): whose keys the task gets
    status: str = PROVISIONING
    fault: Ending | None = None
    stop_reason: str | None = None  # StopTask's reason, once asked
    ending: Ending | None = None  # decided when the containers are being stopped
    runs: list[ContainerRun] = field(default_factory=list)
    memory_mib: int | None = None
    scratch: Path | None = None
    plans: dict[str, ContainerPlan] | None = None  # planned on the first launch attempt
    steps: Steps = field(default_factory=Steps)

    @property
    def arn(self) -> str:
        return str(self.model.task_arn)


def task_role_of(definition: Any) -> str:
    """A moto task definition's task role ARN (moto sets the attribute only when one was given)."""
    return str(getattr(definition, "task_role_arn", None) or "")


class TaskRuntime:
    """The endpoint's tasks: admitted by request threads, moved through the lifecycle by its thread."""

    def __init__(
        self,
        images: ImageResolver,
        execute: bool,
        base_env: Mapping[str, str],
        fork_server: bool = False,
        preloads: Mapping[str, tuple[str, ...]] = PRELOADS,
    ) -> None:
        self.images = images
        self.execute = execute
        self.base_env = dict(base_env)
        self.endpoint_url = ""
        self.forks = ForkPool(images.python, enabled=fork_server and execute, preloads=preloads)
        self.timeline = Timeline()
        self.client_tokens = ClientTokens()
        self._active: dict[str, LocalTask] = {}  # tasks the lifecycle thread must look at
        self._idle: dict[str, LocalTask] = {}  # RUNNING without a process: nothing to do until StopTask
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_memory_sample = 0.0
        self._memory_checks = 0

    # Request side: called by the ECS API with MOTO_LOCK held.

    def admit(self, backend: Any, models: list[Any], outcomes: list[str | None]) -> None:
        """Take over tasks moto just created by RunTask, each with its injected launch outcome."""
        for model, outcome in zip(models, outcomes, strict=True):
            definition = backend.describe_task_definition(model.task_definition_arn)
            task_status.show_provisioning(model, definition)
            task = LocalTask(
                model=model,
                backend=backend,
                definitions=[dict(item) for item in definition.container_definitions],
                definition_memory=definition.memory,
                task_role_arn=str((model.overrides or {}).get("taskRoleArn") or task_role_of(definition)),
                fault=launch_fault(outcome),
            )
            self._active[task.arn] = task
            self._mark(task, "admitted")
        self._wake.set()

    def prewarm(self, backend: Any, definition_arn: str) -> None:
        """Warm up the interpreter an Airflow task of this task definition will fork from, so the first
        one starts fast (RegisterTaskDefinition; MOTO_LOCK held). Definitions whose containers would not
        fork are left alone."""
        if not (self.execute and self.forks.enabled and self.endpoint_url):
            return
        definition = backend.describe_task_definition(definition_arn)
        context = self._context("", backend, task_role_of(definition))
        for container in definition.container_definitions:
            override = assumed_override(container, self.images)
            if override is None or not essential(container):
                continue
            try:
                plan = plan_container(context, container, override, self.images)
            except StartFailure:
                continue
            key = self.forks.key(plan)
            if key is not None and key.preload:  # a bare interpreter warms up in a moment, at launch
                self.forks.status(key)

    def request_stop(self, model: Any, reason: str | None) -> bool:
        """Record StopTask for a task; False if it is not one of ours (moto's StopTask handles it)."""
        arn = str(model.task_arn)
        task = self._active.get(arn) or self._idle.pop(arn, None)
        if task is None:
            return bool(model.status == STOPPED)
        if task.stop_reason is None:  # ECS keeps the first StopTask's reason
            ending = user_stop(reason)
            task.stop_reason = ending.reason
            task_status.show_stop_requested(model, ending)
        self._active[arn] = task
        self._wake.set()
        return True

    def exit_idle(self, arn: str, exit_code: int) -> bool:
        """execute=False: end a RUNNING task as if its essential containers exited with `exit_code`."""
        with MOTO_LOCK:
            task = self._idle.get(arn)
            if task is None:
                return False
            exits = {
                i: ContainerExit(exit_code) for i, item in enumerate(task.definitions) if essential(item)
            }
            self._finish(task, ESSENTIAL_EXIT, exits)
            return True

    # The lifecycle thread.

    def start(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._thread = threading.Thread(target=self._loop, name="farflow-ecs-lifecycle", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._closing.is_set():
            self._wake.wait(PASS_INTERVAL if self._active else None)  # idle until RunTask or StopTask
            self._wake.clear()
            if self._closing.is_set():
                return
            try:
                self._pass()
            except Exception:
                logger.exception("The local ECS lifecycle pass failed; it will try again.")

    def _pass(self) -> None:
        now = time.monotonic()
        with MOTO_LOCK:
            tasks = list(self._active.values())
        samples: dict[int, TreeSample] = {}
        if now >= self._next_memory_sample:
            self._next_memory_sample = now + MEMORY_INTERVAL
            samples = sample_trees([run.group for task in tasks for run in task.runs if run.exit is None])
        for task in tasks:
            try:
                self._step(task, now, samples)
            except Exception:
                logger.exception("Moving task %s through its lifecycle failed; stopping it.", task.arn)
                self._abandon(task, failed_to_start("CannotStartContainerError: local runtime error"))
            if task.status == STOPPED and task.scratch is not None:
                shutil.rmtree(task.scratch, ignore_errors=True)
                task.scratch = None
        if samples:
            self._memory_checks += 1

    def _step(self, task: LocalTask, now: float, samples: Mapping[int, TreeSample]) -> None:
        with MOTO_LOCK:
            stop_reason = task.stop_reason
            if task.status in (PROVISIONING, PENDING) and stop_reason is not None:
                self._finish(task, user_stop(stop_reason), {})
                return
            if task.status == PROVISIONING:  # and on to PENDING's work in the same pass: no idle step
                self._show(task, next_status(PROVISIONING))
            if task.status == PENDING and task.fault is not None:
                self._finish(task, task.fault, {})
                return
            if task.status == PENDING and not self.execute:
                self._show(task, RUNNING)
                self._active.pop(task.arn, None)
                self._idle[task.arn] = task
                return
            if task.status == RUNNING and not self.execute:
                terminated = {i: TERMINATED for i, item in enumerate(task.definitions) if essential(item)}
                self._finish(task, user_stop(stop_reason), terminated)
                return
        if task.status == PENDING:
            self._launch(task)
        elif task.status == RUNNING:
            self._watch(task, now, samples, stop_reason)

    def _show(self, task: LocalTask, status: str) -> None:
        task.status = status
        task_status.show_status(task.model, status)
        self._mark(task, status.lower())

    def _mark(self, task: LocalTask, step: str, forked: str | None = None) -> None:
        self.timeline.mark(task.arn, task.steps, step, forked)

    def memory_checks(self) -> int:
        """Passes that sampled the running containers' memory and enforced their limits, so far."""
        return self._memory_checks

    def _context(self, task_arn: str, backend: Any, task_role_arn: str) -> TaskContext:
        return TaskContext(
            task_arn=task_arn,
            account=str(backend.account_id),
            region=str(backend.region_name),
            endpoint_url=self.endpoint_url,
            base_env=self.base_env,
            task_role_arn=task_role_arn,
        )

    def _launch(self, task: LocalTask) -> None:
        """Plan, prepare logging, and start every essential container; or stop the task before start.
        While an interpreter its containers will fork from is warming up, the task stays PENDING."""
        try:
            if task.plans is None:
                overrides = task.model.overrides or {}
                task.memory_mib = task_memory_mib(overrides, task.definition_memory)
                task.plans = plan_task(
                    self._context(task.arn, task.backend, task.task_role_arn),
                    task.definitions,
                    overrides,
                    self.images,
                )
            if any(self.forks.status(self.forks.key(plan)) == "warming" for plan in task.plans.values()):
                return  # PENDING while an interpreter its containers will fork from warms up
            self._mark(task, "launch")
            with MOTO_LOCK:
                task_status.show_pulled(task.model)
            for plan in task.plans.values():
                if plan.log is not None:
                    logs.prepare(plan.log)
            task.runs = self._spawn_all(task, task.plans)
        except (StartFailure, LogSetupError) as failure:
            with MOTO_LOCK:
                self._finish(task, failed_to_start(str(failure)), {})
            return
        with MOTO_LOCK:
            self._show(task, RUNNING)

    def _spawn_all(self, task: LocalTask, plans: Mapping[str, ContainerPlan]) -> list[ContainerRun]:
        runs: list[ContainerRun] = []
        names = [str(definition.get("name")) for definition in task.definitions]
        for name, plan in plans.items():
            cwd = plan.cwd or self._scratch(task)
            try:
                process = self.forks.start(plan, cwd, logged=plan.log is not None)
                forked = process is not None
                if process is None:
                    output = subprocess.PIPE if plan.log is not None else subprocess.DEVNULL
                    process = start_session(plan.argv, env=plan.env, cwd=cwd, stdout=output)
            except OSError as error:
                for run in runs:
                    run.signal(signal.SIGKILL)
                    run.process.wait()
                program = plan.argv[0] if plan.argv else ""
                raise StartFailure(
                    f"CannotStartContainerError: container {name!r} could not exec {program!r}: "
                    f"{error.strerror or error}"
                ) from None
            run = ContainerRun(index=names.index(name), plan=plan, process=process, forked=forked)
            self._mark(task, "started" if forked else "spawned", forked=name if forked else None)
            tags = {str(tag["key"]): str(tag["value"]) for tag in task.model.tags or []}
            self.timeline.record_start(task.arn, name, tags)
            if plan.log is not None and process.stdout is not None:
                run.reader = threading.Thread(
                    target=logs.pump,
                    args=(process.stdout, functools.partial(logs.write, plan.log), self._wake.set),
                    name=f"farflow-ecs-logs-{name}",
                    daemon=True,
                )
                run.reader.start()
            runs.append(run)
        return runs

    def _scratch(self, task: LocalTask) -> Path:
        if task.scratch is None:
            task.scratch = Path(tempfile.mkdtemp(prefix="farflow-task-"))
        return task.scratch

    def _watch(
        self, task: LocalTask, now: float, samples: Mapping[int, TreeSample], stop_reason: str | None
    ) -> None:
        """Reap exits, enforce memory, stop the others once one has exited or StopTask asked."""
        for run in task.runs:
            if run.exit is None and run.group in samples:
                run.remember(samples[run.group].members)
            if run.exit is None:
                code = run.process.poll()
                if code is not None:
                    run.exit, run.exited_at = container_exit(code, run.out_of_memory), now
                    run.signal(signal.SIGKILL)  # the container's other processes go with it
                    self._mark(task, "exited")
        self._enforce_memory(task, samples)
        if task.ending is None and stop_reason is not None:
            task.ending = user_stop(stop_reason)
        elif task.ending is None and any(run.exit is not None for run in task.runs):
            task.ending = ESSENTIAL_EXIT
        live = [run for run in task.runs if run.exit is None]
        if task.ending is not None:
            for run in live:
                if run.kill_at is None:
                    run.signal(signal.SIGTERM)
                    run.kill_at = now + run.plan.stop_timeout
                elif now >= run.kill_at and not run.killed:
                    run.signal(signal.SIGKILL)
                    run.killed = True
        if live or not self._output_done(task, now):
            return
        with MOTO_LOCK:
            exits = {run.index: run.exit for run in task.runs if run.exit}
            self._finish(task, task.ending or ESSENTIAL_EXIT, exits)

    @staticmethod
    def _enforce_memory(task: LocalTask, samples: Mapping[int, TreeSample]) -> None:
        """SIGKILL containers over their memory, or all of the task's over the task's (container_run.py)."""
        for run in over_memory(task.runs, samples, task.memory_mib):
            logger.info("Task %s container %s exceeded its memory; killing it.", task.arn, run.plan.name)
            run.out_of_memory = True
            run.signal(signal.SIGKILL)

    @staticmethod
    def _output_done(task: LocalTask, now: float) -> bool:
        readers = [run.reader for run in task.runs if run.reader is not None and run.reader.is_alive()]
        return not readers or now - max(run.exited_at for run in task.runs) > OUTPUT_GRACE

    def _finish(self, task: LocalTask, ending: Ending, exits: Mapping[int, ContainerExit]) -> None:
        """Report the task STOPPED and forget it (MOTO_LOCK held)."""
        if task.status == RUNNING:
            sidecars = {i: SIDECAR_EXIT for i, item in enumerate(task.definitions) if not essential(item)}
            exits = {**sidecars, **exits}
        task.status = STOPPED
        task_status.show_stopped(task.model, ending, exits)
        self._mark(task, "stopped")
        task_status.release_placement(task.backend, task.model)
        self._active.pop(task.arn, None)
        self._idle.pop(task.arn, None)

    def _abandon(self, task: LocalTask, ending: Ending) -> None:
        for run in task.runs:
            run.signal(signal.SIGKILL)
            run.process.wait()
        with MOTO_LOCK:
            if task.status != STOPPED:
                self._finish(task, ending, {})

    # Shutdown.

    def close(self, grace: float) -> None:
        """Stop the lifecycle thread; SIGTERM every container, SIGKILL what is left after `grace` seconds."""
        self._closing.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with MOTO_LOCK:
            tasks = list(self._active.values())
        runs = [run for task in tasks for run in task.runs if run.exit is None]
        for run in runs:
            run.signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for run in runs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        for task in tasks:
            for run in task.runs:
                code = run.process.poll()
                if run.exit is None and code is not None:
                    run.exit = container_exit(code)  # reaped: from here on its pid may be reused
                run.signal(signal.SIGKILL)
                run.exit = run.exit or container_exit(run.process.wait())
                if run.reader is not None:
                    run.reader.join(timeout=OUTPUT_GRACE)
            with MOTO_LOCK:
                exits = {run.index: run.exit for run in task.runs if run.exit}
                self._finish(task, task.ending or user_stop(SHUTDOWN_REASON), exits)
            if task.scratch is not None:
                shutil.rmtree(task.scratch, ignore_errors=True)
        self.forks.close()  # after its children: it reports their exit codes
