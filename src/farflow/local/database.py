"""Which metadata database a local stack uses, checked before anything starts.

By default the embedded PostgreSQL (embedded_database.py), started and stopped with the stack. With
`--database-url`, the user's own: a PostgreSQL server, which must exist and answer, or a SQLite file,
which holds only light work.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from farflow.local.embedded_database import EmbeddedPostgres
from farflow.local.environment import StackConfigError, check_database_url
from farflow.local.state import StateDir

SQLITE_WARNING = (
    "SQLite holds only light work: with several tasks at once, Airflow's components wait on its single "
    "writer lock and can fail with 'database is locked'. Leave out --database-url to use the embedded "
    "PostgreSQL."
)


def shown(url: str) -> str:
    """The URL with its password hidden, for messages and `farflow local status`."""
    import sqlalchemy

    return str(sqlalchemy.engine.make_url(url).render_as_string(hide_password=True))


def check_reachable(url: str) -> None:
    """Connect once, so a wrong URL fails with a clear message before any component starts."""
    import sqlalchemy

    if url.startswith("postgresql") and importlib.util.find_spec("asyncpg") is None:
        raise StackConfigError(
            "Airflow needs the asyncpg driver for its async connection to PostgreSQL, and it is not "
            "installed. Install it (`pip install asyncpg`) or leave out --database-url."
        )
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StackConfigError(
            f"Cannot connect to the metadata database {shown(url)}: {first}. {connect_advice(url, first)}"
        ) from None


def connect_advice(url: str, error: str) -> str:
    """What to do about a failed connection: create the very database the URL names when the server
    says it does not exist, else check the server and the URL."""
    import sqlalchemy

    parsed = sqlalchemy.engine.make_url(url)
    if "does not exist" in error and parsed.database and f'"{parsed.database}"' in error:
        host = parsed.host or parsed.query.get("host")
        command = ["createdb"]
        command += [f"-h {host}"] if isinstance(host, str) and host else []
        command += [f"-p {parsed.port}"] if parsed.port else []
        command += [f"-U {parsed.username}"] if parsed.username else []
        return (
            f"Create the database (`{' '.join([*command, parsed.database])}`) or fix --database-url / "
            "FARFLOW_DATABASE_URL."
        )
    return (
        "Check that the server runs and accepts this user and password, or fix --database-url / "
        "FARFLOW_DATABASE_URL (leave it out to use the embedded PostgreSQL)."
    )


@dataclass
class MetadataDatabase:
    """The stack's database: the embedded PostgreSQL (`url` None until started) or the user's URL."""

    state: StateDir
    url: str | None = None
    embedded: EmbeddedPostgres | None = field(default=None, repr=False)

    @classmethod
    def choose(cls, state: StateDir, url: str | None) -> MetadataDatabase:
        """Check the user's URL (scheme, and that it answers) without writing anything."""
        if url is None:
            return cls(state)
        check_database_url(url)
        if not url.startswith("sqlite"):
            check_reachable(url)  # SQLite's file comes with `airflow db migrate`
        return cls(state, url)

    @property
    def is_embedded(self) -> bool:
        return self.url is None or self.embedded is not None

    @property
    def warning(self) -> str | None:
        return SQLITE_WARNING if self.url is not None and self.url.startswith("sqlite") else None

    @property
    def pid(self) -> int | None:
        """The embedded server's postmaster, while it runs."""
        return self.embedded.pid if self.embedded is not None else None

    def label(self) -> str:
        """What `farflow local up` and `status` call it, without any password."""
        if self.is_embedded:
            return f"embedded PostgreSQL in {self.state.postgres_data}"
        assert self.url is not None
        return shown(self.url)

    @property
    def is_new(self) -> bool:
        """The embedded server's first start (initdb, then migrate), unless a template is copied."""
        return self.is_embedded and not (self.state.postgres_data / "PG_VERSION").exists()

    @property
    def from_template(self) -> bool:
        """The embedded database was copied from a migrated template: nothing to migrate."""
        return self.embedded is not None and self.embedded.from_template

    def start(self, password: str, template: Path | None = None) -> str:
        """The URL every component gets; starts the embedded server first if it is the one (a new one
        copied from `template` when given, see database_template.py)."""
        if self.url is not None and self.embedded is None:
            return self.url
        if self.embedded is None:
            self.embedded = EmbeddedPostgres(self.state.postgres_data, password)
            self.url = self.embedded.start(template)
        assert self.url is not None
        return self.url

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
