"""The demo's result table: pure functions from what Airflow and ECS report to rows and a rich Table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.table import Table

DEFAULT_EXECUTOR = "EcsFargateExecutor"
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


def task_id_of(arn: str) -> str:
    """The short ECS task id: the last segment of its ARN."""
    return arn.rsplit("/", 1)[-1]


def exit_codes(described: Iterable[Mapping[str, Any]], container: str) -> dict[str, int | None]:
    """ARN -> exit code of `container` (or the first container), from DescribeTasks' tasks."""
    codes: dict[str, int | None] = {}
    for task in described:
        containers = list(task.get("containers", []))
        chosen = next(
            (c for c in containers if c.get("name") == container), containers[0] if containers else {}
        )
        code = chosen.get("exitCode")
        codes[str(task["taskArn"])] = int(code) if code is not None else None
    return codes


def _duration(instance: Mapping[str, Any]) -> float | None:
    if instance.get("duration") is not None:
        return float(instance["duration"])
    start, end = instance.get("start_date"), instance.get("end_date")
    if start and end:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return None


def build_rows(
    instances: Sequence[Mapping[str, Any]],
    arns: Mapping[str, str],
    codes: Mapping[str, int | None],
    order: Sequence[str] = (),
) -> list[TaskRow]:
    """Rows in `order` (task ids; others after, by start time) from task instances, ARNs and exit codes."""
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
        arn = arns.get(instance["task_id"])
        rows.append(
            TaskRow(
                task_id=instance["task_id"],
                executor=instance.get("executor") or DEFAULT_EXECUTOR,
                ecs_task_id=task_id_of(arn) if arn else None,
                state=instance.get("state") or "none",
                duration=_duration(instance),
                exit_code=codes.get(arn) if arn else None,
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
