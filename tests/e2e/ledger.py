"""What really happened to each task instance, from records a scheduler cannot bend: the local endpoint's
own record of the ECS tasks RunTask created and the containers it started (`task_timeline()`), matched to
Airflow task instances and tries by the tags the executor sets on each task; and the metadata database's
task_instance and job rows (which scheduler job owns a task, its try, its ECS task ARN).

Every check that "each ECS-run task has its ARN" goes through `resolve_arns`, which allows Airflow's one
known loss, and only a few of it (`max_unrecorded`): the scheduler records an executor's RUNNING event (which carries the
ARN into task_instance.external_executor_id) with `SELECT ... FOR UPDATE SKIP LOCKED` and drops the event
of a row another transaction holds just then (the task's own first execution API call); see
farflow.local.task_ecs.
"""

from __future__ import annotations

import os
import signal
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from farflow.executor.request import clean_tag_value
from farflow.local.component_processes import wait_for
from farflow.local.environment import AIRFLOW_CONTAINER
from farflow.local.stack import LocalStack
from farflow.local.task_ecs import LAUNCHED_EVENT, launches_from_events

TryKey = tuple[str, str, str, int, int]  # dag_id, task_id, run_id (as tagged), map_index, try_number
RowKey = tuple[str, str, str]  # dag_id, run_id, task_id
DESCRIBE_BATCH = 100
# The share of one check's task instances (one test's runs) allowed to lack their recorded ARN. Each loss
# is its own race (the scheduler reading the task's RUNNING event just as the task's first execution API
# call holds its row), so the count grows with the tasks checked and with the machine's load: ten DAGs
# with 90 ECS tasks at once lost 1 in CI (the suite alone on two cores) and 4 with eight test suites
# sharing those cores. One in ten (at least one) leaves that busy run room (a mean of 4 exceeds 9 less than
# once in a hundred), while an executor that loses ARNs itself (every one, or those of tasks that end
# fast) still fails. Each one must be proven twice: by the executor's `ecs task launched` event for its
# try, which the executor logs as it reports the ARN to Airflow, and by that ECS task, tagged with its try.
UNRECORDED_SHARE = 10


