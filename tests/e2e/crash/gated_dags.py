"""DAGs for the scheduler crash and two-scheduler tests.

A gated DAG's tasks run until the file named in the run's conf (`{"gate": PATH}`) exists, so a test can
hold dozens of tasks running while it kills a scheduler and let them finish only once they were adopted:
no test depends on how long anything takes. A short DAG's tasks return at once. In both, the tasks whose
index is a multiple of FAIL_EVERY (after 0) fail on purpose, so "the right state" is checked both ways.

FARFLOW_E2E_TASKS (default 12; 52 for the long run) sets how many tasks the crash test's gated DAG holds
running when the scheduler is killed, and how many each short DAG runs. It is read here, in the test
process and in the stack's dag-processor alike (the stack's components inherit the environment).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

START = datetime(2024, 1, 1)
FAIL_EVERY = 11
SIZE_VARIABLE = "FARFLOW_E2E_TASKS"
DEFAULT_SIZE = 12
MINIMUM_SIZE = FAIL_EVERY + 1  # every DAG has a planned failure
GATE_TIMEOUT = 900.0


def size(environ: dict[str, str] | None = None) -> int:
    """FARFLOW_E2E_TASKS (default 12): the crash test's gated tasks and each short DAG's tasks."""
    raw = (dict(os.environ) if environ is None else environ).get(SIZE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_SIZE
    if not raw.isdigit() or int(raw) < MINIMUM_SIZE:
        raise ValueError(f"{SIZE_VARIABLE} is {raw!r}; use a whole number of at least {MINIMUM_SIZE}.")
    return int(raw)


SIZE = size()
GATED = {"farflow_gated_crash": SIZE, "farflow_gated_inflight": 24, "farflow_gated_ha": 20}
SHORT = {f"farflow_short_{number}": SIZE for number in range(2)}


def fails(index: int) -> bool:
    return index > 0 and index % FAIL_EVERY == 0


for dag_id, count in {**GATED, **SHORT}.items():
    with DAG(dag_id=dag_id, start_date=START, schedule=None, catchup=False, max_active_tasks=count):

        @task
        def step(index: int, gated: bool = dag_id in GATED, dag_run: Any = None) -> int:
            if gated:
                gate = dag_run.conf["gate"]
                deadline = time.monotonic() + GATE_TIMEOUT
                while not os.path.exists(gate):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the gate {gate} never opened")
                    time.sleep(0.5)
            if fails(index):
                raise ValueError(f"planned failure of step {index}")
            return index

        for index in range(count):
            step.override(task_id=f"step_{index}")(index)


# Tasks on the `worker` executor (the LocalExecutor next to the scheduler) that run until the gate opens
# and ignore SIGTERM, as user code may: a killed scheduler's must still end with it.
WORKER_GATED = ("farflow_gated_worker", 2)

with DAG(dag_id=WORKER_GATED[0], start_date=START, schedule=None, catchup=False):

    @task(executor="worker")
    def hold(dag_run: Any = None) -> None:
        import signal

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        deadline = time.monotonic() + GATE_TIMEOUT
        while not os.path.exists(dag_run.conf["gate"]) and time.monotonic() < deadline:
            time.sleep(0.5)

    for index in range(WORKER_GATED[1]):
        hold.override(task_id=f"hold_{index}")()
