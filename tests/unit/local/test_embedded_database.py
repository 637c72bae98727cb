"""The embedded PostgreSQL, for real (about two seconds): password-only logins over its socket, a socket
outside a data folder too deep for a Unix socket path, and no server process left after stop()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import sqlalchemy

from farflow.local import database_template
from farflow.local.embedded_database import HBA, EmbeddedDatabaseError, EmbeddedPostgres

pytestmark = pytest.mark.timeout(120)


def server_processes(postmaster: int) -> list[psutil.Process]:
    root = psutil.Process(postmaster)
    return [root, *root.children(recursive=True)]


def gone(processes: list[psutil.Process]) -> bool:
    return not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_the_server_takes_only_the_password_and_leaves_nothing_behind(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / ".farflow" / "postgres", "s3cret-pw")
    try:
        url = server.start()
        assert server.pid is not None
        processes = server_processes(server.pid)
        assert url.startswith("postgresql+psycopg2://postgres:s3cret-pw@/airflow?host=")
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT current_database()")).scalar() == "airflow"
        engine.dispose()
        assert (server.data / "pg_hba.conf").read_text() == HBA
        for wrong in (url.replace("s3cret-pw", "guess"), url.replace(":s3cret-pw", "")):
            engine = sqlalchemy.create_engine(wrong)
            with pytest.raises(sqlalchemy.exc.OperationalError), engine.connect():
                pass
            engine.dispose()
    finally:
        server.stop()
    assert gone(processes)
    server.stop()  # idempotent


def test_a_second_start_reuses_the_data_and_a_wrong_password_names_the_fix(tmp_path: Path) -> None:
    data = tmp_path / "postgres"
    first = EmbeddedPostgres(data, "one")
    first.start()
    first.stop()
    again = EmbeddedPostgres(data, "one")
    try:
        again.start()
    finally:
        again.stop()
    wrong = EmbeddedPostgres(data, "two")
    try:
        with pytest.raises(EmbeddedDatabaseError, match=r"does not accept the password.*Delete"):
            wrong.start()
    finally:
        wrong.stop()


def test_a_data_folder_too_deep_for_a_socket_path_gets_a_short_socket_folder(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "postgres"
    deep.parent.mkdir(parents=True)
    server = EmbeddedPostgres(deep, "pw")
    try:
        url = server.start()
        socket_dir = sqlalchemy.engine.make_url(url).query["host"]
        assert isinstance(socket_dir, str)
        assert len(f"{socket_dir}/.s.PGSQL.5432") < 108
        assert not socket_dir.startswith(str(deep))
        engine = sqlalchemy.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    finally:
        server.stop()


KILLED_STACK = """
import os, sys
from pathlib import Path
from farflow.local.embedded_database import EmbeddedPostgres
server = EmbeddedPostgres(Path(sys.argv[1]), "pw")
server.start()
print(server.pid, flush=True)
os._exit(0)  # as if killed: no stop(), no atexit
"""


def test_a_server_left_by_a_killed_stack_is_taken_over_and_stopped(tmp_path: Path) -> None:
    data = tmp_path / "postgres"
    left = subprocess.run(
        [sys.executable, "-c", KILLED_STACK, str(data)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    orphan = int(left.stdout.split()[-1])
    processes = server_processes(orphan)
    assert not gone(processes)
    server = EmbeddedPostgres(data, "pw")
    try:
        server.start()
        assert server.pid == orphan
    finally:
        server.stop()
    assert gone(processes)


def test_a_copy_of_a_template_gets_the_projects_password_and_keeps_the_templates_tables(
    tmp_path: Path,
) -> None:
    root = tmp_path / "cache"

    def make(data: Path) -> None:  # what `airflow db migrate` does, in small: a table with a row
        builder = EmbeddedPostgres(data, password=None)
        try:
            engine = sqlalchemy.create_engine(builder.start())
            with engine.begin() as connection:
                connection.execute(sqlalchemy.text("CREATE TABLE migrated (id int)"))
                connection.execute(sqlalchemy.text("INSERT INTO migrated VALUES (42)"))
            engine.dispose()
        finally:
            builder.stop()

    template = database_template.build(root, "key", make)
    assert (template / "pg_hba.conf").read_text() != HBA  # initdb's trust logins: no project's password
    assert not [name for name in database_template.RUNTIME_FILES if (template / name).exists()]
    server = EmbeddedPostgres(tmp_path / "project" / ".farflow" / "postgres", "project-pw")
    assert server.is_new
    try:
        url = server.start(template)
        assert server.from_template and not server.is_new
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT id FROM migrated")).scalar() == 42
        engine.dispose()
        assert (server.data / "pg_hba.conf").read_text() == HBA
        wrong = sqlalchemy.create_engine(url.replace("project-pw", "guess"))
        with pytest.raises(sqlalchemy.exc.OperationalError), wrong.connect():
            pass
        wrong.dispose()
    finally:
        server.stop()
    assert database_template.find(root, "key") == template  # the template itself is unchanged and reusable
    assert (template / "pg_hba.conf").read_text() != HBA


def test_a_broken_template_names_itself_and_the_fix(tmp_path: Path) -> None:
    template = tmp_path / "cache" / "broken"
    template.mkdir(parents=True)
    (template / "PG_VERSION").write_text("18\n")  # a data folder with nothing else in it
    server = EmbeddedPostgres(tmp_path / "project" / ".farflow" / "postgres", "pw")
    try:
        with pytest.raises(EmbeddedDatabaseError, match=rf"copied from the template {template}: delete"):
            server.start(template)
    finally:
        server.stop()
