"""Choosing the metadata database: the embedded default, SQLite with its warning, checked URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.local.database import SQLITE_WARNING, MetadataDatabase, connect_advice, shown
from farflow.local.environment import StackConfigError
from farflow.local.state import StateDir


def test_the_default_is_the_embedded_postgresql_in_the_state_folder(tmp_path: Path) -> None:
    database = MetadataDatabase.choose(StateDir.for_project(tmp_path), None)
    assert database.is_embedded
    assert database.warning is None
    assert database.label() == f"embedded PostgreSQL in {tmp_path.resolve()}/.farflow/postgres"
    assert not (tmp_path / ".farflow").exists()  # choosing writes nothing


def test_sqlite_comes_with_a_warning_and_is_used_as_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/airflow.db"
    database = MetadataDatabase.choose(StateDir.for_project(tmp_path), url)
    assert not database.is_embedded
    assert database.warning == SQLITE_WARNING
    assert "only light work" in SQLITE_WARNING and "database is locked" in SQLITE_WARNING
    assert database.start("unused") == url


def test_an_unreachable_postgresql_is_refused_without_its_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://postgres:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(StackConfigError, match="Cannot connect") as caught:
        MetadataDatabase.choose(StateDir.for_project(tmp_path), url)
    assert "hunter2" not in str(caught.value)


def test_urls_are_shown_without_passwords() -> None:
    assert shown("postgresql+psycopg2://postgres:pw@/airflow?host=/tmp/x") == (
        "postgresql+psycopg2://postgres:***@/airflow?host=%2Ftmp%2Fx"
    )


def test_a_missing_database_is_created_by_the_name_and_server_the_url_gives() -> None:
    url = "postgresql+psycopg2://etl_user:pw@db.internal:5433/etl_meta"
    error = (
        '(psycopg2.OperationalError) connection to server at "db.internal" (10.0.0.5), port 5433 failed: '
        'FATAL:  database "etl_meta" does not exist'
    )
    assert connect_advice(url, error) == (
        "Create the database (`createdb -h db.internal -p 5433 -U etl_user etl_meta`) or fix --database-url "
        "/ FARFLOW_DATABASE_URL."
    )


def test_a_server_that_does_not_answer_is_not_answered_with_createdb(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://postgres@127.0.0.1:1/etl_meta"
    with pytest.raises(StackConfigError) as caught:
        MetadataDatabase.choose(StateDir.for_project(tmp_path), url)
    assert "createdb" not in str(caught.value)
    assert "Check that the server runs" in str(caught.value)
