"""`python -m farflow.database_url`: the URL Airflow reads through sql_alchemy_conn_cmd."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import certifi
import pytest
from sqlalchemy.engine import make_url

from farflow.database_tls import ASYNC_CONNECT_ARGS_PATH, CA_BUNDLE, CA_BUNDLE_VARIABLE
from farflow.database_url import ASYNC_FLAG, SECRET_VARIABLE, database_url, main
from farflow.deploy.environment import ASYNC_DATABASE_URL_COMMAND, DATABASE_URL_COMMAND

SECRET = {
    "engine": "postgres",
    "username": "airflow",
    "password": "p@ss:w/rd%?#&= x",
    "host": "db.abc.eu-west-1.rds.amazonaws.com",
    "port": 5432,
    "dbname": "farflow",
    "dbInstanceIdentifier": "farflow-db",
}


def test_url_round_trips_every_character_of_the_password() -> None:
    url = make_url(database_url(json.dumps(SECRET)))
    assert url.drivername == "postgresql+psycopg2"
    assert (url.username, url.password) == ("airflow", SECRET["password"])
    assert (url.host, url.port, url.database) == (SECRET["host"], 5432, "farflow")


def test_the_sync_url_asks_libpq_to_verify_the_server_against_the_rds_bundle() -> None:
    url = make_url(database_url(json.dumps(SECRET)))
    assert dict(url.query) == {"sslmode": "verify-full", "sslrootcert": CA_BUNDLE}
    other = make_url(database_url(json.dumps(SECRET), ca_bundle="/elsewhere/ca bundle.pem"))
    assert other.query["sslrootcert"] == "/elsewhere/ca bundle.pem"


def test_the_async_url_is_the_same_database_with_asyncpg_and_no_libpq_options() -> None:
    sync = make_url(database_url(json.dumps(SECRET)))
    url = make_url(database_url(json.dumps(SECRET), use_async=True))
    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        sync.username,
        sync.password,
        sync.host,
        sync.port,
        sync.database,
    )
    assert dict(url.query) == {}


def test_airflows_own_async_url_would_hand_asyncpg_an_option_it_rejects() -> None:
    """Why the deploy sets sql_alchemy_conn_async: Airflow would derive it from the sync URL, query and
    all, and SQLAlchemy passes the query to asyncpg.connect() as keyword arguments."""
    import inspect

    import asyncpg
    from airflow.settings import _get_async_conn_uri_from_sync
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    derived = make_url(_get_async_conn_uri_from_sync(database_url(json.dumps(SECRET))))
    _, kwargs = PGDialect_asyncpg().create_connect_args(derived)
    assert "sslmode" in kwargs
    assert "sslmode" not in inspect.signature(asyncpg.connect).parameters


def test_port_may_be_a_string() -> None:
    assert ":6543/" in database_url(json.dumps({**SECRET, "port": "6543"}))


def _run(environ: dict[str, str]) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(environ, stdout, stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_main_prints_the_url_without_a_newline() -> None:
    code, out, err = _run({SECRET_VARIABLE: json.dumps(SECRET)})
    assert code == 0
    assert out == database_url(json.dumps(SECRET))
    assert not out.endswith("\n")
    assert err == ""


def test_main_prints_the_async_url_when_asked() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    assert main({SECRET_VARIABLE: json.dumps(SECRET)}, stdout, stderr, [ASYNC_FLAG]) == 0
    assert stdout.getvalue() == database_url(json.dumps(SECRET), use_async=True)


def test_main_uses_the_bundle_the_environment_names() -> None:
    code, out, _ = _run({SECRET_VARIABLE: json.dumps(SECRET), CA_BUNDLE_VARIABLE: "/etc/ssl/rds.pem"})
    assert code == 0
    assert make_url(out).query["sslrootcert"] == "/etc/ssl/rds.pem"


def test_an_unknown_argument_is_a_usage_error() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    assert main({SECRET_VARIABLE: json.dumps(SECRET)}, stdout, stderr, ["--sync"]) == 2
    assert stdout.getvalue() == ""
    assert ASYNC_FLAG in stderr.getvalue()


def test_missing_variable_is_named() -> None:
    code, out, err = _run({})
    assert code == 1
    assert out == ""
    assert SECRET_VARIABLE in err


@pytest.mark.parametrize(
    ("secret_json", "named"),
    [
        ("not json p@ss:w/rd", "not a JSON object"),
        (json.dumps(["p@ss:w/rd"]), "not a JSON object"),
        (json.dumps({**SECRET, "host": ""}), "host"),
        (json.dumps({key: v for key, v in SECRET.items() if key != "dbname"}), "dbname"),
        (json.dumps({**SECRET, "port": "five"}), "port"),
        (json.dumps({**SECRET, "host": "evil/p@ss:w/rd"}), "host"),
    ],
)
def test_invalid_secret_names_the_problem_never_the_value(secret_json: str, named: str) -> None:
    code, out, err = _run({SECRET_VARIABLE: secret_json})
    assert code == 1
    assert out == ""
    assert SECRET_VARIABLE in err
    assert named in err
    assert "p@ss" not in err


def test_runs_as_a_module_the_way_airflow_runs_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "farflow.database_url"],
        env={SECRET_VARIABLE: json.dumps(SECRET), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == database_url(json.dumps(SECRET))


def test_airflow_reads_both_urls_and_the_async_tls_through_its_config(tmp_path) -> None:
    """The exact settings the deploy gives the containers, read by Airflow's own config parser."""
    import os

    here = f"{sys.executable} -m"
    environ = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW__DATABASE__")}
    environ.update(
        {
            "AIRFLOW_HOME": str(tmp_path),
            SECRET_VARIABLE: json.dumps(SECRET),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": DATABASE_URL_COMMAND.replace("python -m", here),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC_CMD": ASYNC_DATABASE_URL_COMMAND.replace(
                "python -m", here
            ),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": ASYNC_CONNECT_ARGS_PATH,
            # Importing Airflow builds its engines, and the async one's TLS needs a bundle that exists.
            CA_BUNDLE_VARIABLE: certifi.where(),
        }
    )
    script = (
        "from airflow.configuration import conf\n"
        "for key in ('sql_alchemy_conn', 'sql_alchemy_conn_async', 'sql_alchemy_connect_args_async'):\n"
        "    print(conf.get('database', key))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-3:] == [
        database_url(json.dumps(SECRET), ca_bundle=certifi.where()),
        database_url(json.dumps(SECRET), use_async=True),
        ASYNC_CONNECT_ARGS_PATH,
    ]
