"""`farflow dags push --local` end to end, on a stack started with the DAG bundle (`--dag-bundle`): the
dag-processor and the task processes read DAGs from the endpoint's S3 as they do on AWS. A pushed DAG is
parsed (the command says so) and runs; a broken one's import error is printed by the command, which
exits 1."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from farflow.local.component_processes import wait_for
from farflow.local.stack import LocalStack
from farflow.scaffold import init_project
from tests.e2e.conftest import patient, started_stack

NEW_DAG = """
from airflow.sdk import DAG, task

with DAG("pushed_dag", schedule=None):

    @task
    def pushed_task():
        print("read from the bundle")

    pushed_task()
"""
BROKEN_DAG = """
from airflow.sdk import DAG
import a_module_nobody_installed

with DAG("broken_pushed_dag", schedule=None):
    pass
"""


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    project = tmp_path_factory.mktemp("bundle") / "project"
    init_project(project)
    with started_stack(project, dag_bundle=True) as local:
        yield local


def push(project: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "farflow.cli",
        "dags",
        "push",
        "--local",
        "-p",
        str(project),
        "--timeout",
        "60",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_a_pushed_dag_is_parsed_and_runs_and_a_broken_one_is_reported(bundled: LocalStack) -> None:
    project = bundled.project
    assert bundled.seeded is not None and bundled.seeded.dags_bucket
    (project / "dags" / "pushed_dag.py").write_text(NEW_DAG)
    started = time.monotonic()
    done = push(project)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 new, 0 changed, 0 deleted" in done.stdout
    assert "has parsed the new version" in done.stdout
    print(f"farflow dags push to parsed: {seconds:.1f}s")

    api = bundled.api()
    dag = api.dag("pushed_dag")
    assert dag is not None and dag["bundle_name"] == "farflow-dags"
    api.unpause("pushed_dag")
    run_id = api.trigger("pushed_dag")

    def ended() -> str | None:
        state = str(api.dag_run("pushed_dag", run_id)["state"])
        return state if state in {"success", "failed"} else None

    assert wait_for(patient(ended), timeout=60, what="the pushed DAG's run to end") == "success"

    (project / "dags" / "broken_pushed_dag.py").write_text(BROKEN_DAG)
    broken = push(project)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "broken_pushed_dag.py:" in broken.stdout
    assert "ModuleNotFoundError: No module named 'a_module_nobody_installed'" in broken.stdout
