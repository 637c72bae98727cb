"""Running crash/gated_dags.py on a local stack: install and trigger, wait for tasks to be owned by live
schedulers, open the gate, and check that every task ended in the state its code asks for."""

from __future__ import annotations

import shutil
from collections.abc import Collection
from pathlib import Path

from farflow.airflow_api import AirflowApi
from farflow.local.component_processes import wait_for
from farflow.local.demo import wait_for_dag
from farflow.local.stack import LocalStack
from tests.e2e.conftest import patient
from tests.e2e.crash.gated_dags import GATED, SHORT, SIZE, fails
from tests.e2e.ledger import TaskRow, owned_and_running, scheduler_jobs, task_rows

DAG_FILE = Path(__file__).parent / "crash" / "gated_dags.py"
ADOPTION_TIMEOUT = 300.0  # health check threshold (30 s) + orphan check interval (15 s) + a restart, loaded
RUN_TIMEOUT = 240.0 + 6.0 * SIZE  # the HA test's short runs: about 30 tasks a minute on two busy cores


def database_url(stack: LocalStack) -> str:
    assert stack.layout is not None
    return stack.layout.database_url


def install(stack: LocalStack, dag_ids: Collection[str]) -> AirflowApi:
    """Add the DAG file to the project (the dag-processor picks it up), wait for the DAGs, unpause them."""
    api = stack.api()
    if not (stack.project / "dags" / DAG_FILE.name).exists():
        shutil.copy(DAG_FILE, stack.project / "dags" / DAG_FILE.name)
    for dag_id in dag_ids:
        wait_for_dag(api, dag_id, DAG_FILE.name, guard=stack.check)
        api.unpause(dag_id)
    return api


def expected_states(dag_id: str) -> dict[str, str]:
    count = {**GATED, **SHORT}[dag_id]
    return {f"step_{index}": "failed" if fails(index) else "success" for index in range(count)}


def wait_adopted(stack: LocalStack, dag_id: str, run_id: str, dead_job: int) -> dict[str, TaskRow]:
    """Until every task runs under a live scheduler job other than the killed one, with its ARN (recorded,
    or proven by its running ECS task: ledger.resolve_arns)."""

    def adopted() -> dict[str, TaskRow] | None:
        live = [job for job, state in scheduler_jobs(database_url(stack)).items() if state == "running"]
        rows = task_rows(database_url(stack), dag_id, run_id)
        return owned_and_running(stack, dag_id, run_id, rows, set(live) - {dead_job})

    return wait_for(
        adopted,
        timeout=ADOPTION_TIMEOUT,
        what=f"{dag_id}'s tasks to be adopted",
        interval=1.0,
        guard=stack.check,
    )


def wait_ended(api: AirflowApi, runs: dict[str, str]) -> None:
    """Until each run (dag_id -> run_id) has ended; every one has a planned failure, so `failed`."""

    def ended() -> dict[str, str] | None:
        states = {dag_id: str(api.dag_run(dag_id, run_id)["state"]) for dag_id, run_id in runs.items()}
        return states if all(state in {"success", "failed"} for state in states.values()) else None

    states = wait_for(patient(ended), timeout=RUN_TIMEOUT, what=f"{sorted(runs)} to end", interval=2.0)
    assert states == dict.fromkeys(runs, "failed")


def open_and_finish(
    stack: LocalStack, api: AirflowApi, dag_id: str, run_id: str, gate: Path
) -> dict[str, TaskRow]:
    """Open the gate, wait for the run to end, and check each task's state."""
    gate.touch()
    wait_ended(api, {dag_id: run_id})
    rows = task_rows(database_url(stack), dag_id, run_id)
    assert {task_id: row.state for task_id, row in rows.items()} == expected_states(dag_id)
    return rows
