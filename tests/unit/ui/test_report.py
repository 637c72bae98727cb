"""The plugin's report, chart series and pages, from task events as the executor writes them."""

from __future__ import annotations

import re
from typing import Any

from farflow.cost_report import ecs_task_events
from farflow.ui.pages import dag_page, run_page
from farflow.ui.report import console_url, dag_series, run_report

ARN = "arn:aws:ecs:eu-west-1:123456789012:task/farflow-prod/{id}"


def log(
    run_id: str, task_id: str, when: str, ecs_id: str, *, phases: str, cost: str, **extra: Any
) -> dict[str, Any]:
    return {
        "event": extra.pop("event", "ecs task stopped"),
        "dag_id": "etl",
        "run_id": run_id,
        "task_id": task_id,
        "map_index": extra.pop("map_index", -1),
        "try_number": 1,
        "when": when,
        "extra": f"{ARN.format(id=ecs_id)}: ECS task stopped (EssentialContainerExited): Essential container in "
        f"task exited; container 'airflow' stopped with exit code 0; {cost}; phases: {phases}",
    }


BILLED = "cost $0.000823 (60 s billed: 1 vCPU, 2 GB, x86_64, Fargate; us-east-1 prices of 2026-06)"
FREE = "no Fargate cost (stopped before its image pull began: Fargate bills nothing)"
LOGS = [
    log(
        "r1",
        "extract",
        "2026-06-01T10:01:00Z",
        "aa",
        phases="queued 0.100 s, provisioning 20.000 s, pull 9.900 s, start 1.000 s, run 5.000 s, stop 1.000 s",
        cost=BILLED,
    ),
    log(
        "r1",
        "load",
        "2026-06-01T10:00:00Z",
        "bb",
        phases="queued 0.200 s, provisioning 3.000 s, stop 1.000 s",
        cost=FREE,
        event="ecs task relaunched",
    ),
    log(
        "r1",
        "load",
        "2026-06-01T10:02:00Z",
        "cc",
        phases="queued 0.300 s, provisioning 10.000 s, pull 8.000 s, start 1.700 s, run 1.000 s, stop 1.000 s",
        cost=BILLED,
        map_index=3,
    ),
    log(
        "r2",
        "extract",
        "2026-06-02T10:00:00Z",
        "dd",
        phases="provisioning 40.000 s, pull 10.000 s, start 0.000 s, run 5.000 s, stop 1.000 s",
        cost=BILLED,
    ),
]


def test_the_run_report_has_the_issue_shape_every_ecs_task_and_the_total() -> None:
    report = run_report(e for e in ecs_task_events(LOGS) if e.run_id == "r1")
    assert set(report) == {"cost_usd", "tasks"}
    assert report["cost_usd"] == 0.001646
    assert [t["ecs_task_id"] for t in report["tasks"]] == ["bb", "aa", "cc"]  # in the order they stopped
    first = report["tasks"][1]
    assert set(first) == {
        "task_id",
        "map_index",
        "try_number",
        "ecs_task_id",
        "phases",
        "stop_code",
        "exit_code",
        "cost_usd",
    }
    assert first["phases"] == {
        "queued": 0.1,
        "provisioning": 20.0,
        "pull": 9.9,
        "start": 1.0,
        "run": 5.0,
        "stop": 1.0,
    }
    assert (first["stop_code"], first["exit_code"], first["cost_usd"]) == (
        "EssentialContainerExited",
        0,
        0.000823,
    )
    assert report["tasks"][0]["cost_usd"] is None and report["tasks"][2]["map_index"] == 3


def test_the_dag_series_is_cost_and_median_start_latency_per_run_oldest_first() -> None:
    r1, r2 = dag_series(ecs_task_events(LOGS))
    assert (r1.run_id, r1.ecs_tasks, r1.cost_usd) == ("r1", 3, 0.001646)
    assert r1.median_start_seconds == 25.5  # of 31.0 and 20.0; the relaunched try never ran
    assert (r2.run_id, r2.median_start_seconds) == ("r2", 50.0)


def test_the_console_link_names_the_tasks_region_cluster_and_id() -> None:
    assert console_url(ARN.format(id="abc")) == (
        "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/farflow-prod/tasks/abc/configuration?region=eu-west-1"
    )
    assert console_url("arn:aws:ecs:eu-west-1:1:task/abc") is None  # old ARN format, no cluster
    assert console_url("not an arn") is None


def test_the_run_page_draws_each_phase_of_each_ecs_task_and_links_it() -> None:
    report = run_report(e for e in ecs_task_events(LOGS) if e.run_id == "r1")
    html = run_page("etl", "r1", report, lambda ecs_id: f"/tasks/{ecs_id}")
    assert re.search(r'id="total-cost">\$0\.001646<', html)
    assert html.count('class="phase"') == 3 + 6 + 6
    assert 'data-phase="pull"' in html and "load[3] try 1" in html
    assert html.count('class="ecs-task" href="/tasks/') == 3


def test_the_dag_page_charts_every_run() -> None:
    html = dag_page("etl", 30, dag_series(ecs_task_events(LOGS)), lambda run_id: f"runs/{run_id}")
    assert html.count('class="cost"') == 2 and html.count('class="latency"') == 2
    assert '<a href="runs/r2">r2</a>' in html
