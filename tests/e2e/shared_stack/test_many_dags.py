"""Ten DAGs of ten tasks (about 100 task instances, 90 of them ECS tasks) triggered at once on the default
metadata database, the embedded PostgreSQL: every run ends in the state it should, and every ECS task that
succeeded exited 0. The folder's stack (conftest.py) checks that stopping leaves no server process behind."""

from __future__ import annotations

import pytest

from farflow.local.component_processes import wait_for
from farflow.local.demo import result_rows, wait_for_dag
from farflow.local.stack import LocalStack
from tests.e2e.conftest import patient
from tests.e2e.ledger import TaskRow, exited_0, launches, of_run, resolve_arns, task_rows
from tests.e2e.report import why_failed
from tests.e2e.shared_stack.conftest import MANY_DAGS

pytestmark = pytest.mark.e2e

DAG_FILE = MANY_DAGS
DAG_IDS = [f"farflow_many_{number}" for number in range(10)]
FAILING, FAILING_PART = "farflow_many_9", "part_3"
RUN_TIMEOUT = 480.0


def test_ten_dags_at_once_each_end_in_the_right_state(stack: LocalStack) -> None:
    assert stack.layout is not None and stack.layout.database_url.startswith("postgresql")
    api = stack.api()
    for dag_id in DAG_IDS:
        wait_for_dag(api, dag_id, DAG_FILE.name, guard=stack.check)
    for dag_id in DAG_IDS:
        api.unpause(dag_id)
    runs = {dag_id: api.trigger(dag_id) for dag_id in DAG_IDS}

    def all_finished() -> dict[str, str] | None:
        states = {dag_id: str(api.dag_run(dag_id, run_id)["state"]) for dag_id, run_id in runs.items()}
        return states if all(state in {"success", "failed"} for state in states.values()) else None

    states = wait_for(
        patient(all_finished),
        timeout=RUN_TIMEOUT,
        what="all ten runs to finish",
        interval=2.0,
        guard=stack.check,
    )
    expected_states = {dag_id: "failed" if dag_id == FAILING else "success" for dag_id in DAG_IDS}
    wrong = [dag_id for dag_id in DAG_IDS if states[dag_id] != expected_states[dag_id]]
    assert not wrong, "\n\n".join(why_failed(stack, dag_id, runs[dag_id]) for dag_id in wrong)

    # Each task that succeeded on ECS has its ARN: recorded by Airflow, or, for a few (Airflow's SKIP
    # LOCKED, ledger.max_unrecorded), proven by the executor's launch event and its one ECS task, tagged
    # with its try, exiting 0.
    succeeded: dict[tuple[str, str, str], TaskRow] = {}
    for dag_id, run_id in runs.items():
        for task_id, db_row in task_rows(stack.layout.database_url, dag_id, run_id).items():
            if task_id != "finish" and db_row.state == "success":
                succeeded[dag_id, run_id, task_id] = db_row
    resolved, problem = resolve_arns(stack, succeeded, exited_0)
    assert problem is None, problem
    ledger = launches(stack)
    for dag_id, run_id in runs.items():
        rows = {row.task_id: row for row in result_rows(stack, api, dag_id, run_id, order=())}
        assert len(rows) == 10
        expected = {task_id: "success" for task_id in rows}
        if dag_id == FAILING:
            expected |= {FAILING_PART: "failed", "finish": "upstream_failed"}
        assert {task_id: row.state for task_id, row in rows.items()} == expected, dag_id
        launched = of_run(ledger, dag_id, run_id)
        for task_id, row in rows.items():
            if task_id == "finish":
                assert row.executor == "worker"
            elif row.state == "success":
                # One ECS task, one container; the table shows that task and its exit code 0, whether
                # Airflow recorded its ARN or not (farflow.local.task_ecs).
                assert {
                    try_number: (n.created, n.started) for try_number, n in launched[task_id].items()
                } == {1: (1, 1)}, (dag_id, row)
                assert (row.arn, row.exit_code) == (resolved[dag_id, run_id, task_id].arn, 0), (dag_id, row)
    # Nothing had to be restarted under this load.
    assert stack.supervisor is not None
    assert all(state.restarts == 0 for state in stack.supervisor.states().values())
