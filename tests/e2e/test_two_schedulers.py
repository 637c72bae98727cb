"""Two schedulers at once (Airflow's HA mode), both with farflow's executor, on a PostgreSQL server of the
module's own (the embedded one, over its socket, stopped and deleted after): the stack's scheduler and a
second one started with the same environment, as `farflow local airflow scheduler` would. Two short DAGs
of FARFLOW_E2E_TASKS tasks each (default 12; 52 for the long run), then a gated DAG of 20: no task launched
twice, neither scheduler fails or takes the other's live tasks; then one is SIGKILLed and the other adopts
its running tasks (same ECS task, same try).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from farflow.local import component_processes
from farflow.local.component_processes import ManagedProcess, wait_for
from farflow.local.components import component_argv
from farflow.local.endpoint.warm_python_client import FORK_SERVER_ENV
from farflow.local.stack import LocalStack
from tests.e2e.conftest import e2e_project, started_stack
from tests.e2e.crash.gated_dags import GATED, SHORT
from tests.e2e.gated import (
    DAG_FILE,
    database_url,
    install,
    open_and_finish,
    wait_adopted,
    wait_ended,
)
from tests.e2e.ledger import (
    TaskRow,
    launches,
    of_run,
    owned_and_running,
    scheduler_jobs,
    task_rows,
)
from tests.support.postgres import postgres_server

# Measured 76 s (stack start 14 s, the test 59 s, stop 3 s) for the default size's 44 task instances on two
# idle cores, and 2.3 times as long at load average 20: the limit (232 s) is about 1.3 times the loaded
# figure, and grows with the long run's tasks.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(100 + 3 * (sum(SHORT.values()) + GATED["farflow_gated_ha"])),
]

HA = "farflow_gated_ha"
# Tasks each scheduler runs at once: fewer than the gated DAG's, so both schedulers hold some of them, and
# few enough that the one api-server answers every task process in time on two cores.
PARALLELISM = 12


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The schedulers' metadata database, on a server of this module's own: given to the stack by URL, as
    RDS is on AWS, rather than the embedded server the stack would start and stop itself."""
    with postgres_server(tmp_path_factory.mktemp("ha-postgres")) as server:
        yield server.url


@pytest.fixture(scope="module")
def stack(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__PARALLELISM", str(PARALLELISM))
        patch.setenv(FORK_SERVER_ENV, "1")
        project = e2e_project(tmp_path_factory.mktemp("ha"))
        shutil.copy(DAG_FILE, project / "dags" / DAG_FILE.name)
        with started_stack(project, database_url=database) as local:
            yield local


@pytest.fixture(scope="module")
def second(stack: LocalStack) -> Iterator[ManagedProcess]:
    """Another scheduler with the stack's scheduler's environment and command line."""
    process = component_processes.start(
        "second scheduler",
        component_argv("scheduler", stack.options.api_port),
        stack.environment("scheduler"),
        stack.state.logs / "scheduler-2.log",
        stack.project,
    )
    try:
        yield process
    finally:
        component_processes.stop([process])


def running_jobs(stack: LocalStack) -> list[int]:
    return sorted(job for job, state in scheduler_jobs(database_url(stack)).items() if state == "running")


def launched(stack: LocalStack, runs: dict[str, str]) -> dict[str, dict[str, dict[int, tuple[int, int]]]]:
    """dag_id -> task_id -> try -> (ECS tasks created, containers started)."""
    ledger = launches(stack)
    return {
        dag_id: {
            task: {tried: (n.created, n.started) for tried, n in tries.items()}
            for task, tries in of_run(ledger, dag_id, run_id).items()
        }
        for dag_id, run_id in runs.items()
    }


def once_each(dag_id: str) -> dict[str, dict[int, tuple[int, int]]]:
    return {f"step_{index}": {1: (1, 1)} for index in range({**GATED, **SHORT}[dag_id])}


def test_two_schedulers_share_the_work_and_one_adopts_the_others_tasks(
    stack: LocalStack, second: ManagedProcess, tmp_path: Path
) -> None:
    started = time.monotonic()

    def two_jobs() -> list[int] | None:
        jobs = running_jobs(stack)
        return jobs if len(jobs) == 2 else None

    first_job, second_job = wait_for(
        two_jobs,
        timeout=180,
        what="two scheduler jobs",
        watch=[second],
        guard=stack.check,
    )
    api = install(stack, [HA, *SHORT])
    runs = {dag_id: api.trigger(dag_id) for dag_id in SHORT}
    wait_ended(api, runs)
    gate = tmp_path / "gate"
    runs[HA] = api.trigger(HA, {"gate": str(gate)})

    def gated_running() -> dict[str, TaskRow] | None:
        rows = task_rows(database_url(stack), HA, runs[HA])
        complete = len(rows) == GATED[HA]
        return owned_and_running(stack, HA, runs[HA], rows, (first_job, second_job)) if complete else None

    before = wait_for(
        gated_running, timeout=300, what="the gated tasks running", interval=1.0, guard=stack.check
    )
    # Both schedulers lived through it, and neither took the other's tasks: no job failed, no restart.
    second_alive = second.alive()
    assert second_alive and running_jobs(stack) == [first_job, second_job]
    assert stack.supervisor is not None and stack.supervisor.states()["scheduler"].restarts == 0
    rows = {dag_id: task_rows(database_url(stack), dag_id, run_id) for dag_id, run_id in runs.items()}
    owners = Counter(row.queued_by_job_id for dag_rows in rows.values() for row in dag_rows.values())
    assert {row.try_number for dag_rows in rows.values() for row in dag_rows.values()} == {1}
    assert launched(stack, runs) == {dag_id: once_each(dag_id) for dag_id in runs}

    # Each scheduler runs at most PARALLELISM tasks, fewer than the gated ones: both hold some. Kill the
    # second; the stack's scheduler adopts its running tasks.
    gated_owners = Counter(row.queued_by_job_id for row in before.values())
    assert gated_owners[first_job] and gated_owners[second_job], gated_owners
    # SIGKILL its whole process group, as a crashed scheduler container goes on ECS. Killing the main
    # process alone leaves its forked LocalExecutor workers holding its PostgreSQL sockets (Airflow's
    # fork handler disposes the pool with close=False), so a transaction it had open stays open and its
    # row locks with it; the live scheduler then skips that DAG run for good (it selects runs FOR UPDATE
    # SKIP LOCKED) and the run never ends.
    os.killpg(second.pid, signal.SIGKILL)
    second.popen.wait(timeout=30)
    adopted = wait_adopted(stack, HA, runs[HA], second_job)
    assert {task: (row.arn, row.try_number) for task, row in adopted.items()} == {
        task: (row.arn, 1) for task, row in before.items()
    }
    open_and_finish(stack, api, HA, runs[HA], gate)
    assert launched(stack, {HA: runs[HA]}) == {HA: once_each(HA)}
    total = sum(len(dag_rows) for dag_rows in rows.values())
    print(
        f"two schedulers: {total} task instances, queued by job {dict(owners)}; gated tasks by job "
        f"{dict(gated_owners)}; killed job {second_job}, its {gated_owners[second_job]} running tasks adopted "
        f"by job(s) {sorted({row.queued_by_job_id for row in adopted.values()})}; "
        f"{time.monotonic() - started:.0f} s"
    )
