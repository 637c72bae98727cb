"""The entry finds the worker's pid and status files where edge3 puts them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from farflow.worker.status import EdgeStatus, pid_file, status_file


def test_the_paths_are_edge3s() -> None:
    signalling = pytest.importorskip("airflow.providers.edge3.cli.signalling")
    assert str(pid_file(os.environ)) == signalling.pid_file_path(None)
    assert str(status_file(os.environ)) == signalling.status_file_path(None)


def test_airflow_home_defaults_to_home_airflow() -> None:
    assert status_file({}) == Path("~/airflow/airflow-edge-worker.out").expanduser()


def test_a_worker_that_wrote_no_pid_file_is_not_signalled(tmp_path: Path) -> None:
    """Before edge3 writes its pid file it has no SIGUSR2 handler, and the signal would end it."""
    status = EdgeStatus(os.getpid(), {"AIRFLOW_HOME": str(tmp_path)})
    assert not status.ready()
    assert status.job_count() is None
