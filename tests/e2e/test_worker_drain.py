"""A real Edge worker, SIGTERMed with a job running, drains: the job succeeds and the worker exits.

The deploy's worker pool as it runs on AWS, on one machine: the embedded PostgreSQL, `airflow db
migrate`, an api-server serving the Edge API, a scheduler with edge3's EdgeExecutor, a dag-processor,
and the worker container's command, `python -m farflow.worker`, which runs `airflow edge worker`. ECS
stops a task with SIGTERM; here the test sends it. Without the entry (the previous command, `airflow
edge worker` itself), the same SIGTERM reaches the job, whose operator ends its work, and the job
fails: the second test shows it. The worker's task scale-in protection goes to a loopback stand-in for
the ECS agent (tests/support).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from farflow.airflow_api import AirflowApi
from farflow.local import component_processes
from farflow.local.component_processes import ManagedProcess, wait_for
from farflow.local.demo import wait_for_dag
from farflow.local.embedded_database import EmbeddedPostgres
from farflow.local.local_only import LOCAL_TUNING
from farflow.local.ports import free_port
from tests.support.ecs_agent import loopback_agent

pytest.importorskip("airflow.providers.edge3", reason="the Edge worker needs apache-airflow-providers-edge3")

pytestmark = pytest.mark.e2e

DAG_ID = "farflow_worker_drain"
TASK_ID = "slow"
# Long enough to SIGTERM the worker while the task runs, short next to the drain timeout (95 s).
TASK_SECONDS = 20
# A Bash task, as real jobs run work outside Python: edge3 answers SIGTERM by sending SIGTERM to every
# job, whose task process then calls the operator's on_kill (Airflow 3.3.2, Task SDK task_runner.py
# `_on_term`), and BashOperator's kills its command, so the job fails (a task process still starting dies
# of the signal itself). A plain Python sleep has no on_kill and would finish either way. The command
# first marks its start: a SIGTERM between the task's "running" state and its command's start reaches an
# operator with no command to kill yet, and the job would then run to success.
DAG = f'''
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("{DAG_ID}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False):
    BashOperator(
        task_id="{TASK_ID}",
        bash_command='touch "$FARFLOW_TEST_STARTED/$AIRFLOW_CTX_DAG_RUN_ID" && sleep {TASK_SECONDS}',
        retries=0,
    )
'''
EDGE_EXECUTOR = "airflow.providers.edge3.executors.EdgeExecutor"
SIMPLE_AUTH = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
STARTUP = 240.0
RUN = 240.0


@dataclass
class EdgeSite:
    """The central site (api-server, scheduler, dag-processor) and what a worker needs to reach it."""

    root: Path
    api: AirflowApi
    worker_environment: dict[str, str]
    processes: list[ManagedProcess]


def _airflow(*argv: str) -> list[str]:
    return [sys.executable, "-m", "airflow", *argv]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeSite]:
    root = tmp_path_factory.mktemp("edge")
    dags = root / "dags"
    dags.mkdir()
    (dags / "worker_drain.py").write_text(DAG)
    password = secrets.token_urlsafe(16)
    (root / "passwords.json").write_text(json.dumps({"admin": password}))
    database = EmbeddedPostgres(root / "postgres", secrets.token_urlsafe(16))
    url = database.start()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    shared = {
        **{key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")},
        **LOCAL_TUNING,
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": EDGE_EXECUTOR,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(root / "logs"),
        "AIRFLOW__EDGE__API_URL": f"{api_url}/edge_worker/v1/rpcapi",
        "AIRFLOW__EDGE__JOB_POLL_INTERVAL": "1",
        "AIRFLOW__EDGE__HEARTBEAT_INTERVAL": "2",
        # A worker's request token lives [api_auth] jwt_leeway seconds (edge3 cli/api_client.py); on a
        # loaded 2-core machine the api-server can take longer than the default 10 s to read one.
        "AIRFLOW__API_AUTH__JWT_LEEWAY": "120",
    }
    central = {
        **shared,
        "AIRFLOW_HOME": str(root / "central"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
        "AIRFLOW__EDGE__API_ENABLED": "True",
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(root / "passwords.json"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
    }
    processes: list[ManagedProcess] = []
    try:
        component_processes.run("migration", _airflow("db", "migrate"), central, root / "migrate.log", 300)
        for name in ("api-server", "scheduler", "dag-processor"):
            processes.append(component_processes.start(name, _airflow(name), central, root / f"{name}.log"))
        api = AirflowApi(api_url, timeout=60)
        wait_for(api.health, timeout=STARTUP, what="the api-server", watch=processes)
        api.login("admin", password)
        wait_for_dag(api, DAG_ID, "worker_drain.py", timeout=STARTUP)
        api.unpause(DAG_ID)
        # The worker, like the deploy's: no database, the JWT secret, the Edge API's URL.
        started = root / "started"
        started.mkdir()
        worker = {
            **shared,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{root / 'none.db'}",
            "FARFLOW_TEST_STARTED": str(started),  # where each run's command marks its start
        }
        yield EdgeSite(root, api, worker, processes)
    finally:
        component_processes.stop(processes)
        database.stop()


def _start_worker(
    site: EdgeSite, name: str, argv: list[str], extra: dict[str, str] | None = None
) -> ManagedProcess:
    home = site.root / name
    home.mkdir()
    environment = {**site.worker_environment, "AIRFLOW_HOME": str(home), **(extra or {})}
    return component_processes.start(name, argv, environment, site.root / f"{name}.log")


def _task_state(site: EdgeSite, run_id: str) -> str | None:
    """The task's state, or None while the api-server is too busy to answer."""
    try:
        [instance] = site.api.task_instances(DAG_ID, run_id)
    except OSError:
        return None
    state = instance.get("state")
    return str(state) if state else None


