"""`farflow local status`: what it shows for a stack that is up, none, or a stale record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rich.console import Console

from farflow.local import stack_record
from farflow.local.stack_record import StackRecord
from farflow.local.state import StateDir
from farflow.local.status import Found, StackStatus, component_rows, look, render
from farflow.local.supervisor import ComponentState

HEALTHY = {key: {"status": "healthy"} for key in ("metadatabase", "scheduler", "triggerer", "dag_processor")}


def text(renderable: object) -> str:
    console = Console(record=True, width=200)
    console.print(renderable)
    return console.export_text()


def up_record(project: Path) -> StackRecord:
    return StackRecord.for_this_process(project, 8080).with_(
        phase="up",
        ui_url="http://localhost:8080",
        database="embedded PostgreSQL in /p/.farflow/postgres",
        components={
            "api-server": ComponentState(11, "running"),
            "scheduler": ComponentState(12, "running", 2, -9, "2026-01-01T00:00:00+00:00"),
            "dag-processor": ComponentState(None, "restarting", 0, 1, "2026-01-01T00:01:00+00:00"),
            "triggerer": ComponentState(14, "running"),
        },
    )


def test_rows_join_the_supervisor_and_airflows_health(tmp_path: Path) -> None:
    status = StackStatus(Found.UP, up_record(tmp_path), HEALTHY)
    assert component_rows(status) == [
        ("api-server", "11", "healthy", "0", "-"),
        ("scheduler", "12", "healthy", "2", "code -9 at 2026-01-01T00:00:00+00:00"),
        ("dag-processor", "-", "restarting", "0", "code 1 at 2026-01-01T00:01:00+00:00"),
        ("triggerer", "14", "healthy", "0", "-"),
    ]
    assert not status.healthy
    shown = text(render(status, str(tmp_path)))
    assert "up since" in shown and "http://localhost:8080" in shown and "embedded PostgreSQL" in shown


def test_no_record_means_no_stack(tmp_path: Path) -> None:
    status = look(StateDir.for_project(tmp_path))
    assert status.found is Found.NONE
    assert "No local stack is up" in text(render(status, str(tmp_path)))


def test_a_stale_record_is_reported_and_removed(tmp_path: Path) -> None:
    state = StateDir.for_project(tmp_path)
    state.root.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    stack_record.update(state, up_record(tmp_path).with_(pid=int(gone.stdout), database_pid=None))
    status = look(state)
    assert status.found is Found.STALE
    assert not state.stack_file.exists()
    assert "ended without stopping" in text(render(status, str(tmp_path)))
