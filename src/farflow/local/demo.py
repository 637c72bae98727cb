"""The sample project `farflow demo` runs, and what running any DAG needs: waiting until the DAG is
parsed (or quoting its import error), and each task's row (executor, ECS task, exit code): the ECS task
is the one Airflow recorded, else the executor's launch event's or the one tagged with the task's try
(task_ecs.py says why Airflow can miss one).

The waits poll the REST API with a deadline, so tests can drive them without a terminal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from farflow.airflow_api import AirflowApi
from farflow.local import component_processes
from farflow.local.dag_lookup import (
    DagFolder,
    DagRecord,
    Found,
    ImportFailure,
    NotFound,
    existing_dags,
    import_failure_message,
    judge,
    unparsed,
)
from farflow.local.demo_table import TaskRow, build_rows
from farflow.local.environment import AIRFLOW_CONTAINER
from farflow.local.metadata_query import ecs_task_arns
from farflow.local.stack_access import StackAccess
from farflow.local.task_ecs import (
    ENDED_STATES,
    LAUNCHED_EVENT,
    Launch,
    launches_from_events,
    launches_from_tags,
    pick,
    unresolved,
)
from farflow.scaffold import init_project

SAMPLE_DAG = "sample_dag"
SAMPLE_FILE = "sample_dag.py"
SAMPLE_ORDER = ("start_process", "odd_task", "even_task", "numbers_task", "on_worker_task")
PARSE_TIMEOUT = 180.0


class DagImportError(RuntimeError):
    """The DAG did not load; the message quotes Airflow's import error and names the file to fix."""


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
    failures = [ImportFailure.from_api(e) for e in errors]
    relevant = [f for f in failures if dag_file is None or f.file.endswith(dag_file)]
    return import_failure_message(dag_id, relevant, None) if relevant else None


def wait_for_dag(
    api: AirflowApi,
    dag_id: str,
    dag_file: str | None,
    *,
    dags_folder: Path | None = None,
    guard: Callable[[], None] = lambda: None,
    timeout: float = PARSE_TIMEOUT,
) -> None:
    """Wait until the dag-processor has loaded `dag_id` (from `dags_folder` as it is now, when given);
    raise DagImportError quoting its import error, or, once the folder is parsed, naming the DAG ids
    that exist (dag_lookup.py)."""

    def look() -> tuple[list[DagRecord], list[ImportFailure], DagFolder | None] | None:
        try:
            records = [DagRecord.from_api(raw) for raw in api.dags()]
            failures = [ImportFailure.from_api(raw) for raw in api.import_errors()]
        except OSError:  # an api-server too busy to answer in time: ask again until the deadline
            return None
        return records, failures, DagFolder.scan(dags_folder) if dags_folder is not None else None

    seen: list[tuple[list[DagRecord], list[ImportFailure], DagFolder | None]] = []

    def decided() -> Found | None:
        state = look()
        if state is None:
            return None
        seen[:] = [state]
        verdict = judge(dag_id, *state, hint=dag_file)
        if isinstance(verdict, NotFound):
            raise DagImportError(verdict.message)
        return verdict

    try:
        component_processes.wait_for(
            decided, timeout=timeout, what=f"the dag-processor to load {dag_id!r}", guard=guard
        )
    except TimeoutError:
        raise DagImportError(_timed_out(dag_id, timeout, *(seen[0] if seen else ([], [], None)))) from None


def _timed_out(
    dag_id: str,
    timeout: float,
    records: list[DagRecord],
    failures: list[ImportFailure],
    folder: DagFolder | None,
) -> str:
    message = (
        f"DAG {dag_id!r} did not appear within {timeout:.0f}s, and Airflow reports no import error for it."
    )
    waiting = unparsed(records, failures, folder) if folder is not None else []
    if folder is not None and waiting:
        files = ", ".join(folder.shown(file) for file in waiting)
        message += f" It has reported nothing on {files} (it reports nothing on a file that defines no DAG)."
    message += f" Check that a file in dags/ defines dag_id={dag_id!r}."
    if records or failures:
        message += " " + existing_dags(dag_id, records, failures, folder)
    return message


def describe_tasks(
    ecs: Any, cluster: str, arns: Sequence[str], include: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """DescribeTasks for any number of tasks (ECS takes 100 a call)."""
    described: list[dict[str, Any]] = []
    extra = {"include": list(include)} if include else {}
    for start in range(0, len(arns), 100):
        batch = list(arns[start : start + 100])
        described += ecs.describe_tasks(cluster=cluster, tasks=batch, **extra).get("tasks", [])
    return described


def tagged_tasks(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    """Every task the cluster knows (running or stopped), described with its tags."""
    arns: set[str] = set()
    for status in ("RUNNING", "STOPPED"):
        pages = ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus=status)
        arns.update(arn for page in pages for arn in page.get("taskArns", []))
    return describe_tasks(ecs, cluster, sorted(arns), include=["TAGS"])


def stopped_tasks(ecs: Any, cluster: str, arns: Sequence[str], timeout: float = 60.0) -> list[dict[str, Any]]:
    """DescribeTasks once every task has STOPPED: Airflow marks a task done a moment before its ECS
    task's process has exited, and only then is there an exit code."""

    def described() -> list[dict[str, Any]] | None:
        tasks = describe_tasks(ecs, cluster, arns)
        return tasks if all(task.get("lastStatus") == "STOPPED" for task in tasks) else None

    try:
        return component_processes.wait_for(described, timeout=timeout, what="the run's ECS tasks to stop")
    except TimeoutError:
        return describe_tasks(ecs, cluster, arns)


def result_rows(
    stack: StackAccess,
    api: AirflowApi,
    dag_id: str,
    run_id: str,
    order: Sequence[str] = SAMPLE_ORDER,
    *,
    settled: bool = True,
) -> list[TaskRow]:
    """Each task of the run: executor, ECS task, state, duration and the container's exit code. With
    `settled`, wait until every ECS task has stopped, so each exit code is there, and look for an ECS task
    Airflow did not record by its tags too (the cluster's whole list: only once, at the end)."""
    assert stack.layout is not None and stack.seeded is not None, "start() the stack first"
    instances = api.task_instances(dag_id, run_id)
    recorded = ecs_task_arns(stack.layout.database_url, dag_id, run_id)
    ecs, cluster = stack.aws_client("ecs"), stack.seeded.cluster
    launches: list[Launch] = []
    if unresolved(instances, recorded):
        launches = launches_from_events(api.event_logs(dag_id, run_id=run_id, event=LAUNCHED_EVENT))
    if settled and unresolved(instances, recorded, launches, ENDED_STATES):
        launches += launches_from_tags(tagged_tasks(ecs, cluster), dag_id, run_id)
    arns = sorted(set(recorded.values()) | {launch.arn for launch in launches})
    described = []
    if arns:
        described = stopped_tasks(ecs, cluster, arns) if settled else describe_tasks(ecs, cluster, arns)
    return build_rows(instances, pick(instances, recorded, launches, described, AIRFLOW_CONTAINER), order)
