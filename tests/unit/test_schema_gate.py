"""The migration's schema gate: skip `airflow db migrate` only when the database is ahead of the image."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from farflow import schema_gate
from farflow.schema_gate import Schema, database_ahead, read_schemas

KNOWN = frozenset({"a1", "b2", "c3"})


@pytest.mark.parametrize(
    "in_database", [frozenset(), frozenset({"c3"}), frozenset({"a1"})], ids=["fresh", "at head", "behind"]
)
def test_a_database_at_or_behind_the_image_is_migrated(in_database: frozenset[str]) -> None:
    assert database_ahead([Schema("Airflow", in_database, KNOWN)]) is None


def test_a_revision_the_image_does_not_know_skips_the_migration_and_says_why() -> None:
    reason = database_ahead(
        [Schema("Airflow", frozenset({"c3"}), KNOWN), Schema("FABDBManager", frozenset({"z9"}), KNOWN)]
    )
    assert reason is not None
    assert "FABDBManager at z9" in reason
    assert "Airflow at" not in reason
    assert "rolls back" in reason


def _database(revision: str | None) -> sa.Engine:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        if revision:
            connection.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{revision}')")
    return engine


def test_reads_the_databases_revision_against_the_images_migrations() -> None:
    [airflow] = [history for history in schema_gate.airflow_histories() if history[0] == "Airflow"]
    with _database("d2f4e1b3c5a7").connect() as connection:  # Airflow 3.3.0's head
        [schema] = read_schemas(connection, [airflow])
    assert schema.in_database == {"d2f4e1b3c5a7"} and schema.in_database <= schema.known
    assert database_ahead([schema]) is None
    with _database("0123456789ab").connect() as connection:
        [schema] = read_schemas(connection, [airflow])
    assert database_ahead([schema]) is not None


def test_main_exits_ahead_and_logs_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow import settings

    monkeypatch.setattr(settings, "engine", _database("0123456789ab"))
    out = io.StringIO()
    assert schema_gate.main(out) == schema_gate.EXIT_AHEAD
    assert "The database is ahead of this image: Airflow at 0123456789ab" in out.getvalue()
