"""One local stack for every module in this folder, whose tests agree in its settings (the defaults): the
sample project, the e2e DAGs and the ten DAGs of `test_many_dags`, on the embedded PostgreSQL. Starting a
stack takes tens of seconds on two cores; this folder starts one, not one per module, and stops it after
its last test, before the next folder's stacks start."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from farflow.local.stack import LocalStack
from tests.e2e.conftest import e2e_project, register_exit_definition, started_stack

MANY_DAGS = Path(__file__).parent.parent / "many" / "many_dags.py"
READS_DATA = Path(__file__).parent.parent / "permissions" / "reads_data.py"


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Stopped after the folder's last test: then no process it started, the embedded PostgreSQL's
    included, is left, and its stack record is gone."""
    project = e2e_project(tmp_path_factory.mktemp("shared"))
    for dag_file in (MANY_DAGS, READS_DATA):
        shutil.copy(dag_file, project / "dags" / dag_file.name)
    server_processes: list[psutil.Process] = []
    with started_stack(project, extra=lambda: server_processes) as local:
        database = local.database
        assert database is not None and database.pid is not None  # the embedded PostgreSQL is the default
        server = psutil.Process(database.pid)
        server_processes.extend([server, *server.children(recursive=True)])
        register_exit_definition(local)
        yield local
    assert not local.state.stack_file.exists()
