"""Airflow ExecuteTask workloads built without a metadata database, for executor tests and benchmarks."""

from __future__ import annotations

import uuid
from typing import Any

from airflow.executors.workloads import ExecuteTask
from airflow.executors.workloads.base import BundleInfo
from airflow.executors.workloads.task import TaskInstanceDTO

FAKE_TOKEN = "test-workload-token-c2VjcmV0LW11c3Qtbm90LWxlYWs"  # a stand-in JWT that must never reach a log


def make_workload(
    task_id: str,
    *,
    dag_id: str = "farflow_test",
    run_id: str = "manual__2026-01-01T00:00:00+00:00",
    try_number: int = 1,
    executor_config: dict[str, Any] | None = None,
    token: str = FAKE_TOKEN,
) -> ExecuteTask:
    ti = TaskInstanceDTO(
        id=uuid.uuid4(),
        task_id=task_id,
        dag_id=dag_id,
        run_id=run_id,
        try_number=try_number,
        dag_version_id=uuid.uuid4(),
        pool_slots=1,
        priority_weight=1,
        executor_config=executor_config,
    )
    return ExecuteTask(
        ti=ti,
        dag_rel_path="farflow_test.py",
        bundle_info=BundleInfo(name="dags-folder"),
        log_path=None,
        token=token,
    )
