"""Print Airflow's metadata database URL, composed from the RDS secret's JSON in the environment.

On AWS the database credentials live only in Secrets Manager: ECS hands the secret's JSON to the
container as `FARFLOW_DATABASE_SECRET`, and Airflow runs `python -m farflow.database_url` through
`AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD` (Airflow honours `_CMD` for sensitive keys) and reads stdout.
The URL is never in the task definition, the template or a log.

Errors name the variable and the missing key, never a value: Airflow copies a failing command's
stderr into its own error message, which ends up in CloudWatch.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import TextIO
from urllib.parse import quote

SECRET_VARIABLE = "FARFLOW_DATABASE_SECRET"
# The sync driver in the image; Airflow derives the async one (postgresql+asyncpg) from the same URL.
DRIVER = "postgresql+psycopg2"
REQUIRED_KEYS = ("username", "password", "host", "port", "dbname")


class DatabaseSecretError(ValueError):
    """The secret is missing or unusable; the message says which part, never its contents."""


def database_url(secret_json: str) -> str:
    """`postgresql+psycopg2://user:password@host:port/dbname` from the RDS secret JSON, URL-quoted."""
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
    return f"{DRIVER}://{user}:{password}@{host}:{port}/{dbname}"


def main(
    environ: Mapping[str, str] = os.environ, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr
) -> int:
    """Write the URL without a newline (Airflow uses the output verbatim); 1 and a reason on error."""
    secret_json = environ.get(SECRET_VARIABLE)
    if not secret_json:
        stderr.write(
            f"{SECRET_VARIABLE} is not set: the task definition must pass the RDS secret as an ECS secret "
            "under that name.\n"
        )
        return 1
    try:
        url = database_url(secret_json)
    except DatabaseSecretError as error:
        stderr.write(f"{error}\n")
        return 1
    stdout.write(url)
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
