"""The benchmark's scenarios, driven through the local stack's and the demo's public functions.

- `start_stack`: the sample project (plus a DAG of N independent one-second tasks) on a fresh stack, with
  the time of each start-up step;
- `sample_run`: trigger sample_dag once and measure its hops (timing.py);
- `fanout_run`: trigger the N-task DAG once and time it until every task is done;
- `demo_run`: `farflow demo` as a user runs it, in a fresh FARFLOW_HOME, timed from outside.

The fork server is switched with FARFLOW_LOCAL_FORK_SERVER, read when the stack creates its endpoint.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.local.timing import Hop, epoch, executing_at, run_hops, upstreams

FORK_SERVER_ENV = "FARFLOW_LOCAL_FORK_SERVER"  # as farflow.local.endpoint.warm_python_client names it
MODES = {"fork": "1", "spawn": "0"}
SAMPLE_DAG = "sample_dag"
FANOUT_DAG = "farflow_speed_fanout"
FANOUT_SOURCE = '''"""{n} independent one-second tasks on farflow's executor (written by benchmarks/local_speed.py)."""

import time
from datetime import datetime

from airflow.sdk import DAG, task

with DAG(
    dag_id="{dag_id}",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    max_active_tasks={n},
    tags=["farflow", "benchmark"],
):
    for index in range({n}):

        @task(task_id=f"sleep_{{index:03d}}")
        def one_second() -> None:
            time.sleep(1)

        one_second()
