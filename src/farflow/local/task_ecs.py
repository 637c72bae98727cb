"""Which ECS task ran each task instance of a run, and its exit code (pure): for the demo's table and
`farflow local run`.

Airflow records an ECS task's ARN in task_instance.external_executor_id when the scheduler reads the
executor's RUNNING event. It reads those events with `SELECT ... FOR UPDATE SKIP LOCKED`
(scheduler_job_runner.process_executor_events) and has already taken them off the executor's buffer, so
a task whose row another transaction holds just then (its own first execution API call) never gets its
ARN. Two records of the executor's own stand in: its `ecs task launched` task event (saved without row
locks) and the tags it puts on every ECS task (dag, task, run, map index and try).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from farflow.executor.orphans import tagged_try
from farflow.executor.request import clean_tag_value

LAUNCHED_EVENT = "ecs task launched"
DEFAULT_EXECUTOR = "EcsFargateExecutor"
# States of a task instance that the executor has handed to ECS (or is handing): one may lack its ARN.
LAUNCHED_STATES = frozenset(
    {"queued", "running", "success", "failed", "up_for_retry", "up_for_reschedule", "restarting", "deferred"}
)
ENDED_STATES = frozenset({"success", "failed", "up_for_retry"})

TryOf = tuple[str, str, str]  # task_id (as tagged), map_index, try_number


@dataclass(frozen=True)
class Launch:
    """One ECS task the executor launched for a task instance's try, by its event or its tags."""

    task_id: str
    map_index: int
    try_number: int
    arn: str
    source: str  # "event" or "tags"

    @property
    def of(self) -> TryOf:
        return (clean_tag_value(self.task_id), str(self.map_index), str(self.try_number))


@dataclass(frozen=True)
class EcsTask:
    """The ECS task shown for a task instance, its container's exit code, and where the ARN came from:
    "recorded" (Airflow's external_executor_id), "event", "tags", or "" when there is none."""

    arn: str | None = None
    exit_code: int | None = None
    source: str = ""


def try_of(instance: Mapping[str, Any]) -> TryOf:
    """A task instance's current try, as the executor tags it."""
    map_index = instance.get("map_index")
    return (
        clean_tag_value(instance["task_id"]),
        str(-1 if map_index is None else map_index),
        str(instance.get("try_number") or 0),
    )


def on_ecs(instance: Mapping[str, Any]) -> bool:
    """The task instance runs on farflow's executor (the default one) and was handed to it."""
    executor = instance.get("executor") or DEFAULT_EXECUTOR
    return executor == DEFAULT_EXECUTOR and instance.get("state") in LAUNCHED_STATES


def unresolved(
    instances: Iterable[Mapping[str, Any]],
    recorded: Mapping[str, str],
    launches: Iterable[Launch] = (),
    states: frozenset[str] = LAUNCHED_STATES,
) -> list[str]:
    """Task ids of instances on ECS (in one of `states`) with no ARN recorded and no launch of their try."""
    launched = {launch.of for launch in launches}
    return [
        i["task_id"]
        for i in instances
        if on_ecs(i)
        and i.get("state") in states
        and i["task_id"] not in recorded
        and try_of(i) not in launched
    ]


def launches_from_events(events: Iterable[Mapping[str, Any]]) -> list[Launch]:
    """The run's `ecs task launched` task events (REST event logs, oldest first) as launches."""
    found = []
    for event in events:
        arn = str(event.get("extra") or "")
        if event.get("event") == LAUNCHED_EVENT and arn.startswith("arn:") and event.get("task_id"):
            map_index = event.get("map_index")
            found.append(
                Launch(
                    str(event["task_id"]),
                    -1 if map_index is None else int(map_index),
                    int(event.get("try_number") or 0),
                    arn,
                    "event",
                )
            )
    return found


def launches_from_tags(tasks: Iterable[Mapping[str, Any]], dag_id: str, run_id: str) -> list[Launch]:
    """The ECS tasks (described with tags) farflow's executor launched for one run, oldest first."""
    dag, run = clean_tag_value(dag_id), clean_tag_value(run_id)
    found = []
    for task in sorted(tasks, key=lambda task: str(task.get("createdAt") or "")):
        tagged = tagged_try(task)
        if tagged is not None and tagged[0] == dag and tagged[2] == run:
            _, task_id, _, map_index, try_number = tagged
            found.append(Launch(task_id, int(map_index), int(try_number), str(task["taskArn"]), "tags"))
    return found


def exit_codes(described: Iterable[Mapping[str, Any]], container: str) -> dict[str, int | None]:
    """ARN -> exit code of `container` (or the first container), from DescribeTasks' tasks."""
    codes: dict[str, int | None] = {}
    for task in described:
        containers = list(task.get("containers", []))
        chosen = next(
            (c for c in containers if c.get("name") == container), containers[0] if containers else {}
        )
        code = chosen.get("exitCode")
        codes[str(task["taskArn"])] = int(code) if code is not None else None
    return codes


def pick(
    instances: Sequence[Mapping[str, Any]],
    recorded: Mapping[str, str],
    launches: Iterable[Launch],
    described: Iterable[Mapping[str, Any]],
    container: str,
) -> dict[str, EcsTask]:
    """task_id -> its ECS task and exit code. The ARN Airflow recorded comes first; for a task instance
    without one, the latest launch for its current try, from the executor's event before its tags (a
    relaunch after a capacity error or a Spot interruption is a later launch of the same try)."""
    codes = exit_codes(described, container)
    latest: dict[tuple[str, TryOf], Launch] = {}
    for launch in launches:
        latest[launch.source, launch.of] = launch
    picked: dict[str, EcsTask] = {}
    for instance in instances:
        task_id = instance["task_id"]
        arn, source = recorded.get(task_id), "recorded"
        if arn is None:
            found = latest.get(("event", try_of(instance))) or latest.get(("tags", try_of(instance)))
            arn, source = (found.arn, found.source) if found else (None, "")
        picked[task_id] = EcsTask(arn, codes.get(arn) if arn else None, source)
    return picked
