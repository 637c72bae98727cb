"""`farflow local up` as a user runs it, supervising its components: the scheduler and the dag-processor
killed with SIGKILL are started again while runs go on, and the runs still succeed. Around it, the other
local commands against the running stack: status, a second `up` refused, `run`, `airflow`. SIGTERM, sent
while a task runs in its ECS task, then leaves no process behind, the task's and the embedded PostgreSQL's
included, and nothing written outside the project."""

from __future__ import annotations

import json
import os
import shutil
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
from tests.e2e.conftest import (
    alive,
    assert_none_left,
    e2e_project,
    end_local_up,
    patient,
    task_runner,
    wait_until_up,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SLOW_FILE = Path(__file__).parent / "supervision" / "slow_dags.py"
SLOW_DAGS = ("farflow_slow_0", "farflow_slow_1", "farflow_slow_2")
FARFLOW = [sys.executable, "-m", "farflow.cli"]


def farflow(*arguments: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FARFLOW, *arguments], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def record(project: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((project / ".farflow" / "stack.json").read_text())


def test_components_killed_under_running_dags_come_back_and_the_runs_succeed(tmp_path: Path) -> None:
    project = e2e_project(tmp_path)
    shutil.copy(SLOW_FILE, project / "dags" / SLOW_FILE.name)
    port = free_port()
    output = tmp_path / "local-up.out"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "FARFLOW_HOME": str(tmp_path / "farflow-home"), "COLUMNS": "200"}
    with output.open("wb") as sink:
        up = subprocess.Popen(
            [*FARFLOW, "local", "up", "--project", str(project), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    seen: list[psutil.Process] = []
    database: psutil.Process | None = None
    try:
        wait_until_up(up, output, timeout=300)
        stack = record(project)
        assert stack["phase"] == "up" and stack["pid"] == up.pid
        assert stack["database"].startswith("embedded PostgreSQL")
        database = psutil.Process(stack["database_pid"])

        def all_healthy() -> subprocess.CompletedProcess[str] | None:
            # Health comes from the components' heartbeats, which a loaded machine can delay a little.
            status = farflow("local", "status", "--project", str(project), env=env)
            assert status.returncode == 0, status.stdout + status.stderr
            return status if status.stdout.count("healthy") == 4 else None

        status = wait_for(
            all_healthy, timeout=120, what="`farflow local status` to show four healthy components"
        )
        assert f"http://localhost:{port}" in status.stdout

        second = farflow("local", "up", "--project", str(project), "--port", str(free_port()), env=env)
        assert second.returncode == 1
        assert "already up" in second.stderr and str(up.pid) in second.stderr  # an error: line, on stderr

        secrets = json.loads((project / ".farflow" / "secrets.json").read_text())
        api = AirflowApi(f"http://127.0.0.1:{port}")
        api.login(ADMIN_USER, secrets["admin_password"])
        for dag_id in SLOW_DAGS:
            wait_for_dag(api, dag_id, SLOW_FILE.name)
            api.unpause(dag_id)
        runs = {dag_id: api.trigger(dag_id) for dag_id in SLOW_DAGS}

        def some_task_running() -> bool | None:
            states = [
                ti["state"] for dag_id, run_id in runs.items() for ti in api.task_instances(dag_id, run_id)
            ]
            return True if "running" in states else None

        wait_for(patient(some_task_running), timeout=180, what="a task of the slow DAGs to run")
        for name in ("scheduler", "dag-processor"):
            before = record(project)["components"][name]
            os.kill(before["pid"], signal.SIGKILL)

            def restarted(name: str = name, old: int = before["pid"]) -> dict | None:  # type: ignore[type-arg]
                now = record(project)["components"][name]
                return now if now["state"] == "running" and now["pid"] != old else None

            after = wait_for(restarted, timeout=120, what=f"farflow to start {name} again")
            assert after["restarts"] == 1 and after["last_exit_code"] == -9
            text = output.read_text()
            assert f"{name} exited (code -9 (SIGKILL)); starting it again in 1s" in text
            assert f"{name} started again (pid {after['pid']}, restart 1)" in text
            log = (project / ".farflow" / "logs" / f"{name}.log").read_text()
            assert f"farflow: {name} exited (code -9 (SIGKILL))" in log

        def finished() -> dict[str, str] | None:
            states = {dag_id: str(api.dag_run(dag_id, run_id)["state"]) for dag_id, run_id in runs.items()}
            return states if all(state in {"success", "failed"} for state in states.values()) else None

        assert wait_for(
            patient(finished), timeout=360, what="the slow runs to finish", interval=2.0
        ) == dict.fromkeys(SLOW_DAGS, "success")

        failing = farflow("local", "run", "farflow_planned_failure", "--project", str(project), env=env)
        assert failing.returncode == 1, failing.stdout + failing.stderr
        assert "Using the local stack that is up" in failing.stdout
        assert "breaks failed" in failing.stdout
        assert "planned failure for farflow local run" in failing.stdout

        succeeding = farflow(
            "local", "run", "farflow_quick", "--project", str(project), "--conf", '{"why": "e2e"}', env=env
        )
        assert succeeding.returncode == 0, succeeding.stdout + succeeding.stderr
        assert "success" in succeeding.stdout and "step_3" in succeeding.stdout

        listed = farflow("local", "airflow", "--project", str(project), "dags", "list", "-o", "json", env=env)
        assert listed.returncode == 0, listed.stderr
        dag_ids = {dag["dag_id"] for dag in json.loads(listed.stdout)}  # stdout is the JSON alone
        assert {*SLOW_DAGS, "farflow_quick", "sample_dag", "farflow_planned_failure"} <= dag_ids

        status = farflow("local", "status", "--project", str(project), env=env)
        assert status.returncode == 0, status.stdout
        assert "code -9" in status.stdout

        # A task running inside an ECS task process when SIGTERM comes: stopping must reach that far down.
        wait_for_dag(api, "farflow_e2e_sleep", None)
        api.unpause("farflow_e2e_sleep")
        api.trigger("farflow_e2e_sleep")
        wait_for(lambda: task_runner(psutil.Process(up.pid)), timeout=180, what="a running ECS task")
        seen = [*process_tree.tree(up.pid), database, *database.children(recursive=True)]
        session_ids = process_tree.sessions(seen)
        assert len(session_ids) >= 5  # four components and at least one ECS task
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=180) == 0, output.read_text()
        assert "Stopped." in output.read_text()
        assert_none_left(seen, session_ids)
        assert not (project / ".farflow" / "stack.json").exists()
        assert farflow("local", "status", "--project", str(project), env=env).returncode == 1
        # Nothing written outside the project (no ~/airflow, no ~/.farflow: the project was given).
        assert list(home.iterdir()) == []
        assert not (tmp_path / "farflow-home").exists()
        # Neither password reached a log: the components', the migration's, PostgreSQL's own.
        logs = [*(project / ".farflow" / "logs").glob("*.log"), project / ".farflow" / "postgres" / "log"]
        text = "".join(path.read_text(errors="replace") for path in logs if path.exists())
        assert secrets["database_password"] not in text
        assert secrets["admin_password"] not in text
    finally:
        end_local_up(up, seen)
        if database is not None and alive([database]):  # a failed test must not leave the server running
            database.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
            database.wait(timeout=30)
