"""The ECS tasks of task instances a dead scheduler launched without recording their ARNs.

A scheduler that dies between sending RunTask and saving its answer (task_instance.external_executor_id)
leaves a task instance queued or running with no ARN while its ECS task runs on. Handed back, Airflow
resets it and launches the next try beside the one still running: the task's code runs twice. ECS cannot
find a task by clientToken or by tag, so adoption lists the cluster's running tasks once and matches the
tags every launch carries (task instance and try) to those task instances. It happens only at adoption
and only when such task instances exist.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from farflow.executor.request import clean_tag_value
from farflow.executor.tracker import DESCRIBE_BATCH
from farflow.spec.events import STARTED_BY_PREFIX

TryTags = tuple[str, str, str, str, str]
TAG_KEYS = ("airflow:dag_id", "airflow:task_id", "airflow:run_id", "airflow:map_index", "airflow:try_number")


def try_tags(key: Any) -> TryTags:
    """The tag values a launch of this TaskInstanceKey carries (as `_prepare` sets them)."""
    return (
        clean_tag_value(key.dag_id),
        clean_tag_value(key.task_id),
        clean_tag_value(key.run_id),
        str(key.map_index),
        str(key.try_number),
    )


def tagged_try(task: Mapping[str, Any]) -> TryTags | None:
    """The task instance and try a described task (with tags) was launched for; None if not farflow's."""
    if not str(task.get("startedBy", "")).startswith(STARTED_BY_PREFIX):
        return None
    tags = {tag.get("key"): tag.get("value") for tag in task.get("tags", [])}
    values = tuple(tags.get(key) for key in TAG_KEYS)
    return values if all(isinstance(value, str) for value in values) else None  # type: ignore[return-value]


def match(keys: Iterable[Hashable], tasks: Iterable[Mapping[str, Any]]) -> dict[Hashable, str]:
    """key -> ARN of the running task launched for that key and try (pure)."""
    wanted = {try_tags(key): key for key in keys}
    found: dict[Hashable, str] = {}
    for task in tasks:
        tagged = tagged_try(task)
        key = wanted.get(tagged) if tagged is not None else None
        if key is not None and task.get("desiredStatus") == "RUNNING":
            found.setdefault(key, str(task["taskArn"]))
    return found


def running_tasks(client: Any, cluster: str) -> list[Mapping[str, Any]]:
    """Every task of the cluster that is not being stopped, described with its tags."""
    pages = client.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING")
    arns: Sequence[str] = [arn for page in pages for arn in page.get("taskArns", [])]
    tasks: list[Mapping[str, Any]] = []
    for start in range(0, len(arns), DESCRIBE_BATCH):
        batch = list(arns[start : start + DESCRIBE_BATCH])
        tasks.extend(client.describe_tasks(cluster=cluster, tasks=batch, include=["TAGS"]).get("tasks", []))
    return tasks
