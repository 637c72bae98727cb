"""Ten small DAGs of ten tasks each for the load end-to-end test, all triggered at once: the load that
made SQLite fail with "database is locked". One of them fails on purpose, so "every run ends right" is
checked both ways.

    start >> [part_0 .. part_7] >> finish (finish on the `worker` executor)
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

START = datetime(2024, 1, 1)
DAGS = 10
PARTS = 8
FAILING = "farflow_many_9"
FAILING_PART = "part_3"

for number in range(DAGS):
    dag_id = f"farflow_many_{number}"
    with DAG(dag_id=dag_id, start_date=START, schedule=None, catchup=False, max_active_tasks=PARTS):

        @task
        def start(offset: int = number) -> int:
            return offset * 100

        @task
        def part(base: int, index: int, fail: bool) -> int:
            if fail:
                raise ValueError("planned failure of the load test")
            return base + index

        @task(executor="worker")
        def finish(values: list[int]) -> int:
            return sum(values)

        base = start()
        parts = [
            part.override(task_id=f"part_{index}")(
                base, index, dag_id == FAILING and f"part_{index}" == FAILING_PART
            )
            for index in range(PARTS)
        ]
        finish(parts)