def max_unrecorded(checked: int) -> int:
    """How many of `checked` task instances may lack their recorded ARN."""
    return max(1, checked // UNRECORDED_SHARE)


@dataclass
class Launches:
    """One try's ECS tasks: how many RunTask created, and how many of them started a container."""

    created: int = 0
    started: int = 0


def _tagged(stack: LocalStack) -> Iterator[tuple[TryKey, dict[str, Any], dict[str, float]]]:
    """Each ECS task the endpoint created for an Airflow task: its try, its description and its steps."""
    assert stack.endpoint is not None and stack.seeded is not None
    timeline = stack.endpoint.task_timeline()
    ecs = stack.aws_client("ecs")
    arns = list(timeline)
    for start in range(0, len(arns), DESCRIBE_BATCH):
        batch = arns[start : start + DESCRIBE_BATCH]
        described = ecs.describe_tasks(cluster=stack.seeded.cluster, tasks=batch, include=["TAGS"])
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
            yield key, task, timeline[task["taskArn"]].times


def launches(stack: LocalStack) -> dict[TryKey, Launches]:
    """Every ECS task the stack's endpoint created for an Airflow task, by task instance and try."""
    counts: defaultdict[TryKey, Launches] = defaultdict(Launches)
    for key, _, times in _tagged(stack):
        counts[key].created += 1
        counts[key].started += "started" in times or "spawned" in times
    return dict(counts)


@dataclass(frozen=True)
class Tagged:
    """One ECS task tagged with a task instance's try: its ARN, status and Airflow container's exit code."""

    arn: str
    status: str
    exit_code: int | None


def tagged_tasks(stack: LocalStack) -> dict[TryKey, list[Tagged]]:
    """The ECS tasks the endpoint created for each task instance's try, oldest first."""
    found: defaultdict[TryKey, list[Tagged]] = defaultdict(list)
    for key, task, _ in _tagged(stack):
        codes = [c.get("exitCode") for c in task["containers"] if c["name"] == AIRFLOW_CONTAINER]
        found[key].append(Tagged(task["taskArn"], task["lastStatus"], codes[0] if codes else None))
    return dict(found)


Proof = Callable[[list[Tagged]], str | None]  # a try's tagged tasks -> the ARN they prove, or None


def exited_0(tasks: list[Tagged]) -> str | None:
    """The try's one ECS task, if it stopped with exit code 0."""
    return (
        tasks[0].arn if len(tasks) == 1 and (tasks[0].status, tasks[0].exit_code) == ("STOPPED", 0) else None
    )


def running(tasks: list[Tagged]) -> str | None:
    """The try's one running ECS task (a relaunch leaves its earlier task stopped)."""
    live = [task for task in tasks if task.status == "RUNNING"]
    return live[0].arn if len(live) == 1 else None


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
    """One task instance as the metadata database holds it; `arn` is its recorded ECS task ARN, or after
    `resolve_arns` the one its ECS task's tags prove."""

    state: str | None
    try_number: int
    external_executor_id: str | None
    queued_by_job_id: int | None
    arn: str | None = None


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
    return {str(row[0]): TaskRow(row[1], int(row[2]), row[3], row[4], recorded(row[3])) for row in rows}


def recorded(external_executor_id: str | None) -> str | None:
    return external_executor_id if (external_executor_id or "").startswith("arn:") else None


def launched_arns(stack: LocalStack, runs: Iterable[tuple[str, str]]) -> dict[tuple[RowKey, int], str]:
    """((dag_id, run_id, task_id), try_number) -> the ARN of the executor's last `ecs task launched` event."""
    api = stack.api()
    found: dict[tuple[RowKey, int], str] = {}
    for dag_id, run_id in sorted(set(runs)):
        for launch in launches_from_events(api.event_logs(dag_id, run_id=run_id, event=LAUNCHED_EVENT)):
            found[(dag_id, run_id, launch.task_id), launch.try_number] = launch.arn
    return found


def resolve_arns(
    stack: LocalStack, rows: Mapping[RowKey, TaskRow], proof: Proof
) -> tuple[dict[RowKey, TaskRow], str | None]:
    """judge_arns with the endpoint's tagged tasks and the executor's launch events, read only when some
    ARN is missing."""
    missing = [key for key, row in rows.items() if row.arn is None]
    if not missing:
        return dict(rows), None
    events = launched_arns(stack, ((dag_id, run_id) for dag_id, run_id, _ in missing))
    return judge_arns(rows, tagged_tasks(stack), events, proof)


def judge_arns(
    rows: Mapping[RowKey, TaskRow],
    tagged: Mapping[TryKey, list[Tagged]],
    events: Mapping[tuple[RowKey, int], str],
    proof: Proof,
) -> tuple[dict[RowKey, TaskRow], str | None]:
    """The rows, each with its ECS task ARN, and None; or why they fall short. A row without a recorded
    ARN takes the one `proof` finds among the ECS tasks tagged with its try, if the executor's launch event
    for that try names it too; more than max_unrecorded(len(rows)) such rows, or one not proven, fall
    short."""
    missing = [key for key, row in rows.items() if row.arn is None]
    resolved, unproven = dict(rows), []
    for key in missing:
        dag_id, run_id, task_id = key
        row = rows[key]
        arn = proof(tagged.get((dag_id, task_id, clean_tag_value(run_id), -1, row.try_number), []))
        if arn is None or events.get((key, row.try_number)) != arn:
            unproven.append(key)
        resolved[key] = replace(row, arn=arn)
    allowed = max_unrecorded(len(rows))
    if unproven or len(missing) > allowed:
        return resolved, (
            f"{len(missing)} of {len(rows)} task instances without a recorded ECS task ARN (at most "
            f"{allowed} allowed: Airflow's SKIP LOCKED), {len(unproven)} of them not proven by their launch "
            f"event and ECS task ({proof.__name__}): missing {sorted(missing)}, unproven {sorted(unproven)}"
        )
    return resolved, None


def of(dag_id: str, run_id: str, rows: Mapping[str, TaskRow]) -> dict[RowKey, TaskRow]:
    """One run's rows keyed for resolve_arns."""
    return {(dag_id, run_id, task_id): row for task_id, row in rows.items()}


def scheduler_jobs(database_url: str) -> dict[int, str]:
    """Every scheduler job's id and state (running, failed, success)."""
    rows = _query(database_url, "SELECT id, state FROM job WHERE job_type = 'SchedulerJob'")
    return {int(row[0]): str(row[1]) for row in rows}


def owned_and_running(
    stack: LocalStack, dag_id: str, run_id: str, rows: dict[str, TaskRow], owners: Iterable[int]
) -> dict[str, TaskRow] | None:
    """The rows, each with its ECS task ARN, once every task is running, queued by one of `owners`, with
    its ARN recorded or (resolve_arns) proven by its running ECS task; else None."""
    allowed = set(owners)
    if not all(row.state == "running" and row.queued_by_job_id in allowed for row in rows.values()):
        return None
    resolved, problem = resolve_arns(stack, of(dag_id, run_id, rows), running)
    return None if problem else {task_id: row for (_, _, task_id), row in resolved.items()}


def kill_scheduler(stack: LocalStack) -> int:
    """SIGKILL the stack's scheduler's whole process group, as a crashed scheduler container goes on ECS,
    and wait for its supervisor to start a new one; its pid. Killing the main process alone would leave
    any forked child holding the killed scheduler's database sockets and the row locks of a transaction
    it had open (see the HA test), which no real crash leaves behind."""
    assert stack.supervisor is not None
    old = stack.components["scheduler"].pid
    assert os.getpgid(old) == old, "the scheduler leads its own process group"
    os.killpg(old, signal.SIGKILL)

    def restarted() -> int | None:
        assert stack.supervisor is not None
        state = stack.supervisor.states()["scheduler"]
        return state.pid if state.state == "running" and state.pid not in (None, old) else None

    return wait_for(restarted, timeout=120, what="the supervisor to start the scheduler again")
