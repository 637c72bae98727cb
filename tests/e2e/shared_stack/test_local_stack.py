"""The local stack end to end: real api-server, scheduler, dag-processor and triggerer, farflow's executor,
and the local ECS endpoint running every task as a process.

All DAG runs are triggered together (one module-scoped stack, 2 cores), then each test checks its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from farflow import cost_report
from farflow.airflow_api import AirflowApi, ApiError
from farflow.cli import app
from farflow.local.component_processes import wait_for
from farflow.local.demo import (
    SAMPLE_DAG,
    SAMPLE_ORDER,
    DagImportError,
    result_rows,
    wait_for_dag,
)
from farflow.local.endpoint.calls import FARFLOW_CLIENT, OTHER_CLIENT
from farflow.local.stack import LocalStack
from farflow.spec.ui_user import ADMIN_USER
from farflow.workload.reference import parse_store_url, reference_in
from tests.e2e.browser import browser_page, log_in
from tests.e2e.ledger import exited_0, of, resolve_arns, running, task_rows
from tests.support.aws_calls import called_operations, undeclared
from tests.support.leaks import JWT, every_ecs_task, find_leaks

pytestmark = pytest.mark.e2e

RUN_DAGS = (SAMPLE_DAG, "farflow_e2e_exit", "farflow_e2e_sleep", "farflow_e2e_memory")
RUN_TIMEOUT = 300.0
STOP_REASON = "stopped by the farflow e2e test"


@pytest.fixture(scope="module")
def runs(stack: LocalStack, api: AirflowApi) -> dict[str, str]:
    """dag_id -> run_id, all triggered at once."""
    for dag_id in RUN_DAGS:
        wait_for_dag(api, dag_id, None if dag_id != SAMPLE_DAG else "sample_dag.py", guard=stack.check)
    started = {}
    for dag_id in RUN_DAGS:
        api.unpause(dag_id)
        started[dag_id] = api.trigger(dag_id)
    return started


def finished(api: AirflowApi, stack: LocalStack, dag_id: str, run_id: str) -> str:
    def state() -> str | None:
        value = str(api.dag_run(dag_id, run_id).get("state"))
        return value if value in {"success", "failed"} else None

    return wait_for(state, timeout=RUN_TIMEOUT, what=f"{dag_id} to finish", guard=stack.check)


def ecs_events(api: AirflowApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    return [
        e for e in api.event_logs(dag_id, run_id=run_id) if str(e.get("event", "")).startswith("ecs task")
    ]


def stop_event(api: AirflowApi, dag_id: str, run_id: str) -> str:
    """The executor's "ecs task stopped" event text; it is saved just after the task ends, so poll."""
    return wait_for(
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
    on_ecs = ("start_process", "odd_task", "even_task", "numbers_task")
    assert stack.layout is not None
    recorded = task_rows(stack.layout.database_url, SAMPLE_DAG, run_id)
    resolved, problem = resolve_arns(
        stack, of(SAMPLE_DAG, run_id, {task_id: recorded[task_id] for task_id in on_ecs}), exited_0
    )
    assert problem is None, problem
    for task_id in on_ecs:
        assert rows[task_id].executor == "EcsFargateExecutor"
        assert rows[task_id].arn == resolved[SAMPLE_DAG, run_id, task_id].arn
        assert rows[task_id].ecs_task_id
        assert rows[task_id].exit_code == 0
    assert rows["on_worker_task"].executor == "worker"  # the alias: LocalExecutor here, Edge workers on AWS
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
    assert stack.layout is not None and stack.seeded is not None
    database_url, cluster = stack.layout.database_url, stack.seeded.cluster
    ecs = stack.aws_client("ecs")

    def running_arn() -> str | None:
        row = task_rows(database_url, dag_id, run_id).get("sleeps")
        if row is None or row.state != "running":
            return None
        resolved, problem = resolve_arns(stack, of(dag_id, run_id, {"sleeps": row}), running)
        arn = None if problem else resolved[dag_id, run_id, "sleeps"].arn
        if arn is None:
            return None
        (task,) = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
        return arn if task["lastStatus"] == "RUNNING" else None

    arn = wait_for(running_arn, timeout=RUN_TIMEOUT, what="the sleeping task to run")
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


def test_the_executor_calls_only_the_aws_operations_it_declares(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    """What the deploy's IAM policy grants (aws_actions) covers every call the executor made in all runs."""
    for dag_id, run_id in runs.items():
        finished(api, stack, dag_id, run_id)
    calls = stack.endpoint.client_calls()
    executor = calls.get(FARFLOW_CLIENT, {})
    assert undeclared(executor, called_operations()) == [], f"the executor called {executor}"
    # Events are on locally: task state changes came from the queue, which the executor emptied; the
    # workload store holds each task's workload.
    assert {"RunTask", "PutObject", "ReceiveMessage", "DeleteMessageBatch", "GetQueueAttributes"} <= set(
        executor
    )
    # The sample DAG's operators run ECS tasks too, and are not counted as the executor.
    assert "RunTask" in calls.get(OTHER_CLIENT, {})


def test_no_runtask_request_carries_a_workload_token(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    """The executor's RunTask requests name an object in the workload store, never the token; the objects
    are gone once the tasks are done."""
    for dag_id, run_id in runs.items():
        finished(api, stack, dag_id, run_id)
    assert stack.seeded is not None and stack.seeded.workload_store
    tasks = every_ecs_task(stack)
    executors = [task for task in tasks if str(task.get("startedBy", "")).startswith("farflow-")]
    assert len(executors) >= 4
    for task in executors:
        [command] = [
            entry["command"] for entry in task["overrides"]["containerOverrides"] if "command" in entry
        ]
        reference = reference_in(command)
        assert reference is not None and reference.startswith(stack.seeded.workload_store), command
    for task in tasks:
        text = json.dumps(task, default=str)
        assert not JWT.search(text) and '"token' not in text, task["taskArn"]
    store = parse_store_url(stack.seeded.workload_store)
    s3 = stack.aws_client("s3")
    wait_for(
        lambda: s3.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix).get("KeyCount") == 0 or None,
        timeout=60,
        what="every workload object to be deleted",
    )


def test_no_secret_or_workload_token_in_any_log_or_task_record(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    """After every run: the admin password, fernet key, JWT secret and any workload token appear in no
    component or task log, no awslogs event, no task event and no RunTask or task definition record."""
    for dag_id, run_id in runs.items():
        finished(api, stack, dag_id, run_id)
    leaks, searched = find_leaks(stack, api)
    assert not leaks, leaks
    assert searched > 10


def test_farflow_cost_adds_up_what_each_ecs_task_of_the_sample_dag_cost(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    assert finished(api, stack, SAMPLE_DAG, runs[SAMPLE_DAG]) == "success"
    stop_event(api, SAMPLE_DAG, runs[SAMPLE_DAG])  # saved just after the task ends
    # No URL, no password: the project's stack that is up (on its free port) and its admin password.
    arguments = ["cost", "--by", "task", "--dag-id", SAMPLE_DAG, "--project", str(stack.project)]
    result = CliRunner().invoke(app, arguments, terminal_width=200, env={"FARFLOW_API_URL": None})
    assert result.exit_code == 0, result.output
    rows = {
        cells[0]: cells
        for line in result.output.splitlines()
        if line.count("│") >= 4
        for cells in [[cell.strip() for cell in line.split("│")[1:-1]]]
    }
    for task_id in ("start_process", "odd_task", "even_task", "numbers_task"):
        assert f"{SAMPLE_DAG}.{task_id}" in rows, result.output
    total = rows["total"]
    assert int(total[1]) >= 4 and float(total[3]) > 0


def _dag_source(dag_id: str, *, broken: bool = False) -> str:
    missing = "import farflow_module_gone_missing  # noqa: F401\n" if broken else ""
    return f"{missing}from airflow.sdk import DAG\n\nwith DAG(dag_id={dag_id!r}, schedule=None):\n    pass\n"


def test_local_run_answers_a_renamed_mistyped_broken_or_deleted_dag_in_one_block(
    stack: LocalStack, api: AirflowApi
) -> None:
    """The edit-and-run loop: each `farflow local run` fails as soon as the dag-processor has parsed the
    saved file, with one message and exit code 1 (it used to wait up to 30 minutes on a renamed id, 180 s
    on a mistyped one, or print a traceback ending in HTTP 404 for a DAG that broke after it loaded)."""
    assert stack.layout is not None
    path = stack.layout.dags_folder / "farflow_e2e_edited.py"

    def local_run(dag_id: str) -> str:
        result = CliRunner().invoke(
            app, ["local", "run", dag_id, "-p", str(stack.project)], terminal_width=200
        )
        assert result.exit_code == 1, result.output
        assert "ApiError" not in result.output and "HTTP 404" not in result.output
        return result.output

    path.write_text(_dag_source("farflow_e2e_v1"))
    wait_for_dag(api, "farflow_e2e_v1", None, dags_folder=stack.layout.dags_folder, guard=stack.check)
    path.write_text(_dag_source("farflow_e2e_v2"))
    renamed = local_run("farflow_e2e_v1")
    assert f"DAG 'farflow_e2e_v1' is no longer defined in {path} (renamed or removed)" in renamed
    assert "Did you mean 'farflow_e2e_v2'?" in renamed

    mistyped = local_run("farflow_e2e_v3")
    assert f"No DAG 'farflow_e2e_v3' in {stack.layout.dags_folder}" in mistyped
    assert "farflow_e2e_v2" in mistyped and SAMPLE_DAG in mistyped
    assert "farflow_module_that_does_not_exist" not in mistyped  # broken_dag.py's error is not blamed
    assert "broken_dag.py" in mistyped  # only named among the files that fail to import

    path.write_text(_dag_source("farflow_e2e_v2", broken=True))
    broken = local_run("farflow_e2e_v2")
    assert "DAG 'farflow_e2e_v2' failed to import. Fix the file and run again:" in broken
    assert "No module named 'farflow_module_gone_missing'" in broken
    assert len(broken.strip().splitlines()) <= 10  # one short block

    path.unlink()
    deleted = local_run("farflow_e2e_v2")
    assert f"DAG 'farflow_e2e_v2' was defined in {path}, which no longer exists" in deleted


ECS_RUN = ("start_process", "odd_task", "even_task", "numbers_task")
SCREENSHOT = Path(__file__).parents[2] / "docs" / "images" / "fargate-run.png"
DAG_SCREENSHOT = SCREENSHOT.with_name("fargate-dag.png")


def plugin_report(api: AirflowApi, dag_id: str, run_id: str) -> dict[str, Any]:
    """The plugin's JSON once every ECS-run task's stop event is saved (just after the task ends)."""

    def complete() -> dict[str, Any] | None:
        report: dict[str, Any] = api.request("GET", f"/farflow/api/runs/{dag_id}/{run_id}")
        return report if {task["task_id"] for task in report["tasks"]} >= set(ECS_RUN) else None

    return wait_for(complete, timeout=30, what=f"the plugin's report of {dag_id} to list {ECS_RUN}")


def test_the_ui_plugin_lists_every_ecs_task_of_the_run_with_its_phases_and_cost(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str]
) -> None:
    run_id = runs[SAMPLE_DAG]
    assert finished(api, stack, SAMPLE_DAG, run_id) == "success"
    report = plugin_report(api, SAMPLE_DAG, run_id)
    assert stack.layout is not None
    recorded = task_rows(stack.layout.database_url, SAMPLE_DAG, run_id)
    by_task = {task["task_id"]: task for task in report["tasks"]}
    assert set(by_task) == set(ECS_RUN), report  # the worker's task is not an ECS task
    for task_id in ECS_RUN:
        task = by_task[task_id]
        assert task["ecs_task_id"] and task["ecs_task_id"] in str(recorded[task_id]), (
            task,
            recorded[task_id],
        )
        assert list(task["phases"]) == ["queued", "provisioning", "pull", "start", "run", "stop"], task
        assert all(seconds >= 0 for seconds in task["phases"].values())
        assert task["phases"]["run"] > 0
        assert (task["stop_code"], task["exit_code"]) == ("EssentialContainerExited", 0)
        assert task["cost_usd"] > 0 and (task["map_index"], task["try_number"]) == (-1, 1)
    assert report["cost_usd"] == pytest.approx(sum(task["cost_usd"] for task in report["tasks"]), abs=1e-6)
    # `farflow cost` reads the same events through the REST API and adds up the same figure.
    now = datetime.now(timezone.utc)
    logs = cost_report.fetch(api, now - timedelta(days=1), now, SAMPLE_DAG)
    of_run = [event.usd or 0.0 for event in cost_report.ecs_task_events(logs) if event.run_id == run_id]
    assert sum(of_run) == pytest.approx(report["cost_usd"], abs=1e-6)


def test_the_ui_plugin_refuses_without_a_login(stack: LocalStack, runs: dict[str, str]) -> None:
    assert stack.layout is not None
    anonymous = AirflowApi(stack.layout.api_url)
    for path in (f"/farflow/api/runs/{SAMPLE_DAG}/{runs[SAMPLE_DAG]}", f"/farflow/runs/{SAMPLE_DAG}/x"):
        with pytest.raises(ApiError) as refused:
            anonymous.request("GET", path)
        assert refused.value.status == 401
    forged = AirflowApi(stack.layout.api_url)
    forged._token = "not-a-token"
    with pytest.raises(ApiError) as refused:
        forged.request("GET", f"/farflow/api/runs/{SAMPLE_DAG}/{runs[SAMPLE_DAG]}")
    assert refused.value.status == 403


def test_the_run_page_shows_the_timeline_inside_the_airflow_ui(
    stack: LocalStack, api: AirflowApi, runs: dict[str, str], tmp_path: Path
) -> None:
    run_id = runs[SAMPLE_DAG]
    assert finished(api, stack, SAMPLE_DAG, run_id) == "success"
    report = plugin_report(api, SAMPLE_DAG, run_id)
    assert stack.layout is not None
    api_url = stack.layout.api_url
    with browser_page() as page:
        log_in(page, api_url, ADMIN_USER, stack.admin_password)
        page.goto(f"{api_url}/dags/{SAMPLE_DAG}/runs/{quote(run_id, safe='')}/plugin/farflow-run")
        frame = page.frame_locator("iframe")
        frame.locator("#timeline rect.phase").first.wait_for(timeout=30_000)
        phases = frame.locator("#timeline rect.phase")
        assert phases.count() == sum(len(task["phases"]) for task in report["tasks"])
        assert frame.locator("#total-cost").inner_text() == f"${report['cost_usd']:.6f}"
        links = frame.locator("a.ecs-task")
        assert sorted(links.all_inner_texts()) == sorted(task["ecs_task_id"] for task in report["tasks"])
        for task_id in ECS_RUN:
            assert frame.get_by_text(f"{task_id} try 1").count() >= 1
        shot = tmp_path / SCREENSHOT.name
        page.screenshot(path=str(shot), full_page=True)
        # The local link opens the endpoint's own record of the task.
        record = page.context.request.get(links.first.evaluate("link => link.href"))
        assert record.ok and record.json()["taskArn"].endswith(links.first.inner_text())
        # The DAG's tab: this run among the last 30 days', with its cost and a median start latency.
        page.goto(f"{api_url}/dags/{SAMPLE_DAG}/plugin/farflow-dag")
        chart = page.frame_locator("iframe")
        chart.locator("#dag-chart rect.cost").first.wait_for(timeout=30_000)
        row = chart.locator("tr", has=chart.get_by_role("link", name=run_id, exact=True))
        assert f"${report['cost_usd']:.6f}" in row.inner_text()
        assert chart.locator("#dag-chart circle.latency").count() >= 1
        page.screenshot(path=str(tmp_path / DAG_SCREENSHOT.name), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("FARFLOW_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
        shutil.copyfile(tmp_path / DAG_SCREENSHOT.name, DAG_SCREENSHOT)
