"""farflow.toml's `[permissions]` decides what a DAG's task may do: an Airflow task (in its own ECS task on
the local endpoint, as the Airflow task role) that reads a bucket it was granted nothing on fails with
AccessDenied in its task log; once `[permissions.airflow_task]` grants s3:GetObject and a second
`farflow local up` has applied it to the running stack, the same task passes. The file is put back and
applied again afterwards, so the folder's stack keeps the default roles."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from farflow.local.component_processes import wait_for
from farflow.local.stack import LocalStack
from farflow.local.task_logs import log_lines
from tests.e2e.conftest import patient
from tests.e2e.permissions.reads_data import BUCKET

DAG_ID = "reads_data"
TASK_ID = "read"
CONTENT = "numbers from the data bucket"
GRANT = f"""
[permissions.airflow_task]
statements = [{{ actions = ["s3:GetObject"], resources = ["arn:aws:s3:::{BUCKET}/*"] }}]
"""


def local_up(local: LocalStack) -> subprocess.CompletedProcess[str]:
    """`farflow local up` for the project whose stack is up: it refuses to start a second one, and applies
    farflow.toml's [permissions] to the running one's roles."""
    command = [sys.executable, "-m", "farflow.cli", "local", "up", "-p", str(local.project), "--port", "0"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def granting(stack: LocalStack) -> Iterator[str]:
    """farflow.toml with the grant appended; put back, and applied, after the test."""
    settings = stack.project / "farflow.toml"
    before = settings.read_text()
    try:
        yield before + GRANT
    finally:
        settings.write_text(before)
        local_up(stack)


def run(local: LocalStack) -> tuple[str, str]:
    """Trigger the DAG once: the run's final state and its task's log."""
    api = local.api()
    run_id = api.trigger(DAG_ID)

    def ended() -> str | None:
        state = str(api.dag_run(DAG_ID, run_id)["state"])
        return state if state in {"success", "failed"} else None

    state = wait_for(patient(ended), timeout=180, what=f"the {DAG_ID} run to end")
    return str(state), "\n".join(log_lines(api.task_log(DAG_ID, run_id, TASK_ID, 1)))


def test_a_task_reads_the_bucket_only_once_farflow_toml_grants_it(stack: LocalStack, granting: str) -> None:
    assert stack.layout is not None
    s3: Any = stack.aws_client("s3")
    region = stack.layout.region
    located = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=BUCKET, **located)
    s3.put_object(Bucket=BUCKET, Key="in.txt", Body=CONTENT.encode())
    api = stack.api()
    wait_for(patient(lambda: api.dag(DAG_ID)), timeout=120, what=f"{DAG_ID} to be parsed")
    api.unpause(DAG_ID)

    state, log = run(stack)
    assert state == "failed", log
    assert "AccessDenied" in log and "GetObject" in log, log

    (stack.project / "farflow.toml").write_text(granting)
    again = local_up(stack)
    assert again.returncode == 1, again.stdout + again.stderr
    assert "already up" in again.stdout + again.stderr
    assert "[permissions] as the file reads now is applied" in again.stdout + again.stderr

    state, log = run(stack)
    assert state == "success", log
    assert f"read: {CONTENT}" in log, log
