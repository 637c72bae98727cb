"""One local stack per test module: the sample project plus this folder's test DAGs."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import warnings
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psutil
import pytest

from farflow.airflow_api import AirflowApi
from farflow.local import process_tree
from farflow.local.component_processes import escaped, wait_for
from farflow.local.ports import free_port
from farflow.local.roles import role_name
from farflow.local.stack import LocalStack, StackOptions
from farflow.scaffold import init_project
from farflow.spec.iam import Role
from tests.support.polling import wait_until
from tests.support.postgres import PostgresServer, postgres_server

TEST_DAGS = Path(__file__).parent / "dags"
T = TypeVar("T")
EXIT_DEFINITION = "farflow-e2e-exit"


def e2e_project(root: Path) -> Path:
    """The sample project with the e2e DAGs (including one that fails to import) added to dags/."""
    project = root / "project"
    init_project(project)
    for dag_file in TEST_DAGS.glob("*.py"):
        shutil.copy(dag_file, project / "dags" / dag_file.name)
    return project


def register_exit_definition(stack: LocalStack) -> None:
    """The Airflow task definition again, but its entrypoint exits with 3 before the task can start."""
    ecs = stack.aws_client("ecs")
    definition = ecs.describe_task_definition(taskDefinition="farflow-airflow")["taskDefinition"]
    container = dict(definition["containerDefinitions"][0])
    container["entryPoint"] = ["python", "-c", "import sys; sys.exit(3)"]
    ecs.register_task_definition(
        family=EXIT_DEFINITION,
        requiresCompatibilities=definition["requiresCompatibilities"],
        networkMode=definition["networkMode"],
        cpu=definition["cpu"],
        memory=definition["memory"],
        containerDefinitions=[container],
        taskRoleArn=definition["taskRoleArn"],
        executionRoleArn=definition["executionRoleArn"],
    )
    # The deploy lets the scheduler run the Airflow task definition only: grant this family too, as a
    # project that adds a task definition must.
    assert stack.layout is not None
    account = stack.endpoint.account_id
    grant = {
        "Effect": "Allow",
        "Action": "ecs:RunTask",
        "Resource": f"arn:aws:ecs:{stack.options.region}:{account}:task-definition/{EXIT_DEFINITION}:*",
    }
    stack.aws_client("iam").put_role_policy(
        RoleName=role_name(stack.layout.names, Role.SCHEDULER),
        PolicyName="E2eExitDefinition",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [grant]}),
    )


def descendants(besides: Collection[int] = ()) -> list[psutil.Process]:
    """This process's descendants except the pids `besides`: those running before a stack started, such
    as the node server that importing aws_cdk (the deploy tests) starts for the whole session."""
    return [child for child in psutil.Process().children(recursive=True) if child.pid not in besides]


def pids(processes: list[psutil.Process]) -> set[int]:
    return {process.pid for process in processes}


def assert_none_left(started: list[psutil.Process], session_ids: Collection[int] = ()) -> None:
    """After stop() has signalled everything: give the last exits (the database's backends, a task's
    children) a bounded moment to be reaped, then fail naming whatever is left."""

    def leftovers() -> list[psutil.Process]:
        return alive(started) + process_tree.in_sessions(set(session_ids))

    wait_until(
        lambda: not leftovers(),
        what="every process to end after stop()",
        timeout=30,
        interval=0.5,
        detail=lambda: f"left: {[(p.pid, p.name()) for p in leftovers()]}",
    )


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    living = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                living.append(process)
        except psutil.NoSuchProcess:
            pass
    return living


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with started_stack(e2e_project(tmp_path_factory.mktemp("e2e"))) as local:
        register_exit_definition(local)
        yield local


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server the stacks do not manage, for the tests that pass one by URL: started on first
    use, stopped and deleted after the session (tests/support/postgres.py)."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@contextlib.contextmanager
def started_stack(
    project: Path,
    database_url: str | None = None,
    extra: Callable[[], list[psutil.Process]] = list,
    *,
    dag_bundle: bool = False,
) -> Iterator[LocalStack]:
    """A local stack for `project`, stopped after use, failing if any process it started is left: its
    descendants, their sessions, and the `extra` ones (such as the embedded PostgreSQL's, which pg_ctl
    detaches from this process's tree)."""
    before = pids(descendants())
    local = LocalStack(StackOptions(project, free_port(), database_url=database_url, dag_bundle=dag_bundle))
    local.start()
    try:
        yield local
    finally:
        started = descendants(besides=before) + extra()
        session_ids = process_tree.sessions(started)
        local.stop()
        assert_none_left(started, session_ids)
        # Nor in the session of any component process that ever ran: one that exited and was started
        # again (a killed scheduler) is no longer in the tree, but what it left would be in its session.
        left = [member for process in local.started for member in escaped(process)]
        assert not left, f"left in the sessions of exited components: {[(p.pid, p.name()) for p in left]}"
        if local.swept:
            warnings.warn(f"stop() had to sweep {len(local.swept)} escaped processes", stacklevel=1)


@pytest.fixture(scope="module")
def api(stack: LocalStack) -> AirflowApi:
    return stack.api()


def events(api: AirflowApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    return api.event_logs(dag_id, run_id=run_id)


def patient(check: Callable[[], T | None]) -> Callable[[], T | None]:
    """`check` for wait_for, but an api-server too busy to answer in time (under load every task process
    calls it too) means "not yet" rather than a failure: the deadline still bounds the wait."""

    def attempt() -> T | None:
        try:
            return check()
        except OSError:
            return None

    return attempt


def end_local_up(up: subprocess.Popen[bytes], seen: list[psutil.Process]) -> None:
    """After a test of `farflow local up`, passed or failed: end it and everything it started (its tree
    now, what the test saw earlier, and their sessions) so that no process outlives the test."""
    family = [*process_tree.tree(up.pid), *seen]
    session_ids = process_tree.sessions(family)
    if up.poll() is None:  # a stop of its own first: it also stops the embedded PostgreSQL, which
        up.send_signal(signal.SIGTERM)  # pg_ctl detached from its tree and its session
        try:
            up.wait(timeout=120)
        except subprocess.TimeoutExpired:
            up.kill()
    process_tree.terminate_tree(alive(family), grace=1)
    process_tree.terminate_tree(process_tree.in_sessions(session_ids), grace=1)
    with contextlib.suppress(subprocess.TimeoutExpired):
        up.wait(timeout=10)


def task_runner(root: psutil.Process) -> psutil.Process | None:
    """The Airflow task runner of a running ECS task under `root` (it titles itself `airflow worker --
    <ti id>`; the LocalExecutor's own workers say so in their title)."""
    for process in root.children(recursive=True):
        try:
            if process.name().startswith("airflow worker -- ") and "LocalExecutor" not in process.name():
                return process
        except psutil.NoSuchProcess:
            continue
    return None


def wait_until_up(up: subprocess.Popen[bytes], output: Path, timeout: float = 300) -> None:
    """Wait until `farflow local up` (writing to `output`) says it is up; fail at once if it exits."""

    def ready() -> bool | None:
        if up.poll() is not None:
            raise AssertionError(f"farflow local up exited early:\n{output.read_text()}")
        return True if "farflow is up" in output.read_text() else None

    wait_for(ready, timeout=timeout, what="farflow local up to be ready")
