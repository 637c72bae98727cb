"""The scheduler SIGKILLed on the local stack, and started again by its supervisor: with FARFLOW_E2E_TASKS
tasks running (default 12; 52 for the long run), every one is adopted (same ECS task, same try) and none
is launched again; with RunTask calls in flight (their tasks created, the answers held back by the
endpoint's fault), no task instance gets a second container and none is lost. Every count comes from the endpoint's record of the tasks it created and the
containers it started, per task instance and try. The tasks it ran on the `worker` executor (LocalExecutor
processes, unlike ECS tasks) end with it, even those whose code ignores SIGTERM.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from farflow.local import process_tree
from farflow.local.component_processes import wait_for
from farflow.local.endpoint import FaultSettings
from farflow.local.endpoint.warm_python_client import FORK_SERVER_ENV
from farflow.local.stack import LocalStack
from tests.e2e.conftest import alive
from tests.e2e.crash.gated_dags import GATED, WORKER_GATED
from tests.e2e.gated import database_url, install, open_and_finish, wait_adopted
from tests.e2e.ledger import TaskRow, kill_scheduler, launches, of_run, owned_and_running, task_rows

# Measured at the default size on two cores at load average 20: the first test 204 s (the stack's start,
# with the session's database template built, 113 s), the second 62 s. The limit is about 1.5 times the
# first and grows with the long run's tasks.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240 + 5 * GATED["farflow_gated_crash"])]

CRASH, INFLIGHT = "farflow_gated_crash", "farflow_gated_inflight"
HOLD_MS = 20_000  # RunTask's answer, held after its task was created


@pytest.fixture(scope="module", autouse=True)
def crash_settings() -> Iterator[None]:
    """Before the module's stack starts: room for every gated task at once in one scheduler, and containers
    forked from a warm interpreter (milliseconds to start, not seconds of CPU each)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__PARALLELISM", str(max(64, GATED[CRASH] + 8)))
        patch.setenv(FORK_SERVER_ENV, "1")
        yield


def test_every_running_task_is_adopted_and_none_launched_again(stack: LocalStack, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    api = install(stack, [CRASH])
    run_id = api.trigger(CRASH, {"gate": str(gate)})

    def all_running() -> dict[str, TaskRow] | None:
        rows = task_rows(database_url(stack), CRASH, run_id)
        jobs = {row.queued_by_job_id for row in rows.values() if row.queued_by_job_id is not None}
        complete = len(rows) == GATED[CRASH] and len(jobs) == 1
        return owned_and_running(stack, CRASH, run_id, rows, jobs) if complete else None

    before = wait_for(
        all_running, timeout=300, what=f"{GATED[CRASH]} tasks running", interval=1.0, guard=stack.check
    )
    (dead_job,) = {row.queued_by_job_id for row in before.values()}
    assert dead_job is not None
    kill_scheduler(stack)
    adopted = wait_adopted(stack, CRASH, run_id, dead_job)
    # Adopted, not reset: the same ECS task and the same try.
    assert {task: (row.arn, row.try_number) for task, row in adopted.items()} == {
        task: (row.arn, 1) for task, row in before.items()
    }
    after = open_and_finish(stack, api, CRASH, run_id, gate)
    assert {row.try_number for row in after.values()} == {1}
    counted = of_run(launches(stack), CRASH, run_id)
    launched = {
        task: {tried: (n.created, n.started) for tried, n in tries.items()} for task, tries in counted.items()
    }
    assert launched == {f"step_{index}": {1: (1, 1)} for index in range(GATED[CRASH])}


def test_a_kill_with_run_task_in_flight_leaves_no_duplicate_and_no_lost_task(
    stack: LocalStack, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    assert stack.endpoint is not None
    stack.endpoint.faults = FaultSettings(run_task_answer_delay_ms=HOLD_MS)
    try:
        api = install(stack, [INFLIGHT])
        run_id = api.trigger(INFLIGHT, {"gate": str(gate)})

        def some_in_flight() -> tuple[dict[str, TaskRow], set[str]] | None:
            created = set(of_run(launches(stack), INFLIGHT, run_id))
            return None if len(created) < 4 else (task_rows(database_url(stack), INFLIGHT, run_id), created)

        rows, created = wait_for(some_in_flight, timeout=300, what="RunTask calls in flight", interval=0.5)
        kill_scheduler(stack)
    finally:
        stack.endpoint.faults = FaultSettings()
    jobs = {row.queued_by_job_id for row in rows.values() if row.queued_by_job_id is not None}
    assert len(jobs) == 1
    (dead_job,) = jobs
    assert dead_job is not None
    # Tasks the killed scheduler had launched without learning their ARNs.
    known = {task for task, row in rows.items() if (row.external_executor_id or "").startswith("arn:")}
    assert created - known
    wait_adopted(stack, INFLIGHT, run_id, dead_job)
    open_and_finish(stack, api, INFLIGHT, run_id, gate)
    counted = of_run(launches(stack), INFLIGHT, run_id)
    assert set(counted) == {f"step_{index}" for index in range(GATED[INFLIGHT])}  # none lost
    containers = {task: sum(n.started for n in tries.values()) for task, tries in counted.items()}
    assert containers == dict.fromkeys(counted, 1), counted  # none ran twice, in any try
    assert all(n.created == 1 for tries in counted.values() for n in tries.values()), counted


def _task_runners(scheduler: int) -> list[psutil.Process] | None:
    """The Airflow task runners the scheduler's LocalExecutor workers started (each titles itself
    `airflow worker -- <ti id>`), once there is one per task of the worker DAG."""
    found = []
    for process in process_tree.descendants(scheduler):
        with contextlib.suppress(psutil.Error):
            if process.name().startswith("airflow worker -- ") and "LocalExecutor" not in process.name():
                found.append(process)
    return found if len(found) == WORKER_GATED[1] else None


def test_a_killed_schedulers_worker_tasks_end_with_it(stack: LocalStack, tmp_path: Path) -> None:
    dag_id = WORKER_GATED[0]
    api = install(stack, [dag_id])
    api.trigger(dag_id, {"gate": str(tmp_path / "never-opened")})
    scheduler = stack.components["scheduler"].pid
    runners = wait_for(
        lambda: _task_runners(scheduler), timeout=180, what=f"{dag_id}'s tasks to run", guard=stack.check
    )
    kill_scheduler(stack)
    # Ended before the new scheduler started (supervisor: cleanup, then restart), SIGTERM ignored or not.
    assert not alive(runners), [(p.pid, p.name()) for p in alive(runners)]
    assert process_tree.in_sessions({scheduler}) == []  # nothing left of the old scheduler at all
