"""`farflow demo` on the real PostgreSQL server (a production-like metadata database), not SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _admin(statement: str) -> None:
    connection = psycopg2.connect(ADMIN_DSN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


@pytest.fixture
def database() -> Iterator[str]:
    try:
        psycopg2.connect(ADMIN_DSN, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is needed for this test: {error}")
    name = f"farflow_e2e_{uuid.uuid4().hex[:8]}"
    _admin(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.e2e
def test_demo_runs_the_sample_dag_on_postgresql(tmp_path: Path, database: str) -> None:
    farflow = Path(sys.executable).with_name("farflow")
    env = os.environ | {"FARFLOW_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [str(farflow), "demo", "--database-url", database],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for task_id in ("start_process", "odd_task", "even_task", "numbers_task", "on_worker_task"):
        assert task_id in result.stdout
    assert "sample_dag" in result.stdout and "success" in result.stdout
    connection = psycopg2.connect(database.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT state, count(*) FROM task_instance WHERE dag_id = 'sample_dag' GROUP BY state"
            )
            assert dict(cursor.fetchall()) == {"success": 5}
    finally:
        connection.close()
