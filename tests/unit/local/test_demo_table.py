"""The demo's table: rows from task instances and each one's ECS task and exit code (task_ecs.pick)."""

from __future__ import annotations

from rich.console import Console

from farflow.local.demo_table import TaskRow, build_rows, render_table
from farflow.local.task_ecs import EcsTask

ARN = "arn:aws:ecs:us-east-1:123456789012:task/farflow/abc123"


def test_rows_follow_the_given_order_and_fill_gaps() -> None:
    instances = [
        {"task_id": "late", "executor": None, "state": "success", "duration": 2.5},
        {"task_id": "local", "executor": "LocalExecutor", "state": "failed", "duration": None},
        {"task_id": "first", "executor": None, "state": None, "start_date": None},
    ]
    rows = build_rows(instances, {"late": EcsTask(ARN, 0, "recorded")}, order=("first", "late", "local"))
    assert rows == [
        TaskRow("first", "EcsFargateExecutor", None, "none", None, None),
        TaskRow("late", "EcsFargateExecutor", "abc123", "success", 2.5, 0, ARN),
        TaskRow("local", "LocalExecutor", None, "failed", None, None),
    ]


def test_duration_from_dates_when_airflow_has_none() -> None:
    instance = {
        "task_id": "t",
        "state": "running",
        "start_date": "2024-01-01T00:00:00+00:00",
        "end_date": "2024-01-01T00:00:03.5+00:00",
    }
    assert build_rows([instance], {})[0].duration == 3.5


def test_table_shows_every_column() -> None:
    console = Console(record=True, width=120)
    console.print(render_table([TaskRow("odd_task", "EcsFargateExecutor", "abc123", "success", 4.25, 0)]))
    text = console.export_text()
    for expected in ("task", "executor", "ECS task id", "state", "duration", "exit code"):
        assert expected in text
    for expected in ("odd_task", "abc123", "success", "4.2s", " 0 "):
        assert expected in text


def test_without_an_order_started_tasks_come_first_by_start_time() -> None:
    instances = [
        {"task_id": "waiting", "state": None, "start_date": None},
        {"task_id": "second", "state": "running", "start_date": "2024-01-01T00:00:02+00:00"},
        {"task_id": "first", "state": "success", "start_date": "2024-01-01T00:00:01+00:00"},
    ]
    assert [row.task_id for row in build_rows(instances, {})] == ["first", "second", "waiting"]
