"""The local stack end to end: real api-server, scheduler, dag-processor and triggerer, farflow's executor,
and the local ECS endpoint running every task as a process.

All DAG runs are triggered together (one module-scoped stack, 2 cores), then each test checks its own.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from farflow.local import processes
from farflow.local.api import AirflowApi
from farflow.local.demo import (
    SAMPLE_DAG,
    SAMPLE_ORDER,
    DagImportError,
    result_rows,
    wait_for_dag,
)
from farflow.local.metadata import ecs_task_arns
from farflow.local.stack import LocalStack

pytestmark = pytest.mark.e2e

RUN_DAGS = (SAMPLE_DAG, "farflow_e2e_exit", "farflow_e2e_sleep", "farflow_e2e_memory")
RUN_TIMEOUT = 300.0
STOP_REASON = "stopped by the farflow e2e test"


@pytest.fixture(scope="module")
def runs(stack: LocalStack, api: AirflowApi) -> dict[str, str]:
    """dag_id -> run_id, all triggered at once."""
    watch = list(stack.components.values())
    for dag_id in RUN_DAGS:
        wait_for_dag(api, dag_id, None if dag_id != SAMPLE_DAG else "sample_dag.py", watch)
    started = {}
    for dag_id in RUN_DAGS:
        api.unpause(dag_id)
        started[dag_id] = api.trigger(dag_id)
    return started


def finished(api: AirflowApi, stack: LocalStack, dag_id: str, run_id: str) -> str:
    def state() -> str | None:
        value = str(api.dag_run(dag_id, run_id).get("state"))
        return value if value in {"success", "failed"} else None

    return processes.wait_for(
        state, timeout=RUN_TIMEOUT, what=f"{dag_id} to finish", watch=list(stack.components.values())
    )


def ecs_events(api: AirflowApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    return [
        e for e in api.event_logs(dag_id, run_id=run_id) if str(e.get("event", "")).startswith("ecs task")
    ]


def stop_event(api: AirflowApi, dag_id: str, run_id: str) -> str:
    """The executor's "ecs task stopped" event text; it is saved just after the task ends, so poll."""
    return processes.wait_for(
        lambda: next(
            (
                str(e.get("extra"))
                for e in ecs_events(api, dag_id, run_id)
                if e["event"] == "ecs task stopped"
            ),
            None,
        ),
        timeout=30,
        what=f"the 'ecs task stopped' event of {dag_id}",
    )


def test_the_ui_login_page_answers(stack: LocalStack) -> None:
    assert stack.layout is not None
    with urllib.request.urlopen(f"{stack.layout.api_url}/auth/login", timeout=10) as response:
        assert response.status == 200
        assert "text/html" in response.headers["Content-Type"]
        assert "<html" in response.read().decode().lower()


def test_a_dag_that_fails_to_import_is_reported_with_its_file(stack: LocalStack, api: AirflowApi) -> None:
    with pytest.raises(DagImportError) as caught:
        wait_for_dag(api, "farflow_e2e_broken", "broken_dag.py", timeout=60)
    message = str(caught.value)
    assert "broken_dag.py" in message
    assert "farflow_module_that_does_not_exist" in message
    assert "Fix the file" in message


def test_the_sample_dag_runs_to_success(stack: LocalStack, api: AirflowApi, runs: dict[str, str]) -> None:
    run_id = runs[SAMPLE_DAG]
    assert finished(api, stack, SAMPLE_DAG, run_id) == "success"
    rows = {row.task_id: row for row in result_rows(stack, api, SAMPLE_DAG, run_id)}
    assert list(rows) == list(SAMPLE_ORDER)
    assert all(row.state == "success" for row in rows.values())
    for task_id in ("start_process", "odd_task", "even_task", "numbers_task"):
        assert rows[task_id].executor == "EcsFargateExecutor"
        assert rows[task_id].ecs_task_id
        assert rows[task_id].exit_code == 0
    assert rows["on_worker_task"].executor == "LocalExecutor"
    assert rows["on_worker_task"].ecs_task_id is None
    # The ECS task's output, from CloudWatch Logs, is in the Airflow task's log.
    log = api.request("GET", f"/api/v2/dags/{SAMPLE_DAG}/dagRuns/{run_id}/taskInstances/odd_task/logs/1")
    assert "odd numbers below 20: [1, 3, 5" in json.dumps(log)


def test_a_container_that_exits_non_zero_fails_the_task_with_its_exit_code(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    dag_id = "farflow_e2e_exit"
    assert finished(api, stack, dag_id, runs[dag_id]) == "failed"
    (instance,) = api.task_instances(dag_id, runs[dag_id])
    assert instance["state"] == "failed"
    assert re.search(r"exit code 3\b", stop_event(api, dag_id, runs[dag_id]))


def test_stop_task_fails_the_task_with_its_reason(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    dag_id, run_id = "farflow_e2e_sleep", runs["farflow_e2e_sleep"]
    assert stack.layout is not None and stack.network is not None
    database_url, cluster = stack.layout.database_url, stack.network.cluster
    ecs = stack.aws_client("ecs")

    def running_arn() -> str | None:
        arn = ecs_task_arns(database_url, dag_id, run_id).get("sleeps")
        if arn is None:
            return None
        (task,) = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
        states = {ti["task_id"]: ti["state"] for ti in api.task_instances(dag_id, run_id)}
        return arn if task["lastStatus"] == "RUNNING" and states.get("sleeps") == "running" else None

    arn = processes.wait_for(running_arn, timeout=RUN_TIMEOUT, what="the sleeping task to run")
    ecs.stop_task(cluster=cluster, task=arn, reason=STOP_REASON)
    assert finished(api, stack, dag_id, run_id) == "failed"
    (instance,) = api.task_instances(dag_id, run_id)
    assert instance["state"] == "failed"
    assert STOP_REASON in stop_event(api, dag_id, run_id)


def test_a_task_over_its_memory_ends_with_exit_code_137(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    dag_id = "farflow_e2e_memory"
    assert finished(api, stack, dag_id, runs[dag_id]) == "failed"
    event = stop_event(api, dag_id, runs[dag_id])
    assert re.search(r"exit code 137\b", event)
    assert "OutOfMemoryError" in event
