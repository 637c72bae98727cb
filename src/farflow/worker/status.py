"""How many jobs the running `airflow edge worker` has: asked the way `airflow edge status` asks.

edge3 (airflow/providers/edge3/cli/edge_command.py `status`, cli/worker.py `signal_status`): the worker
writes its pid to `$AIRFLOW_HOME/airflow-edge-worker.pid` once registered, and on SIGUSR2 writes a JSON
status (`job_count`, `drain`, ...) to `$AIRFLOW_HOME/airflow-edge-worker.out`. The paths are edge3's
(`signalling.pid_file_path(None)`, `status_file_path(None)`); a test holds them equal. Reading them
here keeps Airflow out of this process.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

PROCESS_NAME = "edge-worker"
STATUS_SIGNAL = signal.SIGUSR2
# The age a status may have and still count, as `airflow edge status` allows.
FRESH_SECONDS = 1.0
ANSWER_SECONDS = 5.0


def airflow_home(environ: Mapping[str, str]) -> Path:
    """Airflow's own rule (airflow.configuration.get_airflow_home): AIRFLOW_HOME, else ~/airflow."""
    return Path(os.path.expandvars(environ.get("AIRFLOW_HOME", "~/airflow"))).expanduser()


def pid_file(environ: Mapping[str, str]) -> Path:
    return airflow_home(environ) / f"airflow-{PROCESS_NAME}.pid"


def status_file(environ: Mapping[str, str]) -> Path:
    return airflow_home(environ) / f"airflow-{PROCESS_NAME}.out"


class EdgeStatus:
    """Asks one worker process for its job count."""

    def __init__(self, pid: int, environ: Mapping[str, str]) -> None:
        self.pid = pid
        self.pid_path = pid_file(environ)
        self.status_path = status_file(environ)

    def ready(self) -> bool:
        """True once the worker has written its pid file: only then does it handle SIGUSR2 (before, the
        signal's default action would end it)."""
        try:
            return int(self.pid_path.read_text().strip()) == self.pid
        except (OSError, ValueError):
            return False

    def job_count(self) -> int | None:
        """The worker's running jobs, or None if it is not ready or did not answer in time."""
        if not self.ready():
            return None
        asked = time.time() - FRESH_SECONDS
        try:
            os.kill(self.pid, STATUS_SIGNAL)
        except OSError:
            return None
        deadline = time.monotonic() + ANSWER_SECONDS
        while time.monotonic() < deadline:
            count = self._fresh_count(asked)
            if count is not None:
                return count
            time.sleep(0.1)
        return None

    def _fresh_count(self, since: float) -> int | None:
        try:
            if self.status_path.stat().st_mtime < since:
                return None
            count = json.loads(self.status_path.read_text())["job_count"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return count if isinstance(count, int) else None
