"""The fault soak's DAGs. Each task's own code decides how it ends, so the test knows the right final
state and try number of every task instance whatever the infrastructure did to its ECS tasks.

    farflow_soak_plain    ten independent tasks that succeed
    farflow_soak_mapped   numbers (conf "count") >> square mapped over them; n % 10 == 7 raises
    farflow_soak_failing  raises (ValueError) and exits (sys.exit(3)) fail on purpose; fine succeeds
    farflow_soak_retry    flaky fails on try 1 by its own code and succeeds on try 2 (retries=1)
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, get_current_context, task

START = datetime(2024, 1, 1)
PLAIN_TASKS = 10
FAILING_INDEX = 7  # mapped instances whose n % 10 is this fail on purpose
RUNS = {"max_active_runs": 64, "max_active_tasks": 64, "schedule": None, "catchup": False}

with DAG(dag_id="farflow_soak_plain", start_date=START, **RUNS):

    @task
    def plain(index: int) -> int:
        return index

    for number in range(PLAIN_TASKS):
        plain.override(task_id=f"plain_{number}")(number)

with DAG(dag_id="farflow_soak_mapped", start_date=START, **RUNS):

    @task
    def numbers() -> list[int]:
        conf: dict[str, Any] = get_current_context()["dag_run"].conf or {}
        return list(range(int(conf.get("count", 10))))

    @task
    def square(n: int) -> int:
        if n % 10 == FAILING_INDEX:
            raise ValueError(f"{n} fails on purpose")
        return n * n

    square.expand(n=numbers())

with DAG(dag_id="farflow_soak_failing", start_date=START, **RUNS):

    @task
    def raises() -> None:
        raise ValueError("fails on purpose")

    @task
    def exits() -> None:
        sys.exit(3)

    @task
    def fine() -> str:
        return "fine"

    raises()
    exits()
    fine()

with DAG(dag_id="farflow_soak_retry", start_date=START, **RUNS):

    @task(retries=1, retry_delay=timedelta(seconds=1))
    def flaky() -> str:
        try_number = get_current_context()["ti"].try_number
        if try_number == 1:
            raise RuntimeError("try 1 fails by its own code; try 2 succeeds")
        return f"succeeded on try {try_number}"

    flaky()
