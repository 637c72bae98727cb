"""PostgreSQL servers of a test's own: the embedded server farflow ships (`farflow.local.embedded_database`),
in a temporary folder, reached over its Unix socket with a password, stopped and deleted afterwards.

A test that needs a production-like metadata database (one the stack is given by URL, as RDS is on AWS)
starts one of these; no test reaches a server outside the project, such as the machine's own PostgreSQL
(tests/unit/test_no_outside_services.py keeps it so).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy

from farflow.local.embedded_database import EmbeddedPostgres


@dataclass(frozen=True)
class PostgresServer:
    """A running server: `url` is its `airflow` database; `create()` makes more, dropped with the server."""

    url: str

    def with_database(self, name: str) -> str:
        return str(
            sqlalchemy.engine.make_url(self.url).set(database=name).render_as_string(hide_password=False)
        )

    def create(self, prefix: str = "farflow_test") -> str:
        """A new, empty database of its own; its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        engine = sqlalchemy.create_engine(self.with_database("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.with_database(name)


@contextlib.contextmanager
def postgres_server(folder: Path) -> Iterator[PostgresServer]:
    """Start a server with its data folder in `folder` (initdb on first start, a random password, password
    logins over the socket only, no TCP listener); stop it and delete its data afterwards."""
    data = folder / "postgres"
    server = EmbeddedPostgres(data, password=secrets.token_urlsafe(16))
    try:
        yield PostgresServer(server.start())
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
