"""`farflow local up` stopped by Ctrl-C (SIGINT) leaves no process behind, task processes included, and
exits 130. SIGTERM, the same stop by another signal, ends tests/e2e/test_supervision.py's stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from farflow.airflow_api import AirflowApi
from farflow.local import process_tree
from farflow.local.component_processes import wait_for
from farflow.local.demo import wait_for_dag
from farflow.local.ports import free_port
from farflow.spec.ui_user import ADMIN_USER
from tests.e2e.conftest import assert_none_left, e2e_project, end_local_up, task_runner, wait_until_up

pytestmark = pytest.mark.e2e


def test_ctrl_c_stops_every_process_local_up_started(tmp_path: Path) -> None:
    project = e2e_project(tmp_path)
    port = free_port()
    output = tmp_path / "local-up.out"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "FARFLOW_HOME": str(tmp_path / "farflow-home")}
    argv = [
        sys.executable,
        "-m",
        "farflow.cli",
        "local",
        "up",
        "--project",
        str(project),
        "--port",
        str(port),
    ]
    with output.open("wb") as sink:
        up = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    root = psutil.Process(up.pid)
    seen: list[psutil.Process] = []
    try:
        wait_until_up(up, output, timeout=480)
        secrets = json.loads((project / ".farflow" / "secrets.json").read_text())
        api = AirflowApi(f"http://127.0.0.1:{port}")
        api.login(ADMIN_USER, secrets["admin_password"])
        wait_for_dag(api, "farflow_e2e_sleep", None)
        api.unpause("farflow_e2e_sleep")
        api.trigger("farflow_e2e_sleep")
        # A task is running inside an ECS task process: stopping must reach that far down too.
        wait_for(lambda: task_runner(root), timeout=360, what="a running ECS task")
        seen = process_tree.tree(up.pid)
        session_ids = process_tree.sessions(seen)
        assert len(seen) > 5
        assert len(session_ids) >= 5  # four components and at least one ECS task

        up.send_signal(signal.SIGINT)
        # Ctrl-C: an interrupted command's 130, so `farflow local up && ...` goes no further.
        assert up.wait(timeout=120) == 130, output.read_text()
        text = output.read_text()
        assert "Stopped." in text
        assert_none_left(seen, session_ids)
        # Nothing written outside the project (no ~/airflow, no ~/.farflow: the project was given).
        assert list(home.iterdir()) == []
        assert not (tmp_path / "farflow-home").exists()
        assert secrets["admin_password"] not in "".join(
            path.read_text(errors="replace") for path in (project / ".farflow" / "logs").glob("*.log")
        )
    finally:
        end_local_up(up, seen)
