"""DAGs for the supervision end-to-end test: runs long enough to kill components under them, a quick one
for `farflow local run`, and one that fails on purpose for its failure report."""

from __future__ import annotations

import time
from datetime import datetime

from airflow.sdk import DAG, task

START = datetime(2024, 1, 1)

# Three slow ones to kill components under, and a quick one of the same shape for `farflow local run`.
for dag_id, seconds in (
    ("farflow_slow_0", 4.0),
    ("farflow_slow_1", 4.0),
    ("farflow_slow_2", 4.0),
    ("farflow_quick", 0.0),
):
    with DAG(dag_id=dag_id, start_date=START, schedule=None, catchup=False):

        @task
        def step(seconds: float) -> float:
            time.sleep(seconds)
            return seconds

        previous = None
        for index in range(4):
            current = step.override(task_id=f"step_{index}")(seconds)
            if previous is not None:
                previous >> current
            previous = current

with DAG(dag_id="farflow_planned_failure", start_date=START, schedule=None, catchup=False):

    @task
    def breaks() -> None:
        raise ValueError("planned failure for farflow local run")

    breaks()
