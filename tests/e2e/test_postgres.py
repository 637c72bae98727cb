"""`farflow demo --database-url` on a PostgreSQL server the stack does not manage (as RDS is on AWS), not
the embedded one the stack starts itself: the test's own server (tests/support/postgres.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy

from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.timeout(330)  # measured 205 s on two cores at load average 20, 45-90 s quieter


def test_demo_runs_the_sample_dag_on_postgresql(tmp_path: Path, postgres: PostgresServer) -> None:
    database = postgres.create("farflow_demo")
    farflow = Path(sys.executable).with_name("farflow")
    env = os.environ | {"FARFLOW_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [str(farflow), "demo", "--database-url", database],
        capture_output=True,
        text=True,
        env=env,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for task_id in ("start_process", "odd_task", "even_task", "numbers_task", "on_worker_task"):
        assert task_id in result.stdout
    assert "sample_dag" in result.stdout and "success" in result.stdout
    engine = sqlalchemy.create_engine(database)
    try:
        with engine.connect() as connection:
            states = connection.execute(
                sqlalchemy.text(
                    "SELECT state, count(*) FROM task_instance WHERE dag_id = 'sample_dag' GROUP BY state"
                )
            )
            assert {state: count for state, count in states} == {"success": 5}
    finally:
        engine.dispose()
