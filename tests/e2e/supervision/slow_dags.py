"""DAGs for the supervision end-to-end test: runs long enough to kill components under them, and one that
fails on purpose for `farflow local run`'s failure report."""

from __future__ import annotations

import time
from datetime import datetime

from airflow.sdk import DAG, task

START = datetime(2024, 1, 1)

for number in range(3):
    with DAG(dag_id=f"farflow_slow_{number}", start_date=START, schedule=None, catchup=False):

        @task
        def step(seconds: float) -> float:
            time.sleep(seconds)
            return seconds

        previous = None
        for index in range(4):
            current = step.override(task_id=f"step_{index}")(4.0)
            if previous is not None:
                previous >> current
            previous = current

with DAG(dag_id="farflow_planned_failure", start_date=START, schedule=None, catchup=False):

    @task
    def breaks() -> None:
        raise ValueError("planned failure for farflow local run")

    breaks()