'''
POLL = 0.25
T = TypeVar("T")


@contextlib.contextmanager
def fork_server(mode: str) -> Iterator[None]:
    """FARFLOW_LOCAL_FORK_SERVER for `mode` ("fork" or "spawn") while the block runs."""
    before = os.environ.get(FORK_SERVER_ENV)
    os.environ[FORK_SERVER_ENV] = MODES[mode]
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(FORK_SERVER_ENV, None)
        else:
            os.environ[FORK_SERVER_ENV] = before


def write_project(home: Path, fanout: int) -> Path:
    """The sample project in <home>/demo, plus the fanout DAG when `fanout` > 0."""
    from farflow.local.demo import fresh_demo_project

    project = fresh_demo_project(home)
    if fanout > 0:
        source = FANOUT_SOURCE.format(n=fanout, dag_id=FANOUT_DAG)
        (project / "dags" / f"{FANOUT_DAG}.py").write_text(source)
    return project


@dataclass
class Started:
    stack: Any  # farflow.local.stack.LocalStack
    api: Any  # farflow.airflow_api.AirflowApi
    steps: dict[str, float] = field(default_factory=dict)  # start-up step -> seconds it took


# The stack's progress reports, by how they begin, as start-up steps (each lasts until the next report).
STEPS = {
    "Building the metadata database template": "database template build",
    "Starting the embedded PostgreSQL": "database start",
    "Starting the local ECS endpoint": "endpoint + seed",
    "Migrating the metadata database": "airflow db migrate",
    "Starting api-server, scheduler, dag-processor and triggerer": "components healthy",
    "Waiting for every component to report healthy": "components healthy",
    "healthy": "DAGs parsed",
}


def fresh_database(server: str | None) -> str | None:
    """A new, empty database on the PostgreSQL server at URL `server` (no database name), or None."""
    if not server:
        return None
    import sqlalchemy

    name = f"farflow_speed_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(f"{server.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server.rstrip('/')}/{name}"


def start_stack(project: Path, database_url: str | None = None) -> Started:
    """A started LocalStack for `project` (the embedded PostgreSQL unless `database_url`), each DAG parsed and unpaused,
    and how long each start-up step took (by STEPS)."""
    from farflow.local.demo import wait_for_dag
    from farflow.local.ports import free_port
    from farflow.local.stack import LocalStack, StackOptions

    marks: list[tuple[str, float]] = []
    options = StackOptions(project, free_port(), database_url)
    stack = LocalStack(options, report=lambda step: marks.append((step, time.monotonic())))
    stack.start()
    marks.append(("healthy", time.monotonic()))
    api = stack.api()
    for dag_file in sorted((project / "dags").glob("*.py")):
        wait_for_dag(api, dag_file.stem, dag_file.name, guard=stack.check)
        api.unpause(dag_file.stem)
    marks.append(("parsed", time.monotonic()))
    steps: dict[str, float] = {}
    for (name, began), (_, ended) in itertools.pairwise(marks):
        step = next((step for prefix, step in STEPS.items() if name.startswith(prefix)), name)
        steps[step] = steps.get(step, 0.0) + ended - began
    return Started(stack, api, steps)


def patiently(call: Callable[[], T], timeout: float = 120.0) -> T:
    """`call()`, again while the api-server is too busy to answer (a loaded machine, 100 tasks at once)."""
    from farflow.airflow_api import ApiError

    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except (OSError, ApiError) as error:
            if time.monotonic() > deadline or (isinstance(error, ApiError) and error.status < 500):
                raise
            time.sleep(POLL)


def wait_finished(api: Any, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
    """The dag run once it succeeded or failed; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = patiently(lambda: api.dag_run(dag_id, run_id))
        if run.get("state") in {"success", "failed"}:
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"{dag_id} run {run_id} did not finish within {timeout:.0f} s")
        time.sleep(POLL)


@dataclass
class SampleRun:
    state: str
    seconds: float  # trigger -> the run's end_date
    hops: list[Hop]  # farflow-executor tasks after their upstream
    first: list[Hop]  # the first tasks after the trigger
    worker: list[float]  # LocalExecutor tasks after their upstream (for reference)


def _executing(started: Started, arns: dict[str, str]) -> dict[str, float | None]:
    """ARN -> when its container logged "Executing workload", from the Airflow container's awslogs."""
    from farflow.local.environment import AIRFLOW_CONTAINER, AIRFLOW_FAMILY

    ecs, logs = started.stack.aws_client("ecs"), started.stack.aws_client("logs")
    definition = ecs.describe_task_definition(taskDefinition=AIRFLOW_FAMILY)["taskDefinition"]
    container = next(c for c in definition["containerDefinitions"] if c["name"] == AIRFLOW_CONTAINER)
    options = container["logConfiguration"]["options"]
    found: dict[str, float | None] = {}
    for arn in arns.values():
        stream = f"{options['awslogs-stream-prefix']}/{AIRFLOW_CONTAINER}/{arn.rsplit('/', 1)[-1]}"
        try:
            events = logs.get_log_events(logGroupName=options["awslogs-group"], logStreamName=stream)
        except logs.exceptions.ResourceNotFoundException:
            found[arn] = None
            continue
        found[arn] = executing_at(events["events"])
    return found


def _timeline(started: Started) -> dict[str, dict[str, float]]:
    timeline = getattr(started.stack.endpoint, "task_timeline", None)  # absent before the fork server
    if timeline is None:
        return {}
    return {arn: dict(steps.times) for arn, steps in timeline().items()}


def sample_run(started: Started, dag_id: str = SAMPLE_DAG, timeout: float = 300.0) -> SampleRun:
    from farflow.local.metadata_query import ecs_task_arns

    api = started.api
    triggered_at = time.time()
    run_id = api.trigger(dag_id)
    run = wait_finished(api, dag_id, run_id, timeout)
    instances = patiently(lambda: api.task_instances(dag_id, run_id))
    graph = upstreams(patiently(lambda: api.request("GET", f"/api/v2/dags/{dag_id}/tasks"))["tasks"])
    arns = ecs_task_arns(started.stack.layout.database_url, dag_id, run_id)
    hops, first = run_hops(
        instances,
        graph,
        triggered_at,
        arns=arns,
        timeline=_timeline(started),
        executing=_executing(started, arns),
    )
    by_id = {str(instance["task_id"]): instance for instance in instances}
    worker = []
    for task_id, instance in by_id.items():
        ends = [epoch(by_id[up].get("end_date")) for up in graph.get(task_id, ()) if up in by_id]
        start = epoch(instance.get("start_date"))
        if task_id not in arns and ends and start is not None and all(end is not None for end in ends):
            worker.append(start - max(end for end in ends if end is not None))
    end = epoch(run.get("end_date")) or time.time()
    return SampleRun(str(run.get("state")), end - triggered_at, hops, first, worker)


@dataclass
class FanoutRun:
    n: int
    state: str
    seconds: float  # trigger -> the last task's end
    succeeded: int
    forked: int  # containers the endpoint forked from a warm interpreter
    endpoint_cpu: float  # CPU seconds of this process meanwhile: mostly the endpoint's threads


def fanout_run(started: Started, n: int, timeout: float) -> FanoutRun:
    api = started.api
    cpu = time.process_time()
    triggered_at = time.time()
    run_id = api.trigger(FANOUT_DAG)  # once: a retried POST could start two runs
    try:
        run = wait_finished(api, FANOUT_DAG, run_id, timeout)
        state = str(run.get("state"))
    except TimeoutError:
        state = f"not done after {timeout:.0f} s"
    instances = patiently(lambda: api.task_instances(FANOUT_DAG, run_id))
    ends = [epoch(instance.get("end_date")) for instance in instances]
    last = max((end for end in ends if end is not None), default=time.time())
    forked = sum(1 for steps in _timeline(started).values() if "started" in steps)
    succeeded = sum(1 for instance in instances if instance.get("state") == "success")
    return FanoutRun(n, state, last - triggered_at, succeeded, forked, time.process_time() - cpu)


@dataclass
class DemoRun:
    wall: float  # seconds, from the command's start to its exit
    reported: float | None  # "Demo finished in N s."
    ok: bool


def demo_run(mode: str, home: Path, database_url: str | None = None, timeout: float = 600.0) -> DemoRun:
    """`farflow demo` in a fresh FARFLOW_HOME, as a user runs it (the embedded PostgreSQL unless `database_url`)."""
    farflow = Path(sys.executable).parent / "farflow"
    env = {**os.environ, "FARFLOW_HOME": str(home), FORK_SERVER_ENV: MODES[mode]}
    if database_url:
        env["FARFLOW_DATABASE_URL"] = database_url
    began = time.monotonic()
    done = subprocess.run(
        [str(farflow), "demo"], check=False, env=env, capture_output=True, text=True, timeout=timeout
    )
    wall = time.monotonic() - began
    found = re.search(r"Demo finished in ([0-9.]+)s", done.stdout)
    ok = done.returncode == 0 and "success" in done.stdout
    if not ok:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
    return DemoRun(wall, float(found.group(1)) if found else None, ok)
