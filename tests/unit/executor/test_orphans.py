from __future__ import annotations

from typing import Any

from farflow.executor.orphans import match, try_tags
from tests.support.workloads import make_workload


def described(
    key: Any, arn: str, *, started_by: str = "farflow-abc", desired: str = "RUNNING"
) -> dict[str, Any]:
    """A DescribeTasks entry (with tags) of a task launched for `key`."""
    names = ("airflow:dag_id", "airflow:task_id", "airflow:run_id", "airflow:map_index", "airflow:try_number")
    tags = [{"key": name, "value": value} for name, value in zip(names, try_tags(key), strict=True)]
    return {"taskArn": arn, "startedBy": started_by, "desiredStatus": desired, "tags": tags}


def test_a_running_task_launched_for_the_same_try_is_found() -> None:
    key = make_workload("orphan").ti.key
    assert match([key], [described(key, "arn:1")]) == {key: "arn:1"}


def test_other_tries_stopping_tasks_and_other_clients_tasks_are_not() -> None:
    key = make_workload("orphan").ti.key
    tasks = [
        described(key._replace(try_number=key.try_number + 1), "arn:next-try"),
        described(key, "arn:stopping", desired="STOPPED"),
        described(key, "arn:not-farflow", started_by="someone-else"),
        {"taskArn": "arn:untagged", "startedBy": "farflow-abc", "desiredStatus": "RUNNING"},
    ]
    assert match([key], tasks) == {}
