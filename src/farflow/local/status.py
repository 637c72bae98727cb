"""`farflow local status`: is a stack up for this project, where, and how is each component doing.

What the supervisor knows (pid, running or restarting, restarts, last exit) comes from the stack's record;
what Airflow knows (each component's heartbeat) from the api-server's health document. A record whose
farflow process is gone is stale: a stack killed without stopping. It is reported and removed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import psutil
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from farflow.airflow_api import AirflowApi
from farflow.local.components import component_names, health_keys
from farflow.local.stack_record import StackRecord, is_alive, read
from farflow.local.state import StateDir
from farflow.spec import API_SERVER

# A component Airflow's health document says nothing about, whose process is up.
RUNNING = "running"


class Found(Enum):
    UP = "up"
    NONE = "none"
    STALE = "stale"


@dataclass(frozen=True)
class StackStatus:
    found: Found
    record: StackRecord | None = None
    health: Mapping[str, Any] | None = None

    @property
    def healthy(self) -> bool:
        return self.found is Found.UP and all(row[2] in {"healthy", RUNNING} for row in component_rows(self))


def look(state: StateDir) -> StackStatus:
    """The project's stack as it is now; a stale record is removed (its stack cannot remove it)."""
    record = read(state)
    if record is None:
        return StackStatus(Found.NONE)
    if not is_alive(record):
        with contextlib.suppress(OSError):
            state.stack_file.unlink()
        return StackStatus(Found.STALE, record)
    health = AirflowApi(record.api_url, timeout=5).health() if record.api_url else None
    return StackStatus(Found.UP, record, health)


def component_rows(status: StackStatus) -> list[tuple[str, str, str, str, str]]:
    """(component, pid, health, restarts, last exit) for each component, pure."""
    assert status.record is not None
    rows = []
    health_names = {name: key for key, name in health_keys().items()}
    for name in component_names():
        state = status.record.components.get(name)
        pid = str(state.pid) if state is not None and state.pid is not None else "-"
        if state is not None and state.state != "running":
            health = state.state  # restarting, failed
        elif status.health is None:
            health = "starting" if status.record.phase == "starting" else "not answering"
        elif name == API_SERVER.name:  # it answered
            health = "healthy"
        elif name not in health_names:  # Airflow reports nothing on it: its process is up
            health = RUNNING
        else:
            entry = status.health.get(health_names[name])
            health = str(entry.get("status")) if isinstance(entry, Mapping) else "unknown"
        restarts = str(state.restarts) if state is not None else "0"
        last = "-"
        if state is not None and state.last_exit_at:
            last = f"code {state.last_exit_code} at {state.last_exit_at}"
        rows.append((name, pid, health, restarts, last))
    return rows


def render(status: StackStatus, project: str) -> RenderableType:
    """What the command prints, for each of up, none and stale."""
    record = status.record
    if status.found is Found.NONE or record is None:
        return Text(
            f"No local stack is up for {project}. Start one with `farflow local up --project {project}`."
        )
    if status.found is Found.STALE:
        lines = [
            f"No local stack is up for {project}: the one started at {record.started_at} (farflow pid "
            f"{record.pid}) ended without stopping, e.g. killed. farflow removed its record."
        ]
        if record.database_pid is not None and psutil.pid_exists(record.database_pid):
            lines.append(
                f"Its embedded PostgreSQL (pid {record.database_pid}) still runs; the next `farflow local up` "
                "takes it over and stops it when it stops."
            )
        return Text("\n".join(lines))
    table = Table(title=None)
    for column in ("component", "pid", "health", "restarts", "last exit"):
        table.add_column(column)
    for name, pid, health, restarts, last in component_rows(status):
        style = "green" if health == "healthy" else "yellow"
        table.add_row(name, pid, Text(health, style=style), restarts, last)
    head = Text.assemble(
        ("farflow local stack: ", "bold"),
        (record.phase, "bold green" if record.phase == "up" else "bold yellow"),
        f" since {record.started_at} (farflow pid {record.pid})\n",
        f"  UI: {record.ui_url}\n  project: {record.project}\n  database: {record.database}\n",
        f"  ECS endpoint: {record.endpoint_url}",
    )
    return Group(head, table)
