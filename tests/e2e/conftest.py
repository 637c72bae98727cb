"""One local stack per test module: the sample project plus this folder's test DAGs."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from farflow.local import processes
from farflow.local.api import AirflowApi
from farflow.local.ports import free_port
from farflow.local.stack import LocalStack, StackOptions
from farflow.scaffold import init_project

TEST_DAGS = Path(__file__).parent / "dags"
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
    )


def descendants() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


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
    project = e2e_project(tmp_path_factory.mktemp("e2e"))
    local = LocalStack(StackOptions(project, free_port()))
    local.start()
    try:
        register_exit_definition(local)
        yield local
    finally:
        started = descendants()
        session_ids = processes.sessions(started)
        local.stop()
        left = alive(started) + processes.in_sessions(session_ids)
        assert not left, f"processes left after stop(): {[(p.pid, p.name()) for p in left]}"
        if local.swept:
            warnings.warn(f"stop() had to sweep {len(local.swept)} escaped processes", stacklevel=1)


@pytest.fixture(scope="module")
def api(stack: LocalStack) -> AirflowApi:
    return stack.api()


def events(api: AirflowApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    return api.event_logs(dag_id, run_id=run_id)
