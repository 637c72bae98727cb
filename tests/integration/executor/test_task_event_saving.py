"""Task events reach Airflow's `log` table through the scheduler's own saving code.

Airflow 3.3.2 saves them from a generator with SQLAlchemy 2.1's bulk_save_objects, which loses objects
that nothing else references; the executor must keep them alive until they are saved.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.executor.test_executor import queue


@pytest.fixture(scope="module")
def migrated_db() -> None:
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run(
        [str(airflow), "db", "migrate"], env=os.environ.copy(), check=True, capture_output=True, timeout=300
    )


def test_rejected_task_event_is_saved_by_the_scheduler(migrated_db: None, make_executor: Any) -> None:
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models import Log
    from airflow.utils.session import create_session
    from sqlalchemy import select

    driver = make_executor()
    key = queue(driver, "rejected_size", executor_config={"cpu": 256, "memory": 4096})
    driver.until(lambda: driver.final_state(key) == "failed", what="the rejection")
    gc.collect()
    with create_session() as session:
        SchedulerJobRunner._process_task_event_logs(driver.executor._task_event_logs, session)
    with create_session() as session:
        saved = session.scalars(select(Log).where(Log.task_id == "rejected_size")).all()
    assert [log.event for log in saved] == ["ecs task rejected"]
    assert "nearest valid" in (saved[0].extra or "")
