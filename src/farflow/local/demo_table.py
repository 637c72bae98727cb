"""The demo's result table: pure functions from what Airflow and ECS report to rows and a rich Table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.table import Table

from farflow.local.task_ecs import DEFAULT_EXECUTOR, EcsTask

STATE_STYLES = {"success": "green", "failed": "red", "upstream_failed": "red", "running": "cyan"}


@dataclass(frozen=True)
class TaskRow:
    """One line of the table."""

    task_id: str
    executor: str
    ecs_task_id: str | None
    state: str
    duration: float | None
    exit_code: int | None
    arn: str | None = None  # the ECS task's full ARN


def task_id_of(arn: str) -> str:
    """The short ECS task id: the last segment of its ARN."""
    return arn.rsplit("/", 1)[-1]


def _duration(instance: Mapping[str, Any]) -> float | None:
    if instance.get("duration") is not None:
        return float(instance["duration"])
    start, end = instance.get("start_date"), instance.get("end_date")
    if start and end:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return None


def build_rows(
    instances: Sequence[Mapping[str, Any]],
    ecs: Mapping[str, EcsTask],
    order: Sequence[str] = (),
) -> list[TaskRow]:
    """Rows in `order` (task ids; others after, by start time) from task instances and each one's ECS
    task and exit code (task_ecs.pick)."""
    rank = {task_id: index for index, task_id in enumerate(order)}
    ordered = sorted(
        instances,
        key=lambda ti: (
            rank.get(ti["task_id"], len(rank)),
            ti.get("start_date") or "~",
            ti["task_id"],
        ),  # unstarted last
    )
    rows = []
    for instance in ordered:
        found = ecs.get(instance["task_id"], EcsTask())
        arn = found.arn
        rows.append(
            TaskRow(
                task_id=instance["task_id"],
                executor=instance.get("executor") or DEFAULT_EXECUTOR,
                ecs_task_id=task_id_of(arn) if arn else None,
                state=instance.get("state") or "none",
                duration=_duration(instance),
                exit_code=found.exit_code,
                arn=arn,
            )
        )
    return rows


def render_table(rows: Sequence[TaskRow], title: str = "") -> Table:
    table = Table(title=title or None)
    for column, justify in (
        ("task", "left"),
        ("executor", "left"),
        ("ECS task id", "left"),
        ("state", "left"),
        ("duration", "right"),
        ("exit code", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        style = STATE_STYLES.get(row.state, "yellow")
        table.add_row(
            row.task_id,
            row.executor,
            row.ecs_task_id or "-",
            f"[{style}]{row.state}[/{style}]",
            f"{row.duration:.1f}s" if row.duration is not None else "-",
            str(row.exit_code) if row.exit_code is not None else "-",
        )
    return table
