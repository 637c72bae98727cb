"""`python -m farflow.database_url`: the URL Airflow reads through sql_alchemy_conn_cmd."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from farflow.database_url import SECRET_VARIABLE, database_url, main

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


def test_airflow_derives_the_async_driver_from_it() -> None:
    from airflow.settings import _get_async_conn_uri_from_sync

    url = database_url(json.dumps(SECRET))
    assert _get_async_conn_uri_from_sync(url).startswith("postgresql+asyncpg://airflow:")


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


def test_airflow_reads_it_through_sql_alchemy_conn_cmd(tmp_path) -> None:
    """The exact setting the deploy gives the containers, read by Airflow's own config parser."""
    import os

    environ = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW__DATABASE__")}
    environ.update(
        {
            "AIRFLOW_HOME": str(tmp_path),
            SECRET_VARIABLE: json.dumps(SECRET),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": f"{sys.executable} -m farflow.database_url",
        }
    )
    script = "from airflow.configuration import conf; print(conf.get('database', 'sql_alchemy_conn'))"
    result = subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == database_url(json.dumps(SECRET))
