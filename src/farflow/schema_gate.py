"""Before `airflow db migrate` on AWS: skip the migration when the database is ahead of this image.

The deploy migrates once per deploy (farflow.deploy.migration). When a deploy that upgraded Airflow (or
the FAB or Edge provider) rolls back, CloudFormation runs the previous image's migration again, against
a database the newer image already migrated. Alembic cannot migrate from a revision its scripts do not
know ("Can't locate revision"), so that migration would fail and the rollback would stop there.

This module reads each schema's revision in the database (Airflow's `alembic_version`, and each
provider database manager's own version table) and compares it with the revisions the image's
migration scripts know. A revision the image does not know means a newer Airflow or provider wrote it:
it then logs why and exits EXIT_AHEAD, and the migration command ends successfully without migrating.
Otherwise it exits 0 and the migration runs. Runs in the Airflow image (`python -m farflow.schema_gate`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

# The migration command's signal for "the database is ahead: nothing to do" (farflow.deploy.migration).
EXIT_AHEAD = 3
AIRFLOW_VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Schema:
    """One alembic history: its revisions in the database, and those this image's scripts know."""

    name: str
    in_database: frozenset[str]
    known: frozenset[str]


def database_ahead(schemas: Sequence[Schema]) -> str | None:
    """Why the migration must not run (the database holds revisions this image does not know), or None.

    A fresh database (no revision) and one at or behind the image's heads are migrated as usual.
    """
    ahead = [(schema, sorted(schema.in_database - schema.known)) for schema in schemas]
    ahead = [(schema, unknown) for schema, unknown in ahead if unknown]
    if not ahead:
        return None
    which = "; ".join(f"{schema.name} at {', '.join(unknown)}" for schema, unknown in ahead)
    return (
        f"The database is ahead of this image: {which}, revisions its migrations do not know, so a newer "
        "Airflow or provider migrated it. Skipping `airflow db migrate` and the admin user: this is "
        "expected when a deploy that upgraded Airflow rolls back. Run the newer image again, or downgrade "
        "the database with the newer image's `airflow db downgrade`, to go on."
    )


def _revisions(migrations_folder: str) -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(revision.revision for revision in ScriptDirectory(migrations_folder).walk_revisions())


def _heads_in(connection: Any, version_table: str) -> frozenset[str]:
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return frozenset(context.get_current_heads())


def read_schemas(connection: Any, histories: Iterable[tuple[str, str, str]]) -> list[Schema]:
    """Each (name, migrations folder, version table) history as the database and the image see it."""
    return [
        Schema(name, _heads_in(connection, table), _revisions(folder)) for name, folder, table in histories
    ]


def airflow_histories() -> list[tuple[str, str, str]]:
    """Airflow's own history and those of the providers' database managers `airflow db migrate` runs."""
    import airflow
    from airflow.utils.db_manager import RunDBManager

    histories = [
        ("Airflow", os.path.join(os.path.dirname(airflow.__file__), "migrations"), AIRFLOW_VERSION_TABLE)
    ]
    # The managers `airflow db migrate` upgrades after Airflow's own tables (FAB, Edge): RunDBManager
    # collects them from the providers, `[database] external_db_managers` and the auth manager.
    for manager in getattr(RunDBManager(), "_managers", []):
        histories.append((manager.__name__, manager.migration_dir, manager.version_table_name))
    return histories


def main(out: TextIO = sys.stdout) -> int:
    from airflow import settings

    if settings.engine is None:
        settings.configure_orm()
    with settings.get_engine().connect() as connection:
        reason = database_ahead(read_schemas(connection, airflow_histories()))
    if reason is None:
        print("The database is not ahead of this image: migrating.", file=out, flush=True)
        return 0
    print(reason, file=out, flush=True)
    return EXIT_AHEAD


if __name__ == "__main__":
    sys.exit(main())
