"""Reads from Airflow's metadata database what its REST API does not show: each task's ECS task ARN.

The scheduler stores what an executor reports for a running task (farflow's: the ECS task ARN) in
task_instance.external_executor_id; the public API leaves that column out.
"""

from __future__ import annotations

from typing import Any


def ecs_task_arns(database_url: str, dag_id: str, run_id: str) -> dict[str, str]:
    """task_id -> ECS task ARN for the tasks of one run that ran on farflow's executor."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            result = connection.execute(
                sqlalchemy.text(
                    "SELECT task_id, external_executor_id FROM task_instance "
                    "WHERE dag_id = :dag_id AND run_id = :run_id AND external_executor_id LIKE 'arn:%'"
                ),
                {"dag_id": dag_id, "run_id": run_id},
            )
            rows: list[Any] = list(result)
    finally:
        engine.dispose()
    return {str(row[0]): str(row[1]) for row in rows}
