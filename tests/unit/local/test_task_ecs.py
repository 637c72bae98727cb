"""Each task instance's ECS task and exit code: Airflow's record first, else the executor's launch event,
else the ECS task tagged with the instance's try (Airflow can skip recording an ARN: task_ecs.py)."""

from __future__ import annotations

from typing import Any

from farflow.executor.request import clean_tag_value
from farflow.local.task_ecs import (
    ENDED_STATES,
    EcsTask,
    exit_codes,
    launches_from_events,
    launches_from_tags,
    pick,
    unresolved,
)

DAG, RUN = "etl", "manual__2026-01-01T00:00:00+00:00"
TAGGED_RUN = clean_tag_value(RUN)  # as the executor tags it
CONTAINER = "airflow"


def arn(name: str) -> str:
    return f"arn:aws:ecs:us-east-1:123456789012:task/farflow/{name}"


def instance(task_id: str, state: str = "success", try_number: int = 1, **more: Any) -> dict[str, Any]:
    return {"task_id": task_id, "state": state, "try_number": try_number, "map_index": -1, **more}


def described(
    name: str, code: int | None, *, task_id: str = "", try_number: int = 1, created: str = ""
) -> dict[str, Any]:
    """A stopped ECS task as DescribeTasks(include=TAGS) shows it; tagged when `task_id` is given."""
    container: dict[str, Any] = {"name": CONTAINER}
    if code is not None:
        container["exitCode"] = code
    task: dict[str, Any] = {"taskArn": arn(name), "containers": [container], "createdAt": created}
    if task_id:
        task["startedBy"] = "farflow-executor-1"
        tags = {
            "airflow:dag_id": DAG,
            "airflow:task_id": task_id,
            "airflow:run_id": TAGGED_RUN,
            "airflow:map_index": "-1",
            "airflow:try_number": str(try_number),
        }
        task["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
    return task


def launched_event(task_id: str, name: str, try_number: int = 1) -> dict[str, Any]:
    return {
        "event": "ecs task launched",
        "task_id": task_id,
        "map_index": -1,
        "try_number": try_number,
        "extra": arn(name),
    }


def test_the_recorded_arn_comes_first() -> None:
    tasks = [described("recorded", 0), described("tagged", 3, task_id="extract")]
    launches = launches_from_tags(tasks, DAG, RUN)
    picked = pick([instance("extract")], {"extract": arn("recorded")}, launches, tasks, CONTAINER)
    assert picked == {"extract": EcsTask(arn("recorded"), 0, "recorded")}


def test_a_row_airflow_skipped_gets_its_ecs_task_from_the_tags() -> None:
    # The scheduler skipped the locked row: no external_executor_id, and no event either.
    tasks = [described("a", 0, task_id="extract"), described("b", 0, task_id="load")]
    instances = [instance("extract"), instance("load")]
    recorded = {"extract": arn("a")}
    launches = launches_from_tags(tasks, DAG, RUN)
    assert pick(instances, recorded, launches, tasks, CONTAINER) == {
        "extract": EcsTask(arn("a"), 0, "recorded"),
        "load": EcsTask(arn("b"), 0, "tags"),
    }


def test_a_row_airflow_skipped_gets_its_ecs_task_from_the_launch_event() -> None:
    tasks = [described("b", 0)]
    launches = launches_from_events(
        [launched_event("load", "b"), {"event": "ecs task stopped", "extra": "x"}]
    )
    assert pick([instance("load")], {}, launches, tasks, CONTAINER) == {"load": EcsTask(arn("b"), 0, "event")}


def test_the_latest_launch_of_the_current_try_is_picked() -> None:
    tasks = [
        described("try1", 1, task_id="load", try_number=1, created="2026-01-01T00:00:01"),
        described("try2-spot", None, task_id="load", try_number=2, created="2026-01-01T00:00:05"),
        described("try2-relaunch", 0, task_id="load", try_number=2, created="2026-01-01T00:00:09"),
    ]
    launches = launches_from_tags(list(reversed(tasks)), DAG, RUN)
    picked = pick([instance("load", try_number=2)], {}, launches, tasks, CONTAINER)
    assert picked == {"load": EcsTask(arn("try2-relaunch"), 0, "tags")}
    events = launches_from_events(
        [launched_event("load", "try2-spot", 2), launched_event("load", "try2-relaunch", 2)]
    )
    assert pick([instance("load", try_number=2)], {}, events, tasks, CONTAINER)["load"].arn == arn(
        "try2-relaunch"
    )


def test_the_event_comes_before_the_tags() -> None:
    tasks = [described("by-event", 0), described("by-tags", 0, task_id="load")]
    launches = launches_from_events([launched_event("load", "by-event")]) + launches_from_tags(
        tasks, DAG, RUN
    )
    assert pick([instance("load")], {}, launches, tasks, CONTAINER)["load"].source == "event"


def test_other_runs_dags_and_executors_tasks_are_not_taken() -> None:
    other_run = described("other-run", 0, task_id="load")
    other_run["tags"][2]["value"] = "scheduled__2026"
    other_dag = described("other-dag", 0, task_id="load")
    other_dag["tags"][0]["value"] = "reports"
    not_farflow = described("not-farflow", 0, task_id="load")
    not_farflow["startedBy"] = "someone-else"
    assert launches_from_tags([other_run, other_dag, not_farflow], DAG, RUN) == []


def test_a_task_with_no_launch_anywhere_has_no_ecs_task() -> None:
    assert pick([instance("load")], {}, [], [], CONTAINER) == {"load": EcsTask()}


def test_unresolved_names_only_ecs_task_instances_without_any_arn() -> None:
    instances = [
        instance("recorded"),
        instance("by_event"),
        instance("missing"),
        instance("waiting", state="scheduled"),
        instance("on_worker", executor="worker"),
        instance("running", state="running"),
    ]
    launches = launches_from_events([launched_event("by_event", "e")])
    recorded = {"recorded": arn("r")}
    assert unresolved(instances, recorded) == ["by_event", "missing", "running"]
    assert unresolved(instances, recorded, launches) == ["missing", "running"]
    assert unresolved(instances, recorded, launches, ENDED_STATES) == ["missing"]


def test_exit_codes_read_the_named_container() -> None:
    tasks = [
        {
            "taskArn": "arn:1",
            "containers": [{"name": "side", "exitCode": 9}, {"name": "airflow", "exitCode": 0}],
        },
        {"taskArn": "arn:2", "containers": [{"name": "other", "exitCode": 137}]},
        {"taskArn": "arn:3", "containers": [{"name": "airflow"}]},
    ]
    assert exit_codes(tasks, "airflow") == {"arn:1": 0, "arn:2": 137, "arn:3": None}
