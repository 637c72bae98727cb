"""The e2e tests' one check that each ECS-run task has its ARN (tests/e2e/ledger.py): Airflow may leave a
few unrecorded (SKIP LOCKED), each proven by the executor's launch event and its tagged ECS task."""

from __future__ import annotations

from tests.e2e.ledger import (
    RowKey,
    Tagged,
    TaskRow,
    TryKey,
    exited_0,
    judge_arns,
    max_unrecorded,
    running,
)

DAG, RUN = "many", "manual__1"


def arn(task_id: str) -> str:
    return f"arn:aws:ecs:us-east-1:123456789012:task/farflow/{task_id}"


def key(task_id: str) -> RowKey:
    return (DAG, RUN, task_id)


def try_key(task_id: str) -> TryKey:
    return (DAG, task_id, RUN, -1, 1)


def rows(count: int, unrecorded: int) -> dict[RowKey, TaskRow]:
    """`count` successful task instances, the first `unrecorded` without their ARN."""
    found = {}
    for index in range(count):
        recorded = None if index < unrecorded else arn(f"t{index}")
        found[key(f"t{index}")] = TaskRow("success", 1, recorded, 7, recorded)
    return found


def proofs(count: int, code: int = 0) -> tuple[dict[TryKey, list[Tagged]], dict[tuple[RowKey, int], str]]:
    tagged = {try_key(f"t{i}"): [Tagged(arn(f"t{i}"), "STOPPED", code)] for i in range(count)}
    events = {(key(f"t{i}"), 1): arn(f"t{i}") for i in range(count)}
    return tagged, events


def test_the_bound_is_one_in_ten_and_at_least_one() -> None:
    assert [max_unrecorded(n) for n in (1, 9, 20, 56, 90)] == [1, 1, 2, 5, 9]


def test_every_arn_recorded_passes_without_looking_further() -> None:
    checked, problem = judge_arns(rows(90, 0), {}, {}, exited_0)
    assert problem is None and all(row.arn for row in checked.values())


def test_unrecorded_arns_within_the_bound_take_their_proven_ecs_task() -> None:
    tagged, events = proofs(9)
    checked, problem = judge_arns(rows(90, 9), tagged, events, exited_0)
    assert problem is None
    assert checked[key("t0")].arn == arn("t0") and checked[key("t0")].external_executor_id is None


def test_more_than_the_bound_fails_even_when_each_is_proven() -> None:
    tagged, events = proofs(10)
    _, problem = judge_arns(rows(90, 10), tagged, events, exited_0)
    assert problem is not None and "10 of 90" in problem and "at most 9" in problem


def test_an_unrecorded_arn_needs_both_its_launch_event_and_its_ecs_task() -> None:
    tagged, events = proofs(1)
    del events[key("t0"), 1]
    assert judge_arns(rows(90, 1), tagged, events, exited_0)[1] is not None  # no launch event
    tagged, events = proofs(1, code=1)
    assert judge_arns(rows(90, 1), tagged, events, exited_0)[1] is not None  # its ECS task failed
    tagged, events = proofs(1)
    tagged[try_key("t0")].append(Tagged(arn("again"), "STOPPED", 0))
    assert judge_arns(rows(90, 1), tagged, events, exited_0)[1] is not None  # launched twice


def test_a_running_task_is_proven_by_its_one_running_ecs_task() -> None:
    tagged = {try_key("t0"): [Tagged(arn("spot"), "STOPPED", None), Tagged(arn("t0"), "RUNNING", None)]}
    events = {(key("t0"), 1): arn("t0")}
    checked, problem = judge_arns(rows(20, 1), tagged, events, running)
    assert problem is None and checked[key("t0")].arn == arn("t0")
