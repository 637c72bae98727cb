"""The fault soak: FARFLOW_SOAK_TASKS (default 200; 2000 for the long run) Airflow task instances through
the real scheduler and farflow's executor on the local stack while the endpoint has a bad day: 40 ms on
every ECS and S3 call, 10% of ECS calls throttled, 5% of RunTask calls out of capacity, 2% answered
HTTP 500 after their task was created, 2% of tasks Spot-interrupted and 1% failing before their container
starts. It passes only if every task instance ends as its own code asks (tests/soak/plan.py), none is
left queued, scheduled or running, no try ran in two containers (the endpoint's own count of started
containers), and no Airflow retry went on an injected fault. Then nothing any part wrote holds a secret
or a workload token, and the api-server never ran out of database connections. docs/reliability.md has
the figures.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from farflow.airflow_api import AirflowApi
from farflow.executor.request import clean_tag_value
from farflow.local.component_processes import wait_for
from farflow.local.demo import wait_for_dag
from farflow.local.ports import free_port
from farflow.local.stack import LocalStack, StackOptions
from farflow.local.state import StateDir
from farflow.scaffold import init_project
from tests.e2e.conftest import assert_none_left, descendants, patient, pids
from tests.e2e.report import why_failed
from tests.soak.plan import Run, expected, runs_for, soak_size
from tests.support.leaks import captured_log, every_ecs_task, find_leaks

SIZE = soak_size()
# Measured: 200 task instances ran in 71-115 s on two cores (300 in 149-195 s), the module in 96-170 s
# (stack start, soak, leak search, stop); the limits are 1.5-2 times that, scaled by the size.
RUN_TIMEOUT = 60.0 + 0.9 * SIZE
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(RUN_TIMEOUT + 240)]

DAG_FILE = Path(__file__).parent / "dags" / "soak_dags.py"
# Read by the endpoint the stack starts (FaultSettings.from_env), as `farflow local up` reads them.
FAULTS = {
    "FARFLOW_FAULT_LATENCY_MS": "40",
    "FARFLOW_FAULT_THROTTLE_RATE": "0.1",
    "FARFLOW_FAULT_CAPACITY_RATE": "0.05",
    "FARFLOW_FAULT_SERVER_ERROR_RATE": "0.02",
    "FARFLOW_FAULT_SPOT_RATE": "0.02",
    "FARFLOW_FAULT_START_FAILURE_RATE": "0.01",
    "FARFLOW_FAULT_SEED": "8",
}
# Spawned, every ECS task is a fresh Python importing Airflow: 2-3 s of CPU each, so on two cores the
# containers' imports, not the executor, would set the pace and starve the api-server. Forked from a warm
# interpreter each starts in milliseconds; what the soak tests (RunTask, DescribeTasks, events, the
# endpoint's lifecycle and faults) is the same either way.
FORK_SERVER = {"FARFLOW_LOCAL_FORK_SERVER": "1"}
FINAL = {"success", "failed"}
TiTry = tuple[str, str, str, str, str]  # dag_id, task_id, run_id, map_index, try_number as tagged


@dataclass(frozen=True)
class SoakRuns:
    runs: list[tuple[Run, str]]  # each planned run and its run_id
    wall_seconds: float  # first trigger to the last run finished


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    project = tmp_path_factory.mktemp("soak") / "project"
    init_project(project)
    shutil.copy(DAG_FILE, project / "dags" / DAG_FILE.name)
    logs = StateDir.for_project(project).logs
    logs.mkdir(parents=True)
    before = pids(descendants())
    with captured_log(logs / "soak-test-process.log"):
        local = LocalStack(StackOptions(project, free_port()))
        try:
            with pytest.MonkeyPatch.context() as env:
                for name, value in {**FAULTS, **FORK_SERVER}.items():
                    env.setenv(name, value)
                local.start()
            yield local
        finally:
            started = descendants(besides=before)
            local.stop()
            assert_none_left(started)


@pytest.fixture(scope="module")
def soak(stack: LocalStack) -> SoakRuns:
    """Every planned run triggered at once, and waited for."""
    api = stack.api()
    plan = runs_for(SIZE)
    for dag_id in sorted({run.dag_id for run in plan}):
        wait_for_dag(api, dag_id, DAG_FILE.name, guard=stack.check)
        api.unpause(dag_id)
    started = time.monotonic()
    runs = [(run, api.trigger(run.dag_id, run.conf)) for run in plan]

    def all_finished() -> bool | None:
        states = [api.dag_run(run.dag_id, run_id)["state"] for run, run_id in runs]
        return True if all(state in FINAL for state in states) else None

    wait_for(
        patient(all_finished),
        timeout=RUN_TIMEOUT,
        what=f"{len(runs)} soak runs to finish",
        interval=3.0,
        guard=stack.check,
    )
    return SoakRuns(runs, time.monotonic() - started)


def task_instances(api: AirflowApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of a run, mapped ones each on their own, a page at a time."""
    path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances"
    found: list[dict[str, Any]] = []
    while True:
        page = api.request("GET", path, limit=100, offset=len(found))
        items = list(page.get("task_instances", []))
        found += items
        if not items or len(found) >= int(page.get("total_entries", 0)):
            return found


def ti_try(ti: dict[str, Any], try_number: int) -> TiTry:
    """One try of a task instance, spelt as farflow's executor tags its ECS tasks."""
    values = (ti["dag_id"], ti["task_id"], ti["dag_run_id"], ti["map_index"], try_number)
    dag_id, task_id, run_id, map_index, number = (clean_tag_value(value) for value in values)
    return dag_id, task_id, run_id, map_index, number


