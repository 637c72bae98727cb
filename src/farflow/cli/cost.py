"""`farflow cost`: what Fargate billed for the ECS tasks farflow's executor ran, as a table."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.text import Text

from farflow.cli.common import ProjectOption, console, fail
from farflow.spec.ui_user import ADMIN_USER

if TYPE_CHECKING:
    from rich.table import Table

    from farflow.cost_report import Row


GROUPINGS: tuple[Literal["dag", "task", "day"], ...] = ("dag", "task", "day")


def _when(text: str | None, default: datetime) -> datetime:
    if not text:
        return default
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{text!r} is not a date or time; use e.g. 2026-06-01 or 2026-06-01T12:00.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _local_password(project: Path) -> str | None:
    """The local stack's admin password, if `project` has run one (never created here)."""
    from farflow.local.state import StateDir

    path = StateDir.for_project(project).secrets_file
    try:
        password = json.loads(path.read_text()).get("admin_password")
    except (OSError, ValueError, AttributeError):
        return None
    return str(password) if password else None


def _hours(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _cost_table(rows: list[Row], total: Row, grouping: str, window: str) -> Table:
    from rich.table import Table

    table = Table(
        title=f"Fargate cost of farflow's ECS tasks, {window}",
        caption="Fargate compute only: not NAT, data transfer, logs, EC2 capacity or the Airflow services.",
    )
    table.add_column({"dag": "DAG", "task": "DAG.task", "day": "day (UTC)"}[grouping])
    table.add_column("ECS tasks", justify="right")
    table.add_column("billed h:mm:ss", justify="right")
    table.add_column("cost (USD)", justify="right")
    for index, row in enumerate(rows):
        table.add_row(
            Text(row.key),
            str(row.ecs_tasks),
            _hours(row.billed_seconds),
            f"{row.usd:.6f}",
            end_section=index == len(rows) - 1,
        )
    table.add_row(
        Text(total.key, style="bold"), str(total.ecs_tasks), _hours(total.billed_seconds), f"{total.usd:.6f}"
    )
    return table


def cost(
    *,
    by: Annotated[
        str, typer.Option("--by", help="One row per dag, task or day (UTC).", show_default=True)
    ] = "dag",
    since: Annotated[
        str | None, typer.Option(help="From (ISO date or time, UTC); default 7 days before --until.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Until (ISO date or time, UTC); default now.")] = None,
    dag_id: Annotated[str | None, typer.Option("--dag-id", help="Only this DAG.")] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            envvar="FARFLOW_API_URL",
            help="The Airflow api-server (default: the project's local stack that is up, else "
            "http://127.0.0.1:8080).",
            show_default=False,
        ),
    ] = None,
    username: Annotated[
        str,
        typer.Option(envvar="FARFLOW_API_USERNAME", help="Airflow user (default: the one farflow creates)."),
    ] = ADMIN_USER,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="FARFLOW_API_PASSWORD",
            help="Its password (default: the local stack's, from the project's .farflow).",
            show_default=False,
        ),
    ] = None,
    project: ProjectOption = Path("."),
) -> None:
    """What Fargate billed for the ECS tasks farflow's executor ran, per DAG, task or day, with a total.

    Read from the executor's "ecs task stopped" task events through Airflow's REST API, local or deployed.
    Fargate compute only: not NAT, data transfer, logs, EC2 capacity, or the Airflow services themselves.
    """
    from farflow import cost_report
    from farflow.airflow_api import AirflowApi, ApiError
    from farflow.local.stack_record import local_api_url

    grouping = next((grouping for grouping in GROUPINGS if grouping == by), None)
    if grouping is None:
        raise fail(f"--by {by!r}: use dag, task or day.")
    now = datetime.now(timezone.utc)
    end = _when(until, now)
    start = _when(since, end - timedelta(days=7))
    if start >= end:
        raise fail(f"--since {start:%Y-%m-%d %H:%M} is not before --until {end:%Y-%m-%d %H:%M} (UTC).")
    api_url = api_url or local_api_url(project)
    secret = password or _local_password(project)
    if secret is None:
        raise fail("No password: pass --password (or FARFLOW_API_PASSWORD), or --project of a local stack.")
    api = AirflowApi(api_url, timeout=30)
    try:
        api.login(username, secret)
        logs = cost_report.fetch(api, start, end, dag_id)
    except ApiError as error:
        raise fail(f"The Airflow API at {api_url} refused: {error}", 1) from None
    except OSError as error:
        raise fail(f"Cannot reach the Airflow API at {api_url} ({error}). Is it running?", 1) from None
    rows, total = cost_report.summarize(cost_report.cost_events(logs), grouping)
    console.print(_cost_table(rows, total, grouping, f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"))