def _run_and_sigterm(
    site: EdgeSite, worker: ManagedProcess, before: Callable[[], object] = lambda: True
) -> tuple[str, int]:
    """Trigger the DAG, SIGTERM the worker once its task runs (and `before` holds); the task's final
    state, and the worker's exit code."""
    try:
        run_id = site.api.trigger(DAG_ID)
        wait_for(
            lambda: True if _task_state(site, run_id) == "running" else None,
            timeout=RUN,
            what="the task to run on the worker",
            watch=[worker, *site.processes],
        )
        wait_for(
            lambda: True if (site.root / "started" / run_id).exists() else None,
            timeout=RUN,
            what="the task's command to start",
            watch=[worker, *site.processes],
        )
        wait_for(lambda: before() or None, timeout=RUN, what="the worker to be ready to stop", watch=[worker])
        worker.popen.send_signal(signal.SIGTERM)
        ended = wait_for(
            lambda: state if (state := _task_state(site, run_id)) in {"success", "failed"} else None,
            timeout=RUN,
            what="the task to end",
            watch=site.processes,
        )
        code = worker.popen.wait(timeout=RUN)
        return str(ended), code
    finally:
        component_processes.stop([worker])


def test_sigterm_drains_the_worker_and_the_running_job_succeeds(site: EdgeSite) -> None:
    """With an ECS agent stand-in, the busy worker also asks for task scale-in protection first."""
    with loopback_agent() as agent:
        worker = _start_worker(
            site, "entry", [sys.executable, "-m", "farflow.worker"], {"ECS_AGENT_URI": agent.uri}
        )
        state, code = _run_and_sigterm(site, worker, before=lambda: agent.requests)
    assert state == "success", worker.log_tail(40)
    assert code == 0, worker.log_tail(40)
    assert "draining the Edge worker" in worker.log_tail(400)
    _, body = agent.requests[0]
    assert body["ProtectionEnabled"] is True, agent.requests


def test_without_the_entry_sigterm_fails_the_running_job(site: EdgeSite) -> None:
    """The previous command, `airflow edge worker` itself: ECS's SIGTERM ends the job."""
    worker = _start_worker(site, "direct", _airflow("edge", "worker"))
    state, _ = _run_and_sigterm(site, worker)
    assert state == "failed", worker.log_tail(40)
