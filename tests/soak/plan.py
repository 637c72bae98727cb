"""What the soak triggers for a given number of task instances, and what each instance's own code asks
for (its final state and try number): pure, so the soak's verdict does not depend on what Airflow says."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from tests.soak.dags.soak_dags import FAILING_INDEX, PLAIN_TASKS

SIZE_VARIABLE = "FARFLOW_SOAK_TASKS"
DEFAULT_SIZE = 200
MINIMUM_SIZE = 20
MAPPED_RUN = 60  # task instances per run of the mapped DAG: numbers plus 59 mapped ones
FAILING_TASKS = {"raises": "failed", "exits": "failed", "fine": "success"}


@dataclass(frozen=True)
class Run:
    dag_id: str
    size: int  # its task instances
    conf: dict[str, Any] = field(default_factory=dict)


def soak_size(environ: dict[str, str] | None = None) -> int:
    """FARFLOW_SOAK_TASKS (default 200): how many task instances the soak runs."""
    raw = (os.environ if environ is None else environ).get(SIZE_VARIABLE, "").strip()
    size = int(raw) if raw else DEFAULT_SIZE
    if size < MINIMUM_SIZE:
        raise ValueError(f"{SIZE_VARIABLE} is {size}; use at least {MINIMUM_SIZE}.")
    return size


def runs_for(total: int) -> list[Run]:
    """DAG runs adding up to exactly `total` task instances: per hundred, one retry run and one failing
    run; per fifty, one plain run; mapped runs for the rest."""
    retry = [Run("farflow_soak_retry", 1) for _ in range(max(1, total // 100))]
    failing = [Run("farflow_soak_failing", len(FAILING_TASKS)) for _ in range(max(1, total // 100))]
    plain = [Run("farflow_soak_plain", PLAIN_TASKS) for _ in range(max(1, total // 50))]
    rest = total - sum(run.size for run in (*retry, *failing, *plain))
    chunks = math.ceil(rest / MAPPED_RUN)
    sizes = [rest // chunks + (1 if index < rest % chunks else 0) for index in range(chunks)]
    mapped = [Run("farflow_soak_mapped", size, {"count": size - 1}) for size in sizes]
    return [*mapped, *plain, *failing, *retry]


def expected(dag_id: str, task_id: str, map_index: int) -> tuple[str, int]:
    """The state a task instance's code asks for, and the try it ends on."""
    if dag_id == "farflow_soak_retry":
        return "success", 2
    if dag_id == "farflow_soak_failing":
        return FAILING_TASKS[task_id], 1
    if task_id == "square" and map_index % 10 == FAILING_INDEX:
        return "failed", 1
    return "success", 1
