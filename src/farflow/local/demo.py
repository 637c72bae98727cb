"""`farflow demo`: start the local stack, run the sample DAG once, print what ran where, stop.

The waiting parts (DAG parsed, run finished) poll the REST API with a deadline and report progress
through a callback, so the CLI can show it and tests can drive it without a terminal.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farflow.local import processes
from farflow.local.api import AirflowApi
from farflow.local.environment import AIRFLOW_CONTAINER
from farflow.local.metadata import ecs_task_arns
from farflow.local.report import TaskRow, build_rows, exit_codes
from farflow.local.stack import LocalStack
from farflow.scaffold import init_project

SAMPLE_DAG = "sample_dag"
SAMPLE_FILE = "sample_dag.py"
SAMPLE_ORDER = ("start_process", "odd_task", "even_task", "numbers_task", "on_worker_task")
FINISHED_RUN_STATES = {"success", "failed"}
PARSE_TIMEOUT = 180.0
RUN_TIMEOUT = 600.0


class DagImportError(RuntimeError):
    """The DAG did not load; the message quotes Airflow's import error and names the file to fix."""


def farflow_home(environ: Mapping[str, str] = os.environ) -> Path:
    """farflow's own state folder: $FARFLOW_HOME, else ~/.farflow."""
    return Path(environ.get("FARFLOW_HOME") or "~/.farflow").expanduser()


def fresh_demo_project(home: Path) -> Path:
    """Write the sample project into <home>/demo, replacing the previous demo's folder."""
    project = home / "demo"
    if project.exists():
        shutil.rmtree(project)
    init_project(project)
    return project


def import_error_message(
    errors: Sequence[Mapping[str, Any]], dag_id: str | None, dag_file: str | None
) -> str | None:
    """A message for the import errors that concern `dag_file` (or any file when None), else None."""
    relevant = [e for e in errors if dag_file is None or str(e.get("filename", "")).endswith(dag_file)]
    if not relevant:
        return None
    parts = []
    for error in relevant:
        trace = str(error.get("stack_trace", "")).strip().splitlines()
        parts.append(f"{error.get('filename')}:\n    " + "\n    ".join(trace[-6:]))
    what = f"DAG {dag_id!r} failed to import" if dag_id else "A DAG file failed to import"
    return f"{what}. Fix the file and run again:\n" + "\n".join(parts)


def wait_for_dag(
    api: AirflowApi,
    dag_id: str,
    dag_file: str | None,
    watch: Sequence[processes.ManagedProcess] = (),
    timeout: float = PARSE_TIMEOUT,
) -> None:
    """Wait until the dag-processor has stored `dag_id`; raise DagImportError on an import error."""

    def parsed() -> bool | None:
        if api.dag(dag_id) is not None:
            return True
        message = import_error_message(api.import_errors(), dag_id, dag_file)
        if message:
            raise DagImportError(message)
        return None

    try:
        processes.wait_for(parsed, timeout=timeout, what=f"the dag-processor to load {dag_id!r}", watch=watch)
    except TimeoutError:
        raise DagImportError(
            f"DAG {dag_id!r} did not appear within {timeout:.0f}s and Airflow reports no import error "
            f"for it. Check that a file in dags/ defines dag_id={dag_id!r}."
        ) from None


@dataclass(frozen=True)
class Progress:
    """What the run looks like right now, for a progress line."""

    elapsed: float
    states: Mapping[str, str]

    def line(self) -> str:
        done = sum(
            1
            for state in self.states.values()
            if state in {"success", "failed", "skipped", "upstream_failed"}
        )
        running = [task for task, state in self.states.items() if state in {"queued", "running", "scheduled"}]
        now = (
            f" · {', '.join(running)}: {', '.join(sorted({self.states[t] for t in running}))}"
            if running
            else ""
        )
        return f"{done}/{len(self.states) or '?'} tasks done{now} · {self.elapsed:.0f}s"


def run_once(
    api: AirflowApi,
    dag_id: str,
    *,
    on_progress: Callable[[Progress], None] = lambda _progress: None,
    watch: Sequence[processes.ManagedProcess] = (),
    timeout: float = RUN_TIMEOUT,
    conf: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Unpause and trigger `dag_id`, wait for the run to finish; return (run_id, state)."""
    api.unpause(dag_id)
    run_id = api.trigger(dag_id, conf)
    started = time.monotonic()

    def finished() -> str | None:
        states = {ti["task_id"]: ti.get("state") or "none" for ti in api.task_instances(dag_id, run_id)}
        on_progress(Progress(time.monotonic() - started, states))
        state = str(api.dag_run(dag_id, run_id).get("state"))
        return state if state in FINISHED_RUN_STATES else None

    state = processes.wait_for(finished, timeout=timeout, what=f"run {run_id} of {dag_id!r}", watch=watch)
    return run_id, state


def stopped_tasks(ecs: Any, cluster: str, arns: Sequence[str], timeout: float = 60.0) -> list[dict[str, Any]]:
    """DescribeTasks once every task has STOPPED: Airflow marks a task done a moment before its ECS
    task's process has exited, and only then is there an exit code."""

    def described() -> list[dict[str, Any]] | None:
        tasks = list(ecs.describe_tasks(cluster=cluster, tasks=list(arns)).get("tasks", []))
        return tasks if all(task.get("lastStatus") == "STOPPED" for task in tasks) else None

    try:
        return processes.wait_for(described, timeout=timeout, what="the run's ECS tasks to stop")
    except TimeoutError:
        return list(ecs.describe_tasks(cluster=cluster, tasks=list(arns)).get("tasks", []))


def result_rows(stack: LocalStack, api: AirflowApi, dag_id: str, run_id: str) -> list[TaskRow]:
    """Each task of the run: executor, ECS task, state, duration and the container's exit code."""
    assert stack.layout is not None and stack.network is not None, "start() the stack first"
    instances = api.task_instances(dag_id, run_id)
    arns = ecs_task_arns(stack.layout.database_url, dag_id, run_id)
    codes: dict[str, int | None] = {}
    if arns:
        described = stopped_tasks(stack.aws_client("ecs"), stack.network.cluster, list(arns.values()))
        codes = exit_codes(described, AIRFLOW_CONTAINER)
    return build_rows(instances, arns, codes, SAMPLE_ORDER)
