"""Choosing the metadata database: the embedded default, SQLite with its warning, checked URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.local.database import SQLITE_WARNING, MetadataDatabase, shown
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
