"""Print Airflow's metadata database URL, composed from the RDS secret's JSON in the environment.

On AWS the database credentials live only in Secrets Manager: ECS hands the secret's JSON to the
container as `FARFLOW_DATABASE_SECRET`, and Airflow runs `python -m farflow.database_url` through
`AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD` (Airflow honours `_CMD` for sensitive keys) and reads stdout;
`python -m farflow.database_url --async` likewise for `sql_alchemy_conn_async`. The URL is never in the
task definition, the template or a log.

Both verify the server's certificate (`farflow.database_tls`): the sync URL asks libpq for verify-full
against the RDS CA bundle; the async URL carries no options (asyncpg would reject libpq's), its TLS
comes from `sql_alchemy_connect_args_async`. Airflow's own derivation of the async URL from the sync
one would hand asyncpg `sslmode`, which it does not accept, so the deploy sets both.

Errors name the variable and the missing key, never a value: Airflow copies a failing command's
stderr into its own error message, which ends up in CloudWatch.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO
from urllib.parse import quote

from farflow.database_tls import ca_bundle_path, sync_query

SECRET_VARIABLE = "FARFLOW_DATABASE_SECRET"
# The drivers in the image: psycopg2 for Airflow's sync engine, asyncpg for its async one.
DRIVER = "postgresql+psycopg2"
ASYNC_DRIVER = "postgresql+asyncpg"
ASYNC_FLAG = "--async"
REQUIRED_KEYS = ("username", "password", "host", "port", "dbname")


class DatabaseSecretError(ValueError):
    """The secret is missing or unusable; the message says which part, never its contents."""


def database_url(secret_json: str, *, use_async: bool = False, ca_bundle: str | None = None) -> str:
    """`postgresql+psycopg2://user:password@host:port/dbname?sslmode=verify-full&sslrootcert=<bundle>`
    from the RDS secret JSON, URL-quoted; with `use_async`, `postgresql+asyncpg://...` with no query."""
    try:
        secret = json.loads(secret_json)
    except json.JSONDecodeError:
        secret = None
    if not isinstance(secret, dict):
        raise DatabaseSecretError(f"{SECRET_VARIABLE} is not a JSON object (expected the RDS secret's JSON).")
    missing = [key for key in REQUIRED_KEYS if secret.get(key) in (None, "")]
    if missing:
        raise DatabaseSecretError(f"{SECRET_VARIABLE} lacks the key(s) {', '.join(missing)}.")
    port = str(secret["port"])
    if not port.isdigit():
        raise DatabaseSecretError(f"{SECRET_VARIABLE} has a port that is not a number.")
    user = quote(str(secret["username"]), safe="")
    password = quote(str(secret["password"]), safe="")
    host = str(secret["host"])
    if any(character in host for character in "/@:?# "):
        raise DatabaseSecretError(f"{SECRET_VARIABLE} has a host that is not a host name.")
    dbname = quote(str(secret["dbname"]), safe="")
    if use_async:
        return f"{ASYNC_DRIVER}://{user}:{password}@{host}:{port}/{dbname}"
    query = sync_query(ca_bundle or ca_bundle_path())
    return f"{DRIVER}://{user}:{password}@{host}:{port}/{dbname}?{query}"


def main(
    environ: Mapping[str, str] = os.environ,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
    arguments: Sequence[str] = (),
) -> int:
    """Write the URL without a newline (Airflow uses the output verbatim); 1 and a reason on error.

    `arguments`: empty for the sync URL, `--async` for the async one.
    """
    if list(arguments) not in ([], [ASYNC_FLAG]):
        stderr.write(f"usage: python -m farflow.database_url [{ASYNC_FLAG}]\n")
        return 2
    secret_json = environ.get(SECRET_VARIABLE)
    if not secret_json:
        stderr.write(
            f"{SECRET_VARIABLE} is not set: the task definition must pass the RDS secret as an ECS secret "
            "under that name.\n"
        )
        return 1
    try:
        url = database_url(secret_json, use_async=ASYNC_FLAG in arguments, ca_bundle=ca_bundle_path(environ))
    except DatabaseSecretError as error:
        stderr.write(f"{error}\n")
        return 1
    stdout.write(url)
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(arguments=sys.argv[1:]))
