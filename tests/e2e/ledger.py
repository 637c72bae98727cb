"""What really happened to each task instance, from records a scheduler cannot bend: the local endpoint's
own record of the ECS tasks RunTask created and the containers it started (`task_timeline()`), matched to
Airflow task instances and tries by the tags the executor sets on each task; and the metadata database's
task_instance and job rows (which scheduler job owns a task, its try, its ECS task ARN).
"""

from __future__ import annotations

import os
import signal
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from farflow.executor.request import clean_tag_value
from farflow.local.component_processes import wait_for
from farflow.local.stack import LocalStack

TryKey = tuple[str, str, str, int, int]  # dag_id, task_id, run_id (as tagged), map_index, try_number
DESCRIBE_BATCH = 100


@dataclass
class Launches:
    """One try's ECS tasks: how many RunTask created, and how many of them started a container."""

    created: int = 0
    started: int = 0


def launches(stack: LocalStack) -> dict[TryKey, Launches]:
    """Every ECS task the stack's endpoint created for an Airflow task, by task instance and try."""
    assert stack.endpoint is not None and stack.network is not None
    timeline = stack.endpoint.task_timeline()
    ecs = stack.aws_client("ecs")
    arns = list(timeline)
    counts: defaultdict[TryKey, Launches] = defaultdict(Launches)
    for start in range(0, len(arns), DESCRIBE_BATCH):
        batch = arns[start : start + DESCRIBE_BATCH]
        described = ecs.describe_tasks(cluster=stack.network.cluster, tasks=batch, include=["TAGS"])
        for task in described["tasks"]:
            tags = {tag["key"]: tag["value"] for tag in task.get("tags", [])}
            if "airflow:dag_id" not in tags:
                continue
            key = (
                tags["airflow:dag_id"],
                tags["airflow:task_id"],
                tags["airflow:run_id"],
                int(tags["airflow:map_index"]),
                int(tags["airflow:try_number"]),
            )
            counts[key].created += 1
            times = timeline[task["taskArn"]].times
            counts[key].started += "started" in times or "spawned" in times
    return dict(counts)


def of_run(ledger: dict[TryKey, Launches], dag_id: str, run_id: str) -> dict[str, dict[int, Launches]]:
    """One run's launches: task_id -> try_number -> Launches."""
    tagged = clean_tag_value(run_id)
    runs: defaultdict[str, dict[int, Launches]] = defaultdict(dict)
    for (dag, task_id, run, _, try_number), counted in ledger.items():
        if dag == dag_id and run == tagged:
            runs[task_id][try_number] = counted
    return dict(runs)


@dataclass(frozen=True)
class TaskRow:
    """One task instance as the metadata database holds it."""

    state: str | None
    try_number: int
    external_executor_id: str | None
    queued_by_job_id: int | None


def _query(database_url: str, sql: str, **parameters: Any) -> list[Any]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sqlalchemy.text(sql), parameters))
    finally:
        engine.dispose()


def task_rows(database_url: str, dag_id: str, run_id: str) -> dict[str, TaskRow]:
    """task_id -> its row, for one run."""
    rows = _query(
        database_url,
        "SELECT task_id, state, try_number, external_executor_id, queued_by_job_id FROM task_instance "
        "WHERE dag_id = :dag_id AND run_id = :run_id",
        dag_id=dag_id,
        run_id=run_id,
    )
    return {str(row[0]): TaskRow(row[1], int(row[2]), row[3], row[4]) for row in rows}


def scheduler_jobs(database_url: str) -> dict[int, str]:
    """Every scheduler job's id and state (running, failed, success)."""
    rows = _query(database_url, "SELECT id, state FROM job WHERE job_type = 'SchedulerJob'")
    return {int(row[0]): str(row[1]) for row in rows}


def owned_and_running(rows: dict[str, TaskRow], owners: Iterable[int]) -> bool:
    """Every task is running with its ECS task ARN recorded, queued by one of `owners`."""
    allowed = set(owners)
    return all(
        row.state == "running"
        and (row.external_executor_id or "").startswith("arn:")
        and row.queued_by_job_id in allowed
        for row in rows.values()
    )


def kill_scheduler(stack: LocalStack) -> int:
    """SIGKILL the stack's scheduler and wait for its supervisor to start a new one; its pid."""
    assert stack.supervisor is not None
    old = stack.components["scheduler"].pid
    os.kill(old, signal.SIGKILL)

    def restarted() -> int | None:
        assert stack.supervisor is not None
        state = stack.supervisor.states()["scheduler"]
        return state.pid if state.state == "running" and state.pid not in (None, old) else None

    return wait_for(restarted, timeout=120, what="the supervisor to start the scheduler again")
