"""The oldest queued task's age, which the queued-too-long alarm reads: only tasks ECS has not accepted."""

from __future__ import annotations

from farflow.executor.ecs_fargate_executor import EcsFargateExecutor, TaskRecord


def _executor(*records: TaskRecord) -> EcsFargateExecutor:
    executor = object.__new__(EcsFargateExecutor)
    executor._records = {record.key: record for record in records}
    return executor


def test_the_age_is_the_oldest_unlaunched_tasks() -> None:
    launched = TaskRecord(key="a", workload=None, executor_config={}, arn="arn:task/a", queued_at=10.0)
    waiting = TaskRecord(key="b", workload=None, executor_config={}, queued_at=40.0)
    newer = TaskRecord(key="c", workload=None, executor_config={}, queued_at=90.0)
    assert _executor(launched, waiting, newer).oldest_queued_seconds(now=100.0) == 60.0
    assert _executor(launched).oldest_queued_seconds(now=100.0) == 0.0
    assert _executor().oldest_queued_seconds(now=100.0) == 0.0