def containers_per_try(stack: LocalStack) -> Counter[TiTry]:
    """The endpoint's count of containers that started, per task instance and try."""
    keys = ("airflow:dag_id", "airflow:task_id", "airflow:run_id", "airflow:map_index", "airflow:try_number")
    starts = [start for start in stack.endpoint.started_containers() if "farflow:executor" in start.tags]
    return Counter(tuple(start.tags[key] for key in keys) for start in starts)  # type: ignore[misc]


def all_ecs_tasks_stopped(stack: LocalStack) -> list[dict[str, Any]] | None:
    tasks = [task for task in every_ecs_task(stack) if str(task.get("startedBy", "")).startswith("farflow-")]
    return tasks if all(task["lastStatus"] == "STOPPED" for task in tasks) else None


def test_every_task_instance_ends_as_its_code_asks_and_runs_in_one_container_per_try(
    stack: LocalStack, soak: SoakRuns, capsys: pytest.CaptureFixture[str]
) -> None:
    api = stack.api()
    tis = [ti for run, run_id in soak.runs for ti in task_instances(api, run.dag_id, run_id)]
    wrong = [
        (ti["dag_id"], ti["dag_run_id"], ti["task_id"], ti["map_index"], ti["state"], ti["try_number"])
        for ti in tis
        if (ti["state"], ti["try_number"]) != expected(ti["dag_id"], ti["task_id"], ti["map_index"])
    ]
    unfinished = [ti for ti in tis if ti["state"] not in FINAL]
    wanted = Counter({ti_try(ti, number): 1 for ti in tis for number in range(1, int(ti["try_number"]) + 1)})
    started = containers_per_try(stack)
    twice = {key: count for key, count in started.items() if count > 1}
    never = [key for key in wanted if key not in started]
    strays = [key for key in started if key not in wanted]
    fault_retries = [ti for ti in tis if ti["dag_id"] != "farflow_soak_retry" and ti["try_number"] != 1]
    ecs_tasks = wait_for(
        lambda: all_ecs_tasks_stopped(stack), timeout=120, what="every ECS task of the soak to stop"
    )
    report = "\n".join(
        [
            f"fault soak: {len(tis)} task instances in {len(soak.runs)} DAG runs, "
            f"wall time {soak.wall_seconds:.0f} s (first trigger to last run finished)",
            f"  states: {dict(Counter(ti['state'] for ti in tis))}; wrong: {len(wrong)}; "
            f"left queued, scheduled or running: {len(unfinished)}",
            f"  containers that ran task code: {sum(started.values())} for {len(wanted)} tries; "
            f"tries in two containers: {len(twice)}; tries with none: {len(never)}; strays: {len(strays)}",
            f"  tries: {dict(Counter(ti['try_number'] for ti in tis))}; "
            f"Airflow retries spent on injected faults: {len(fault_retries)}",
            f"  faults injected: {stack.endpoint.fault_counts()}; calls: {stack.endpoint.calls()}",
            f"  ECS tasks: {len(ecs_tasks)}, by stop code: {dict(Counter(t.get('stopCode') for t in ecs_tasks))}",
        ]
    )
    with capsys.disabled():
        print(f"\n{report}")
    failed_runs = {(run.dag_id, run_id) for run, run_id in soak.runs for w in wrong if w[1] == run_id}
    assert not wrong, [*wrong[:20], *(why_failed(stack, dag, run) for dag, run in sorted(failed_runs)[:3])]
    assert len(tis) == SIZE and not unfinished
    assert not twice and not never and not strays, (twice, never[:20], strays[:20])
    assert not fault_retries
    injected = stack.endpoint.fault_counts()
    assert injected.get("throttle_rate", 0) > 0 and injected.get("capacity_rate", 0) > 0, injected


def test_no_secret_or_workload_token_in_any_log_or_task_record(stack: LocalStack, soak: SoakRuns) -> None:
    """After the soak, on its stack: the components' and tasks' logs, this process's capture of the
    endpoint's own log, every awslogs event, every task event, every RunTask and task definition record."""
    leaks, searched = find_leaks(stack, stack.api())
    assert not leaks, leaks
    assert searched > len(soak.runs)


# The last source line of SQLAlchemy's traceback when a checkout waited out the pool's timeout (the
# exception's message is not in the log), and that timeout: a request that long stalled on the pool.
POOL_TIMEOUT = "raise exc.TimeoutError("
POOL_TIMEOUT_US = 30_000_000
DURATION = re.compile(r"duration_us=(\d+)")


def test_the_api_server_never_waited_out_its_database_pool(stack: LocalStack, soak: SoakRuns) -> None:
    """Under the soak's fan-out no api-server request timed out waiting for a database connection, nor took
    as long as that timeout: with Airflow's default pool the whole server stood still 30 s at a time
    (farflow.spec.components.API_SERVER_POOL says why)."""
    log = (stack.state.logs / "api-server.log").read_text(errors="replace")
    durations = [int(found) for found in DURATION.findall(log)]
    assert len(durations) > len(soak.runs)  # the access log is there to judge
    assert log.count(POOL_TIMEOUT) == 0, "the api-server's database pool ran out; see its log"
    assert max(durations) < POOL_TIMEOUT_US, f"an api-server request took {max(durations) / 1e6:.1f} s"
