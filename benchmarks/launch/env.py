"""Process-wide Airflow settings for the benchmark; they must be in place before Airflow is imported."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REGION = "us-east-1"


def prepare_process() -> Path:
    """A throw-away AIRFLOW_HOME and the settings BaseExecutor reads at construction; returns the home."""
    home = Path(tempfile.mkdtemp(prefix="farflow-bench-airflow-"))
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__API_AUTH__JWT_SECRET": "farflow-benchmark-jwt-secret",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    return home


def warm_up_airflow() -> None:
    """Do once what a running scheduler process has long done before it heartbeats its executors.

    In a fresh process the first heartbeat of any executor pays for Airflow's one-time work: the metrics
    registry (BaseExecutor._emit_metrics parses a YAML file, ~0.3 s) and SQLAlchemy's mapper set-up on the
    first `Log` a task event creates (~0.6 s). Neither is the executor's doing, so neither belongs in its
    heartbeat times. This warms both up with a plain BaseExecutor and one unsaved Log row.
    """
    from airflow.executors.base_executor import BaseExecutor
    from airflow.models.log import Log

    BaseExecutor(parallelism=1).heartbeat()
    Log(event="farflow benchmark warm-up")
