"""DAGs the end-to-end tests run on the local stack, next to the sample DAG.

Each shows one way an ECS task ends that Airflow must report: a container that exits non-zero, a task
stopped through StopTask, and a task over its memory limit.
"""

from __future__ import annotations

import time
from datetime import datetime

from airflow.sdk import DAG, task

START = datetime(2024, 1, 1)

with DAG(dag_id="farflow_e2e_exit", start_date=START, schedule=None, catchup=False):
    # The test registers farflow-e2e-exit: the Airflow task definition whose entrypoint exits with 3.
    @task(executor_config={"task_definition": "farflow-e2e-exit"})
    def exits_non_zero() -> None:
        raise AssertionError("never runs: the container's entrypoint exits first")

    exits_non_zero()

with DAG(dag_id="farflow_e2e_sleep", start_date=START, schedule=None, catchup=False):

    @task
    def sleeps() -> None:
        print("sleeping until stopped", flush=True)
        time.sleep(600)

    sleeps()

with DAG(dag_id="farflow_e2e_memory", start_date=START, schedule=None, catchup=False):

    @task(executor_config={"cpu": 512, "memory": 1024})
    def allocates_too_much() -> None:
        blob = b"x" * (2048 * 1024 * 1024)  # 2 GiB, touched, in a task allowed 1 GiB
        print(f"allocated {len(blob)} bytes", flush=True)
        time.sleep(300)

    allocates_too_much()
